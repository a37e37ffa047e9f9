import FoundationEssentials
import MailIntakeCore
import MailIntakeDaemon
import MailStore

/// A failure the command line reports: one line on stderr and an exit code (1 runtime, 2 usage or configuration).
struct CommandFailure: Error {
    let message: String
    let exitCode: Int32

    static func usage(_ message: String) -> CommandFailure { CommandFailure(message: message, exitCode: 2) }
    static func runtime(_ message: String) -> CommandFailure { CommandFailure(message: message, exitCode: 1) }
}

extension CommandLine {
    static let usage = """
        usage: mailintake [--config PATH] COMMAND [OPTIONS]

        commands:
          run [--once]                 poll, file and acknowledge; --once does one cycle and exits
          check-config                 validate the configuration and print it, secrets masked
          status                       last poll, last success, backlog, outbox, last error; exit 1 if stale or failing
          oauth login [--for imap|smtp] [--code]
                                       sign in once for OAuth2 (device code, or --code: paste the redirect); saves the refresh token
          oauth status [--for imap|smtp]
                                       the OAuth2 grant, access token expiry, refresh token age and likely expiry
          backup FILE                  an online copy of the database (SQLite backup API)
          classify [--json] [--vocabulary DIR] [--model FILE] [--web-form-sender ADDRESS] FILE...
                                       parse and classify .eml files; touches no database or server
          learn [--from DIR]... [--no-corrections] [--out FILE]
                                       rebuild the learned model from staff's corrections and labelled folders
          parse --json FILE.eml        what the parser understood of one message
          list [--limit N] [--system] [FILTERS]
                                       the newest inquiries (default 50); --system: reports matching no mail of ours
          search WORDS… ["A PHRASE"] [FILTERS] [--limit N]
                                       inquiries whose subject, sender, text or attachment names match
                                       (case, diacritics and word endings ignored), newest first
                 FILTERS: --field F --sender-type T --intent I --language L --since DATE --until DATE
                          --status open|answered|closed --overdue --needs-review
          show REFERENCE               one inquiry: labels, evidence, status, messages, attachments, acknowledgement
          answered REFERENCE [--at DATE] [--note TEXT]
                                       record that the office answered (an answer from the office mailbox is seen by itself)
          close REFERENCE [--note TEXT]  nothing more to do;  reopen REFERENCE [--note TEXT]  it needs an answer again
          interim REFERENCE --until DATE  an interim reply promised the answer by DATE (Article 17), the new due day
          report --html FILE [--since DATE] [--until DATE]
                                       the year at a glance: one self-contained HTML page with charts and tables
          reclassify REFERENCE [--field F] [--secondary A,B|none] [--sender-type natural|legal]
                     [--legal-kind K] [--intent I] [--language L] [--by NAME] [--note TEXT]
                                       correct the labels; the correction and the original labels are kept
          outbox                       acknowledgements and notifications not yet sent: pending, held, failed
          outbox retry REFERENCE       send an inquiry's failed or held mail again
          attachment REFERENCE N       write the inquiry's N-th attachment to stdout
          export --format json|csv     every inquiry, with stable keys

        personal data (GDPR; every one of these is kept in the audit trail, without addresses):
          purge [--dry-run]            what [retention] expires today (anonymise or delete), then does it
          hold REFERENCE --reason TEXT  a legal hold: retention and erasure leave the inquiry alone
          release REFERENCE [--reason TEXT]
          subject-access ADDRESS [--also ADDRESS]... --out DIR
                                       everything held about a person (Article 15), as files to hand over
          erase ADDRESS [--also ADDRESS]... --reason TEXT [--force JUSTIFICATION]
                                       anonymise a person's inquiries (Article 17); held or open ones are kept
          audit [--limit N]            the audit trail: purges, access exports, erasures, holds, releases
          replay-erasures              after restoring a backup: erase again what the journal says was erased

        The configuration is --config PATH, else $MAILINTAKE_CONFIG, else \(Configuration.defaultPath).
        Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.
        """

    /// Runs one command line and returns the process exit code.
    static func run(_ arguments: [String], environment: [String: String]) -> Int32 {
        var arguments = arguments
        var explicitConfig = environment["MAILINTAKE_CONFIG"]
        if let index = arguments.firstIndex(of: "--config") {
            guard index + 1 < arguments.count else { return fail(.usage("--config needs a path")) }
            explicitConfig = arguments[index + 1]
            arguments.removeSubrange(index...(index + 1))
        }
        let configPath = explicitConfig ?? Configuration.defaultPath
        guard let command = arguments.first else { return failWithUsage("no command given") }
        let options = Array(arguments.dropFirst())
        do {
            switch command {
            case "run": return try Commands.run(options, configPath: configPath, environment: environment)
            case "check-config": return try Commands.checkConfig(options, configPath: configPath, environment: environment)
            case "classify": return try Commands.classify(options, explicitConfig: explicitConfig, environment: environment)
            case "learn": return try Commands.learn(options, explicitConfig: explicitConfig, environment: environment)
            case "parse": return try Commands.parse(options)
            case "attachment": return try Commands.attachment(options, configPath: configPath, environment: environment)
            case "list": return try Commands.list(options, configPath: configPath, environment: environment)
            case "show": return try Commands.show(options, configPath: configPath, environment: environment)
            case "reclassify": return try Commands.reclassify(options, configPath: configPath, environment: environment)
            case "outbox": return try Commands.outbox(options, configPath: configPath, environment: environment)
            case "status": return try Commands.status(options, configPath: configPath, environment: environment)
            case "search": return try Commands.search(options, configPath: configPath, environment: environment)
            case "oauth": return try Commands.oauth(options, configPath: configPath, environment: environment)
            case "backup": return try Commands.backup(options, configPath: configPath, environment: environment)
            case "export": return try Commands.export(options, configPath: configPath, environment: environment)
            case "answered": return try Commands.lifecycle(.answer, options, configPath: configPath, environment: environment)
            case "close": return try Commands.lifecycle(.close, options, configPath: configPath, environment: environment)
            case "reopen": return try Commands.lifecycle(.reopen, options, configPath: configPath, environment: environment)
            case "interim": return try Commands.lifecycle(.interim, options, configPath: configPath, environment: environment)
            case "report": return try Commands.report(options, configPath: configPath, environment: environment)
            case "purge": return try Commands.purge(options, configPath: configPath, environment: environment)
            case "hold": return try Commands.hold(true, options, configPath: configPath, environment: environment)
            case "release": return try Commands.hold(false, options, configPath: configPath, environment: environment)
            case "subject-access": return try Commands.subjectAccess(options, configPath: configPath, environment: environment)
            case "erase": return try Commands.erase(options, configPath: configPath, environment: environment)
            case "audit": return try Commands.audit(options, configPath: configPath, environment: environment)
            case "replay-erasures": return try Commands.replayErasures(options, configPath: configPath, environment: environment)
            case "help", "--help", "-h":
                print(usage)
                return 0
            default: return failWithUsage("unknown command `\(PrintableText.safe(command, limit: 80))`")
            }
        } catch let failure as CommandFailure {
            return fail(failure)
        } catch let error as ConfigurationError {
            return fail(.usage("configuration error: \(error)"))
        } catch let error as ModelError {
            return fail(.runtime("\(error)"))
        } catch let error as TemplateError {
            return fail(.usage("template error: \(error)"))
        } catch let error as InstanceLock.Held {
            return fail(.usage(error.description))
        } catch {
            return fail(.runtime("\(error)"))
        }
    }

    static func fail(_ failure: CommandFailure) -> Int32 {
        StandardOutput.complain("mailintake: \(failure.message)")
        return failure.exitCode
    }

    /// A usage error, then the usage itself. Its lines are this program's own text, so they stay
    /// lines; `complain` shows a line break as ␊, since what it prints may quote a server.
    static func failWithUsage(_ message: String) -> Int32 {
        StandardOutput.complain("mailintake: \(message)")
        StandardOutput.writeError(usage + "\n")
        return 2
    }
}

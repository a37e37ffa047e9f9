import FoundationEssentials
import MailIntakeCore
import MailIntakeDaemon
import MailStore

/// The commands behind the command line. Each returns an exit code or throws a `CommandFailure`.
enum Commands {
    /// The configuration; staff commands pass `readingSecrets: false`: they need no password, and
    /// the files that hold them are the service's alone.
    static func loadConfiguration(_ path: String, _ environment: [String: String], readingSecrets: Bool = true) throws -> Configuration {
        try Configuration.load(path: path, environment: environment, readingSecrets: readingSecrets)
    }

    static func logger(_ configuration: Configuration) -> Logger {
        Logger(label: "mailintake", level: configuration.logLevel)
    }

    // MARK: run

    static func run(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        let once = options.contains("--once")
        let adopt = options.contains("--adopt-filed")
        if let unknown = options.first(where: { $0 != "--once" && $0 != "--adopt-filed" }) {
            throw CommandFailure.usage("run: unknown option \(unknown); use --once and --adopt-filed")
        }
        if adopt && !once { throw CommandFailure.usage("--adopt-filed is for one cycle only: use `run --once --adopt-filed`") }
        let configuration = try loadConfiguration(configPath, environment)
        let log = logger(configuration)
        let lock = try InstanceLock(databasePath: configuration.storePath)
        let stop = StopSignal()
        let intake: Intake
        do {
            intake = try Intake(configuration: configuration, logger: log, stop: stop, adoptFiled: adopt)
        } catch {
            // `status` must say why, even when the database cannot record it (a full disk).
            HealthFile(databasePath: configuration.storePath).recordFailure("opening the database: \(error)")
            throw error
        }
        guard once else {
            let daemon = Daemon(intake: intake, logger: log, stop: stop, notifier: SystemdNotifier(environment: environment), lock: lock,
                                reloadConfiguration: { try loadConfiguration(configPath, environment) })
            daemon.run()
        }
        let outcome = Cycle.run(intake, logger: log)
        if let refused = outcome.refused {
            intake.store.close()
            throw CommandFailure.usage("refusing to run: \(refused)")
        }
        if let poll = outcome.poll {
            log.notice("poll done: \(poll.inquiries) new inquiries, \(poll.followUps) follow-ups, \(poll.duplicates) duplicates")
        }
        if let delivery = outcome.delivery {
            log.notice("delivery done: \(delivery.sent) sent, \(delivery.retried) to retry, \(delivery.failed) failed, \(delivery.unconfirmed) unconfirmed")
        }
        for error in [outcome.pollError, outcome.deliveryError].compactMap({ $0 }) { StandardOutput.complain("mailintake: \(error)") }
        intake.store.close()
        lock.release()
        return outcome.failure == nil ? 0 : 1
    }

    // MARK: status, backup

    /// `status`: the last poll and success, what waits, the outbox and the last error; exit 1 when
    /// polling is stale or acknowledgements are failing, so monitoring can run it.
    static func status(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        guard options.isEmpty else { throw CommandFailure.usage("status takes no options") }
        let configuration = try loadConfiguration(configPath, environment, readingSecrets: false)
        // The health file holds the last cycle even when the database could not record it.
        let health = HealthFile(databasePath: configuration.storePath).read()
        var state: [String: String] = [:]
        var outbox: [String: Int] = [:]
        var failing = 0
        var waiting: (count: Int, oldest: Date?) = (0, nil)
        var databaseProblem: String?
        var deadlines: ServiceHealth.Deadlines?
        var protection: (held: Int, anonymised: Int)?
        do {
            let repository = try openRepository(configuration, readOnly: true)
            deadlines = try ServiceHealth.deadlines(repository, configuration, now: Date())
            protection = try repository.dataProtectionCounts()
            state = try repository.state()
            outbox = try repository.outboxCounts()
            failing = try repository.failingAcknowledgements(since: Date().addingTimeInterval(-86_400), attempts: 3)
            waiting = try repository.waitingAcknowledgements()
        } catch {
            guard health != nil else { throw error }
            databaseProblem = "the database cannot be read: \(error)"
        }
        if let health, (health["last_poll_at"] ?? "") > (state["last_poll_at"] ?? "") || databaseProblem != nil {
            state.merge(health) { $1 }
        }
        // Waiting longer than two windows of the hourly cap is more than pacing.
        var report = ServiceHealth.evaluate(state: state, outbox: outbox, failingAcknowledgements: failing, waiting: waiting,
                                            longWait: max(2 * configuration.ack.rateWindow, 3 * configuration.imap.pollInterval), deadlines: deadlines,
                                            pollInterval: configuration.imap.pollInterval, now: Date())
        if let databaseProblem { report.problems.insert(databaseProblem, at: 0) }
        for tokens in OAuth2Health.check(configuration) {
            report.lines += tokens.lines
            report.problems += tokens.problems
        }
        if let protection {
            let retention = ServiceHealth.retention(configuration.retention, lastPurge: state["retention.last_purge"], held: protection.held,
                                                    anonymised: protection.anonymised, servicePolling: state["last_poll_at"] != nil, now: Date())
            report.lines.append(retention.line)
            report.problems += retention.problems
        }
        report.lines.forEach { StandardOutput.say($0) }
        if report.problems.isEmpty {
            StandardOutput.say("status:           OK")
            return 0
        }
        report.problems.forEach { StandardOutput.say("PROBLEM:          \($0)") }
        return 1
    }

    /// `backup FILE`: an online copy of the database through SQLite's backup API.
    static func backup(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        guard options.count == 1, let path = options.first, !path.hasPrefix("-") else {
            throw CommandFailure.usage("backup needs one FILE to write, such as /var/backups/mailintake-$(date +%F).sqlite")
        }
        // A dangling symlink does not "exist" for fileExists, yet must be refused too.
        var info = stat()
        guard lstat(path, &info) != 0 else {
            throw CommandFailure.runtime("\(path) already exists\((info.st_mode & S_IFMT) == S_IFLNK ? " (a symbolic link)" : ""); choose a new file name (a backup never overwrites, nor follows a link)")
        }
        let storePath = try loadConfiguration(configPath, environment).storePath
        let repository = try openRepository(configPath, environment)
        do {
            try repository.backup(to: path)
        } catch {
            throw CommandFailure.runtime("backup to \(path) failed: \(error); check the folder exists, is writable and has room")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        StandardOutput.say("backed up \(storePath) to \(path) (\(size) bytes, readable only by its owner)")
        return 0
    }

    // MARK: check-config

    static func checkConfig(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        guard options.isEmpty else { throw CommandFailure.usage("check-config takes no options") }
        let configuration = try loadConfiguration(configPath, environment)
        let templates = try AckTemplates(directory: configuration.ack.templatesDirectory)
        StandardOutput.say("# \(configPath): valid")
        configuration.summary.split(separator: "\n").forEach { StandardOutput.say(String($0)) }
        StandardOutput.say("# acknowledgement templates: \(templates.byLanguage.keys.sorted().joined(separator: ", "))")
        return 0
    }

    static func printJSON(_ object: Any) throws {
        StandardOutput.write(JSONValue(object).serialized(pretty: true) + [0x0A])
    }

    // MARK: staff views

    /// The database, for reading only where the command only reads (see `MailRepository.init`).
    /// Staff reach it through the `mailintake` group (docs/STAFF.md): someone outside the group
    /// is told so, rather than that there is no database.
    static func openRepository(_ configPath: String, _ environment: [String: String], readOnly: Bool = false) throws -> MailRepository {
        try openRepository(try loadConfiguration(configPath, environment, readingSecrets: false), readOnly: readOnly)
    }

    /// The same, for a command that has read the configuration already.
    static func openRepository(_ configuration: Configuration, readOnly: Bool = false) throws -> MailRepository {
        let path = configuration.storePath
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == EACCES { throw CommandFailure.runtime(noAccess(path)) }
            throw CommandFailure.runtime("no database at \(path) yet; run `mailintake run --once` first")
        }
        // SQLite needs the folder too (its -wal and -shm files), for reading as well as writing.
        let folder = Path.folder(of: path)
        if access(path, readOnly ? R_OK : R_OK | W_OK) != 0 || access(folder.isEmpty ? "." : folder, R_OK | W_OK | X_OK) != 0 {
            throw CommandFailure.runtime(noAccess(path))
        }
        return try MailRepository(path: path, readOnly: readOnly)
    }

    /// Why this account may not open the database, and what the administrator does about it.
    static func noAccess(_ path: String) -> String {
        let account = getpwuid(getuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? String(getuid())
        let folder = Path.folder(of: path)
        var info = stat()
        var group = "mailintake"
        if stat(folder, &info) == 0, let entry = getgrgid(info.st_gid), let name = entry.pointee.gr_name { group = String(cString: name) }
        return "the unix account \(account) may not open \(path): staff commands need membership in the group `\(group)`. "
            + "Ask the administrator to run `sudo usermod -aG \(group) \(account)`, then log in again (or run `newgrp \(group)`)"
    }

    static func list(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        var limit = 50
        var index = 0
        var system = false
        var filter = MailRepository.InquiryFilter()
        while index < options.count {
            if options[index] == "--system" {
                system = true
                index += 1
                continue
            }
            if try Self.filterOption(options, at: &index, into: &filter) { continue }
            guard options[index] == "--limit" else {
                throw CommandFailure.usage("list: unknown option \(options[index]); list takes --limit N, --system and the filters of search (--field, --sender-type, --intent, --language, --since, --until, --status, --overdue, --needs-review)")
            }
            guard index + 1 < options.count, let value = Int(options[index + 1]), value > 0 else {
                throw CommandFailure.usage("--limit needs a positive number")
            }
            limit = min(value, 1_000_000)
            index += 2
        }
        let repository = try openRepository(configPath, environment, readOnly: true)
        if system {
            // Reports that matched none of our mail: staff may still want to see them.
            let messages = try repository.systemMessages(limit: limit)
            if messages.isEmpty { StandardOutput.say("no system messages"); return 0 }
            StandardOutput.say(pad("ID", 8) + pad("FILED", 22) + pad("FROM", 36) + "SUBJECT")
            for message in messages {
                let parsed = MessageParser.parse(message.raw)
                StandardOutput.say(pad(String(message.id), 8) + pad(message.filedAt, 22) + pad(parsed.from?.address ?? "?", 36) + parsed.subject)
            }
            return 0
        }
        let rows = try repository.recentInquiries(limit: limit, filter: filter)
        if rows.isEmpty { StandardOutput.say(filter.isEmpty ? "no inquiries filed yet" : "no inquiries match"); return 0 }
        printInquiries(rows.map { ($0, nil) })
        return 0
    }

    /// Reads one of the filters `list` and `search` share at `index` (moving past it and its
    /// value), or returns false when the option is not one of them.
    static func filterOption(_ options: [String], at index: inout Int, into filter: inout MailRepository.InquiryFilter) throws -> Bool {
        let option = options[index]
        func value() throws -> String {
            guard index + 1 < options.count, !options[index + 1].hasPrefix("--") else { throw CommandFailure.usage("\(option) needs a value") }
            return options[index + 1]
        }
        func date() throws -> String {
            let text = try value()
            guard HolidayCalendar.Day(iso: text) != nil else { throw CommandFailure.usage("\(option) needs a date such as 2026-03-01; got `\(text)`") }
            return text
        }
        switch option {
        case "--field": filter.field = try value()
        case "--sender-type": filter.senderType = try value()
        case "--intent": filter.intent = try value()
        case "--language": filter.language = try value()
        case "--since": filter.since = try date()
        case "--until": filter.until = try date()
        case "--status":
            let status = try value().lowercased()
            guard InquiryStatus(rawValue: status) != nil else {
                throw CommandFailure.usage("--status must be one of \(InquiryStatus.allCases.map(\.rawValue).joined(separator: ", ")); got `\(status)`")
            }
            filter.status = status
        case "--needs-review", "--overdue":
            // Flags without a value.
            if option == "--overdue" {
                filter.overdueOn = HolidayCalendar.Day(local: Date()).description
            } else {
                filter.needsReview = true
            }
            index += 1
            return true
        default: return false
        }
        index += 2
        return true
    }

    /// The table `list` and `search` print; `search` adds the matching words under each row.
    static func printInquiries(_ rows: [(record: InquiryRecord, snippet: String?)]) {
        let today = HolidayCalendar.Day(local: Date()).description
        StandardOutput.say(pad("REFERENCE", 16) + pad("RECEIVED", 22) + pad("STATUS", 10) + pad("DUE", 12) + pad("LANG", 5) + pad("FIELD", 13)
                           + pad("SENDER", 9) + pad("INTENT", 22) + pad("ACK", 11) + "SUBJECT")
        for (row, snippet) in rows {
            let status = row.isOverdue(today: today) ? "OVERDUE" : row.status
            StandardOutput.say(pad(row.reference, 16) + pad(row.receivedAt, 22) + pad(status, 10) + pad(row.status == "open" ? row.dueOn ?? "-" : "-", 12)
                  + pad(row.language, 5) + pad(row.field, 13) + pad(row.senderType, 9)
                  + pad(row.intent, 22) + pad(row.ackStatus, 11) + String(row.subject.prefix(60)))
            if let snippet, !snippet.isEmpty { StandardOutput.say("                …" + PrintableText.safe(snippet.replacing("\n", with: " "), limit: 160)) }
        }
    }

    /// `search QUERY… [filters]`: the inquiries whose subject, sender, organisation, text or
    /// attachment names match, newest first, with the words that matched.
    static func search(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        var words: [String] = []
        var filter = MailRepository.InquiryFilter()
        var limit = 50
        var index = 0
        while index < options.count {
            if try Self.filterOption(options, at: &index, into: &filter) { continue }
            let option = options[index]
            switch option {
            case "--limit":
                guard index + 1 < options.count, let number = Int(options[index + 1]), number > 0 else { throw CommandFailure.usage("--limit needs a positive number") }
                limit = min(number, 100_000)
                index += 1
            default:
                guard !option.hasPrefix("--") else {
                    throw CommandFailure.usage("search: unknown option \(option); use --field, --sender-type, --intent, --language, --since, --until, --status, --overdue, --needs-review, --limit")
                }
                words.append(option)
            }
            index += 1
        }
        guard let match = SearchText.query(words.joined(separator: " ")) else {
            throw CommandFailure.usage("search needs words to look for, such as `mailintake search muzej gradec` or `mailintake search \"pobratena mesta\"`")
        }
        let repository = try openRepository(configPath, environment, readOnly: true)
        let found = try repository.search(match, filter: filter, limit: limit)
        if found.isEmpty { StandardOutput.say("nothing found"); return 0 }
        printInquiries(found.map { ($0.record, $0.snippet) })
        return 0
    }

    /// `text` made safe to print, then cut or padded to `width` columns.
    static func pad(_ raw: String, _ width: Int) -> String {
        let text = PrintableText.safe(raw)
        return text.count >= width ? String(text.prefix(width - 1)) + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func show(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        guard options.count == 1, let reference = options.first, !reference.hasPrefix("-") else {
            throw CommandFailure.usage("show needs one REFERENCE, such as MB-2026-000042, and takes no options")
        }
        let repository = try openRepository(configPath, environment, readOnly: true)
        guard let detail = try repository.inquiry(reference: reference) else {
            throw CommandFailure.runtime("no inquiry \(reference); `mailintake list` shows the references")
        }
        let record = detail.record
        StandardOutput.say("Reference:   \(record.reference)")
        if let anonymised = detail.anonymisedAt { StandardOutput.say("Anonymised:  \(anonymised) (retention or an erasure: names, addresses, text and mail are gone)") }
        if let hold = detail.hold { StandardOutput.say("Legal hold:  \(hold.reason) (since \(hold.at)\(hold.by.map { ", by \($0)" } ?? ""))") }
        StandardOutput.say("Received:    \(record.receivedAt)")
        StandardOutput.say("From:        \(record.fromName.map { "\($0) " } ?? "")<\(record.fromAddress ?? "unknown")>")
        StandardOutput.say("Subject:     \(record.subject)")
        StandardOutput.say("Language:    \(record.language)")
        StandardOutput.say("Field:       \(record.field)\(record.secondaryFields.isEmpty ? "" : " (also \(record.secondaryFields.joined(separator: ", ")))")")
        StandardOutput.say("Sender:      \(record.senderType)\(record.legalKind.map { " / \($0)" } ?? "")")
        StandardOutput.say("Intent:      \(record.intent)")
        StandardOutput.say("Confidence:  \(detail.confidence)\(detail.needsReview ? "  — flagged for review" : "")")
        StandardOutput.say(detail.originalLabels == nil ? "Evidence:" : "Evidence (for the classifier's labels):")
        detail.evidence.forEach { StandardOutput.say("  - \($0)") }
        if let original = detail.originalLabels {
            StandardOutput.say("Corrected by staff; the classifier said: \(original.summary)")
            for correction in detail.corrections {
                StandardOutput.say("  \(correction.correctedAt) \(correction.correctedBy ?? "unknown"): \(correction.before.summary) → \(correction.after.summary)\(correction.note.map { " (\($0))" } ?? "")")
            }
        }
        let today = HolidayCalendar.Day(local: Date()).description
        StandardOutput.say("Status:      \(record.status)\(record.isOverdue(today: today) ? " — OVERDUE" : "")")
        if let due = record.dueOn { StandardOutput.say("Answer due:  \(due)\(record.interimUntil != nil ? " (promised in an interim reply)" : "")") }
        if let answered = record.answeredAt {
            StandardOutput.say("Answered:    \(answered)\(record.answeredBy.map { " by \($0)" } ?? "")\(record.answeredVia.map { " (\($0))" } ?? "")")
        }
        if let closed = record.closedAt { StandardOutput.say("Closed:      \(closed)") }
        for event in detail.events {
            StandardOutput.say("  \(event.at) \(event.action) → \(event.status)\(event.by.map { " by \($0)" } ?? "")\(event.note.map { " (\($0))" } ?? "")")
        }
        StandardOutput.say("Acknowledgement: \(record.ackStatus)\(record.ackReason.map { " — \($0)" } ?? "")")
        if let staff = record.routedTo { StandardOutput.say("Routed to:   \(staff)") }
        for mail in detail.outbox {
            StandardOutput.say("  \(mail.kind) to \(mail.recipient): \(mail.status), \(mail.attempts) attempt(s)\(mail.sentAt.map { ", sent \($0)" } ?? "")\(mail.serverReply.map { ", server: \($0)" } ?? "")\(mail.lastError.map { ", last error: \($0)" } ?? "")")
        }
        if !detail.attachments.isEmpty {
            StandardOutput.say("Attachments:  (mailintake attachment \(record.reference) N > FILE)")
            for (offset, attachment) in detail.attachments.enumerated() {
                StandardOutput.say("  \(offset + 1). \(attachment.filename)  \(attachment.contentType), \(attachment.size) bytes, sha256 \(attachment.sha256.prefix(16))…")
            }
        }
        StandardOutput.say("Conversation:")
        for message in detail.messages {
            guard !message.raw.isEmpty else {
                StandardOutput.say("  --- \(message.disposition) (UID \(message.uid), \(message.size) bytes, filed \(message.filedAt)): erased")
                continue
            }
            let parsed = MessageParser.parse(message.raw)
            StandardOutput.say("  --- \(message.disposition) (UID \(message.uid), \(message.size) bytes, filed \(message.filedAt)) from \(parsed.from?.address ?? "?"): \(parsed.subject)")
            if !message.problems.isEmpty { StandardOutput.say("  problems: \(message.problems.joined(separator: "; "))") }
            for line in parsed.text.split(separator: "\n", omittingEmptySubsequences: false).prefix(60) { StandardOutput.say("  | \(line)") }
            for forwarded in parsed.attachedMessages {
                StandardOutput.say("  attached message from \(forwarded.from?.address ?? "?"): \(forwarded.subject)")
                for line in forwarded.split.newText.split(separator: "\n", omittingEmptySubsequences: false).prefix(30) { StandardOutput.say("  || \(line)") }
            }
        }
        return 0
    }

    static func export(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        guard options.count == 2, options[0] == "--format", ["json", "csv"].contains(options[1]) else {
            throw CommandFailure.usage("export needs --format json or --format csv")
        }
        let repository = try openRepository(configPath, environment, readOnly: true)
        if options[1] == "json" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var first = true
            StandardOutput.write("[")
            try repository.forEachInquiry { record in
                StandardOutput.write(Array((first ? "\n" : ",\n").utf8) + Array(try encoder.encode(record)))
                first = false
            }
            StandardOutput.write("\n]\n")
        } else {
            let columns = ["reference", "received_at", "from_address", "from_name", "subject", "language", "field", "secondary_fields",
                           "sender_type", "legal_kind", "intent", "ack_status", "ack_reason", "corrected", "status", "due_on", "interim_until",
                           "answered_at", "answered_by", "answered_via", "closed_at", "routed_to"]
            StandardOutput.write(columns.joined(separator: ",") + "\r\n")
            try repository.forEachInquiry { r in
                let values: [String] = [r.reference, r.receivedAt, r.fromAddress ?? "", r.fromName ?? "", r.subject, r.language, r.field,
                                        r.secondaryFields.joined(separator: ";"), r.senderType, r.legalKind ?? "", r.intent, r.ackStatus, r.ackReason ?? "",
                                        r.corrected ? "yes" : "no", r.status, r.dueOn ?? "", r.interimUntil ?? "", r.answeredAt ?? "",
                                        r.answeredBy ?? "", r.answeredVia ?? "", r.closedAt ?? "", r.routedTo ?? ""]
                StandardOutput.write(values.map(csvField).joined(separator: ",") + "\r\n")
            }
        }
        return 0
    }

    /// RFC 4180 quoting, a leading quote mark for cells a spreadsheet would run as a formula, and
    /// controls shown rather than written: a CR or an escape sequence in a subject must not
    /// rewrite the screen of whoever looks at the file (a CSV has no line breaks inside cells).
    static func csvField(_ value: String) -> String {
        var text = PrintableText.safe(value)
        if let first = text.first, "=+-@".contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }
}

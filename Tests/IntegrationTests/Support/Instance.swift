import Foundation
import MailIntakeCore
import MailStore
import Testing

/// One mailintake installation for one test: its own IMAP account, folder, configuration,
/// database and sender address (so its acknowledgements can be told apart in the shared spool).
/// It drives the real `mailintake` binary, as an operator would.
struct Instance {
    let stack: MailStack
    let folder: String
    let user: String
    let password: String
    let officeAddress: String
    /// The address the office's web form sends from, in this instance's configuration.
    let webFormAddress: String
    /// The IMAP folder this instance polls.
    let mailbox: String

    static var binary: String {
        MailStack.environment["MAILINTAKE_BINARY"] ?? MailStack.repositoryRoot + "/.build/debug/mailintake"
    }

    var configPath: String { folder + "/mailintake.conf" }
    var databasePath: String { folder + "/mailintake.sqlite" }

    struct Options {
        var imapScheme = "imaps"
        var smtpScheme = "smtp"
        var afterFiling = "keyword"
        var useCA = true
        var imapPassword: String?
        var imapPort: Int?
        /// Another SMTP server's port (a hostile one), instead of the stack's.
        var smtpPort: Int?
        var imapTimeout = "10s"
        var smtpTimeout = "10s"
        var pollInterval = "1s"
        /// The folder polled (created by the first APPEND when it is not INBOX).
        var mailbox = "INBOX"
        /// More `key = value` lines for [imap].
        var imapExtra = ""
        /// More `key = value` lines for [ack].
        var ackExtra = ""
        /// More sections, e.g. [routing] or [working_days].
        var extraSections = ""
        /// Log in to IMAP and SMTP with OAuth2 through the stack's token server, as the stack's
        /// own account (`office`), whose name the access tokens carry: `[oauth2]` gets this grant.
        var oauthGrant: String?
        /// More `key = value` lines for [oauth2].
        var oauthExtra = ""
        /// Which sides log in with OAuth2 (the other with its password).
        var oauthSides: Set<String> = ["imap", "smtp"]
    }

    init(_ options: Options = Options(), stack: MailStack? = nil) throws {
        self.stack = try stack ?? MailStack.require()
        if options.oauthGrant != nil {
            (user, password) = (self.stack.variables["MI_OAUTH_USER"] ?? "office", self.stack.variables["MI_PASSWORD"] ?? "office-secret")
        } else {
            (user, password) = try self.stack.makeAccount()
        }
        // The OAuth2 tests share one account name (the tokens name it), each on its own stack.
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("mi-it-\(user)" + (options.oauthGrant != nil ? "-" + UUID().uuidString.prefix(8) : "")).path
        officeAddress = "office-\(user)@maribor.example"
        webFormAddress = "form-\(user)@maribor.example"
        mailbox = options.mailbox
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try writeConfig(options)
    }

    func writeConfig(_ options: Options) throws {
        let fm = FileManager.default
        for part in ["templates", "vocabulary"] where !fm.fileExists(atPath: folder + "/" + part) {
            try fm.copyItem(atPath: MailStack.repositoryRoot + "/config/" + part, toPath: folder + "/" + part)
        }
        try ((options.imapPassword ?? password) + "\n").write(toFile: folder + "/imap.password", atomically: true, encoding: .utf8)
        try (stack.smtpPassword + "\n").write(toFile: folder + "/smtp.password", atomically: true, encoding: .utf8)
        for name in ["imap.password", "smtp.password"] {
            try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: folder + "/" + name)
        }
        let imapPort = options.imapPort ?? (options.imapScheme == "imaps" ? stack.imapsPort : stack.imapPort)
        let smtpPort = options.smtpPort ?? (options.smtpScheme == "smtps" ? stack.smtpsPort : stack.smtpPort)
        let ca = options.useCA ? "ca_file = \(stack.caFile)" : "# no ca_file: the test CA is unknown"
        let variables = stack.variables
        var oauth = ""
        if let grant = options.oauthGrant {
            try ((variables["MI_OAUTH_CLIENT_SECRET"] ?? "") + "\n").write(toFile: folder + "/client.secret", atomically: true, encoding: .utf8)
            try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: folder + "/client.secret")
            oauth = """
                [oauth2]
                provider = generic
                grant = \(grant)
                client_id = \(variables["MI_OAUTH_CLIENT_ID"] ?? "")
                client_secret_file = client.secret
                token_url = \(variables["MI_TOKEN_URL"] ?? "")
                device_url = \(variables["MI_DEVICE_URL"] ?? "")
                authorize_url = \(variables["MI_AUTHORIZE_URL"] ?? "")
                scope = mail
                ca_file = \(stack.caFile)
                refresh_token_lifetime = 90d
                \(options.oauthExtra.contains("timeout") ? "" : "timeout = 5s")
                \(options.oauthExtra)
                """
        }
        let oauthSides = options.oauthGrant != nil ? options.oauthSides : []
        let imapLogin = oauthSides.contains("imap") ? "auth = oauth2" : "password_file = imap.password"
        let smtpLogin = oauthSides.contains("smtp") ? "user = \(user)\nauth = oauth2" : "user = \(stack.smtpUser)\npassword_file = smtp.password"
        let config = """
            [imap]
            url = \(options.imapScheme)://127.0.0.1:\(imapPort)
            mailbox = \(options.mailbox)
            user = \(user)
            \(imapLogin)
            \(ca)
            poll_interval = \(options.pollInterval)
            timeout = \(options.imapTimeout)
            after_filing = \(options.afterFiling)
            batch_size = 25
            \(options.afterFiling == "move" ? "move_to = Filed" : "")
            \(options.imapExtra)

            [smtp]
            url = \(options.smtpScheme)://127.0.0.1:\(smtpPort)
            \(smtpLogin)
            \(ca)
            from = \(officeAddress)
            timeout = \(options.smtpTimeout)

            [store]
            path = mailintake.sqlite

            [office]
            name = Urad za mednarodno in medmestno sodelovanje
            email = \(officeAddress)
            phone = 02/2201-219
            address = Ulica heroja Staneta 1, 2000 Maribor

            [ack]
            reference_prefix = MB
            templates = templates
            \(options.ackExtra)

            [classifier]
            vocabulary = vocabulary

            [web_form]
            senders = \(webFormAddress)

            \(options.extraSections)

            \(oauth)
            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    // MARK: driving mailintake

    @discardableResult
    func mailintake(_ arguments: String...) throws -> CommandResult {
        try runCommand(Self.binary, ["--config", configPath] + arguments)
    }

    /// Starts mailintake in the background, its stderr going to `log` in the instance folder.
    func start(_ arguments: [String], log: String = "daemon.log", environment: [String: String] = [:]) throws -> Subprocess {
        let process = Subprocess()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--config", configPath] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: folder + "/" + log, contents: nil)
        let handle = FileHandle(forWritingAtPath: folder + "/" + log)!
        handle.seekToEndOfFile()
        process.standardError = handle
        try process.run()
        return process
    }

    func log(_ name: String = "daemon.log") -> String {
        (try? String(contentsOfFile: folder + "/" + name, encoding: .utf8)) ?? ""
    }

    func exported() throws -> [[String: Any]] {
        let result = try mailintake("export", "--format", "json")
        #expect(result.status == 0, "export failed: \(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
    }

    /// A single number from the instance's database.
    /// Inquiries filed so far, 0 before the daemon created its database (without creating it).
    func inquiryCount() -> Int {
        guard FileManager.default.fileExists(atPath: databasePath) else { return 0 }
        return (try? count("SELECT count(*) FROM inquiries")) ?? 0
    }

    func count(_ sql: String) throws -> Int {
        let repository = try MailRepository(path: databasePath)
        return try repository.database.row(sql)?.values.first?.int ?? -1
    }

    // MARK: the mailbox and the spool

    private var toolEnvironment: [String: String] {
        ["MI_USER": user, "MI_PASSWORD": password, "MI_CA": stack.caFile, "MI_IMAPS_PORT": "\(stack.imapsPort)", "MI_MAILBOX": mailbox]
    }

    /// Appends to the polled folder, or to `mailbox` (created if need be), as received `ageDays` ago.
    func append(_ files: [String], mailbox: String? = nil, ageDays: Int = 0) throws {
        var environment = toolEnvironment
        if let mailbox { environment["MI_MAILBOX"] = mailbox }
        environment["MI_APPEND_AGE_DAYS"] = String(ageDays)
        let result = try runCommand("/usr/bin/python3", [MailStack.repositoryRoot + "/scripts/lib/imap_tool.py", "append"] + files,
                                    environment: environment)
        try #require(result.status == 0, "APPEND failed: \(result.stderr)")
    }

    func appendFixtures(_ names: String...) throws {
        try append(names.map { MailStack.repositoryRoot + "/Tests/Fixtures/mail/" + $0 })
    }

    /// Writes `text` (LF line ends) as a temporary .eml and appends it.
    func appendText(_ text: String, mailbox: String? = nil, ageDays: Int = 0) throws {
        let path = folder + "/append-\(UUID().uuidString).eml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try append([path], mailbox: mailbox, ageDays: ageDays)
    }

    /// UID → flags, as the server shows them.
    /// Recreates the polled folder with the same mail (and a new UIDVALIDITY), as a server
    /// migration might. (Dovecot cannot delete or rename INBOX: use another `mailbox`.)
    func recreateMailbox() throws {
        let result = try runCommand("/usr/bin/python3", [MailStack.repositoryRoot + "/scripts/lib/imap_tool.py", "recreate"],
                                    environment: toolEnvironment)
        try #require(result.status == 0, "recreating INBOX failed: \(result.stderr)")
    }

    func flags(mailbox: String = "INBOX") throws -> [Int: String] {
        let result = try runCommand("/usr/bin/python3", [MailStack.repositoryRoot + "/scripts/lib/imap_tool.py", "flags", mailbox],
                                    environment: toolEnvironment)
        try #require(result.status == 0, "reading flags failed: \(result.stderr)")
        var flags: [Int: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if let uid = Int(parts[0]) { flags[uid] = parts.count > 1 ? String(parts[1]) : "" }
        }
        return flags
    }

    /// The acknowledgements the SMTP server accepted from this instance, parsed by Python's e-mail package.
    /// Makes the SMTP server answer DATA of this instance's mail with `reply` (nil: accept again).
    func failSMTP(with reply: String?) throws {
        let folder = stack.directory + "/smtp-fail.d"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + officeAddress.lowercased()
        if let reply {
            try (reply + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        } else {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    func acknowledgements() throws -> [[String: Any]] {
        let result = try runCommand("/usr/bin/python3", [MailStack.repositoryRoot + "/scripts/lib/spool_tool.py", stack.spool, "--from", officeAddress])
        try #require(result.status == 0, "reading the spool failed: \(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
    }
}

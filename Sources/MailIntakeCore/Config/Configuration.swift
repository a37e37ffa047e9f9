import FoundationEssentials

/// A secret read from a file (or a systemd credential). Its description is always masked,
/// so printing a configuration or logging an error can never reveal it.
public struct Secret: Sendable, CustomStringConvertible, Equatable {
    public let value: String
    public let source: String

    public var description: String { "******** (from \(source))" }
}

/// What to do with a message on the server once it is safely filed in the database.
public enum AfterFiling: String, Sendable, CaseIterable {
    /// Add the keyword only, so staff reading the mailbox still see the message as unread.
    case keyword
    /// Add the keyword and \Seen.
    case seen
    /// Add the keyword, then move the message to `move_to`.
    case move
}

/// Settings of the IMAP mailbox that is polled.
public struct IMAPSettings: Sendable {
    public var url: URL
    public var mailbox: String
    public var user: String
    public var authentication: MailAuthentication
    public var caFile: String?
    public var pollInterval: TimeInterval
    public var afterFiling: AfterFiling
    public var keyword: String
    public var moveTo: String?
    /// The office's sent folder, read (EXAMINE, nothing marked) for answers to inquiries.
    public var sentFolder: String?
    public var batchSize: Int
    /// Larger messages are filed truncated to this many bytes, flagged for review.
    public var maxMessageSize: Int
    public var timeout: TimeInterval
}

/// Settings of the SMTP submission server that sends acknowledgements.
public struct SMTPSettings: Sendable {
    public var url: URL
    public var user: String?
    public var authentication: MailAuthentication
    public var caFile: String?
    public var from: MailAddress
    public var timeout: TimeInterval
}

/// Who the office is, as the acknowledgement names it.
public struct OfficeSettings: Sendable {
    public var name: String
    public var email: MailAddress
    public var phone: String
    public var address: String
}

/// How acknowledgements are numbered and written.
public struct AckSettings: Sendable {
    public var enabled: Bool
    public var referencePrefix: String
    public var templatesDirectory: String
    public var messageIDDomain: String
    public var maxAttempts: Int
    /// The wait before the first retry of mail that failed temporarily; it doubles with each
    /// further attempt, up to six hours.
    public var retryDelay: TimeInterval
    /// Senders never answered: local parts (`noreply`, also `noreply+x`, `noreply-x`), whole
    /// addresses, or `*@domain`.
    public var neverAnswer: [String]
    /// At most this many acknowledgements to one address in 24 hours (more are held: loop
    /// protection), and this many sent in all per `rateWindow` (more wait, pending, oldest first).
    public var maxPerSenderPerDay: Int
    public var maxPerHour: Int
    /// The window of `maxPerHour`: an hour, shorter only to try the throttle out.
    public var rateWindow: TimeInterval
    /// An inquiry received longer ago than this (filed after an outage, or a restored backlog) is
    /// not acknowledged by itself: its acknowledgement is held for staff, and `status` says so.
    public var maxAge: TimeInterval
    /// Acknowledge only mail that the receiving server authenticated (backscatter guard).
    public var requireAuthentication: AuthenticationRequirement
    /// The authserv-id of our receiving server's Authentication-Results headers.
    public var authservID: String?
    /// Working days until the office answers, by field; `default` for the rest.
    public var workingDays: [String: Int]

    public func workingDays(for field: String) -> Int { workingDays[field] ?? workingDays["default"] ?? 5 }

    public static let defaultNeverAnswer = ["mailer-daemon", "postmaster", "no-reply", "noreply", "do-not-reply", "donotreply",
                                            "bounce", "bounces", "listserv", "majordomo", "notifications", "newsletter"]
}

/// What the backscatter guard asks of Authentication-Results (RFC 8601) before acknowledging.
public enum AuthenticationRequirement: String, Sendable, CaseIterable {
    case no, spf, dmarc
    case spfOrDmarc = "spf_or_dmarc"
}

/// Who in the office hears of each inquiry: an address per field, optionally per field and
/// sender type (`economy.legal`), and a default.
public struct RoutingSettings: Sendable {
    public var routes: [String: MailAddress]

    public var isEmpty: Bool { routes.isEmpty }

    /// The most specific route: field.sender_type, then field, then default.
    public func recipient(field: String, senderType: String) -> MailAddress? {
        routes["\(field).\(senderType)"] ?? routes[field] ?? routes["default"]
    }
}

/// Where the classifier's vocabulary lives, when a label is too unsure to stand without review,
/// and how to read the office's web form.
public struct ClassifierSettings: Sendable {
    public var vocabularyDirectory: String
    /// An inquiry whose weakest label has a lower confidence is flagged for review.
    public var reviewBelow: Double
    /// The addresses the office's web form sends from (lower case).
    public var webFormSenders: Set<String>
    public var webForm: WebFormSubmission.Layout
    /// Where the model learned from corrections is kept (`mailintake learn` writes it, the
    /// daemon rebuilds it after corrections); by default beside the database.
    public var modelPath: String
    /// Labelled folders the model learns from besides the corrections (`[classifier] training`).
    public var trainingDirectories: [String]
}

/// The whole, validated configuration of one mailintake instance.
public struct Configuration: Sendable {
    public var sourcePath: String
    public var imap: IMAPSettings
    public var smtp: SMTPSettings
    public var storePath: String
    public var office: OfficeSettings
    public var ack: AckSettings
    public var classifier: ClassifierSettings
    public var routing: RoutingSettings
    /// A Prometheus text file (node_exporter's textfile collector) rewritten after each cycle.
    public var metricsFile: String?
    /// Slovenia's work-free days, and `[deadlines] holidays`: for the working days the acknowledgement promises.
    public var holidays: HolidayCalendar
    /// When answers are due (`[deadlines]`), and the daily digest.
    public var deadlines: DeadlineSettings
    /// Who writes for the office: their replies copied to the mailbox are answers.
    public var staff: StaffDirectory
    /// `[report] file`: the HTML report, rewritten after each cycle.
    public var reportFile: String?
    /// `[retention]`: how long inquiries are kept, and what their expiry does.
    public var retention: RetentionSettings
    public var logLevel: Logger.Level

    /// The default location, unless `--config` or `$MAILINTAKE_CONFIG` says otherwise.
    public static let defaultPath = "/etc/mailintake/mailintake.conf"

    /// Reads and validates the file at `path`. Relative paths inside it are taken relative to its folder.
    /// With `readingSecrets` false the secrets' settings are checked but the files not read:
    /// staff commands need none of them, and staff may not read them.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            readingSecrets: Bool = true) throws(ConfigurationError) -> Configuration {
        try parse(INIFile(path: path, text: try readText(path)), environment: environment, readingSecrets: readingSecrets)
    }

    /// The largest configuration file we read; a real one is a few kilobytes.
    static let maximumFileSize = 1 << 20

    /// The file's text: a regular file (not a folder or a device such as /dev/zero), of sane size, in UTF-8.
    static func readText(_ path: String) throws(ConfigurationError) -> String {
        func failure(_ line: Int, _ message: String) -> ConfigurationError { ConfigurationError(file: path, line: line, key: nil, message: message) }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw failure(0, "cannot read the configuration file (\(String(cString: strerror(errno)))); check the path and that this user may read it")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw failure(0, (info.st_mode & S_IFMT) == S_IFDIR ? "is a folder, not a configuration file; give the path of the .conf file in it"
                                                               : "is not a regular file; give the path of a configuration file")
        }
        guard info.st_size <= maximumFileSize else {
            throw failure(0, "is \(info.st_size) bytes, larger than any configuration file (\(maximumFileSize / 1024) KiB at most); check the path")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw failure(0, "cannot read the configuration file; check that this user may read it")
        }
        let bytes = Array(data)
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        // Say where: the first line that is not UTF-8.
        var line = 1
        var lineStart = 0
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            if String(validating: bytes[lineStart..<index], as: UTF8.self) == nil { break }
            line += 1
            lineStart = index + 1
        }
        throw failure(line, "this line is not UTF-8 text; save the file as UTF-8")
    }

    /// Validates an already-read INI file.
    public static func parse(_ file: INIFile, environment: [String: String] = [:], readingSecrets: Bool = true) throws(ConfigurationError) -> Configuration {
        var reader = SettingsReader(file: file, environment: environment)
        reader.readsSecrets = readingSecrets
        let config = try reader.read()
        try reader.rejectUnknownKeys()
        return config
    }

    /// The effective settings, one `section.key = value` a line, secrets masked.
    public var summary: String {
        var lines: [String] = []
        func add(_ key: String, _ value: Any?) {
            lines.append("\(key) = \(value.map { "\($0)" } ?? "(not set)")")
        }
        add("imap.url", imap.url.absoluteString)
        add("imap.mailbox", imap.mailbox)
        add("imap.user", imap.user)
        Self.describe(imap.authentication, side: "imap", add: add)
        add("imap.ca_file", imap.caFile)
        add("imap.poll_interval", "\(Int(imap.pollInterval))s")
        add("imap.after_filing", imap.afterFiling.rawValue)
        add("imap.keyword", imap.keyword)
        add("imap.move_to", imap.moveTo)
        add("imap.sent_folder", imap.sentFolder)
        add("imap.batch_size", imap.batchSize)
        add("imap.max_message_size", imap.maxMessageSize)
        add("imap.timeout", "\(Int(imap.timeout))s")
        add("smtp.url", smtp.url.absoluteString)
        add("smtp.user", smtp.user)
        Self.describe(smtp.authentication, side: "smtp", add: add)
        add("smtp.ca_file", smtp.caFile)
        add("smtp.from", smtp.from.displayName.map { "\($0) <\(smtp.from.address)>" } ?? smtp.from.address)
        add("smtp.timeout", "\(Int(smtp.timeout))s")
        add("store.path", storePath)
        add("office.name", office.name)
        add("office.email", office.email.address)
        add("office.phone", office.phone)
        add("office.address", office.address)
        add("ack.enabled", ack.enabled ? "yes" : "no")
        add("ack.reference_prefix", ack.referencePrefix)
        add("ack.templates", ack.templatesDirectory)
        add("ack.message_id_domain", ack.messageIDDomain)
        add("ack.max_attempts", ack.maxAttempts)
        add("ack.retry_delay", "\(Int(ack.retryDelay))s")
        add("ack.never_answer", ack.neverAnswer.joined(separator: ", "))
        add("ack.max_per_sender_per_day", ack.maxPerSenderPerDay)
        add("ack.max_per_hour", ack.maxPerHour)
        add("ack.rate_window", "\(Int(ack.rateWindow))s")
        add("ack.max_age", "\(Int(ack.maxAge / 86_400))d")
        add("ack.require_authentication", ack.requireAuthentication.rawValue)
        add("ack.authserv_id", ack.authservID)
        for (key, days) in ack.workingDays.sorted(by: { $0.key < $1.key }) { add("working_days.\(key)", days) }
        for (key, address) in routing.routes.sorted(by: { $0.key < $1.key }) { add("routing.\(key)", address.address) }
        add("classifier.vocabulary", classifier.vocabularyDirectory)
        add("classifier.review_below", classifier.reviewBelow)
        add("web_form.senders", classifier.webFormSenders.isEmpty ? nil : classifier.webFormSenders.sorted().joined(separator: ", "))
        add("metrics.file", metricsFile)
        add("deadlines.holidays", holidays.extraDays.isEmpty ? "Slovenia's work-free days" : "Slovenia's work-free days and " + holidays.extraDays.sorted().map(\.description).joined(separator: ", "))
        for (key, days) in deadlines.answerWithin.sorted(by: { $0.key < $1.key }) {
            add(key == "default" ? "deadlines.answer_within" : "deadlines.answer_within.\(key)", "\(days)d")
        }
        add("deadlines.due_soon", "\(deadlines.dueSoon)d")
        add("deadlines.digest", deadlines.digest ? "yes" : "no")
        add("deadlines.digest_at", Formatting.padded(deadlines.digestAt / 60, width: 2) + ":" + Formatting.padded(deadlines.digestAt % 60, width: 2))
        add("office.staff", (staff.addresses.sorted() + staff.domains.sorted().map { "@" + $0 }).joined(separator: ", "))
        add("report.file", reportFile)
        if retention.periods["default"] == nil && !retention.forever.contains("default") { add("retention.default", "(not set: kept for good)") }
        for key in Set(retention.periods.keys).union(retention.forever).sorted() { add("retention.\(key)", retention.forever.contains(key) ? "forever" : retention.periods[key]?.description) }
        for (key, expiry) in retention.expiries.sorted(by: { $0.key < $1.key }) {
            add(key == "default" ? "retention.expiry" : "retention.expiry.\(key)", expiry.rawValue)
        }
        add("log.level", logLevel.name)
        return lines.joined(separator: "\n")
    }

    private static func describe(_ authentication: MailAuthentication, side: String, add: (String, Any?) -> Void) {
        switch authentication {
        case .password(let secret):
            add("\(side).auth", "password")
            add("\(side).password_file", secret)
        case .oauth2(let oauth):
            add("\(side).auth", "oauth2 ([\(oauth.section)])")
            let key = { (name: String) in "\(oauth.section).\(name) (\(side))" }
            add(key("provider"), oauth.provider.rawValue)
            add(key("grant"), oauth.grant.rawValue)
            add(key("client_id"), oauth.clientID)
            add(key("client_secret"), oauth.clientSecret)
            add(key("token_url"), oauth.tokenURL.absoluteString)
            add(key("device_url"), oauth.deviceURL?.absoluteString)
            add(key("authorize_url"), oauth.authorizeURL?.absoluteString)
            add(key("scope"), oauth.scope)
            add(key("ca_file"), oauth.caFile)
            add(key("token_file"), oauth.tokenFile)
            add(key("timeout"), "\(Int(oauth.timeout))s")
            add(key("refresh_token_lifetime"), oauth.refreshTokenIdleLifetime.map { "\(Int($0 / OAuth2Settings.day))d unused" })
            add(key("refresh_token_maximum_lifetime"), oauth.refreshTokenMaximumLifetime.map { "\(Int($0 / OAuth2Settings.day))d" })
        }
    }
}

/// Reads typed values out of an `INIFile`, remembering which keys it consumed so that
/// anything left over (a typo, a key from a newer version) is reported, not ignored.
private struct SettingsReader {
    let file: INIFile
    let environment: [String: String]
    var known: Set<String> = []
    let baseDirectory: String
    /// False for staff commands: secrets are checked as settings but their files not read.
    var readsSecrets = true
    /// OAuth2 sections already read: IMAP and SMTP may share one.
    var oauthSections: [String: OAuth2Settings] = [:]

    init(file: INIFile, environment: [String: String]) {
        self.file = file
        self.environment = environment
        self.baseDirectory = Path.folder(of: file.path)
    }

    mutating func read() throws(ConfigurationError) -> Configuration {
        let imapURL = try url("imap", "url", schemes: ["imaps", "imap"])
        var mailbox = try optionalString("imap", "mailbox")
        if mailbox == nil, imapURL.path.count > 1 { mailbox = String(imapURL.path.dropFirst()) }
        let afterFiling = try choice("imap", "after_filing", default: AfterFiling.keyword)
        let moveTo = try optionalString("imap", "move_to")
        let sentFolder = try optionalString("imap", "sent_folder")
        if afterFiling == .move, moveTo == nil {
            throw error("imap", "after_filing", "is `move` but [imap] move_to names no folder; add `move_to = Filed` (or the folder you want)")
        }
        for (key, name) in [("mailbox", mailbox), ("move_to", moveTo), ("sent_folder", sentFolder)] {
            if let name, !name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" }) {
                throw error("imap", key, "folder names must be printable ASCII without quotes or backslashes (got `\(name)`); rename the folder on the server or choose another")
            }
        }
        let keyword = try optionalString("imap", "keyword") ?? "$Filed"
        if !keyword.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "$_-.".contains($0)) }) {
            throw error("imap", "keyword", "an IMAP keyword may hold only letters, digits and $_-. (got `\(keyword)`)")
        }
        let storePath = resolve(try requiredString("store", "path"))
        let imap = IMAPSettings(
            url: imapURL,
            mailbox: mailbox ?? "INBOX",
            user: try requiredString("imap", "user"),
            authentication: try authentication("imap", storePath: storePath),
            caFile: try existingFile("imap", "ca_file"),
            pollInterval: try duration("imap", "poll_interval", default: 60, minimum: 1, maximum: 86_400),
            afterFiling: afterFiling,
            keyword: keyword,
            moveTo: moveTo,
            sentFolder: sentFolder,
            batchSize: try integer("imap", "batch_size", default: 100, range: 1...1000),
            maxMessageSize: try byteSize("imap", "max_message_size", default: 50 << 20, range: (64 << 10)...(1 << 30)),
            timeout: try duration("imap", "timeout", default: 60, minimum: 1, maximum: 3600)
        )
        let smtpUser = try optionalString("smtp", "user")
        let smtpAuthentication = try authentication("smtp", storePath: storePath)
        if smtpAuthentication.oauth2 != nil, smtpUser == nil {
            throw error("smtp", "user", "is required with auth = oauth2: XOAUTH2 names the mailbox it logs in to; add `user = ` the mailbox's address")
        }
        let smtp = SMTPSettings(
            url: try url("smtp", "url", schemes: ["smtps", "smtp"]),
            user: smtpUser,
            authentication: smtpAuthentication,
            caFile: try existingFile("smtp", "ca_file"),
            from: try address("smtp", "from", allowingName: true),
            timeout: try duration("smtp", "timeout", default: 60, minimum: 1, maximum: 3600)
        )
        let officeEmail = try address("office", "email")
        let office = OfficeSettings(
            name: try requiredString("office", "name"),
            email: officeEmail,
            phone: try requiredString("office", "phone"),
            address: try optionalString("office", "address") ?? ""
        )
        let prefix = try optionalString("ack", "reference_prefix") ?? "MB"
        if prefix.isEmpty || prefix.count > 10 || !prefix.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }) {
            throw error("ack", "reference_prefix", "use 1 to 10 upper-case letters or digits, such as MB (got `\(prefix)`)")
        }
        let ack = AckSettings(
            enabled: try boolean("ack", "enabled", default: true),
            referencePrefix: prefix,
            templatesDirectory: try directory("ack", "templates", default: "templates", holding: "acknowledgement templates (config/templates in the source tree)"),
            messageIDDomain: try optionalString("ack", "message_id_domain") ?? officeEmail.domain,
            maxAttempts: try integer("ack", "max_attempts", default: 10, range: 1...100),
            retryDelay: try duration("ack", "retry_delay", default: 60, minimum: 1, maximum: 86_400),
            neverAnswer: try list("ack", "never_answer") ?? AckSettings.defaultNeverAnswer,
            maxPerSenderPerDay: try integer("ack", "max_per_sender_per_day", default: 3, range: 1...1000),
            maxPerHour: try integer("ack", "max_per_hour", default: 60, range: 1...100_000),
            rateWindow: try duration("ack", "rate_window", default: 3600, minimum: 10, maximum: 86_400),
            maxAge: try duration("ack", "max_age", default: 7 * 86_400, minimum: 3600, maximum: 365 * 86_400),
            requireAuthentication: try choice("ack", "require_authentication", default: AuthenticationRequirement.no),
            authservID: try optionalString("ack", "authserv_id")?.lowercased(),
            workingDays: try workingDays()
        )
        if ack.requireAuthentication != .no, ack.authservID == nil {
            throw error("ack", "require_authentication", "needs [ack] authserv_id, the name your receiving server writes first in its Authentication-Results headers (e.g. mx.maribor.example); headers from anyone else are not trusted")
        }
        var form = WebFormSubmission.Layout()
        for (key, path) in [("name_field", \WebFormSubmission.Layout.name), ("email_field", \.email), ("person_field", \.personType),
                            ("organisation_field", \.organisation), ("request_field", \.requestType), ("message_field", \.message),
                            ("legal_answer", \.legalAnswer), ("natural_answer", \.naturalAnswer)] {
            if let value = try optionalString("web_form", key) { form[keyPath: path] = value }
        }
        var webFormSenders = Set<String>()
        for item in (try optionalString("web_form", "senders") ?? "").split(whereSeparator: { $0 == "," || $0 == " " }) {
            guard let address = MailAddress(validating: String(item)) else {
                throw error("web_form", "senders", "`\(item)` is not an e-mail address; list the form's sender addresses, separated by commas")
            }
            webFormSenders.insert(address.address.lowercased())
        }
        var training: [String] = []
        // Paths, so not lower-cased as `list` does.
        for folder in (try optionalString("classifier", "training") ?? "").split(separator: ",").map({ $0.trimmed() }) where !folder.isEmpty {
            let path = resolve(folder)
            guard FileManager.default.fileExists(atPath: Path.join(path, "labels.json")) else {
                throw error("classifier", "training", "`\(path)` holds no labels.json; name folders of labelled .eml files with a labels.json")
            }
            training.append(path)
        }
        let classifier = ClassifierSettings(
            vocabularyDirectory: try directory("classifier", "vocabulary", default: "vocabulary", holding: "vocabulary files (config/vocabulary in the source tree)"),
            reviewBelow: try number("classifier", "review_below", default: 0.6, range: 0...1),
            webFormSenders: webFormSenders,
            webForm: form,
            modelPath: try optionalString("classifier", "model").map(resolve) ?? storePath + ".model.json",
            trainingDirectories: training)
        let routing = try routingSettings()
        return Configuration(
            sourcePath: file.path,
            imap: imap,
            smtp: smtp,
            storePath: storePath,
            office: office,
            ack: ack,
            classifier: classifier,
            routing: routing,
            metricsFile: try optionalString("metrics", "file").map(resolve),
            holidays: try holidays(),
            deadlines: try deadlines(),
            staff: try staff(office: office, smtp: smtp, routing: routing),
            reportFile: try optionalString("report", "file").map(resolve),
            retention: try retention(),
            logLevel: try logLevel()
        )
    }

    /// `[deadlines] holidays`: one-off work-free days the government declares, `2023-08-14, …`.
    private mutating func holidays() throws(ConfigurationError) -> HolidayCalendar {
        var days = Set<HolidayCalendar.Day>()
        for item in (try optionalString("deadlines", "holidays") ?? "").split(separator: ",").map({ $0.trimmed() }) where !item.isEmpty {
            guard let day = HolidayCalendar.Day(iso: item) else {
                throw error("deadlines", "holidays", "`\(item)` is not a date; list extra work-free days as YYYY-MM-DD, separated by commas")
            }
            days.insert(day)
        }
        return HolidayCalendar(extraDays: days)
    }

    /// `[deadlines]`: `answer_within = 15d` and `answer_within.FIELD`, `due_soon`, `digest`, `digest_at`.
    private mutating func deadlines() throws(ConfigurationError) -> DeadlineSettings {
        var settings = DeadlineSettings()
        func days(_ key: String, default fallback: Int) throws(ConfigurationError) -> Int {
            Int(try duration("deadlines", key, default: TimeInterval(fallback) * 86_400, minimum: 86_400, maximum: 365 * 86_400) / 86_400)
        }
        settings.answerWithin["default"] = try days("answer_within", default: DeadlineSettings.lawfulDays)
        for entry in file.entries where entry.section == "deadlines" && entry.key.hasPrefix("answer_within.") {
            let field = String(entry.key.dropFirst("answer_within.".count))
            guard Classification.fields.contains(field) else {
                throw error("deadlines", entry.key, "`\(field)` is not a field; use answer_within.FIELD with one of \(Classification.fields.joined(separator: ", "))")
            }
            settings.answerWithin[field] = try days(entry.key, default: DeadlineSettings.lawfulDays)
        }
        settings.dueSoon = try days("due_soon", default: 3)
        settings.digest = try boolean("deadlines", "digest", default: true)
        if let text = try optionalString("deadlines", "digest_at") {
            let parts = text.split(separator: ":").map { Int($0) }
            guard parts.count == 2, let hour = parts[0], let minute = parts[1], (0...23).contains(hour), (0...59).contains(minute) else {
                throw error("deadlines", "digest_at", "must be a time of day such as 08:00 (local time); got `\(text)`")
            }
            settings.digestAt = hour * 60 + minute
        }
        return settings
    }

    /// `[retention]`: `default = 10y` and `FIELD = 2y` (or `forever`), `expiry = anonymise|delete`
    /// and `expiry.FIELD`.
    private mutating func retention() throws(ConfigurationError) -> RetentionSettings {
        var settings = RetentionSettings()
        let expiries = RetentionSettings.Expiry.allCases.map(\.rawValue).joined(separator: " or ")
        for entry in file.entries where entry.section == "retention" {
            if entry.key == "expiry" || entry.key.hasPrefix("expiry.") {
                let field = entry.key == "expiry" ? "default" : String(entry.key.dropFirst("expiry.".count))
                guard field == "default" || Classification.fields.contains(field) else {
                    throw error("retention", entry.key, "`\(field)` is not a field; use expiry.FIELD with one of \(Classification.fields.joined(separator: ", "))")
                }
                guard let value = try optionalString("retention", entry.key), let expiry = RetentionSettings.Expiry(rawValue: value.lowercased()) else {
                    throw error("retention", entry.key, "must be \(expiries): what happens to an inquiry when its time is up")
                }
                settings.expiries[field] = expiry
                continue
            }
            guard entry.key == "default" || Classification.fields.contains(entry.key) else {
                throw error("retention", entry.key, "is not a field; use default, expiry, or one of \(Classification.fields.joined(separator: ", "))")
            }
            let value = try optionalString("retention", entry.key) ?? ""
            if value.lowercased() == "forever" {
                settings.forever.insert(entry.key)
            } else if let period = RetentionSettings.Period(value) {
                settings.periods[entry.key] = period
            } else {
                throw error("retention", entry.key, "must be a period such as 10y or 90d (years up to 100), or forever; got `\(value)`")
            }
        }
        return settings
    }

    /// `[office] staff`: addresses and `@domains` whose replies are the office's; the office's own
    /// addresses and the desks always count.
    private mutating func staff(office: OfficeSettings, smtp: SMTPSettings, routing: RoutingSettings) throws(ConfigurationError) -> StaffDirectory {
        var addresses = [office.email.address, smtp.from.address] + routing.routes.values.map(\.address)
        var domains: [String] = []
        for item in try list("office", "staff") ?? [] {
            if item.hasPrefix("@"), item.count > 1, !item.dropFirst().contains("@") {
                domains.append(String(item.dropFirst()))
            } else if let address = MailAddress(validating: item) {
                addresses.append(address.address)
            } else {
                throw error("office", "staff", "`\(item)` is neither an address nor @domain; list staff addresses and @domains, separated by commas")
            }
        }
        return StaffDirectory(addresses: addresses, domains: domains)
    }

    /// `[working_days]`: `default = 5` and a number per field.
    private mutating func workingDays() throws(ConfigurationError) -> [String: Int] {
        var days = ["default": 5]
        for entry in file.entries where entry.section == "working_days" {
            guard entry.key == "default" || Classification.fields.contains(entry.key) else {
                throw error("working_days", entry.key, "is not a field; use default or one of \(Classification.fields.joined(separator: ", "))")
            }
            days[entry.key] = try integer("working_days", entry.key, default: 5, range: 1...60)
        }
        return days
    }

    /// `[routing]`: `default`, a field, or `field.sender_type` = the staff address to notify.
    private mutating func routingSettings() throws(ConfigurationError) -> RoutingSettings {
        var routes: [String: MailAddress] = [:]
        for entry in file.entries where entry.section == "routing" {
            let parts = entry.key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let valid = entry.key == "default" || (Classification.fields.contains(parts[0])
                && (parts.count == 1 || (parts.count == 2 && Classification.senderTypes.contains(parts[1]))))
            guard valid else {
                throw error("routing", entry.key, "use default, a field (\(Classification.fields.joined(separator: ", "))) or field.natural / field.legal")
            }
            routes[entry.key] = try address("routing", entry.key)
        }
        return RoutingSettings(routes: routes)
    }

    /// A comma-separated list; nil when the key is absent.
    private mutating func list(_ section: String, _ key: String) throws(ConfigurationError) -> [String]? {
        guard let text = try optionalString(section, key) else { return nil }
        return text.split(separator: ",").map { $0.trimmed().lowercased() }.filter { !$0.isEmpty }
    }

    func rejectUnknownKeys() throws(ConfigurationError) {
        for entry in file.entries where !known.contains("\(entry.section).\(entry.key)") {
            let hint: String
            if entry.key == "password" || entry.key == "client_secret" {
                hint = "secrets are never written inline; put it in a file readable only by the service and set \(entry.key)_file (or \(entry.key)_credential)"
            } else if (entry.section == "oauth2" || entry.section.hasPrefix("oauth2.")) && !known.contains(where: { $0.hasPrefix(entry.section + ".") }) {
                hint = "the [\(entry.section)] section is not used: set `auth = oauth2` under [imap] or [smtp] (or both), or remove the section"
            } else {
                hint = "unknown key; check its spelling and section against config/mailintake.conf"
            }
            throw ConfigurationError(file: file.path, line: entry.line, key: "\(entry.section).\(entry.key)", message: hint)
        }
    }

    // MARK: typed accessors

    private mutating func raw(_ section: String, _ key: String) -> INIFile.Entry? {
        known.insert("\(section).\(key)")
        return file.entry(section, key)
    }

    private func error(_ section: String, _ key: String, _ message: String) -> ConfigurationError {
        let line = file.entry(section, key)?.line ?? file.sectionLines[section] ?? 0
        return ConfigurationError(file: file.path, line: line, key: "\(section).\(key)", message: message)
    }

    private mutating func optionalString(_ section: String, _ key: String) throws(ConfigurationError) -> String? {
        guard let entry = raw(section, key) else { return nil }
        if entry.value.isEmpty { throw error(section, key, "is empty; give a value or remove the line") }
        return entry.value
    }

    private mutating func requiredString(_ section: String, _ key: String) throws(ConfigurationError) -> String {
        guard let value = try optionalString(section, key) else {
            throw error(section, key, "is required; add `\(key) = …` under [\(section)]")
        }
        return value
    }

    private mutating func url(_ section: String, _ key: String, schemes: [String]) throws(ConfigurationError) -> URL {
        let value = try requiredString(section, key)
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), schemes.contains(scheme), url.host != nil else {
            throw error(section, key, "must be a URL such as \(schemes[0])://mail.example.org (schemes: \(schemes.joined(separator: ", "))); got `\(value)`")
        }
        return url
    }

    /// An address; with `allowingName`, also `Name <address>` as every mail program's settings take it.
    private mutating func address(_ section: String, _ key: String, allowingName: Bool = false) throws(ConfigurationError) -> MailAddress {
        let value = try requiredString(section, key)
        if allowingName, value.hasSuffix(">"), let open = value.lastIndex(of: "<") {
            let name = value[..<open].trimmed().trimmed(of: "\"")
            guard let address = MailAddress(validating: String(value[value.index(after: open)..<value.index(before: value.endIndex)]),
                                            displayName: name.isEmpty ? nil : name) else {
                throw error(section, key, "is not a valid address: `\(value)`; write `Name <address@example.org>` or the address alone")
            }
            return address
        }
        guard let address = MailAddress(validating: value) else {
            throw error(section, key, "is not a valid e-mail address: `\(value)`")
        }
        return address
    }

    private mutating func boolean(_ section: String, _ key: String, default fallback: Bool) throws(ConfigurationError) -> Bool {
        guard let value = try optionalString(section, key) else { return fallback }
        switch value.lowercased() {
        case "yes", "true", "on", "1": return true
        case "no", "false", "off", "0": return false
        default: throw error(section, key, "must be yes or no; got `\(value)`")
        }
    }

    private mutating func integer(_ section: String, _ key: String, default fallback: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let value = try optionalString(section, key) else { return fallback }
        guard let number = Int(value), range.contains(number) else {
            throw error(section, key, "must be a whole number from \(range.lowerBound) to \(range.upperBound); got `\(value)`")
        }
        return number
    }

    private mutating func choice<T: RawRepresentable & CaseIterable>(_ section: String, _ key: String, default fallback: T) throws(ConfigurationError) -> T where T.RawValue == String {
        guard let value = try optionalString(section, key) else { return fallback }
        guard let parsed = T(rawValue: value.lowercased()) else {
            throw error(section, key, "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")); got `\(value)`")
        }
        return parsed
    }

    /// Accepts `1048576`, `512K`, `25M`, `1G` (powers of 1024).
    private mutating func byteSize(_ section: String, _ key: String, default fallback: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let value = try optionalString(section, key) else { return fallback }
        let units: [Character: Int] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30]
        var digits = Substring(value)
        var factor = 1
        if let last = value.lowercased().last, let unit = units[last] {
            factor = unit
            digits = value.dropLast()
        }
        // Multiplied with overflow checked: `99999999999G` is a mistake to report, not a crash.
        guard let number = Int(digits.trimmed()), case let (size, overflow) = number.multipliedReportingOverflow(by: factor),
              !overflow, range.contains(size) else {
            throw error(section, key, "must be a size from 64K to 1G, such as 25M; got `\(value)`")
        }
        return size
    }

    /// Accepts `90`, `90s`, `5m`, `1h`, `90d`, from `minimum` to `maximum` seconds.
    private mutating func duration(_ section: String, _ key: String, default fallback: TimeInterval, minimum: TimeInterval,
                                   maximum: TimeInterval) throws(ConfigurationError) -> TimeInterval {
        try duration(section, key, default: Optional(fallback), minimum: minimum, maximum: maximum) ?? fallback
    }

    private mutating func duration(_ section: String, _ key: String, default fallback: TimeInterval?, minimum: TimeInterval,
                                   maximum: TimeInterval) throws(ConfigurationError) -> TimeInterval? {
        guard let value = try optionalString(section, key) else { return fallback }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(value)
        var factor = 1.0
        if let last = value.last, let unit = units[last] {
            factor = unit
            digits = value.dropLast()
        }
        let text = digits.trimmed()
        // Digits and one point only: Double() would also take `inf`, `nan` and `1e300`.
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let number = Double(text),
              case let seconds = number * factor, seconds >= minimum, seconds <= maximum else {
            throw error(section, key, "must be a duration from \(Self.span(minimum)) to \(Self.span(maximum)), such as 60, 90s, 5m or 1h; got `\(value)`")
        }
        return seconds
    }

    private static func span(_ seconds: TimeInterval) -> String {
        if seconds >= 86_400 && seconds.truncatingRemainder(dividingBy: 86_400) == 0 { return "\(Int(seconds / 86_400))d" }
        return seconds >= 3600 && seconds.truncatingRemainder(dividingBy: 3600) == 0 ? "\(Int(seconds / 3600))h" : "\(Int(seconds))s"
    }

    private func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : Path.join(baseDirectory, path)
    }

    private mutating func existingFile(_ section: String, _ key: String) throws(ConfigurationError) -> String? {
        guard let value = try optionalString(section, key) else { return nil }
        let path = resolve(value)
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw error(section, key, "cannot read `\(path)`; check the path and its permissions")
        }
        return path
    }

    private mutating func directory(_ section: String, _ key: String, default fallback: String, holding what: String) throws(ConfigurationError) -> String {
        let path = resolve(try optionalString(section, key) ?? fallback)
        guard FileSystem.isDirectory(path) else {
            throw error(section, key, "`\(path)` is not a folder; point it at the folder of \(what)")
        }
        return path
    }

    private mutating func number(_ section: String, _ key: String, default fallback: Double, range: ClosedRange<Double>) throws(ConfigurationError) -> Double {
        guard let text = try optionalString(section, key) else { return fallback }
        guard let value = Double(text), range.contains(value) else {
            throw error(section, key, "must be a number from \(range.lowerBound) to \(range.upperBound) (got `\(text)`)")
        }
        return value
    }

    /// `[imap] auth` / `[smtp] auth`: a password (the default), or OAuth2 from `[oauth2.SIDE]`
    /// when that section exists and `[oauth2]` otherwise.
    private mutating func authentication(_ side: String, storePath: String) throws(ConfigurationError) -> MailAuthentication {
        enum Method: String, CaseIterable { case password, oauth2 }
        let method = try choice(side, "auth", default: Method.password)
        switch method {
        case .password:
            return .password(try secret(side, fileKey: "password_file", credentialKey: "password_credential", what: "password"))
        case .oauth2:
            for key in ["password_file", "password_credential"] where file.entry(side, key) != nil {
                _ = raw(side, key)
                throw error(side, key, "is not used with auth = oauth2 (the login is an access token); remove it, or set auth = password")
            }
            let section = file.sectionLines["oauth2.\(side)"] != nil ? "oauth2.\(side)" : "oauth2"
            guard file.sectionLines[section] != nil else {
                throw error(side, "auth", "is oauth2 but the file has no [oauth2] section; add one with provider, grant and client_id (config/mailintake.conf shows them)")
            }
            if let settings = oauthSections[section] { return .oauth2(settings) }
            let settings = try oauth2(section, storePath: storePath)
            oauthSections[section] = settings
            return .oauth2(settings)
        }
    }

    /// One OAuth2 section: the provider's preset, overridden key by key.
    private mutating func oauth2(_ section: String, storePath: String) throws(ConfigurationError) -> OAuth2Settings {
        let provider: OAuth2Provider = try choice(section, "provider", default: OAuth2Provider.generic)
        guard file.entry(section, "provider") != nil else {
            throw error(section, "provider", "is required; use microsoft (Microsoft 365), google (Google Workspace) or generic (any other RFC 6749 server, with token_url and scope)")
        }
        guard let grantText = try optionalString(section, "grant"), let grant = OAuth2Grant(rawValue: grantText.lowercased()) else {
            throw error(section, "grant", "must be client_credentials (app-only access, Microsoft 365) or refresh_token (a person signs in once with `mailintake oauth login`)")
        }
        let tenant = try optionalString(section, "tenant")
        if let tenant {
            guard provider == .microsoft else { throw error(section, "tenant", "is for provider = microsoft only; remove it") }
            guard tenant.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-.".contains($0)) }) else {
                throw error(section, "tenant", "must be the tenant's id (a GUID) or its domain, such as maribor.onmicrosoft.com; got `\(tenant)`")
            }
        } else if provider == .microsoft, grant == .clientCredentials {
            throw error(section, "tenant", "is required for app-only access: the directory (tenant) id from the app's overview page in Entra ID, or the tenant's domain")
        }
        if provider == .google, grant == .clientCredentials {
            throw error(section, "grant", "Google has no client-credentials access to Gmail; use grant = refresh_token and sign in once with `mailintake oauth login --code`")
        }
        let clientID = try requiredString(section, "client_id")
        guard clientID.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw error(section, "client_id", "must be printable ASCII without spaces (the application (client) id); got `\(clientID)`")
        }
        let clientSecret = try secret(section, fileKey: "client_secret_file", credentialKey: "client_secret_credential", what: "client secret")
        if grant == .clientCredentials, clientSecret == nil {
            throw error(section, "client_secret_file", "is required with grant = client_credentials: put the app's client secret in a file only the service can read (chmod 600) and name it here, or use client_secret_credential")
        }
        let preset = OAuth2Settings.preset(provider, tenant: tenant, grant: grant)
        func endpoint(_ key: String, _ fallback: String?) throws(ConfigurationError) -> URL? {
            guard let text = try optionalString(section, key) ?? fallback else { return nil }
            guard let url = URL(string: text), url.scheme?.lowercased() == "https", url.host != nil else {
                throw error(section, key, "must be an https:// URL (tokens never travel unencrypted); got `\(text)`")
            }
            return url
        }
        guard let tokenURL = try endpoint("token_url", preset.tokenURL) else {
            throw error(section, "token_url", "is required with provider = generic: the authorization server's token endpoint, https://…")
        }
        guard let scope = try optionalString(section, "scope") ?? preset.scope else {
            throw error(section, "scope", "is required with provider = generic: the scope(s) that allow IMAP and SMTP, separated by spaces")
        }
        var idle = preset.idleLifetime
        if let days = try duration(section, "refresh_token_lifetime", default: nil, minimum: 3600, maximum: 3650 * OAuth2Settings.day) { idle = days }
        var maximum: TimeInterval?
        if try boolean(section, "app_in_testing", default: false) {
            guard provider == .google else { throw error(section, "app_in_testing", "is for provider = google only (an External app left in \"Testing\"); remove it") }
            maximum = 7 * OAuth2Settings.day
        }
        let defaultFile = storePath + (section == "oauth2" ? ".oauth2.json" : ".\(section.replacing(".", with: "-")).json")
        return OAuth2Settings(
            section: section, provider: provider, grant: grant, clientID: clientID, clientSecret: clientSecret,
            tokenURL: tokenURL, deviceURL: try endpoint("device_url", preset.deviceURL), authorizeURL: try endpoint("authorize_url", preset.authorizeURL),
            scope: scope, caFile: try existingFile(section, "ca_file"),
            tokenFile: try optionalString(section, "token_file").map(resolve) ?? defaultFile,
            timeout: try duration(section, "timeout", default: 30 as TimeInterval, minimum: 1, maximum: 600),
            refreshTokenIdleLifetime: idle, refreshTokenMaximumLifetime: maximum)
    }

    /// `password_file = PATH`, or `password_credential = NAME` for `$CREDENTIALS_DIRECTORY/NAME`
    /// (systemd's LoadCredential=); the same pair for an OAuth2 client secret. With both, the
    /// credential is used under systemd and the file otherwise, so an admin running `mailintake
    /// status` by hand reads the same secret from the root-only file that the unit passes as a
    /// credential. A trailing newline in the file is not part of the secret.
    private mutating func secret(_ section: String, fileKey: String, credentialKey: String, what: String) throws(ConfigurationError) -> Secret? {
        let inline = String(fileKey.dropLast(5))
        if file.entry(section, inline) != nil {
            _ = raw(section, inline)
            throw error(section, inline, "secrets are never written inline; put the \(what) in a file readable only by the service and set \(fileKey) (or \(credentialKey))")
        }
        let fileEntry = try optionalString(section, fileKey)
        let credential = try optionalString(section, credentialKey)
        let key: String
        let path: String
        switch (fileEntry, credential) {
        case (nil, nil): return nil
        case let (.some(value), .some(name)):
            if let directory = environment["CREDENTIALS_DIRECTORY"] {
                key = credentialKey
                path = Path.join(directory, name)
            } else {
                key = fileKey
                path = resolve(value)
            }
        case let (.some(value), nil):
            key = fileKey
            path = resolve(value)
        case let (nil, .some(name)):
            key = credentialKey
            guard let directory = environment["CREDENTIALS_DIRECTORY"] else {
                throw error(section, key, "$CREDENTIALS_DIRECTORY is not set: run under systemd with LoadCredential=\(name):FILE, or use \(fileKey)")
            }
            path = Path.join(directory, name)
        }
        guard readsSecrets else { return Secret(value: "", source: path + " (not read)") }
        // A secret file is checked as ssh checks a key: a symlink could point the service at
        // another file entirely (one to /etc/shadow was once sent as the password), and one that
        // group or others may read is a secret already shared. systemd's credentials are files
        // systemd itself made for this process, and are taken as they are.
        if key == fileKey {
            var info = stat()
            guard lstat(path, &info) == 0 else {
                throw error(section, key, "cannot read the \(what) from `\(path)`: \(String(cString: strerror(errno))); check that the file exists and this user may read it")
            }
            if (info.st_mode & S_IFMT) == S_IFLNK {
                throw error(section, key, "`\(path)` is a symbolic link; point \(fileKey) at the real file (a link could send the service another file's content as the \(what))")
            }
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                throw error(section, key, "`\(path)` is not a regular file; write the \(what) into a file")
            }
            if info.st_mode & 0o077 != 0 {
                throw error(section, key, "`\(path)` may be read by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); run `chmod 600 \(path)` so that only the service's user can read it")
            }
            guard info.st_size <= 4096 else {
                throw error(section, key, "`\(path)` is \(info.st_size) bytes, too long for a \(what); check the path")
            }
        }
        guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
            throw error(section, key, "cannot read the \(what) from `\(path)`; check that the file exists, holds UTF-8 text, and this user may read it")
        }
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        if text.isEmpty { throw error(section, key, "`\(path)` is empty; write the \(what) into it") }
        return Secret(value: text, source: path)
    }

    private mutating func logLevel() throws(ConfigurationError) -> Logger.Level {
        guard let value = try optionalString("log", "level") else { return .info }
        guard let level = Logger.Level(name: value) else {
            throw error("log", "level", "must be one of error, warning, notice, info, debug; got `\(value)`")
        }
        return level
    }
}

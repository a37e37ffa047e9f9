import Foundation
import Testing
@testable import MailIntakeCore

@Suite("Configuration")
struct ConfigurationTests {
    /// A folder with a valid configuration, its password files and templates.
    static func makeFolder(_ config: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mi-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/templates", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/vocabulary", withIntermediateDirectories: true)
        try "secret\n".write(toFile: folder + "/imap.password", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: folder + "/imap.password")
        try "Subject: [{{reference}}]\n\nBody {{reference}}\n".write(toFile: folder + "/templates/ack.en.txt", atomically: true, encoding: .utf8)
        try config.write(toFile: folder + "/mailintake.conf", atomically: true, encoding: .utf8)
        return folder + "/mailintake.conf"
    }

    static let valid = """
        # comment
        [imap]
        url = imaps://imap.example.org:993
        user = office@example.org
        password_file = imap.password
        poll_interval = 5m

        [smtp]
        url = smtp://smtp.example.org:587
        from = office@example.org

        [store]
        path = data/mailintake.sqlite

        [office]
        name = Office
        email = office@example.org
        phone = 02/2201-219

        [ack]
        reference_prefix = MB
        """

    @Test("reads a valid file, resolves relative paths and masks secrets")
    func valid() throws {
        let path = try Self.makeFolder(Self.valid)
        let config = try Configuration.load(path: path)
        let folder = (path as NSString).deletingLastPathComponent
        #expect(config.imap.authentication.password?.value == "secret")
        #expect(config.imap.pollInterval == 300)
        #expect(config.imap.mailbox == "INBOX")
        #expect(config.imap.afterFiling == .keyword)
        #expect(config.storePath == folder + "/data/mailintake.sqlite")
        #expect(config.ack.messageIDDomain == "example.org")
        #expect(!config.summary.contains("secret"))
        #expect(config.summary.contains("********"))
    }

    @Test("names file, line and key for a bad value", arguments: [
        ("poll_interval = 5m", "poll_interval = soon", "imap.poll_interval"),
        ("url = smtp://smtp.example.org:587", "url = http://smtp.example.org", "smtp.url"),
        ("reference_prefix = MB", "reference_prefix = mb-", "ack.reference_prefix"),
        ("phone = 02/2201-219", "phone =", "office.phone"),
        ("poll_interval = 5m", "mailbox = Prejeto/Čakajoče", "imap.mailbox"),
        // Settings that once crashed the process: an overflowing size, and timeouts an Int32 of milliseconds cannot hold.
        ("poll_interval = 5m", "max_message_size = 99999999999G", "imap.max_message_size"),
        ("poll_interval = 5m", "timeout = 2160000", "imap.timeout"),
        ("poll_interval = 5m", "poll_interval = inf", "imap.poll_interval"),
        ("poll_interval = 5m", "poll_interval = 1e300", "imap.poll_interval"),
        ("poll_interval = 5m", "poll_interval = nan", "imap.poll_interval"),
        ("poll_interval = 5m", "timeout = 9999999999999999999999h", "imap.timeout"),
    ])
    func badValues(original: String, replacement: String, key: String) throws {
        let text = Self.valid.replacingOccurrences(of: original, with: replacement)
        let path = try Self.makeFolder(text)
        let line = text.components(separatedBy: "\n").firstIndex { $0.hasPrefix(replacement) }.map { $0 + 1 }
        #expect {
            try Configuration.load(path: path)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.key == key && error.line == line && error.file == path && error.description.hasPrefix("\(path):\(line ?? 0): \(key):")
        }
    }

    @Test("rejects unknown keys, inline passwords and missing required keys")
    func structuralErrors() throws {
        let unknown = try Self.makeFolder(Self.valid + "\ncolour = blue\n")
        #expect(throws: ConfigurationError.self) { try Configuration.load(path: unknown) }
        do {
            _ = try Configuration.load(path: try Self.makeFolder(Self.valid.replacingOccurrences(of: "password_file = imap.password", with: "password = hunter2")))
            Issue.record("an inline password was accepted")
        } catch let error as ConfigurationError {
            #expect(error.key == "imap.password")
            #expect(!error.description.contains("hunter2"))
        }
        do {
            _ = try Configuration.load(path: try Self.makeFolder(Self.valid.replacingOccurrences(of: "user = office@example.org\n", with: "")))
            Issue.record("a missing user was accepted")
        } catch let error as ConfigurationError {
            #expect(error.key == "imap.user")
            #expect(error.line == 2)  // the [imap] header
        }
        #expect(throws: ConfigurationError.self) { try Configuration.load(path: "/nonexistent/mailintake.conf") }
    }

    @Test("reads the classifier and web-form settings, and names the key when they are wrong")
    func classifierSettings() throws {
        let path = try Self.makeFolder(Self.valid + """

            [classifier]
            review_below = 0.6

            [web_form]
            senders = Form@Example.org, noreply@example.org
            message_field = Message
            """)
        let config = try Configuration.load(path: path)
        #expect(config.classifier.reviewBelow == 0.6)
        #expect(config.classifier.webFormSenders == ["form@example.org", "noreply@example.org"])
        #expect(config.classifier.webForm.message == "Message")
        #expect(config.classifier.webForm.name == "Ime in priimek")
        #expect(config.classifier.vocabularyDirectory.hasSuffix("/vocabulary"))
        for (bad, key) in [("[classifier]\nreview_below = 2\n", "classifier.review_below"),
                           ("[classifier]\nvocabulary = nowhere\n", "classifier.vocabulary"),
                           ("[web_form]\nsenders = not-an-address\n", "web_form.senders")] {
            #expect {
                try Configuration.load(path: try Self.makeFolder(Self.valid + "\n" + bad))
            } throws: { error in
                (error as? ConfigurationError)?.key == key
            }
        }
    }

    @Test("reads the password from a systemd credential")
    func credential() throws {
        let path = try Self.makeFolder(Self.valid.replacingOccurrences(of: "password_file = imap.password", with: "password_credential = imap.password"))
        let folder = (path as NSString).deletingLastPathComponent
        let config = try Configuration.load(path: path, environment: ["CREDENTIALS_DIRECTORY": folder])
        #expect(config.imap.authentication.password?.value == "secret")
        #expect(throws: ConfigurationError.self) { try Configuration.load(path: path, environment: [:]) }
    }

    @Test("with both a credential and a file, uses the credential under systemd and the file by hand")
    func credentialOrFile() throws {
        let path = try Self.makeFolder(Self.valid.replacingOccurrences(of: "password_file = imap.password",
                                                                       with: "password_file = imap.password\npassword_credential = imap"))
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder + "/creds", withIntermediateDirectories: true)
        try "from-systemd\n".write(toFile: folder + "/creds/imap", atomically: true, encoding: .utf8)
        #expect(try Configuration.load(path: path, environment: ["CREDENTIALS_DIRECTORY": folder + "/creds"]).imap.authentication.password?.value == "from-systemd")
        #expect(try Configuration.load(path: path, environment: [:]).imap.authentication.password?.value == "secret")
    }

    @Test("the shipped example configuration is valid apart from its password files")
    func shippedExample() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/mailintake.conf")
        let text = try String(contentsOf: example, encoding: .utf8)
        let file = try INIFile(path: example.path, text: text)
        #expect(file.entry("imap", "password_file")?.value == "/etc/mailintake/imap.password")
        // Point the secrets at a readable file and the templates at the shipped folder: then it must load.
        let folder = try Self.makeFolder("")
        let patched = text.replacingOccurrences(of: "/etc/mailintake/imap.password", with: ((folder as NSString).deletingLastPathComponent) + "/imap.password")
            .replacingOccurrences(of: "/etc/mailintake/smtp.password", with: ((folder as NSString).deletingLastPathComponent) + "/imap.password")
            .replacingOccurrences(of: "templates = templates", with: "templates = \(example.deletingLastPathComponent().path)/templates")
        let config = try Configuration.parse(try INIFile(path: example.path, text: patched))
        #expect(config.office.phone == "02/2201-219")
    }

    /// The error a configuration file gets, with where it points.
    static func loadError(_ path: String, environment: [String: String] = [:]) -> ConfigurationError? {
        do {
            _ = try Configuration.load(path: path, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test("reads a file with Windows line ends")
    func crlf() throws {
        let path = try Self.makeFolder(Self.valid.replacingOccurrences(of: "\n", with: "\r\n"))
        let config = try Configuration.load(path: path)
        #expect(config.imap.pollInterval == 300)
        #expect(config.office.phone == "02/2201-219")
    }

    @Test("a file that is not UTF-8, a folder or a device is named with what is wrong, never a Foundation error")
    func unreadableFiles() throws {
        let path = try Self.makeFolder("")
        var bytes = Array(Self.valid.utf8)
        let third = bytes.indices.filter { bytes[$0] == 0x0A }[2] + 1  // the start of line 4
        bytes.insert(contentsOf: [0x75, 0x73, 0xE8, 0x72], at: third)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let notUTF8 = try #require(Self.loadError(path))
        #expect(notUTF8.line == 4 && notUTF8.description.contains("not UTF-8"), "\(notUTF8)")
        let folder = (path as NSString).deletingLastPathComponent
        let directory = try #require(Self.loadError(folder))
        #expect(directory.description.contains("is a folder"), "\(directory)")
        let device = try #require(Self.loadError("/dev/zero"))
        #expect(device.description.contains("not a regular file"), "\(device)")
        let missing = try #require(Self.loadError(folder + "/nothing.conf"))
        #expect(missing.description.contains("No such file"), "\(missing)")
    }

    @Test("a password file that is a symlink, or readable by others, is refused; a systemd credential is taken as it is")
    func passwordFiles() throws {
        let path = try Self.makeFolder(Self.valid)
        let folder = (path as NSString).deletingLastPathComponent
        let secret = folder + "/imap.password"
        try FileManager.default.moveItem(atPath: secret, toPath: folder + "/real.password")
        try FileManager.default.createSymbolicLink(atPath: secret, withDestinationPath: folder + "/real.password")
        let link = try #require(Self.loadError(path))
        #expect(link.key == "imap.password_file" && link.description.contains("symbolic link"), "\(link)")
        try FileManager.default.removeItem(atPath: secret)
        try "secret\n".write(toFile: secret, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: secret)
        let shared = try #require(Self.loadError(path))
        #expect(shared.description.contains("chmod 600"), "\(shared)")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secret)
        #expect(Self.loadError(path) == nil)
        // Credentials: systemd made them; a world-readable test file stands in for one.
        let credentials = folder + "/creds"
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        try "from-systemd\n".write(toFile: credentials + "/imap", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: credentials + "/imap")
        try Self.valid.replacingOccurrences(of: "password_file = imap.password", with: "password_credential = imap")
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try Configuration.load(path: path, environment: ["CREDENTIALS_DIRECTORY": credentials]).imap.authentication.password?.value == "from-systemd")
    }
}

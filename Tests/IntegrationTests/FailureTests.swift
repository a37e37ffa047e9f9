import Foundation
import Testing

/// What an operator sees when something is wrong: one clear line, the right exit code, and
/// nothing half-written in the database.
@Suite("Failures against real servers", .enabled(if: MailStack.shouldRun))
struct FailureTests {
    /// The one `mailintake:` line on stderr (log lines carry a `<N>` priority prefix instead).
    func errorLines(_ result: CommandResult) -> [String] {
        result.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("mailintake:") }
    }

    /// A run that failed as an operator should see it: exit 1 and one `mailintake:` line that says what to do.
    func expectOneError(_ result: CommandResult, saying advice: String) {
        #expect(result.status == 1)
        let lines = errorLines(result)
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.contains(advice) == true, "\(result.stderr)")
    }

    func expectNothingFiled(_ instance: Instance) throws {
        if FileManager.default.fileExists(atPath: instance.databasePath) {
            #expect(try instance.count("SELECT count(*) FROM messages") == 0)
            #expect(try instance.count("SELECT count(*) FROM inquiries") == 0)
            #expect(try instance.count("SELECT count(*) FROM outbox") == 0)
        }
    }

    @Test("a wrong password gives one authentication error and exit code 1")
    func wrongPassword() throws {
        var options = Instance.Options()
        options.imapPassword = "not-the-password"
        let instance = try Instance(options)
        try instance.appendFixtures("01-sl-sport-club.eml")
        let result = try instance.mailintake("run", "--once")
        expectOneError(result, saying: "check the user and the password file")
        #expect(!result.stderr.contains("not-the-password"))
        try expectNothingFiled(instance)
        #expect(try instance.flags().values.allSatisfy { !$0.contains("$Filed") })
    }

    @Test("an unreachable server gives one connection error and exit code 1")
    func unreachable() throws {
        var options = Instance.Options()
        // A port that was free a moment ago: nothing listens there.
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &length) } }
        close(probe)
        options.imapPort = Int(UInt16(bigEndian: address.sin_port))
        let instance = try Instance(options)
        let result = try instance.mailintake("run", "--once")
        expectOneError(result, saying: "check the host and port")
        try expectNothingFiled(instance)
    }

    @Test("a certificate from an unknown CA is refused with one clear error")
    func unknownCA() throws {
        var options = Instance.Options()
        options.useCA = false
        let instance = try Instance(options)
        try instance.appendFixtures("01-sl-sport-club.eml")
        let result = try instance.mailintake("run", "--once")
        expectOneError(result, saying: "certificate is not trusted")
        try expectNothingFiled(instance)
    }

    @Test("a malformed configuration names file, line and key, and exits 2")
    func badConfig() throws {
        let instance = try Instance()
        var text = try String(contentsOfFile: instance.configPath, encoding: .utf8)
        text = text.replacingOccurrences(of: "after_filing = keyword", with: "after_filing = delete")
        try text.write(toFile: instance.configPath, atomically: true, encoding: .utf8)
        let line = text.components(separatedBy: "\n").firstIndex { $0.hasPrefix("after_filing") }! + 1
        for command in [["run", "--once"], ["check-config"]] {
            let result = try runCommand(Instance.binary, ["--config", instance.configPath] + command)
            #expect(result.status == 2)
            let lines = errorLines(result)
            #expect(lines.count == 1, "\(result.stderr)")
            #expect(lines.first?.contains("\(instance.configPath):\(line): imap.after_filing:") == true, "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: instance.databasePath))
    }

    @Test("check-config prints the effective settings with secrets masked")
    func checkConfig() throws {
        let instance = try Instance()
        let result = try instance.mailintake("check-config")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("imap.password_file = ********"))
        #expect(!result.stdout.contains(instance.password))
        #expect(result.stdout.contains("acknowledgement templates: de, en, hr, sl"))
        #expect(result.stdout.contains("ack.max_per_hour = 60"))
        #expect(result.stdout.contains("ack.require_authentication = no"))
    }

    @Test("usage errors exit 2")
    func usage() throws {
        let instance = try Instance()
        let unknown = try instance.mailintake("frobnicate")
        #expect(unknown.status == 2)
        // One line that says what is wrong, then the usage as lines a person can read (it was
        // once one line with every break shown as ␊).
        let lines = unknown.stderr.split(separator: "\n")
        #expect(lines.first == "mailintake: unknown command `frobnicate`")
        #expect(lines.contains("usage: mailintake [--config PATH] COMMAND [OPTIONS]") && !unknown.stderr.contains("␊"), "\(unknown.stderr)")
        #expect(try instance.mailintake("export", "--format", "xml").status == 2)
        #expect(try instance.mailintake("run", "--twice").status == 2)
    }
}

import Foundation
import MailStore
import Testing

/// A server of the project's own that misbehaves on purpose (scripts/lib/hostile_imap.py and
/// hostile_smtp.py), on loopback, with the mail stack's throwaway CA: what a real Dovecot or
/// aiosmtpd cannot be made to do. Stopped when the value goes, so a test holds it to its end
/// (`withExtendedLifetime` where it is otherwise unused).
final class HostileServer {
    let port: Int
    let log: String
    let spool: String
    private let process: Subprocess

    init(_ script: String, scenario: String, stack: MailStack, lifetime: Int = 120) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mi-hostile-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder + "/spool", withIntermediateDirectories: true)
        log = folder + "/commands.log"
        spool = folder + "/spool"
        let portFile = folder + "/port"
        process = Subprocess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [MailStack.repositoryRoot + "/scripts/lib/" + script, "--port-file", portFile,
                             "--cert", stack.directory + "/tls/server.crt", "--key", stack.directory + "/tls/server.key",
                             "--scenario", scenario, "--log", log, "--lifetime", String(lifetime)]
            + (script == "hostile_smtp.py" ? ["--spool", spool] : [])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        var found: Int?
        _ = waitUntil(10) {
            found = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return found != nil
        }
        port = try #require(found, "the hostile server \(script) \(scenario) did not start")
    }

    deinit {
        process.terminate()
        _ = waitForExit(process, timeout: 5)
    }

    /// The commands the server received, one a line.
    var commands: [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Messages that reached the server whole (the final dot received).
    var spooled: Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []).filter { $0.hasSuffix(".eml") }.count
    }
}

@Suite("Hostile IMAP and SMTP servers: keep working, lose nothing, send nothing twice", .enabled(if: MailStack.shouldRun))
struct HostileServerTests {
    /// An instance talking to a hostile server started for it, the other side being the real stack.
    static func instance(_ script: String, _ scenario: String, _ configure: (inout Instance.Options, Int) -> Void) throws -> (Instance, HostileServer) {
        let stack = try MailStack.require()
        let server = try HostileServer(script, scenario: scenario, stack: stack)
        var options = Instance.Options()
        configure(&options, server.port)
        return (try Instance(options, stack: stack), server)
    }

    /// An instance polling a hostile IMAP server (its SMTP side is the real stack).
    static func instance(imap scenario: String, timeout: String = "10s") throws -> (Instance, HostileServer) {
        try instance("hostile_imap.py", scenario) { options, port in
            options.imapPort = port
            options.imapTimeout = timeout
        }
    }

    static func elapsed(_ body: () throws -> CommandResult) rethrows -> (CommandResult, TimeInterval) {
        let start = Date()
        let result = try body()
        return (result, Date().timeIntervalSince(start))
    }

    @Test("a 13-digit literal is refused: nothing smuggled in the message is filed, no flag is stored, the cursor stays")
    func hugeLiteral() throws {
        let (instance, server) = try Self.instance(imap: "huge-literal")
        let result = try instance.mailintake("run", "--once")
        #expect(result.status == 1)
        #expect(result.stderr.contains("1099511627776"), "\(result.stderr)")
        #expect(instance.inquiryCount() == 0)
        #expect(!server.commands.contains { $0.contains("STORE") }, "\(server.commands)")
        #expect(try instance.count("SELECT count(*) FROM mailbox_cursors WHERE last_uid > 0") == 0)
    }

    @Test("the control: the same forged line inside an honest literal is message text, filed as UID 1")
    func hiddenLine() throws {
        let (instance, server) = try Self.instance(imap: "hidden-uid-line")
        let result = try instance.mailintake("run", "--once")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try instance.count("SELECT count(*) FROM messages") == 3)
        #expect(try instance.count("SELECT count(*) FROM messages WHERE uid = 77") == 0)
        #expect(try instance.count("SELECT count(*) FROM messages m JOIN message_contents c ON c.message_id = m.id WHERE m.uid = 1 AND instr(c.raw, '* 2 FETCH (UID 77') > 0") == 1)
        #expect(server.commands.contains { $0.contains("UID STORE 1:3 ") })
    }

    @Test("an answer for a UID nobody asked for is ignored; the requested ones are filed and flagged")
    func unrequested() throws {
        let (instance, server) = try Self.instance(imap: "unrequested-uid")
        let result = try instance.mailintake("run", "--once")
        #expect(result.status == 0, "\(result.stderr)")
        let subjects = try instance.exported().compactMap { $0["subject"] as? String }.sorted()
        #expect(subjects == ["Hostile test 1", "Hostile test 2", "Hostile test 3"])
        #expect(result.stderr.contains("not asked for"), "\(result.stderr)")
        #expect(!server.commands.contains { $0.contains("STORE") && $0.contains("99") }, "\(server.commands)")
    }

    @Test("a literal shorter than its message is a framing error: no fragment is filed")
    func shortLiteral() throws {
        let (instance, server) = try Self.instance(imap: "short-literal")
        let result = try instance.mailintake("run", "--once")
        #expect(result.status == 1)
        #expect(instance.inquiryCount() == 0)
        #expect(try instance.count("SELECT count(*) FROM messages WHERE size <= 20") == 0)
        #expect(!server.commands.contains { $0.contains("STORE") })
    }

    @Test("a server that drips a byte every 3 s is given up within the timeout, not after minutes", .timeLimit(.minutes(2)))
    func drip() throws {
        let (instance, server) = try Self.instance(imap: "drip", timeout: "4s")
        let (result, seconds) = try withExtendedLifetime(server) { try Self.elapsed { try instance.mailintake("run", "--once") } }
        #expect(result.status == 1)
        #expect(result.stderr.contains("did not finish its answer within 4s"), "\(result.stderr)")
        // The command's deadline (4 s) plus connecting and the SMTP round; the drip alone would last 120 s.
        #expect(seconds < 40, "took \(seconds)s")
    }

    @Test("endless lines, 200 000 literals and floods of untagged lines are refused with bounded memory",
          arguments: [("long-line", "longer than"), ("many-literals", "literals in one response"), ("untagged-flood", "IMAP")])
    func floods(scenario: String, words: String) throws {
        let (instance, server) = try Self.instance(imap: scenario, timeout: "5s")
        let result = try withExtendedLifetime(server) { try instance.mailintake("run", "--once") }
        #expect(result.status == 1)
        #expect(result.stderr.contains(words), "\(result.stderr)")
        #expect(instance.inquiryCount() == 0)
    }

    @Test("an untagged BYE's text reaches the error")
    func bye() throws {
        let (instance, server) = try Self.instance(imap: "bye")
        let result = try withExtendedLifetime(server) { try instance.mailintake("run", "--once") }
        #expect(result.status == 1)
        #expect(result.stderr.contains("Server shutting down for maintenance, back at 10:00"), "\(result.stderr)")
    }

    // MARK: SMTP

    /// An instance whose IMAP side is the real Dovecot and whose SMTP server is hostile.
    static func instance(smtp scenario: String) throws -> (Instance, HostileServer) {
        try instance("hostile_smtp.py", scenario) { options, port in
            options.smtpScheme = "smtps"
            options.smtpPort = port
            options.smtpTimeout = "5s"
        }
    }

    @Test("no answer after the final dot: the acknowledgement is unconfirmed, reached the server once, and is never resent",
          arguments: ["stall-after-dot", "drop-after-dot"])
    func unconfirmed(scenario: String) throws {
        let (instance, server) = try Self.instance(smtp: scenario)
        try instance.appendFixtures("01-sl-sport-club.eml")
        let (first, seconds) = try Self.elapsed { try instance.mailintake("run", "--once") }
        #expect(first.status == 1)
        #expect(seconds < 45, "smtp timeout 5s not honoured: \(seconds)s")
        #expect(server.spooled == 1)
        #expect(try instance.count("SELECT count(*) FROM outbox WHERE status = 'unconfirmed'") == 1)
        for _ in 0..<2 { _ = try instance.mailintake("run", "--once") }
        #expect(server.spooled == 1, "the acknowledgement was sent again")
        let outbox = try instance.mailintake("outbox")
        #expect(outbox.stdout.contains("unconfirmed"), "\(outbox.stdout)")
        let status = try instance.mailintake("status")
        #expect(status.status == 1)
        #expect(status.stdout.contains("unconfirmed"), "\(status.stdout)")
    }

    @Test("a rejected login stops the round: every acknowledgement stays pending, uncounted, and goes out once the password is right")
    func authenticationFailure() throws {
        let stack = try MailStack.require()
        let instance = try Instance(stack: stack)
        try "wrong-password\n".write(toFile: instance.folder + "/smtp.password", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: instance.folder + "/smtp.password")
        try instance.appendFixtures("01-sl-sport-club.eml", "02-en-school-exchange.eml", "04-sl-cp1250-company.eml")
        let failed = try instance.mailintake("run", "--once")
        #expect(failed.status == 1)
        #expect(failed.stderr.components(separatedBy: "SMTP:").count == 2, "the cause is reported once: \(failed.stderr)")
        #expect(try instance.count("SELECT count(*) FROM outbox WHERE status = 'pending' AND attempts = 0") == 3)
        try (stack.smtpPassword + "\n").write(toFile: instance.folder + "/smtp.password", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: instance.folder + "/smtp.password")
        #expect(try instance.mailintake("run", "--once").status == 0)
        #expect(try instance.acknowledgements().count == 3)
    }
}

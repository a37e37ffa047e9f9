import Foundation
import MailIntakeCore
@testable import MailTransport
import Testing

/// The connection itself against the local Dovecot that scripts/mailstack.sh started (its MI_*
/// variables): what the integration tests cannot see from outside the binary.
@Suite("The IMAP connection, against the local Dovecot")
struct IMAPConnectionTests {
    static let environment = ProcessInfo.processInfo.environment
    /// scripts/test.sh starts a stack and sets MAILINTAKE_REQUIRE_STACK: then a missing stack fails.
    static let stackRuns = environment["MI_STACK_DIR"] != nil || environment["MAILINTAKE_REQUIRE_STACK"] != nil

    @Test("OpenSSL reads ahead once libcurl's connect and login have returned, and the connection still speaks, over IMAPS and STARTTLS",
          .enabled(if: stackRuns, "no mail stack runs: scripts/test.sh starts one"), arguments: ["imaps", "imap"])
    func readAhead(scheme: String) throws {
        let env = Self.environment
        let user = try #require(env["MI_USER"], "no mail stack: run the tests with scripts/test.sh")
        let password = try #require(env["MI_PASSWORD"]), ca = try #require(env["MI_CA"])
        let port = try #require(env[scheme == "imaps" ? "MI_IMAPS_PORT" : "MI_IMAP_PORT"])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mi-connection-\(UUID().uuidString.prefix(8))").path
        // The folders the configuration must name; this test reads nothing from them.
        for part in ["templates", "vocabulary"] {
            try FileManager.default.createDirectory(atPath: folder + "/" + part, withIntermediateDirectories: true)
        }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = FileManager.default.createFile(atPath: folder + "/imap.password", contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600])
        let text = """
            [imap]
            url = \(scheme)://127.0.0.1:\(port)
            user = \(user)
            password_file = imap.password
            ca_file = \(ca)
            timeout = 20s

            [smtp]
            url = smtp://127.0.0.1:25
            from = office@example.org

            [store]
            path = unused.sqlite

            [office]
            name = A configuration for the connection alone
            email = office@example.org
            phone = 01 234 56 78
            """
        try text.write(toFile: folder + "/mailintake.conf", atomically: true, encoding: .utf8)
        let configuration = try Configuration.load(path: folder + "/mailintake.conf", environment: [:])

        let connection = try IMAPConnection(configuration.imap, bearer: nil)
        #expect(connection.readsAhead)
        // Records read ahead must never wait unseen: a command and its answer, read by `receive`.
        try connection.send("R1 NOOP\r\nR2 NOOP\r\n")
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64)  // small reads: most of each record stays with OpenSSL
        while !String(decoding: answer, as: UTF8.self).contains("R2 OK") {
            let count = try buffer.withUnsafeMutableBytes { try connection.receive(into: $0, timeout: 20) }
            try #require(count > 0, "the server closed the connection: \(String(decoding: answer, as: UTF8.self))")
            answer += buffer[..<count]
        }
        #expect(String(decoding: answer, as: UTF8.self).contains("R1 OK"))
    }
}

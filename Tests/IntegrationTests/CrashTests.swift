import Foundation
import Testing

/// SIGKILL at arbitrary moments must lose nothing and send nothing twice.
@Suite("Crash safety against real servers", .enabled(if: MailStack.shouldRun))
struct CrashTests {
    /// Writes `count` distinct, realistic inquiries into the instance folder.
    func writeMessages(_ count: Int, into instance: Instance) throws -> [String] {
        let topics = ["sodelovanje v športu", "kulturna izmenjava", "pobratenje mest", "obisk delegacije", "šolska izmenjava"]
        return try (1...count).map { n in
            let path = instance.folder + "/bulk-\(n).eml"
            let text = """
                Return-Path: <sender\(n)@example.si>
                From: Pošiljatelj \(n) <sender\(n)@example.si>
                To: mednarodno@maribor.example
                Subject: Prošnja št. \(n): \(topics[n % topics.count])
                Date: Fri, 27 Nov 2026 10:00:00 +0100
                Message-ID: <bulk-\(n)-\(instance.user)@example.si>
                Content-Type: text/plain; charset=utf-8
                Content-Transfer-Encoding: 8bit

                Spoštovani,

                pišem vam glede teme \(topics[n % topics.count]). \(String(repeating: "Lep pozdrav iz Maribora. ", count: 20 + n % 50))

                Lep pozdrav
                """
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    @Test("SIGKILL in the middle of runs over many messages files every message once and sends no acknowledgement twice")
    func killLoop() throws {
        // No rate limit may hold back what this test counts.
        let instance = try Instance(.init(ackExtra: "max_per_sender_per_day = 1000\nmax_per_hour = 100000"))
        // scripts/killloop.sh runs this test longer: more messages, more kills.
        let total = MailStack.environment["MAILINTAKE_KILL_MESSAGES"].flatMap(Int.init) ?? 150
        try instance.append(try writeMessages(total, into: instance))

        // Kill runs at random moments: during connect, fetch, filing, flagging or sending.
        var generator = SystemRandomNumberGenerator()
        var kills = 0
        let rounds = MailStack.environment["MAILINTAKE_KILL_ROUNDS"].flatMap(Int.init) ?? 12
        for round in 0..<rounds {
            let process = try instance.start(["run", "--once"], log: "round-\(round).log")
            let delay = Double.random(in: 0.05...0.6, using: &generator)
            Thread.sleep(forTimeInterval: delay)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            waitForExit(process)
        }
        let filedUnderFire = try instance.count("SELECT count(*) FROM messages")
        let sentUnderFire = try instance.count("SELECT count(*) FROM outbox WHERE status = 'sent'")
        // Then let it finish.
        for _ in 0..<3 {
            let result = try instance.mailintake("run", "--once")
            if result.status == 0 { break }
        }

        #expect(kills > 0, "no run was killed: the test proved nothing")
        print("CrashTests.killLoop: \(total) messages, \(rounds) runs, \(kills) killed with SIGKILL; \(filedUnderFire) filed and \(sentUnderFire) acknowledged by the killed runs")
        #expect(try instance.count("SELECT count(*) FROM messages") == total)
        #expect(try instance.count("SELECT count(DISTINCT uid) FROM messages") == total)
        #expect(try instance.count("SELECT count(*) FROM inquiries") == total)
        #expect(try instance.count("SELECT count(*) FROM outbox") == total)
        #expect(try instance.count("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')") == 0)

        let acks = try instance.acknowledgements()
        let inReplyTo = acks.compactMap { $0["in_reply_to"] as? String }
        #expect(Set(inReplyTo).count == inReplyTo.count, "an acknowledgement was sent twice")
        // Every acknowledgement marked sent reached the server; one interrupted mid-send is unconfirmed, never re-sent.
        let sent = try instance.count("SELECT count(*) FROM outbox WHERE status = 'sent'")
        let interrupted = try instance.count("SELECT count(*) FROM outbox WHERE status = 'unconfirmed' AND last_error LIKE 'interrupted%'")
        #expect(sent + interrupted == total)
        #expect(acks.count >= sent && acks.count <= sent + interrupted)
        print("CrashTests.killLoop: afterwards \(try instance.count("SELECT count(*) FROM messages")) messages filed, \(sent) acknowledgements sent, \(interrupted) interrupted mid-send (unconfirmed, not re-sent), \(acks.count) received by the server, 0 twice")
        // And the server shows every message as filed.
        let flags = try instance.flags()
        #expect(flags.count == total)
        #expect(flags.values.allSatisfy { $0.contains("$Filed") })
    }
}

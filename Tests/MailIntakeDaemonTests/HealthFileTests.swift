import Foundation
import Testing
@testable import MailIntakeDaemon

@Suite("The health file")
struct HealthFileTests {
    @Test("its JSON is read back exactly, whatever the error text holds, with keys in byte order")
    func roundTrip() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mi-health-\(UUID().uuidString)").path
        let file = HealthFile(databasePath: path)
        file.prepare()
        let values = ["last_error": "IMAP: \"refused\" \\ at C:\\path\n\tline two \u{01}\u{1F} Đorđević ✓", "b": "", "a": "1"]
        #expect(file.write(values))
        #expect(file.read() == values)
        #expect(String(decoding: HealthFile.encode(["b": "2", "a": "1", "B": "3"]), as: UTF8.self) == #"{"B":"3","a":"1","b":"2"}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(HealthFile.encode(values))) as? [String: String]
        #expect(parsed == values)
    }
}

@Suite("The allocator policy")
struct MemoryPolicyTests {
    @Test("with the fixed thresholds, what a burst freed goes back to the system even after a large message")
    func policy() throws {
        #expect(MemoryPolicy.apply())
        // A large message first: glibc's own policy would now keep up to twice its size in the
        // arena after every free (the thresholds follow the largest block freed).
        do { let large = [UInt8](repeating: 2, count: 4 << 20); #expect(large.count == 4 << 20) }
        // A burst of 6 MB: blocks under the threshold, then all freed, as a backlog leaves them
        // (less than the 8 MB glibc would now keep, more than the 1 MB the policy lets it). The
        // process's other tests allocate too, so a drop in any of three bursts counts; without
        // the policy none drops at all.
        var drops: [String] = []
        for _ in 0..<3 {
            var blocks: [[UInt8]] = (0..<30).map { _ in [UInt8](repeating: 1, count: 200_000) }
            let during = try Self.anonymousKB()
            blocks.removeAll()
            // As the daemon does after each cycle: what lies between blocks still in use goes back too.
            MemoryPolicy.trim()
            let after = try Self.anonymousKB()
            drops.append("\(during) → \(after) kB")
            if after < during - 4_000 { return }
        }
        Issue.record("anonymous memory did not drop by 4 MB after a 6 MB burst: \(drops.joined(separator: ", "))")
    }

    static func anonymousKB() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("RssAnon:") })
        return try #require(Int(line.split(separator: " ").dropFirst().first ?? ""))
    }
}

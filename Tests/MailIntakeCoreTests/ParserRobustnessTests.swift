import Foundation
import Testing
@testable import MailIntakeCore

/// Malformed input must never crash the parser or the classifier: every message is filed, even
/// one that makes no sense. These cases mutate the sample messages deterministically (truncation,
/// flipped bytes, lost line breaks, stray boundaries) and run the whole read path on each.
@Suite("Parser robustness")
struct ParserRobustnessTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let samples = ["01-sl-sport-club.eml", "02-en-school-exchange.eml", "03-sl-latin2-citizen.eml", "04-sl-cp1250-company.eml"]
    static let nasty: [[UInt8]] = ["=?", "=?UTF-8?Q?=", "=?UTF-8?B?", "\r\n--b1", "\r\n--b1--", "{", ">", "\r\n\r\n", "=\r\n", "=X", "&#", "&#x110000;",
                                   "<", "\"", "Content-Type: multipart/mixed; boundary=\"\"\r\n", "Content-Transfer-Encoding: base64\r\n"].map { Array($0.utf8) }

    @Test("survives thousands of mutated messages", arguments: samples)
    func mutations(sample: String) throws {
        let original = try Fixtures.bytes(sample)
        var random = SplitMix(state: UInt64(sample.utf8.count) * 7919)
        let classifier = Fixtures.classifier
        let policy = AckPolicy(ownAddresses: [])
        for _ in 0..<1500 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                guard !bytes.isEmpty else { break }
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<5, using: &random) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...200, using: &random)))
                case 2: bytes.insert(contentsOf: Self.nasty.randomElement(using: &random)!, at: at)
                case 3: bytes = Array(bytes[..<at])
                default: bytes.removeAll { $0 == 0x0D }
                }
            }
            let parsed = MessageParser.parse(bytes)
            _ = classifier.classify(parsed)
            _ = policy.decide(parsed)
            _ = SHA256.hex(bytes)
        }
    }

    static func nested(_ levels: Int) -> [UInt8] {
        var text = "From: a@b.si\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
        for depth in 1...levels { text += "--b\(depth - 1)\r\nContent-Type: multipart/mixed; boundary=b\(depth)\r\n\r\n" }
        text += "--b\(levels)\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nProšnja za razgovor iz globine\r\n"
        return Array(text.utf8)
    }

    @Test("finds the text in multiparts nested dozens deep (list servers, forwarding chains), and cuts, reported, beyond the bound")
    func deepNesting() {
        let deep = MessageParser.parse(Self.nested(50))
        #expect(deep.text.contains("Prošnja za razgovor iz globine"), "\(deep.problems)")
        #expect(!deep.problems.contains { $0.contains("deeper than") })
        let deeper = MessageParser.parse(Self.nested(MIMEPart.maximumDepth + 20))
        #expect(deeper.problems.contains { $0.contains("deeper than") })
        // On a thread with a small stack, as the daemon's worker threads have: no overflow.
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            _ = MessageParser.parse(Self.nested(MIMEPart.maximumDepth + 20))
            done.signal()
        }
        thread.stackSize = 512 << 10
        thread.start()
        done.wait()
    }

    @Test("a multi-byte character split across two encoded words is one character; RFC 2231 filename* wins; the Unicode name is kept")
    func realMailPrograms() {
        #expect(EncodedWord.decode("=?UTF-8?Q?Pro=C5?= =?UTF-8?Q?=A1nja_za_sodelovanje?=") == "Prošnja za sodelovanje")
        #expect(EncodedWord.decode("=?UTF-8?B?UHJvxQ==?= =?UTF-8?B?oW5qYQ==?=") == "Prošnja")
        let mail = """
            From: =?UTF-8?Q?=C5=A0pela_?= =?UTF-8?Q?=C4=8Cehovin?= <spela@example.org>\r
            Subject: Prijava\r
            Content-Type: multipart/mixed; boundary=x\r
            \r
            --x\r
            Content-Type: text/plain; charset=utf-8\r
            \r
            V prilogi.\r
            --x\r
            Content-Type: application/pdf\r
            Content-Disposition: attachment; filename="Prosnja.pdf"; filename*=UTF-8''Pro%C5%A1nja%20za%20sodelovanje.pdf\r
            Content-Transfer-Encoding: base64\r
            \r
            JVBERi0xLjQK\r
            --x--\r
            """
        let parsed = MessageParser.parse(Array(mail.utf8))
        #expect(parsed.fromName == "Špela Čehovin")
        #expect(parsed.attachments.first?.filename == "Prošnja za sodelovanje.pdf")
        let summary = parsed.attachments.first?.attachmentSummary(position: 1)
        #expect(summary?.filename == "Prošnja za sodelovanje.pdf")
        // Given the other way round, filename* still wins.
        let reversed = mail.replacingOccurrences(of: #"filename="Prosnja.pdf"; filename*=UTF-8''Pro%C5%A1nja%20za%20sodelovanje.pdf"#,
                                                 with: #"filename*=UTF-8''Pro%C5%A1nja%20za%20sodelovanje.pdf; filename="Prosnja.pdf""#)
        #expect(MessageParser.parse(Array(reversed.utf8)).attachments.first?.filename == "Prošnja za sodelovanje.pdf")
    }
}

/// Hand-written malformed messages and any input the fuzzer (scripts/fuzz.sh) once crashed on:
/// each is read through the whole path without a crash and is flagged for review.
@Suite("Malformed messages and fuzz regressions")
struct MalformedMessageTests {
    static let directory = Fixtures.directory.deletingLastPathComponent().appendingPathComponent("fuzz")
    static let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()

    @Test("there are malformed fixtures to read")
    func present() {
        #expect(Self.files.count >= 8)
    }

    @Test("reads each without a crash and flags it for review", arguments: files)
    func read(file: String) throws {
        let bytes = Array(try Data(contentsOf: Self.directory.appendingPathComponent(file)))
        let message = MessageParser.parse(bytes)
        _ = Fixtures.classifier.classify(message)
        _ = AckPolicy(ownAddresses: []).decide(message)
        for (offset, part) in message.attachments.enumerated() { _ = part.attachmentSummary(position: offset + 1) }
        #expect(message.needsReview, "\(file) was read as if nothing were wrong")
    }
}

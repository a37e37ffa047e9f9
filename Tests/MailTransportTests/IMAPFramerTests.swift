import Foundation
import Testing
@testable import MailTransport

/// The IMAP framer and FETCH reader on transcripts a hostile or broken server could send, with
/// no server at all: what must be refused is refused, and nothing smuggled inside a message
/// becomes a response of its own.
@Suite("IMAP framing on hostile transcripts")
struct IMAPFramerTests {
    /// Feeds `text` in chunks of `chunk` bytes and collects the responses until the framer needs more.
    static func responses(_ text: String, chunk: Int = 7, limits: IMAPFramer.Limits = IMAPFramer.Limits()) throws(IMAPFramingError) -> [IMAPResponse] {
        var framer = IMAPFramer(limits: limits)
        var result: [IMAPResponse] = []
        let bytes = Array(text.utf8)
        var offset = 0
        repeat {
            framer.append(bytes[offset..<min(offset + chunk, bytes.count)])
            offset += chunk
            while let response = try framer.next() { result.append(response) }
        } while offset < bytes.count
        return result
    }

    static let message = "From: a@b.si\r\nSubject: x\r\n\r\nHello\r\n* 2 FETCH (UID 77 BODY[] {20}\r\n"

    @Test("a body literal is one response, however it is cut into chunks")
    func literal() throws {
        for chunk in [1, 3, 7, 64, 4096] {
            let all = try Self.responses("* 1 FETCH (UID 5 BODY[] {\(Self.message.utf8.count)}\r\n\(Self.message))\r\nM1 OK done\r\n", chunk: chunk)
            #expect(all.count == 2)
            let fetch = try #require(try FetchResponse(all[0]))
            #expect(fetch.uid == 5)
            #expect(fetch.body == Array(Self.message.utf8))
            #expect(all[1].isCompletion(of: "M1"))
        }
    }

    @Test("a 13-digit literal is refused, not read as text, so the message's lines never become responses")
    func hugeLiteral() {
        #expect(throws: IMAPFramingError.self) {
            _ = try Self.responses("* 1 FETCH (UID 1 BODY[] {1099511627776}\r\n\(Self.message))\r\nM1 OK\r\n")
        }
        var limits = IMAPFramer.Limits()
        limits.maximumLiteral = 1000
        #expect(throws: IMAPFramingError.self) { _ = try Self.responses("* 1 FETCH (UID 1 BODY[] {1001}\r\n", limits: limits) }
    }

    @Test("a literal shorter than its data is caught: the rest is neither a FETCH nor a response")
    func shortLiteral() throws {
        let all = try? Self.responses("* 1 FETCH (UID 1 BODY[] {20}\r\n\(Self.message))\r\nM1 OK\r\n")
        // Either the framer refuses the leftover lines, or the FETCH reader refuses the response.
        if let all {
            #expect(throws: IMAPFramingError.self) { _ = try FetchResponse(all[0]) }
        }
        #expect(throws: IMAPFramingError.self) {
            _ = try Self.responses("* 1 FETCH (UID 1 BODY[] {5}\r\nFrom: a\r\nSubject: b\r\n)\r\n")
        }
    }

    @Test("lines, literals per response and response size are bounded")
    func limits() {
        var limits = IMAPFramer.Limits()
        limits.maximumLine = 100
        #expect(throws: IMAPFramingError.self) { _ = try Self.responses("* OK " + String(repeating: "x", count: 500), limits: limits) }
        #expect(throws: IMAPFramingError.self) { _ = try Self.responses("* OK " + String(repeating: "x", count: 500) + "\r\n", limits: limits) }
        let many = "* 1 FETCH (UID 1" + String(repeating: " X {1}\r\na", count: 40) + ")\r\n"
        #expect(throws: IMAPFramingError.self) { _ = try Self.responses(many) }
        limits = IMAPFramer.Limits()
        limits.maximumResponse = 1000
        limits.maximumLiteral = 800
        #expect(throws: IMAPFramingError.self) {
            _ = try Self.responses("* 1 FETCH (A {600}\r\n" + String(repeating: "a", count: 600) + " B {600}\r\n" + String(repeating: "b", count: 600) + ")\r\n", limits: limits)
        }
    }

    @Test("a long line costs memory once: the buffer is not searched again from the start")
    func slowLine() throws {
        var framer = IMAPFramer()
        for _ in 0..<10_000 {
            framer.append(Array("xxxxxxxxxx".utf8))
            #expect(try framer.next() == nil)
        }
        framer.append(Array("\r\n".utf8))
        // Not a response start: `xxxx…` is neither `*`, `+` nor a tag followed by a space.
        #expect(throws: IMAPFramingError.self) { _ = try framer.next() }
    }

    @Test("after a framing error the framer stays failed")
    func staysFailed() {
        var framer = IMAPFramer()
        framer.append(Array("garbage without a tag\r\n* OK fine\r\n".utf8))
        #expect(throws: IMAPFramingError.self) { _ = try framer.next() }
        #expect(throws: IMAPFramingError.self) { _ = try framer.next() }
    }

    @Test("responses start with *, + or a tag")
    func starts() throws {
        let all = try Self.responses("* OK [CAPABILITY IMAP4rev1] ready\r\n+ go on\r\nM12 OK done\r\n")
        #expect(all.count == 3)
        #expect(all[0].isUntagged && all[1].isContinuation && all[2].isCompletion(of: "M12"))
        for bad in ["\r\n", "*nospace\r\n", "(UID 3)\r\n", "From: a@b.si\r\n"] {
            #expect(throws: IMAPFramingError.self, "\(bad)") { _ = try Self.responses(bad) }
        }
    }

    @Test("FETCH attributes are read strictly")
    func fetch() throws {
        let date = "INTERNALDATE \"01-Dec-2026 09:00:00 +0000\""
        let ok = try Self.responses("* 3 FETCH (FLAGS (\\Seen $Filed) UID 9 RFC822.SIZE 1234 \(date) BODY[]<0> {3}\r\nabc)\r\n")
        let fetch = try #require(try FetchResponse(ok[0]))
        #expect(fetch.sequenceNumber == 3 && fetch.uid == 9 && fetch.size == 1234 && fetch.body == Array("abc".utf8))
        #expect(fetch.internalDate != nil)
        #expect(try FetchResponse(try Self.responses("* 4 EXISTS\r\n")[0]) == nil)
        let flagsOnly = try #require(try FetchResponse(try Self.responses("* 2 FETCH (FLAGS (\\Seen))\r\n")[0]))
        #expect(flagsOnly.uid == nil && flagsOnly.body == nil)
        for bad in ["* 1 FETCH (UID 4294967296)\r\n", "* 1 FETCH (UID x)\r\n", "* 1 FETCH (UID 1\r\n", "* 1 FETCH (UID 1) trailing\r\n",
                    "* 1 FETCH UID 1\r\n", "* 1 FETCH (BODY[] \"unterminated)\r\n", "* 1 FETCH (UID 0)\r\n", "* 1 FETCH (FLAGS (\\Seen)\r\n"] {
            let responses = try Self.responses(bad)
            #expect(throws: IMAPFramingError.self, "\(bad)") { _ = try FetchResponse(responses[0]) }
        }
        let highest = try #require(try FetchResponse(try Self.responses("* 1 FETCH (UID 4294967295)\r\n")[0]))
        #expect(highest.uid == UInt32.max)
    }

    @Test("UID sets are compact and sorted")
    func uidSets() {
        #expect(UIDSet.format([5, 1, 2, 3, 8, 7, 3]) == "1:3,5,7:8")
        #expect(UIDSet.format([UInt32.max]) == "4294967295")
    }
}

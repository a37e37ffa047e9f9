import Foundation
import Testing
@testable import MailIntakeCore

/// What one hostile message could do to the parser, and what it now costs: linear work, bounded
/// memory, a message that is always filed with what was cut recorded.
@Suite("Hostile input: bounded work, comments, folding, printable text")
struct HostileInputTests {
    @Test("encoded-word decoding is linear in the input, however malformed", arguments: [
        "=?u?B?x ", "=?u?B?x", "=?", "=?utf-8?Q?", "=?utf-8?B?YWJj?= ", "=?a", "?=", "=?u?Q?=?u?B?",
    ])
    func linearDecoding(unit: String) {
        for count in [1_000, 10_000, 100_000] {
            let text = String(repeating: unit, count: count)
            let work = EncodedWord.work(decoding: text)
            #expect(work <= 4 * text.utf8.count + 100, "\(unit) × \(count): \(work) steps for \(text.utf8.count) bytes")
        }
    }

    @Test("decoding still does what RFC 2047 says")
    func decodingStillWorks() {
        #expect(EncodedWord.decode("=?utf-8?Q?=C5=A0ola?= =?utf-8?B?IGluIMWhcG9ydA==?=") == "Šola in šport")
        #expect(EncodedWord.decode("a =?utf-8?Q?b?= c") == "a b c")
        #expect(EncodedWord.decode("=?u?B?x =?u?B?x") == "=?u?B?x =?u?B?x")
        // A character split across two words of one charset survives.
        #expect(EncodedWord.decode("=?utf-8?B?xQ==?= =?utf-8?B?oQ==?=") == "š")
        #expect(EncodedWord.decode("=?utf-8?Q?a?=  \t=?iso-8859-2?Q?=B9?=") == "aš")
        // A NUL in an encoded subject is kept, not the end of the text.
        #expect(EncodedWord.decode("=?utf-8?Q?before=00after?=") == "before\u{0}after")
    }

    @Test("a message of 800 000 empty parts is read up to the part limit, flagged, and its text kept")
    func manyParts() {
        var text = "From: a@b.si\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n"
        text += String(repeating: "--b\r\n\r\n", count: 800_000) + "--b--\r\n"
        let parsed = MessageParser.parse(Array(text.utf8))
        #expect(parsed.root.leaves.count <= ParseBudget.maximumParts)
        #expect(parsed.problems.contains { $0.contains("MIME parts") })
        #expect(parsed.text.contains("first part"))
        #expect(parsed.needsReview)
    }

    @Test("attachment names and a subject of 100 KB of unclosed encoded words are read, the words budget recorded")
    func encodedWordFlood() {
        let flood = String(repeating: "=?u?B?x ", count: 12_500)  // 100 KB, under Postfix's header limit
        var text = "From: a@b.si\r\nSubject: \(flood)\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        for _ in 0..<20 {
            text += "--b\r\nContent-Type: application/pdf; name=\"\(flood)\"\r\nContent-Disposition: attachment; filename=\"\(flood)\"\r\n\r\nJVBERi0=\r\n"
        }
        text += "--b--\r\n"
        let parsed = MessageParser.parse(Array(text.utf8))
        #expect(parsed.attachments.count == 20)
        #expect(parsed.subject.hasPrefix("=?u?B?x"))
        for (offset, part) in parsed.attachments.enumerated() {
            #expect(part.attachmentSummary(position: offset + 1).filename.utf8.count <= 180)
        }
        let words = String(repeating: "=?utf-8?B?YQ==?= ", count: ParseBudget.maximumEncodedWords + 10)
        let budgeted = MessageParser.parse(Array("From: a@b.si\r\nSubject: \(words)\r\n\r\nx\r\n".utf8))
        #expect(budgeted.problems.contains { $0.contains("encoded words") })
        #expect(budgeted.subject.hasPrefix(String(repeating: "a", count: 100)))
    }

    @Test("an address inside a comment is not the address")
    func comments() {
        let parsed = AddressList.parse("alice@example.org (Bob <victim@evil.test>)")
        #expect(parsed.map(\.address) == ["alice@example.org"])
        #expect(parsed.first?.displayName == nil)
        #expect(AddressList.parse("\"Bob <victim@evil.test>\" <alice@example.org>").map(\.address) == ["alice@example.org"])
        #expect(AddressList.parse("Ana (pisarna) <ana@example.org>").first?.displayName == "Ana")
        #expect(AddressList.parse("ana@example.org (Ana Novak)").first?.displayName == "Ana Novak")
        let message = MessageParser.parse(Array("From: alice@example.org (Bob <victim@evil.test>)\r\nReturn-Path: <alice@example.org>\r\n\r\nHi\r\n".utf8))
        #expect(message.from?.address == "alice@example.org")
    }

    @Test("every header we write is folded, and unfolds to what it was")
    func folding() {
        let subject = (0..<200).map { "word\($0)" }.joined(separator: " ")  // ~1 300 characters of ASCII
        let longWord = String(repeating: "x", count: 1200)
        let mail = OutgoingMail(from: MailAddress(validating: "office@maribor.example", displayName: String(repeating: "Urad ", count: 60))!,
                                to: MailAddress(validating: "ana@example.org")!, subject: subject, body: "Hello", date: Date(),
                                messageID: "a@b", references: (0..<50).map { "id\($0)@example.org" } + [String(repeating: "r", count: 400) + "@x"],
                                extraHeaders: [("X-Long", longWord), ("X-Separators", "a\u{2028}b\u{2029}c\u{85}d\u{1B}e")])
        let text = String(decoding: mail.rendered(), as: UTF8.self)
        let head = text.components(separatedBy: "\r\n\r\n")[0]
        for line in head.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 998, "a header line of \(line.utf8.count) bytes")
            #expect(!line.trimmingCharacters(in: .whitespaces).isEmpty, "an all-white-space folded line")
        }
        let parsed = MessageParser.parse(mail.rendered())
        #expect(parsed.subject == subject)
        #expect(parsed.headers.decoded("X-Long") == longWord)
        #expect(parsed.headers.decoded("X-Separators") == "a b c d e")
        #expect(parsed.references.count == OutgoingMail.maximumReferences)
        #expect(!head.contains(String(repeating: "r", count: 400)))
    }

    @Test("our own address, sub-addressed, is still ours")
    func subAddress() {
        let policy = AckPolicy(ownAddresses: [MailAddress(validating: "office@maribor.example")!])
        let message = MessageParser.parse(Array("From: office+newsletter@maribor.example\r\nReturn-Path: <office+newsletter@maribor.example>\r\nSubject: x\r\n\r\nHi\r\n".utf8))
        guard case .suppress(let reason) = policy.decide(message) else {
            Issue.record("a mail from office+newsletter@ was acknowledged")
            return
        }
        #expect(reason.contains("own address"))
    }

    @Test("printable text shows controls, escapes and bidi overrides instead of obeying them")
    func printable() {
        let hostile = "a\u{1B}[31mred\u{1B}]0;title\u{07}\r\nBcc: x\u{0}\u{9B}2J\u{202E}fdp.exe\u{2066}\u{2028}\tend"
        let safe = PrintableText.safe(hostile)
        #expect(!safe.unicodeScalars.contains { PrintableText.isUnsafe($0) })
        #expect(safe == "a\u{241B}[31mred\u{241B}]0;title\u{2407}\u{240D}\u{240A}Bcc: x\u{2400}<U+9B>2J<U+202E>fdp.exe<U+2066><U+2028>\tend")
        #expect(PrintableText.safe("Šola in šport — 日本") == "Šola in šport — 日本")
        #expect(SafeFilename.make("invoice\u{202E}fdp.exe", position: 1, contentType: .textPlain) == "invoice_fdp.exe")
    }

    @Test("the cursor never passes a UID the server listed and did not deliver")
    func cursor() {
        var advance = CursorAdvance(start: 10, listed: [11, 12, 13, 14], alreadyFiled: [12])
        #expect(advance.toFetch == [11, 13, 14])
        #expect(advance.cursor == 10)
        #expect(advance.filed(13) == 10)  // 11 not yet filed
        #expect(advance.filed(11) == 13)  // 11, 12, 13 filed
        #expect(advance.missing == [14])
        #expect(advance.filed(14) == 14)
        #expect(advance.missing.isEmpty)
        let nothing = CursorAdvance(start: 5, listed: [], alreadyFiled: [])
        #expect(nothing.cursor == 5)
    }
}

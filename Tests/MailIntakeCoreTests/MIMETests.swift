import Foundation
import Testing
@testable import MailIntakeCore

@Suite("MIME: attachments, forwarded messages, RFC 2231, format=flowed")
struct MIMETests {
    @Test("header fields are found by name in any ASCII case, white space before the colon ignored, as lower-casing both names found them")
    func headerNames() {
        var problems: [String] = []
        let block = Array("CONTENT-type: text/plain; charset=utf-8\r\nSubject \t: Pobratena mesta\r\nX-Mailer: a\r\nx-mailer: b\r\nFrom: Ana <ana@example.org>\r\n".utf8)
        let header = HeaderFields.parse(block[...], problems: &problems, budget: ParseBudget())
        #expect(header.fields.map(\.name) == ["CONTENT-type", "Subject", "X-Mailer", "x-mailer", "From"])
        #expect(header.first("Content-Type") == "text/plain; charset=utf-8")
        #expect(header.first("subject") == "Pobratena mesta")
        #expect(header.all("X-MAILER") == ["a", "b"])
        #expect(header.first("Subjec") == nil && header.first("Subjects") == nil && header.first("") == nil)
        #expect(problems.isEmpty)
        // Every pair of ASCII names, compared on bytes as `lowercased()` on both compared them.
        let letters = Array("aAzZ-_09@[`{~".utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let one = String(decoding: (0..<Int.random(in: 0...4, using: &generator)).map { _ in letters.randomElement(using: &generator)! }, as: UTF8.self)
            let other = Bool.random(using: &generator) ? String(one.map { Bool.random(using: &generator) ? Character($0.uppercased()) : Character($0.lowercased()) })
                : String(decoding: (0..<Int.random(in: 0...4, using: &generator)).map { _ in letters.randomElement(using: &generator)! }, as: UTF8.self)
            #expect(one.equalsIgnoringASCIICase(other) == (one.lowercased() == other.lowercased()), "\(one) \(other)")
        }
    }

    @Test("reads an Outlook forward: the note, the attached original, and an attachment with an RFC 2231 continued name")
    func outlookForward() throws {
        let message = MessageParser.parse(try Fixtures.bytes("07-outlook-forward-attachment.eml"))
        #expect(message.split.newText == "Posredujem v obravnavo.\n\nMaja")
        let forwarded = try #require(message.attachedMessages.first)
        #expect(forwarded.from?.address == "kultura@varazdin.example")
        #expect(forwarded.subject == "Poziv na festival Špenglerfest")
        #expect(forwarded.text.contains("Grad Varaždin poziva izaslanstvo"))
        let summaries = message.attachments.enumerated().map { $1.attachmentSummary(position: $0 + 1) }
        #expect(summaries.map(\.filename) == ["attachment-1.eml", "Program festivala Špenglerfest 2026.pdf"])
        #expect(summaries[1].contentType == "application/pdf")
        #expect(summaries[1].size == 78)
        #expect(message.attachments[1].decodedBody.starts(with: Array("%PDF-1.4".utf8)))
        #expect(summaries[1].sha256 == SHA256.hex(message.attachments[1].decodedBody))
        #expect(message.problems.isEmpty)
    }

    @Test("joins format=flowed paragraphs and keeps the signature apart")
    func flowed() throws {
        let message = MessageParser.parse(try Fixtures.bytes("08-thunderbird-flowed.eml"))
        #expect(message.split.newText == "Sehr geehrte Damen und Herren, unsere Schule in Graz möchte eine Partnerschaft mit einer Schule in Maribor beginnen.\n\nMit freundlichen Grüßen")
        #expect(message.split.signature == "-- \nPeter Schmidt\nBG/BRG Graz")
        #expect(FlowedText.join("a \nb\n> c \n> d\ne", deleteSpace: false) == "a b\n> c d\ne")
        #expect(FlowedText.join("zelo dolga be\nseda", deleteSpace: true) == "zelo dolga be\nseda")
        #expect(FlowedText.join("zelo dolga be \nseda", deleteSpace: true) == "zelo dolga beseda")
    }

    @Test("decodes RFC 2231 parameters: extended, continued, and continued with a charset")
    func rfc2231() {
        #expect(ContentType.splitParameters("attachment; filename*=utf-8'sl'%C5%A1ola.pdf").1["filename"] == "šola.pdf")
        #expect(ContentType.splitParameters("attachment; filename*0=\"dolgo ime \"; filename*1=\"datoteke.txt\"").1["filename"] == "dolgo ime datoteke.txt")
        #expect(ContentType.splitParameters("attachment; filename*1*=%E8.pdf; filename*0*=iso-8859-2''%B9ola-").1["filename"] == "šola-č.pdf")
    }

    @Test("makes attachment names safe for any file system", arguments: [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ana\\dopis.docx", "dopis.docx"),
        (".htaccess", "htaccess"),
        ("a<b>c:d\"e|f?g*h.pdf", "a_b_c_d_e_f_g_h.pdf"),
        ("line\r\nbreak.txt", "line__break.txt"),
        ("", "attachment-3.pdf"),
    ])
    func safeNames(name: String, expected: String) {
        let type = ContentType(type: "application", subtype: "pdf", parameters: [:])
        #expect(SafeFilename.make(name, position: 3, contentType: type) == expected)
    }

    @Test("cuts an over-long name but keeps its extension")
    func longNames() {
        let name = String(repeating: "dolgo-", count: 60) + ".pdf"
        let safe = SafeFilename.make(name, position: 1, contentType: .textPlain)
        #expect(safe.utf8.count <= 180)
        #expect(safe.hasSuffix(".pdf"))
    }
}

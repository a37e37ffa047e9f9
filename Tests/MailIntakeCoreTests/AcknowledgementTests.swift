import Foundation
import Testing
@testable import MailIntakeCore

@Suite("Acknowledgement policy, templates and outgoing mail")
struct AcknowledgementTests {
    let policy = AckPolicy(ownAddresses: [MailAddress(validating: "mednarodno@maribor.example")!])

    func decide(_ headers: String) -> AckPolicy.Decision {
        policy.decide(MessageParser.parse(Fixtures.mail(headers + "\n\nbody\n")))
    }

    @Test("acknowledges an ordinary inquiry to its sender")
    func ordinary() {
        #expect(decide("Return-Path: <ana@example.si>\nFrom: Ana <ana@example.si>") == .acknowledge(MailAddress(validating: "ana@example.si", displayName: "Ana")!))
    }

    @Test("never answers robots, lists, bounces, spam or ourselves", arguments: [
        "Return-Path: <a@x.si>\nFrom: a@x.si\nAuto-Submitted: auto-replied",
        "Return-Path: <a@x.si>\nFrom: a@x.si\nPrecedence: bulk",
        "Return-Path: <a@x.si>\nFrom: a@x.si\nList-Id: <news.x.si>",
        "Return-Path: <a@x.si>\nFrom: a@x.si\nX-Auto-Response-Suppress: OOF, AutoReply",
        "Return-Path: <a@x.si>\nFrom: a@x.si\nX-Spam-Flag: YES",
        "Return-Path: <>\nFrom: a@x.si",
        "From: a@x.si",
        "Return-Path: <MAILER-DAEMON@x.si>\nFrom: MAILER-DAEMON@x.si",
        "Return-Path: <no-reply@x.si>\nFrom: no-reply@x.si",
        "Return-Path: <m@maribor.example>\nFrom: mednarodno@maribor.example",
        "Return-Path: <a@x.si>\nFrom: a@x.si\nX-Mailintake-Loop: MB-2026-000001",
        "Return-Path: <a@x.si>\nFrom: not an address",
    ])
    func suppressed(headers: String) {
        guard case .suppress = decide(headers) else {
            Issue.record("acknowledged: \(headers)")
            return
        }
    }

    @Test("Auto-Submitted: no is an ordinary message")
    func autoSubmittedNo() {
        #expect(decide("Return-Path: <a@x.si>\nFrom: a@x.si\nAuto-Submitted: no") == .acknowledge(MailAddress(validating: "a@x.si")!))
    }

    @Test("renders a template and refuses unknown placeholders")
    func templates() throws {
        let template = try AckTemplate(language: "sl", text: "Subject: Prejeli smo [{{reference}}]: {{subject}}\n\nSpoštovani {{sender_name}},\nštevilka {{reference}}, tel. {{office_phone}}\n", source: "t")
        let (subject, body) = template.render(["reference": "MB-2026-000001", "subject": "Hi\r\nBcc: evil@x.si", "sender_name": "", "office_phone": "02/2201-219"])
        #expect(subject == "Prejeli smo [MB-2026-000001]: Hi  Bcc: evil@x.si")
        #expect(body.hasPrefix("Spoštovani,\n"))
        #expect(body.contains("tel. 02/2201-219"))
        #expect(throws: TemplateError.self) { try AckTemplate(language: "en", text: "Subject: {{nope}}\n\nx", source: "t") }
        #expect(throws: TemplateError.self) { try AckTemplate(language: "en", text: "no subject line", source: "t") }
    }

    @Test("writes RFC 5322 mail that no field value can add a header to, and that parses back")
    func outgoingMail() {
        let mail = OutgoingMail(
            from: MailAddress(validating: "mednarodno@maribor.example", displayName: "Mestna občina Maribor")!,
            to: MailAddress(validating: "ana@example.si")!,
            subject: "Prejeli smo vaše sporočilo [MB-2026-000007]: Re:\r\nBcc: victim@example.org",
            body: "Spoštovani,\n\nvaša številka je MB-2026-000007. " + String(repeating: "dolgo besedilo ", count: 20) + "\n.\nkonec",
            date: Date(timeIntervalSince1970: 1_800_000_000), messageID: "mb-2026-000007.abc@maribor.example",
            inReplyTo: "orig@example.si", references: ["first@example.si\r\nX-Evil: 1", "orig@example.si"],
            extraHeaders: [("Auto-Submitted", "auto-replied"), ("Bad\r\nName", "x")])
        let bytes = mail.rendered()
        let text = String(decoding: bytes, as: UTF8.self)
        let head = text.components(separatedBy: "\r\n\r\n")[0]
        for line in head.components(separatedBy: "\r\n") {
            #expect(line.first == " " || line.contains(": "), "unexpected header line: \(line)")
            #expect(!line.lowercased().hasPrefix("bcc:") && !line.lowercased().hasPrefix("x-evil"))
        }
        #expect(!text.contains("\n") || !text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        let parsed = MessageParser.parse(bytes)
        #expect(parsed.subject == "Prejeli smo vaše sporočilo [MB-2026-000007]: Re:  Bcc: victim@example.org")
        #expect(parsed.from?.displayName == "Mestna občina Maribor")
        #expect(parsed.inReplyTo == ["orig@example.si"])
        #expect(parsed.references == ["first@example.siX-Evil:1", "orig@example.si"])
        #expect(parsed.headers.first("Auto-Submitted") == "auto-replied")
        #expect(parsed.text.contains("vaša številka je MB-2026-000007."))
        #expect(parsed.text.contains("\n.\nkonec"))
        for line in text.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 998) }
        let body = text[text.range(of: "\r\n\r\n")!.upperBound...]
        for line in body.components(separatedBy: "\r\n") { #expect(line.count <= 76) }
    }

    @Test("formats, parses and finds reference numbers")
    func references() {
        let reference = ReferenceNumber(prefix: "MB", year: 2026, sequence: 42)
        #expect(reference.description == "MB-2026-000042")
        #expect(ReferenceNumber("MB-2026-000042") == reference)
        #expect(ReferenceNumber("MB-26-42") == nil)
        #expect(ReferenceNumber.find(in: "Re: Prejeli smo [MB-2026-000042]: x", prefix: "MB") == reference)
        #expect(ReferenceNumber.find(in: "Re: [XY-2026-000042]", prefix: "MB") == nil)
        #expect(ReferenceNumber(prefix: "MB", year: 2026, sequence: 1_234_567).description == "MB-2026-1234567")
    }
}

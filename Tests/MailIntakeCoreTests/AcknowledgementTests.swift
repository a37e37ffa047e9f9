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
        "Return-Path: <a@x.si>\nFrom: a@x.si\nX-Spam-Status: Yes, score=9.1 required=5.0",
        "Return-Path: <a@x.si>\nFrom: a@x.si\nX-Spam: Yes",
        "Return-Path: <a@x.si>\nFrom: a@x.si\nX-Rspamd-Action: add header",
        "Return-Path: <a@x.si>\nFrom: a@x.si\nX-Spamd-Result: default: True [16.20 / 15.00]",
        "Return-Path: <a@x.si>\nFrom: a@x.si\nList-Unsubscribe: <mailto:leave@x.si>",
        "Return-Path: <a@x.si>\nFrom: a@x.si\nPrecedence: junk",
        "Return-Path: <a@x.si>\nFrom: a@x.si\nAuto-Submitted: auto-generated",
        "Return-Path: <a@x.si>\nFrom: noreply+tracking@x.si",
        "Return-Path: <a@x.si>\nFrom: Postmaster@x.si",
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

    @Test("header folding and Message-ID filtering on bytes give what the Character walks give, for every ASCII value")
    func asciiFastPaths() {
        var generator = SystemRandomNumberGenerator()
        // Spaces (runs of them too), long words, CR LF as encoded words are joined, controls, brackets.
        let pieces = ["a", "word", "Prošnja".filter(\.isASCII), " ", "  ", "\r\n ", "<id@example.org>", "=?utf-8?B?xyz?=", "\t",
                      "\u{7F}", "x", String(repeating: "y", count: 70), String(repeating: "z", count: 120), ":", ">", "\r", "\n"]
        var values = ["", " ", "a", String(repeating: "q", count: 200)]
        for _ in 0..<3000 {
            values.append((0..<Int.random(in: 1...12, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined())
        }
        for value in values {
            for name in ["Subject", "References", "X"] {
                #expect(OutgoingMail.foldASCII(name, value) == OutgoingMail.foldByCharacters(name, value), "\(name): \(value.debugDescription)")
            }
            #expect(OutgoingMail.safeID(value) == OutgoingMail.safeIDByCharacters(value), "\(value.debugDescription)")
        }
        let id = OutgoingMail.makeMessageID(reference: "MB-2026-000001", domain: "maribor.example")
        #expect(id.hasPrefix("mb-2026-000001.") && id.hasSuffix("@maribor.example"))
        let random = id.dropFirst("mb-2026-000001.".count).prefix { $0 != "@" }
        #expect(random.count == 16 && random.allSatisfy(\.isHexDigit), "\(id)")
        #expect(OutgoingMail.makeMessageID(reference: "MB-2026-000001", domain: "maribor.example") != id)
    }

    @Test("Auto-Submitted: no is an ordinary message")
    func autoSubmittedNo() {
        #expect(decide("Return-Path: <a@x.si>\nFrom: a@x.si\nAuto-Submitted: no") == .acknowledge(MailAddress(validating: "a@x.si")!))
    }

    @Test("the don't-answer list takes local parts, whole addresses and domains, and applies to the web form's person too")
    func neverAnswer() {
        let policy = AckPolicy(ownAddresses: [], neverAnswer: ["newsletter", "spam@x.si", "*@bulk.example"])
        func decide(_ from: String, recipient: String? = nil) -> AckPolicy.Decision {
            policy.decide(MessageParser.parse(Fixtures.mail("Return-Path: <r@x.si>\nFrom: \(from)\n\nbody\n")),
                          recipient: recipient.flatMap { MailAddress(validating: $0) })
        }
        #expect(decide("newsletter-weekly@x.si") != .acknowledge(MailAddress(validating: "newsletter-weekly@x.si")!))
        #expect(decide("SPAM@x.si") != .acknowledge(MailAddress(validating: "SPAM@x.si")!))
        #expect(decide("a@mail.bulk.example") != .acknowledge(MailAddress(validating: "a@mail.bulk.example")!))
        #expect(decide("ana@x.si") == .acknowledge(MailAddress(validating: "ana@x.si")!))
        // The form sends from a robot address; the person who filled it in is answered, unless they are listed.
        #expect(decide("noreply@maribor.example", recipient: "ana@gmail.com") == .acknowledge(MailAddress(validating: "ana@gmail.com")!))
        #expect(decide("noreply@maribor.example", recipient: "x@bulk.example") != .acknowledge(MailAddress(validating: "x@bulk.example")!))
    }

    @Test("the backscatter guard trusts only our own server's Authentication-Results", arguments: [
        (AuthenticationRequirement.no, "", true),
        (.spfOrDmarc, "", false),
        (.spfOrDmarc, "Authentication-Results: mx.maribor.example; spf=pass smtp.mailfrom=x.si; dmarc=fail header.from=x.si", true),
        (.spfOrDmarc, "Authentication-Results: mx.maribor.example; spf=softfail (sender not allowed) smtp.mailfrom=x.si; dmarc=pass", true),
        (.spfOrDmarc, "Authentication-Results: mx.maribor.example; spf=softfail smtp.mailfrom=x.si; dmarc=none", false),
        (.spf, "Authentication-Results: mx.maribor.example; spf=fail smtp.mailfrom=x.si; dmarc=pass", false),
        (.dmarc, "Authentication-Results: MX.Maribor.Example 1; dkim=pass; dmarc=pass (p=reject) header.from=x.si", true),
        // A header the sender wrote, claiming a pass under another name, is ignored.
        (.spfOrDmarc, "Authentication-Results: mx.attacker.example; spf=pass; dmarc=pass", false),
        // Our server's header comes first (it is added on top); an older forged one below does not count.
        (.spf, "Authentication-Results: mx.maribor.example; spf=fail\nAuthentication-Results: mx.maribor.example; spf=pass", false),
    ])
    func backscatterGuard(requirement: AuthenticationRequirement, header: String, acknowledged: Bool) {
        let policy = AckPolicy(ownAddresses: [], requireAuthentication: requirement, authservID: "mx.maribor.example")
        let message = MessageParser.parse(Fixtures.mail("Return-Path: <a@x.si>\n\(header.isEmpty ? "" : header + "\n")From: a@x.si\n\nbody\n"))
        let decision = policy.decide(message)
        #expect((decision == .acknowledge(MailAddress(validating: "a@x.si")!)) == acknowledged, "\(decision)")
        if case .suppress(let reason) = decision { #expect(reason.contains("require_authentication")) }
    }

    static let fieldLines = Classification.fields.map { "Field-\($0): name of \($0)" }.joined(separator: "\n")

    @Test("renders a template: placeholders, field names, working days, intent sections; refuses what it cannot use")
    func templates() throws {
        let template = try AckTemplate(language: "sl", text: """
            Subject: Prejeli smo [{{reference}}]: {{subject}}
            \(Self.fieldLines)

            Spoštovani {{sender_name}},
            številka {{reference}}, področje {{field_name}}, v {{working_days}} dneh (do {{answer_by}}), tel. {{office_phone}}
            {{#meeting_request}}
            Predlagali bomo termin.
            {{/meeting_request}}
            Lep pozdrav
            """, source: "t")
        let values = ["reference": "MB-2026-000001", "subject": "Hi\r\nBcc: evil@x.si", "sender_name": "", "office_phone": "02/2201-219",
                      "field_name": template.fieldNames["sport"]!, "working_days": "5", "answer_by": "4.12.2026"]
        let (subject, body) = template.render(values, intent: "information_request")
        #expect(subject == "Prejeli smo [MB-2026-000001]: Hi  Bcc: evil@x.si")
        #expect(body == "Spoštovani,\nštevilka MB-2026-000001, področje name of sport, v 5 dneh (do 4.12.2026), tel. 02/2201-219\nLep pozdrav")
        let meeting = template.render(values, intent: "meeting_request").body
        #expect(meeting.contains("\nPredlagali bomo termin.\n"))
        #expect(!meeting.contains("{{"))
        for (text, problem) in [("Subject: {{nope}}\n\(Self.fieldLines)\n\nx", "unknown placeholder {{nope}}"),
                                ("no subject line", "must start with"),
                                ("Subject: x\nField-economy: e\n\nx", "has no `Field-culture"),
                                ("Subject: x\n\(Self.fieldLines)\nField-music: m\n\nx", "`Field-music` is not a field"),
                                ("Subject: x\n\(Self.fieldLines)\n\n{{#meeting_request}}x", "needs a matching {{/meeting_request}}"),
                                ("Subject: x\n\(Self.fieldLines)\n\n{{#meeting}}x{{/meeting}}", "names no intent")] {
            #expect {
                try AckTemplate(language: "en", text: text, source: "t")
            } throws: { error in
                "\(error)".contains(problem)
            }
        }
    }

    @Test("the shipped templates load, name every field and cover sl, en, de and hr")
    func shippedTemplates() throws {
        let folder = Fixtures.vocabularyDirectory.replacingOccurrences(of: "/vocabulary", with: "/templates")
        let templates = try AckTemplates(directory: folder)
        #expect(Set(templates.byLanguage.keys).isSuperset(of: ["sl", "en", "de", "hr"]))
        #expect(templates.template(for: "it")?.language == "en")
        #expect(templates.template(for: "hr")?.fieldNames["humanitarian"] == "humanitarna pomoć")
    }

    @Test("counts working days past weekends")
    func workingDays() {
        // Friday 27 November 2026, noon UTC: five working days later is Friday 4 December.
        let friday = Date(timeIntervalSince1970: 1_795_780_800)
        #expect(MailDate.dayMonthYear(HolidayCalendar().addingWorkingDays(5, to: friday)) == "04.12.2026")
        #expect(MailDate.dayMonthYear(HolidayCalendar().addingWorkingDays(1, to: friday)) == "30.11.2026")
    }

    @Test("a staff notification names the labels and the text, replies go to the citizen, and it is marked auto-generated")
    func notification() {
        let author = InquiryText(authorName: "Ana Novak", authorAddress: MailAddress(validating: "ana@gmail.com"),
                                 subject: "Prošnja za sestanek\r\nBcc: evil@x.si", body: "Prosim za sestanek.")
        let labels = Classification(language: "sl", field: "culture", secondaryFields: [], senderType: "natural", legalKind: nil,
                                    intent: "meeting_request", confidence: 0.42, evidence: ["field=culture (score 3): \"koncert*\""])
        let mail = StaffNotification(event: .newInquiry, reference: "MB-2026-000009", classification: labels, needsReview: true,
                                     author: author, received: Date(), acknowledgement: "queued")
            .mail(from: MailAddress(validating: "mednarodno@maribor.example")!, to: MailAddress(validating: "kultura@maribor.example")!,
                  inReplyTo: "orig@gmail.com", references: ["orig@gmail.com"], messageIDDomain: "maribor.example", now: Date())
        let parsed = MessageParser.parse(mail.rendered())
        #expect(parsed.replyTo?.address == "ana@gmail.com")
        #expect(parsed.headers.first("Auto-Submitted") == "auto-generated")
        #expect(parsed.headers.first("Bcc") == nil)
        #expect(parsed.subject == "[MB-2026-000009] New inquiry: Prošnja za sestanek  Bcc: evil@x.si")
        #expect(parsed.inReplyTo == ["orig@gmail.com"])
        #expect(parsed.text.contains("Intent:      meeting_request"))
        #expect(parsed.text.contains("Confidence:  0.42 (please check the labels"))
        #expect(parsed.text.contains("Prosim za sestanek."))
        #expect(parsed.text.contains("field=culture (score 3)"))
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

@Suite("Rendering without Foundation's replacements")
struct RenderingTests {
    @Test("replacingAll replaces exact bytes, every occurrence, and leaves a string without one as it is")
    func replacing() {
        #expect("a\r\nb\r\n".replacingAll("\r\n", with: "\n") == "a\nb\n")
        #expect("Dear ,\nhi ,\n".replacingAll(" ,\n", with: ",\n") == "Dear,\nhi,\n")
        #expect("čšž".replacingAll("š", with: "s") == "čsž")
        #expect("abc".replacingAll("x", with: "y") == "abc")
        #expect("aaa".replacingAll("aa", with: "b") == "ba")
        #expect("".replacingAll("a", with: "b") == "")
    }

    @Test("fill replaces known placeholders in one pass, leaves unknown ones, and never reads a value as a placeholder")
    func fill() {
        #expect(AckTemplate.fill("Dear {{name}}, ref {{reference}}.", ["name": "Ana", "reference": "MB-1"]) == "Dear Ana, ref MB-1.")
        #expect(AckTemplate.fill("{{name}} {{unknown}}", ["name": "{{reference}}", "reference": "X"]) == "{{reference}} {{unknown}}")
        #expect(AckTemplate.fill("{{ {{name}} }} {{", ["name": "č"]) == "{{ č }} {{")
    }

    @Test("quoted-printable: CRLF or LF lines, soft breaks at 76, trailing blanks and = encoded, UTF-8 bytes encoded")
    func quotedPrintable() {
        let encoded = String(decoding: QuotedPrintable.encode("Spoštovani \r\nline two\t\n= end"), as: UTF8.self)
        #expect(encoded == "Spo=C5=A1tovani=20\r\nline two=09\r\n=3D end\r\n")
        let long = String(decoding: QuotedPrintable.encode(String(repeating: "ž", count: 40)), as: UTF8.self)
        #expect(long.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 76 })
        #expect(String(decoding: QuotedPrintable.encode("a\rb"), as: UTF8.self) == "a=0Db\r\n")
        #expect(String(decoding: QuotedPrintable.encode(""), as: UTF8.self) == "\r\n")
    }
}

@Suite("Wrapping")
struct WrapTests {
    @Test("wraps at the width in scalars, keeps short lines, long words and CRLF/LF line breaks as lines")
    func wrap() {
        #expect(TextWrap.wrap("short line\r\nnext", width: 20) == "short line\nnext")
        #expect(TextWrap.wrap("aaa bbb ccc ddd", width: 7) == "aaa bbb\nccc ddd")
        #expect(TextWrap.wrap("čččč šššš žžžž", width: 9) == "čččč šššš\nžžžž")
        let url = "https://example.org/" + String(repeating: "x", count: 100)
        #expect(TextWrap.wrap("see \(url) now", width: 20) == "see\n\(url)\nnow")
        #expect(TextWrap.wrap("", width: 10) == "")
        #expect(TextWrap.wrap("a\n\nb\n", width: 10) == "a\n\nb\n")
        let long = (0..<2000).map { "w\($0)" }.joined(separator: " ")
        #expect(TextWrap.wrap(long, width: 76).split(separator: "\n").allSatisfy { $0.count <= 76 })
    }
}

import Foundation
import Testing

/// Acknowledgements and staff notifications against the real Dovecot and SMTP server: whom not
/// to answer, rate limits, the backscatter guard, the text in each language, web-form senders,
/// routing, delivery failures and header injection. Every mail the SMTP server accepted is read
/// back with Python's `email` package (scripts/lib/spool_tool.py).
@Suite("Acknowledgements and notifications against Dovecot and a real SMTP server", .enabled(if: MailStack.shouldRun))
struct AcknowledgementDeliveryTests {
    /// A message as a delivering server leaves it: Return-Path first.
    static func mail(from: String, subject: String, body: String, headers: String = "", returnPath: String? = nil,
                     id: String = UUID().uuidString) -> String {
        let address = from.contains("<") ? String(from.split(separator: "<").last!.dropLast()) : from
        return """
            Return-Path: <\(returnPath ?? address)>
            From: \(from)
            To: mednarodno@maribor.example
            Subject: \(subject)
            Message-ID: <\(id)@test.example>
            Date: Mon, 23 Nov 2026 10:00:00 +0100
            \(headers.isEmpty ? "" : headers + "\n")MIME-Version: 1.0
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: 8bit

            \(body)
            """
    }

    /// Acknowledgements (auto-replied) and notifications (auto-generated) this instance sent.
    static func split(_ mails: [[String: Any]]) -> (acks: [[String: Any]], notifications: [[String: Any]]) {
        (mails.filter { $0["auto_submitted"] as? String == "auto-replied" }, mails.filter { $0["auto_submitted"] as? String == "auto-generated" })
    }

    static func recipients(_ mails: [[String: Any]]) -> [String] {
        mails.compactMap { ($0["rcpt_tos"] as? [String])?.first }.sorted()
    }

    @Test("answers none of the mail it must not answer, files it all, and records why", arguments: [
        ("Auto-Submitted: auto-replied", "", "Auto-Submitted"),
        ("Precedence: bulk", "", "Precedence"),
        ("List-Id: <news.lists.example>", "", "List-Id"),
        ("List-Unsubscribe: <mailto:leave@lists.example>", "", "List-Unsubscribe"),
        ("X-Auto-Response-Suppress: All", "", "X-Auto-Response-Suppress"),
        ("X-Spam-Flag: YES", "", "spam"),
        ("X-Spam-Status: Yes, score=12.0", "", "spam"),
        ("X-Spam: Yes", "", "spam"),
        ("X-Rspamd-Action: add header", "", "spam"),
        ("X-Mailintake-Loop: MB-2026-000001", "", "loop marker"),
        ("", "<>", "empty Return-Path"),
        ("", "MAILER-DAEMON", "don't-answer list"),
        ("", "postmaster", "don't-answer list"),
        ("", "no-reply", "don't-answer list"),
        ("", "OWN", "our own address"),
    ])
    func dontAnswer(header: String, sender: String, reason: String) throws {
        let instance = try Instance()
        let from: String
        var returnPath: String?
        switch sender {
        case "<>": from = "ana@example.org"; returnPath = ""
        case "OWN": from = instance.officeAddress
        case "": from = "ana@example.org"
        default: from = "\(sender)@example.org"
        }
        try instance.appendText(Self.mail(from: from, subject: "Vprašanje", body: "Zanima me seznam pobratenih mest.",
                                          headers: header, returnPath: returnPath))
        let result = try instance.mailintake("run", "--once")
        #expect(result.status == 0, "run --once failed: \(result.stderr)")
        let record = try #require(try instance.exported().first)
        #expect(record["ack_status"] as? String == "suppressed")
        #expect((record["ack_reason"] as? String)?.contains(reason) == true, "reason: \(record["ack_reason"] ?? "none")")
        #expect(Self.split(try instance.acknowledgements()).acks.isEmpty)
    }

    @Test("a message with no Return-Path at all is not answered either")
    func noReturnPath() throws {
        let instance = try Instance()
        try instance.appendText(Self.mail(from: "ana@example.org", subject: "x", body: "Pozdravljeni.")
            .replacingOccurrences(of: "Return-Path: <ana@example.org>\n", with: ""))
        #expect(try instance.mailintake("run", "--once").status == 0)
        #expect((try instance.exported().first?["ack_reason"] as? String)?.contains("no Return-Path") == true)
        #expect(try instance.acknowledgements().isEmpty)
    }

    @Test("holds acknowledgements over the per-sender limit (said once, released by staff); the hourly cap only delays, and status says so")
    func rateLimits() throws {
        let instance = try Instance(.init(ackExtra: "max_per_sender_per_day = 2\nmax_per_hour = 3\nrate_window = 15s"))
        for number in 1...4 {
            try instance.appendText(Self.mail(from: "Ana <ana@example.org>", subject: "Vprašanje \(number)", body: "Pozdravljeni, vprašanje \(number)."))
        }
        try instance.appendText(Self.mail(from: "Bor <bor@example.org>", subject: "Question", body: "Hello, a question."))
        try instance.appendText(Self.mail(from: "Cene <cene@example.org>", subject: "Frage", body: "Guten Tag, eine Frage."))
        let run = try instance.mailintake("run", "--once")
        #expect(run.status == 0, "run --once failed: \(run.stderr)")

        let records = try instance.exported()
        #expect(records.count == 6)
        let held = records.filter { $0["ack_status"] as? String == "held" }
        #expect(held.count == 2)
        #expect(held.allSatisfy { ($0["ack_reason"] as? String)?.contains("max_per_sender_per_day = 2") == true && $0["from_address"] as? String == "ana@example.org" })
        // Three went (the cap), Cene's waits pending: delayed, not held.
        #expect(Self.recipients(Self.split(try instance.acknowledgements()).acks) == ["ana@example.org", "ana@example.org", "bor@example.org"])
        #expect(records.first { $0["from_address"] as? String == "cene@example.org" }?["ack_status"] as? String == "pending")
        // Said once per limit, not once per held message; the pacing once.
        let warnings = run.stderr.split(separator: "\n").filter { $0.contains("acknowledgements are being held") }
        #expect(warnings.count == 1, "\(run.stderr)")
        #expect(run.stderr.components(separatedBy: "the hourly cap is reached").count == 2, "\(run.stderr)")
        let status = try instance.mailintake("status")
        #expect(status.status == 1, "held acknowledgements are a problem")
        #expect(status.stdout.contains("acks waiting:     1"), "\(status.stdout)")
        #expect(status.stdout.contains("2 acknowledgement(s) held"), "\(status.stdout)")

        let outbox = try instance.mailintake("outbox")
        #expect(outbox.stdout.components(separatedBy: " held ").count == 3, "\(outbox.stdout)")
        // Once the window has moved on, the waiting one goes by itself.
        Thread.sleep(forTimeInterval: 16)
        #expect(try instance.mailintake("run", "--once").status == 0)
        #expect(Self.recipients(Self.split(try instance.acknowledgements()).acks).contains("cene@example.org"))
        let reference = try #require(held.first?["reference"] as? String)
        let retry = try instance.mailintake("outbox", "retry", reference)
        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(try instance.mailintake("run", "--once").status == 0)
        #expect(Self.recipients(Self.split(try instance.acknowledgements()).acks).filter { $0 == "ana@example.org" }.count == 3)
        #expect(try instance.mailintake("outbox", "retry", reference).status == 1)  // nothing left to release
    }

    @Test("a backlog of 120 inquiries with max_per_hour = 60: all acknowledged, oldest first, without anyone acting, none held")
    func backlogPaced() throws {
        let instance = try Instance(.init(pollInterval: "1s", ackExtra: "max_per_sender_per_day = 1000\nmax_per_hour = 60\nrate_window = 20s"))
        var files: [String] = []
        for number in 1...120 {
            let path = instance.folder + "/backlog-\(number).eml"
            try Self.mail(from: "Oseba \(number) <oseba\(number)@example.org>", subject: "Vprašanje \(number)", body: "Pozdravljeni, zanimajo me pobratena mesta (\(number)).")
                .write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        try instance.append(files)
        let daemon = try instance.start(["run"])
        defer { daemon.terminate(); waitForExit(daemon, timeout: 30) }
        #expect(waitUntil(60) { instance.inquiryCount() == 120 })
        #expect(waitUntil(15) { ((try? instance.acknowledgements().count) ?? 0) >= 60 })
        // The first window's 60, and no more until it moves on.
        let status = try instance.mailintake("status")
        #expect(status.stdout.contains("acks waiting:"), "\(status.stdout)")
        #expect(waitUntil(90) { ((try? instance.acknowledgements().count) ?? 0) == 120 }, "\(instance.log())")
        // In the order the server received them: the spool is numbered.
        let sent = Self.split(try instance.acknowledgements()).acks.compactMap { ($0["rcpt_tos"] as? [String])?.first }
        #expect(sent == (1...120).map { "oseba\($0)@example.org" }, "oldest first, each once")
        #expect(try instance.count("SELECT count(*) FROM outbox WHERE status = 'held'") == 0)
        #expect(instance.log().components(separatedBy: "the hourly cap is reached").count >= 2)
    }

    @Test("with the backscatter guard on, only mail our server authenticated is answered; off, all of it")
    func backscatterGuard() throws {
        let messages = [
            ("pass@example.org", "Authentication-Results: mx.test.example; spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org"),
            ("dmarc@example.org", "Authentication-Results: mx.test.example; spf=softfail smtp.mailfrom=example.org; dmarc=pass header.from=example.org"),
            ("fail@example.org", "Authentication-Results: mx.test.example; spf=fail smtp.mailfrom=example.org; dmarc=fail header.from=example.org"),
            ("forged@example.org", "Authentication-Results: mx.elsewhere.example; spf=pass; dmarc=pass"),
            ("none@example.org", ""),
        ]
        let guarded = try Instance(.init(ackExtra: "require_authentication = spf_or_dmarc\nauthserv_id = mx.test.example"))
        let open = try Instance()
        for instance in [guarded, open] {
            for (from, header) in messages {
                try instance.appendText(Self.mail(from: from, subject: "Vprašanje", body: "Pozdravljeni, zanima me program.", headers: header))
            }
            #expect(try instance.mailintake("run", "--once").status == 0)
        }
        #expect(Self.recipients(Self.split(try guarded.acknowledgements()).acks) == ["dmarc@example.org", "pass@example.org"])
        let refused = try guarded.exported().filter { $0["ack_status"] as? String == "suppressed" }
        #expect(refused.count == 3)
        #expect(refused.allSatisfy { ($0["ack_reason"] as? String)?.contains("require_authentication = spf_or_dmarc") == true })
        #expect(Self.split(try open.acknowledgements()).acks.count == 5)
    }

    @Test("answers in the inquiry's language, English for the rest, with the reference, the field's name and the next step", arguments: [
        ("sl", "Prošnja za sestanek glede koncerta", "Pozdravljeni, prosimo za sestanek, da vam predstavimo koncert našega pevskega zbora.",
         "Prejeli smo vaše sporočilo [", "na področju »kultura«", "predlagali termin"),
        ("en", "Football tournament", "Dear Sir or Madam, could you send us information about youth football tournaments in your city?",
         "We have received your message [", "in the field of sport", nil),
        ("de", "Anfrage Schulpartnerschaft", "Sehr geehrte Damen und Herren, unsere Schule sucht eine Partnerschule für einen Schüleraustausch. Könnten Sie uns Informationen senden?",
         "Wir haben Ihre Nachricht erhalten [", "im Bereich „Bildung“", nil),
        ("hr", "Pomoć nakon poplave", "Poštovani, nakon poplave molimo Vas za humanitarnu pomoć našem gradu. Srdačan pozdrav",
         "Primili smo Vašu poruku [", "„humanitarna pomoć”", nil),
        ("it", "Visita turistica", "Buongiorno, vorrei sapere quali visite guidate ci sono a ottobre. Cordiali saluti",
         "We have received your message [", "in the field of tourism", nil),
    ])
    func languages(language: String, subject: String, body: String, prefix: String, fieldText: String, meetingText: String?) throws {
        let instance = try Instance(.init(extraSections: "[working_days]\ndefault = 5\nhumanitarian = 2"))
        try instance.appendText(Self.mail(from: "Ana Kovač <ana.kovac@example.org>", subject: subject, body: body, id: "lang-\(language)"))
        #expect(try instance.mailintake("run", "--once").status == 0)
        let record = try #require(try instance.exported().first)
        #expect(record["language"] as? String == language)
        let reference = try #require(record["reference"] as? String)
        let ack = try #require(Self.split(try instance.acknowledgements()).acks.first)
        #expect((ack["subject"] as? String) == prefix + reference + "]: " + subject)
        #expect(ack["rcpt_tos"] as? [String] == ["ana.kovac@example.org"])
        #expect((ack["to"] as? String)?.contains("ana.kovac@example.org") == true)
        #expect((ack["from"] as? String)?.contains(instance.officeAddress) == true)
        #expect(ack["in_reply_to"] as? String == "<lang-\(language)@test.example>")
        #expect(ack["charset"] as? String == "utf-8")
        #expect((ack["defects"] as? [Any])?.isEmpty == true)
        let body = try #require(ack["body"] as? String)
        for line in body.split(separator: "\n") { #expect(line.count <= 76, "line too long: \(line)") }
        let text = body.replacingOccurrences(of: "\n", with: " ")  // lines are wrapped for mail
        #expect(text.contains(reference))
        #expect(text.contains(fieldText), "\(text)")
        #expect(text.contains("02/2201-219"))
        #expect(text.contains(language == "hr" ? "u roku od 2 radnih dana" : "5"))
        if let meetingText { #expect(text.contains(meetingText)) } else { #expect(!text.contains("{{")) }
    }

    @Test("a web-form message is answered at the address the person gave, or at the Reply-To, never at the form's")
    func webFormRecipients() throws {
        let instance = try Instance()
        func form(_ email: String, replyTo: String? = nil, id: String) -> String {
            Self.mail(from: "Spletni obrazec <\(instance.webFormAddress)>", subject: "Spletni obrazec", body: """
                Nov vnos iz spletnega obrazca
                ------------------------------
                Ime in priimek: Borut Lah
                E-pošta: \(email)
                Ste fizična ali pravna oseba?: Fizična oseba
                Vrsta zahteve: Splošno vprašanje
                ------------------------------
                Sporočilo:
                Pozdravljeni, zanima me, ali obstajajo štipendije za študij v Gradcu.
                ------------------------------
                """, headers: replyTo.map { "Reply-To: \($0)" } ?? "", id: id)
        }
        try instance.appendText(form("borut.lah@example.org", id: "form-1"))
        try instance.appendText(form("", replyTo: "Maja <maja@example.org>", id: "form-2"))
        try instance.appendText(form("newsletter@example.org", id: "form-3"))
        #expect(try instance.mailintake("run", "--once").status == 0)
        let acks = Self.split(try instance.acknowledgements()).acks
        #expect(Self.recipients(acks) == ["borut.lah@example.org", "maja@example.org"])
        let records = try instance.exported()
        #expect(records.contains { $0["from_address"] as? String == "borut.lah@example.org" && $0["from_name"] as? String == "Borut Lah" })
        #expect(records.contains { ($0["ack_reason"] as? String)?.contains("don't-answer list") == true })
    }

    @Test("routes each inquiry to the responsible person by field and sender type, and tells them of follow-ups")
    func routing() throws {
        let routes = "[routing]\ndefault = desk@maribor.example\nculture = kultura@maribor.example\neconomy.legal = gospodarstvo@maribor.example"
        let instance = try Instance(.init(extraSections: routes))
        try instance.appendText(Self.mail(from: "Ana <ana@example.org>", subject: "Koncert v Gradcu",
                                          body: "Pozdravljeni, naš pevski zbor bi rad imel koncert v Gradcu. Nam lahko posredujete kontakt?", id: "route-1"))
        try instance.appendText(Self.mail(from: "Marko Kos <marko@kovinar.example>", subject: "Poslovna delegacija",
                                          body: "Spoštovani,\n\nnaše podjetje išče investitorje in kupce na avstrijskem trgu.\n\nLep pozdrav,\nMarko Kos\ndirektor\nKovinar d.o.o.", id: "route-2"))
        try instance.appendText(Self.mail(from: "Eva <eva@example.org>", subject: "Parkiranje", body: "Pritožujem se zaradi parkiranja na Lentu.", id: "route-3"))
        #expect(try instance.mailintake("run", "--once").status == 0)
        let notifications = Self.split(try instance.acknowledgements()).notifications
        #expect(Self.recipients(notifications) == ["desk@maribor.example", "gospodarstvo@maribor.example", "kultura@maribor.example"])
        let culture = try #require(notifications.first { ($0["rcpt_tos"] as? [String]) == ["kultura@maribor.example"] })
        let reference = try #require(try instance.exported().first { $0["from_address"] as? String == "ana@example.org" }?["reference"] as? String)
        #expect((culture["subject"] as? String) == "[\(reference)] New inquiry: Koncert v Gradcu")
        #expect((culture["reply_to"] as? String)?.contains("ana@example.org") == true)
        #expect(culture["in_reply_to"] as? String == "<route-1@test.example>")
        let text = try #require(culture["body"] as? String)
        #expect(text.contains("Field:       culture"))
        #expect(text.contains("Confidence:"))
        #expect(text.contains("naš pevski zbor bi rad imel koncert"))
        #expect(try instance.mailintake("show", reference).stdout.contains("Routed to:   kultura@maribor.example"))

        // A follow-up by reference goes to the same person, with no new acknowledgement.
        try instance.appendText(Self.mail(from: "Ana <ana@example.org>", subject: "Re: Prejeli smo vaše sporočilo [\(reference)]: Koncert v Gradcu",
                                          body: "Še ena informacija: koncert bi bil julija.", id: "route-4"))
        #expect(try instance.mailintake("run", "--once").status == 0)
        let after = Self.split(try instance.acknowledgements())
        #expect(after.acks.count == 3)
        let followUp = try #require(after.notifications.first { ($0["subject"] as? String)?.contains("Follow-up") == true })
        #expect(followUp["rcpt_tos"] as? [String] == ["kultura@maribor.example"])
        #expect((followUp["body"] as? String)?.contains("koncert bi bil julija") == true)
    }

    @Test("retries a temporary SMTP failure with backoff and sends once the server accepts again")
    func temporaryFailure() throws {
        let instance = try Instance(.init(ackExtra: "retry_delay = 2s"))
        try instance.failSMTP(with: "451 4.3.0 Try again later")
        try instance.appendText(Self.mail(from: "ana@example.org", subject: "Vprašanje", body: "Pozdravljeni, vprašanje."))
        let first = try instance.mailintake("run", "--once")
        #expect(first.status == 1)
        #expect(first.stderr.contains("451"))
        #expect(try instance.count("SELECT count(*) FROM outbox WHERE status = 'pending' AND attempts = 1") == 1)
        #expect(try instance.mailintake("outbox").stdout.contains("451 4.3.0 Try again later"))
        // Not due yet: a second run straight away does not try again.
        _ = try instance.mailintake("run", "--once")
        #expect(try instance.count("SELECT attempts FROM outbox") == 1)
        try instance.failSMTP(with: nil)
        Thread.sleep(forTimeInterval: 2.5)
        #expect(try instance.mailintake("run", "--once").status == 0)
        #expect(try instance.count("SELECT count(*) FROM outbox WHERE status = 'sent' AND attempts = 2") == 1)
        #expect(try instance.acknowledgements().count == 1)
    }

    @Test("records a permanent SMTP failure with the server's reply, does not retry it, and sends it when staff re-queue it")
    func permanentFailure() throws {
        let instance = try Instance(.init(ackExtra: "retry_delay = 1s"))
        try instance.failSMTP(with: "554 5.7.1 Rejected by policy")
        try instance.appendText(Self.mail(from: "ana@example.org", subject: "Vprašanje", body: "Pozdravljeni, vprašanje."))
        #expect(try instance.mailintake("run", "--once").status == 1)
        let reference = try #require(try instance.exported().first?["reference"] as? String)
        #expect(try instance.exported().first?["ack_status"] as? String == "failed")
        #expect(try instance.mailintake("show", reference).stdout.contains("554 5.7.1 Rejected by policy"))
        Thread.sleep(forTimeInterval: 1.5)
        _ = try instance.mailintake("run", "--once")
        #expect(try instance.count("SELECT attempts FROM outbox") == 1)  // never retried on its own
        try instance.failSMTP(with: nil)
        #expect(try instance.mailintake("outbox", "retry", reference).status == 0)
        #expect(try instance.mailintake("run", "--once").status == 0)
        #expect(try instance.exported().first?["ack_status"] as? String == "sent")
        #expect(try instance.acknowledgements().count == 1)
    }

    @Test("CR/LF in a subject or a display name, raw or RFC 2047-encoded, adds no header to what we send")
    func headerInjection() throws {
        let instance = try Instance(.init(extraSections: "[routing]\ndefault = desk@maribor.example"))
        try instance.appendText(Self.mail(from: "=?utf-8?q?Ana=0D=0AX-Injected:_1?= <ana@example.org>",
                                          subject: "=?utf-8?q?Hello=0D=0ABcc:_victim@example.org?=",
                                          body: "Pozdravljeni, zanima me program.", headers: "Reply-To: =?utf-8?q?x=0D=0ACc:_victim2@example.org?= <ana@example.org>"))
        #expect(try instance.mailintake("run", "--once").status == 0)
        let sent = try instance.acknowledgements()
        #expect(sent.count == 2)
        for mail in sent {
            let names = try #require(mail["header_names"] as? [String])
            #expect(!names.contains("bcc") && !names.contains("cc") && !names.contains("x-injected"), "\(names)")
            #expect(mail["rcpt_tos"] as? [String] != ["victim@example.org"])
            #expect((mail["subject"] as? String)?.contains("Hello") == true)
            #expect((mail["defects"] as? [Any])?.isEmpty == true)
        }
        #expect(Self.recipients(sent) == ["ana@example.org", "desk@maribor.example"])
    }
}

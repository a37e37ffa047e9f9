import Foundation
import MailIntakeCore
import Testing

/// An inquiry's life and the 15-day duty against the real servers: answers seen in Dovecot's sent
/// folder (EXAMINE) and in the office's replies copied to the mailbox, overdue inquiries in
/// `list --overdue`, `status` and one digest a day to the desk through the real SMTP server.
@Suite("An inquiry's life and its deadline, against Dovecot and the SMTP server", .enabled(if: MailStack.shouldRun))
struct LifecycleTests {
    func references(_ result: CommandResult) -> [String] {
        result.stdout.split(separator: "\n").compactMap { $0.hasPrefix("MB-") ? String($0.prefix { $0 != " " }) : nil }
    }

    static func sent(from: String, to: String, cc: String = "", subject: String, inReplyTo: String, headers: String = "") -> String {
        """
        From: \(from)
        To: \(to)
        \(cc.isEmpty ? "" : "Cc: \(cc)\n")Subject: \(subject)
        Message-ID: <\(UUID().uuidString)@maribor.example>
        In-Reply-To: <\(inReplyTo)@test.example>
        References: <\(inReplyTo)@test.example>
        Date: \(MailDate.format(Date()))
        \(headers.isEmpty ? "" : headers + "\n")MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Spoštovani, odgovarjamo na vaše sporočilo.
        """
    }

    @Test("unanswered for 20 days is overdue in list --overdue, the digest (once) and status; answers in the sent folder or copied to the mailbox are not; a forward or our own mail answers nothing; a follow-up reopens")
    func deadlines() throws {
        var options = Instance.Options()
        options.imapExtra = "sent_folder = Sent"
        options.extraSections = "[routing]\ndefault = desk@maribor.example\n\n[deadlines]\ndigest_at = 00:00\n\n[metrics]\nfile = metrics.prom\n\n[report]\nfile = report.html"
        let instance = try Instance(options)
        // 20 days, not 16: a deadline that ends on a weekend or a holiday moves to the next working
        // day (the unit tests pin 16 days on fixed dates), and this test must hold on any day.
        let people = ["ana", "bojan", "cilka", "eva"]
        for name in people {
            try instance.appendText(AcknowledgementDeliveryTests.mail(from: "\(name.capitalized) <\(name)@example.si>", subject: "Prošnja za razgovor \(name)",
                                                                      body: "Spoštovani, prosim za sestanek glede pobratenih mest.", id: "\(name)1"), ageDays: 20)
        }
        try instance.appendText(AcknowledgementDeliveryTests.mail(from: "Dora <dora@example.si>", subject: "Prošnja za razgovor dora",
                                                                  body: "Spoštovani, prosim za sestanek.", id: "dora1"))
        // The sent folder holds the office's other mail too: it answers nothing.
        try instance.appendText(AcknowledgementDeliveryTests.mail(from: instance.officeAddress, subject: "Vabilo na sprejem", body: "Vabimo vas."), mailbox: "Sent")
        let first = try instance.mailintake("run", "--once")
        #expect(first.status == 0, "\(first.stderr)")
        func record(_ name: String) throws -> [String: Any] {
            try #require(try instance.exported().first { ($0["from_address"] as? String) == "\(name)@example.si" })
        }
        let ref = try Dictionary(uniqueKeysWithValues: (people + ["dora"]).map { ($0, try record($0)["reference"] as? String ?? "") })
        #expect(Set(references(try instance.mailintake("list", "--overdue"))) == Set(people.map { ref[$0]! }))
        // The day's digest went at the first cycle after digest_at: four overdue, Dora's not due yet.
        func digests() throws -> [[String: Any]] {
            try instance.acknowledgements().filter { ($0["subject"] as? String)?.hasPrefix("Deadlines ") == true }
        }
        #expect(try waitUntil(10) { try digests().count == 1 })
        let digest = try #require(try digests().first)
        #expect(digest["rcpt_tos"] as? [String] == ["desk@maribor.example"])
        #expect(digest["auto_submitted"] as? String == "auto-generated")
        #expect((digest["subject"] as? String)?.contains("4 overdue, 0 due soon") == true, "\(digest["subject"] ?? "")")
        let body = digest["body"] as? String ?? ""
        #expect(people.allSatisfy { body.contains(ref[$0]!) } && !body.contains(ref["dora"]!), "\(body)")

        // The office answers Ana from its mailbox (the sent folder); forwards Bojan's letter to a
        // colleague; a server keeps an automatic reply to Eva there; a desk answers Cilka and copies the office.
        try instance.appendText(Self.sent(from: instance.officeAddress, to: "ana@example.si", subject: "Re: Prošnja za razgovor ana", inReplyTo: "ana1"), mailbox: "Sent")
        try instance.appendText(Self.sent(from: instance.officeAddress, to: "kolega@maribor.example", subject: "Fwd: Prošnja za razgovor bojan", inReplyTo: "bojan1"), mailbox: "Sent")
        try instance.appendText(Self.sent(from: instance.officeAddress, to: "eva@example.si", subject: "Re: Prošnja za razgovor eva", inReplyTo: "eva1",
                                          headers: "Auto-Submitted: auto-replied"), mailbox: "Sent")
        try instance.appendText(Self.sent(from: "Desk <desk@maribor.example>", to: "cilka@example.si", cc: instance.officeAddress,
                                          subject: "Re: Prošnja za razgovor cilka", inReplyTo: "cilka1"))
        let sentBefore = try instance.flags(mailbox: "Sent")
        #expect(try instance.mailintake("run", "--once").status == 0)
        #expect(try instance.flags(mailbox: "Sent") == sentBefore, "the sent folder is only read: no flag changes")

        #expect(try record("ana")["status"] as? String == "answered")
        #expect(try record("ana")["answered_via"] as? String == "in the sent folder")
        #expect(try record("ana")["answered_by"] as? String == instance.officeAddress)
        #expect(try record("cilka")["status"] as? String == "answered")
        #expect(try record("cilka")["answered_via"] as? String == "copied to the office mailbox")
        #expect(try record("cilka")["answered_by"] as? String == "desk@maribor.example")
        #expect(try instance.count("SELECT count(*) FROM messages WHERE disposition = 'answer'") == 1)
        for name in ["bojan", "eva", "dora"] { #expect(try record(name)["status"] as? String == "open", "\(name)") }
        let overdue = references(try instance.mailintake("list", "--overdue"))
        #expect(Set(overdue) == [ref["bojan"]!, ref["eva"]!])
        #expect(Set(references(try instance.mailintake("search", "razgovor", "--overdue"))) == [ref["bojan"]!, ref["eva"]!])
        #expect(Set(references(try instance.mailintake("list", "--status", "answered"))) == [ref["ana"]!, ref["cilka"]!])

        let status = try instance.mailintake("status")
        #expect(status.stdout.contains("answers due:      2 overdue"), "\(status.stdout)")
        #expect(status.stdout.contains("inquiries:        3 open, 2 answered, 0 closed"), "\(status.stdout)")
        // [report] file: the page kept up to date after each cycle.
        #expect(try String(contentsOfFile: instance.folder + "/report.html", encoding: .utf8).contains("data-list=\"overdue\""))
        let metrics = try String(contentsOfFile: instance.folder + "/metrics.prom", encoding: .utf8)
        #expect(metrics.contains("mailintake_inquiries_overdue 2"))
        #expect(metrics.contains("mailintake_inquiries{status=\"answered\"} 2"))

        // The desk's reply to Cilka was an answer, not a follow-up: nobody was told of it.
        #expect(try instance.acknowledgements().filter { ($0["subject"] as? String)?.contains("Follow-up") == true }.isEmpty)
        #expect(try instance.mailintake("run", "--once").status == 0)
        #expect(try digests().count == 1, "one digest a day, however many cycles")

        // Ana writes again: her answered inquiry is open again, due 15 days from now.
        try instance.appendText(AcknowledgementDeliveryTests.mail(from: "Ana <ana@example.si>", subject: "Re: Prošnja za razgovor ana",
                                                                  body: "Hvala. Še eno vprašanje.", headers: "In-Reply-To: <ana1@test.example>"))
        #expect(try instance.mailintake("run", "--once").status == 0)
        #expect(try record("ana")["status"] as? String == "open")
        let anaDue = try #require(try record("ana")["due_on"] as? String)
        #expect(anaDue >= HolidayCalendar.Day(local: Date().addingTimeInterval(15 * 86_400)).description)

        // Staff: close, reopen, record an answer, promise one in an interim reply; each kept with who did it.
        let closed = try instance.mailintake("close", ref["bojan"]!, "--note", "answered by telephone")
        #expect(closed.status == 0 && closed.stdout.contains("open → closed"), "\(closed.stdout)\(closed.stderr)")
        #expect(try instance.mailintake("close", ref["bojan"]!).status == 1)
        #expect(try instance.mailintake("answered", ref["bojan"]!).stderr.contains("is closed; `reopen` it first"))
        #expect(try instance.mailintake("reopen", ref["bojan"]!).stdout.contains("closed → open, answer due"))
        #expect(try instance.mailintake("answered", ref["eva"]!, "--at", HolidayCalendar.Day(local: Date()).description).status == 0)
        let promised = HolidayCalendar.Day(local: Date()).adding(days: 30).description
        #expect(try instance.mailintake("interim", ref["dora"]!, "--until", promised).status == 0)
        #expect(try record("dora")["due_on"] as? String == promised)
        #expect(try instance.mailintake("interim", ref["dora"]!, "--until", "2001-01-01").status == 2)
        #expect(try instance.mailintake("answered", "MB-2026-999999").status == 1)
        #expect(references(try instance.mailintake("list", "--overdue")).isEmpty)
        let show = try instance.mailintake("show", ref["bojan"]!)
        #expect(show.stdout.contains("Status:      open"))
        #expect(show.stdout.contains("closed → closed by root") || show.stdout.contains("closed → closed by"), "\(show.stdout)")
        #expect(show.stdout.contains("(answered by telephone)"))
        #expect(show.stdout.contains("reopened → open"))
        let csv = try instance.mailintake("export", "--format", "csv")
        #expect(csv.stdout.split(separator: "\r\n").first?.contains("status,due_on,interim_until,answered_at,answered_by,answered_via,closed_at,routed_to") == true)
    }

    @Test("a cycle logs in to Dovecot once: the inbox and the sent folder are read over one connection")
    func oneLoginPerCycle() throws {
        var options = Instance.Options()
        options.imapExtra = "sent_folder = Sent"
        let instance = try Instance(options)
        try instance.appendText(AcknowledgementDeliveryTests.mail(from: "Ana <ana@example.si>", subject: "Prošnja za razgovor", body: "Prosim za sestanek.", id: "ana1"))
        try instance.appendText(Self.sent(from: instance.officeAddress, to: "ana@example.si", subject: "Re: Prošnja za razgovor", inReplyTo: "ana1"), mailbox: "Sent")
        // Dovecot logs each login: "imap-login: Info: Login: user=<name>, method=PLAIN, ...".
        func logins() throws -> Int {
            let log = try String(contentsOfFile: instance.stack.directory + "/dovecot.log", encoding: .utf8)
            return log.components(separatedBy: "\n").filter { $0.contains("imap-login: Info: Login: user=<\(instance.user)>") }.count
        }
        let before = try logins()
        let run = try instance.mailintake("run", "--once")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(instance.inquiryCount() == 1)
        #expect(try instance.exported().first?["status"] as? String == "answered", "the reply in the sent folder was read")
        // Dovecot's log process writes the line shortly after the login.
        _ = try waitUntil(2) { try logins() > before }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try logins() - before == 1)
    }

    @Test("a sent folder the server does not have is a configuration error that names the key; the inbox is still filed")
    func missingSentFolder() throws {
        var options = Instance.Options()
        options.imapExtra = "sent_folder = Sent Itemz"
        let instance = try Instance(options)
        try instance.appendText(AcknowledgementDeliveryTests.mail(from: "Ana <ana@example.si>", subject: "Prošnja", body: "Prosim za sestanek."))
        let run = try instance.mailintake("run", "--once")
        #expect(run.status == 1)
        #expect(run.stderr.contains("no folder `Sent Itemz`") && run.stderr.contains("set [imap] sent_folder"), "\(run.stderr)")
        #expect(instance.inquiryCount() == 1, "the inbox was filed before the sent folder was asked for")
        #expect(try instance.mailintake("status").stdout.contains("sent folder"))
    }
}

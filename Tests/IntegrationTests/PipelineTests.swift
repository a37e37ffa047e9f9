import Foundation
import Testing

/// The whole path against real servers: Dovecot → mailintake → SQLite → aiosmtpd.
@Suite("Pipeline against Dovecot and a real SMTP server", .enabled(if: MailStack.shouldRun))
struct PipelineTests {
    @Test("files each message once, acknowledges it once in the sender's language, and a second run adds nothing")
    func endToEnd() throws {
        let instance = try Instance()
        try instance.appendFixtures("01-sl-sport-club.eml", "02-en-school-exchange.eml", "03-sl-latin2-citizen.eml",
                                    "04-sl-cp1250-company.eml", "05-auto-reply.eml")
        let first = try instance.mailintake("run", "--once")
        #expect(first.status == 0, "run --once failed: \(first.stderr)")

        let records = try instance.exported()
        // The bounce of mail we never sent is no inquiry: it is kept as a system message.
        #expect(records.count == 4)
        #expect(try instance.count("SELECT count(*) FROM messages WHERE disposition = 'system'") == 1)
        #expect(try instance.mailintake("list", "--system").stdout.contains("Undelivered Mail Returned to Sender"))
        let byFrom = Dictionary(uniqueKeysWithValues: records.map { (($0["from_address"] as? String) ?? "", $0) })
        let club = try #require(byFrom["tajnik@nk-tabor.si"])
        #expect(club["subject"] as? String == "Prijateljska tekma mladinskih ekip – prošnja za sestanek")
        #expect(club["language"] as? String == "sl")
        #expect(club["ack_status"] as? String == "sent")
        #expect(byFrom["ana.novak@gmail.com"]?["subject"] as? String == "Vprašanje o pobratenih mestih")
        #expect(byFrom["mailer-daemon@mail.example.org"] == nil && byFrom["MAILER-DAEMON@mail.example.org"] == nil)
        for key in ["reference", "received_at", "from_address", "from_name", "subject", "language", "field", "secondary_fields",
                    "sender_type", "legal_kind", "intent", "ack_status", "ack_reason"] {
            #expect(club.keys.contains(key), "export lacks \(key)")
        }

        // What the SMTP server received, read back by an independent parser.
        let acks = try instance.acknowledgements()
        #expect(acks.count == 4)
        let clubAck = try #require(acks.first { ($0["rcpt_tos"] as? [String]) == ["tajnik@nk-tabor.si"] })
        let reference = try #require(club["reference"] as? String)
        #expect((clubAck["subject"] as? String)?.hasPrefix("Prejeli smo vaše sporočilo [\(reference)]") == true)
        #expect(clubAck["in_reply_to"] as? String == "<20261124091500.1@nk-tabor.si>")
        #expect((clubAck["references"] as? String)?.contains("<20261124091500.1@nk-tabor.si>") == true)
        #expect(clubAck["auto_submitted"] as? String == "auto-replied")
        #expect(clubAck["charset"] as? String == "utf-8")
        #expect(clubAck["transfer_encoding"] as? String == "quoted-printable")
        #expect((clubAck["message_id"] as? String)?.hasSuffix("@maribor.example>") == true)
        let body = try #require(clubAck["body"] as? String)
        #expect(body.contains(reference))
        #expect(body.contains("02/2201-219"))
        #expect(body.hasPrefix("Spoštovani,\n"))
        #expect((clubAck["defects"] as? [Any])?.isEmpty == true)
        let schoolAck = try #require(acks.first { ($0["rcpt_tos"] as? [String]) == ["j.walker@st-marys-school.org.uk"] })
        #expect((schoolAck["subject"] as? String)?.hasPrefix("We have received your message [") == true)

        // Flags on the server: the keyword, and still unread for staff.
        let flags = try instance.flags()
        #expect(flags.count == 5)
        for (uid, value) in flags {
            #expect(value.contains("$Filed"), "UID \(uid) lacks $Filed: \(value)")
            #expect(!value.contains("\\Seen"), "UID \(uid) was marked read: \(value)")
        }

        // A second run finds nothing new and sends nothing.
        let second = try instance.mailintake("run", "--once")
        #expect(second.status == 0, "second run failed: \(second.stderr)")
        #expect(try instance.exported().count == 4)
        #expect(try instance.acknowledgements().count == 4)
        #expect(try instance.count("SELECT count(*) FROM messages") == 5)
    }

    @Test("works over IMAP with STARTTLS and SMTPS, and sets \\Seen when configured to")
    func starttlsAndSeen() throws {
        var options = Instance.Options()
        options.imapScheme = "imap"
        options.smtpScheme = "smtps"
        options.afterFiling = "seen"
        let instance = try Instance(options)
        try instance.appendFixtures("02-en-school-exchange.eml")
        let result = try instance.mailintake("run", "--once")
        #expect(result.status == 0, "run --once failed: \(result.stderr)")
        #expect(try instance.acknowledgements().count == 1)
        let flags = try instance.flags()
        #expect(flags.values.allSatisfy { $0.contains("$Filed") && $0.contains("\\Seen") }, "\(flags)")
    }

    @Test("moves filed messages to a folder when configured to")
    func move() throws {
        var options = Instance.Options()
        options.afterFiling = "move"
        let instance = try Instance(options)
        try instance.appendFixtures("01-sl-sport-club.eml", "02-en-school-exchange.eml")
        let result = try instance.mailintake("run", "--once")
        #expect(result.status == 0, "run --once failed: \(result.stderr)")
        #expect(try instance.flags().isEmpty)
        #expect(try instance.flags(mailbox: "Filed").count == 2)
        #expect(try instance.exported().count == 2)
    }

    @Test("files replies under their inquiry, by reference or by In-Reply-To, with no second acknowledgement")
    func replies() throws {
        let instance = try Instance()
        try instance.appendFixtures("02-en-school-exchange.eml")
        #expect(try instance.mailintake("run", "--once").status == 0)
        let reference = try #require(try instance.exported().first?["reference"] as? String)
        let ackID = try #require(try instance.acknowledgements().first?["message_id"] as? String)

        let template = try String(contentsOfFile: MailStack.repositoryRoot + "/Tests/Fixtures/mail/06-en-reply.eml", encoding: .utf8)
        try instance.appendText(template.replacingOccurrences(of: "REFERENCE", with: reference))
        try instance.appendText("""
            Return-Path: <j.walker@st-marys-school.org.uk>
            From: Jane Walker <j.walker@st-marys-school.org.uk>
            To: mednarodno@maribor.example
            Subject: Re: your automatic answer
            Message-ID: <third@st-marys-school.org.uk>
            In-Reply-To: \(ackID)

            And a third note, threaded only by In-Reply-To.
            """)
        let result = try instance.mailintake("run", "--once")
        #expect(result.status == 0, "run --once failed: \(result.stderr)")
        #expect(try instance.exported().count == 1)
        #expect(try instance.acknowledgements().count == 1)
        #expect(try instance.count("SELECT count(*) FROM messages WHERE disposition = 'follow_up'") == 2)
        let shown = try instance.mailintake("show", reference)
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("follow_up"))
        #expect(shown.stdout.contains("we would come with 20 pupils"))
        #expect(shown.stdout.contains("threaded only by In-Reply-To"))
    }

    @Test("recognises the same message delivered twice and files it once")
    func duplicates() throws {
        let instance = try Instance()
        try instance.appendFixtures("01-sl-sport-club.eml", "01-sl-sport-club.eml")
        #expect(try instance.mailintake("run", "--once").status == 0)
        #expect(try instance.exported().count == 1)
        #expect(try instance.count("SELECT count(*) FROM messages WHERE disposition = 'duplicate'") == 1)
        #expect(try instance.acknowledgements().count == 1)
        #expect(try instance.flags().values.allSatisfy { $0.contains("$Filed") })
    }

    @Test("files a message above max_message_size truncated and flagged, without blocking the mail behind it")
    func oversize() throws {
        var options = Instance.Options()
        options.imapExtra = "max_message_size = 64K"
        let instance = try Instance(options)
        let attachment = String(repeating: "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n", count: 6000)  // ~220 kB of base64
        try instance.appendText("""
            Return-Path: <big@example.si>
            From: Big Sender <big@example.si>
            To: mednarodno@maribor.example
            Subject: Prijava na razpis s prilogo
            Message-ID: <big-1@example.si>
            Content-Type: multipart/mixed; boundary=XYZ

            --XYZ
            Content-Type: text/plain; charset=utf-8

            Spoštovani, v prilogi pošiljam dokumentacijo.
            --XYZ
            Content-Type: application/pdf; name=razpis.pdf
            Content-Transfer-Encoding: base64

            \(attachment)--XYZ--
            """)
        try instance.appendFixtures("02-en-school-exchange.eml")
        let result = try instance.mailintake("run", "--once")
        #expect(result.status == 0, "run --once failed: \(result.stderr)")
        #expect(try instance.exported().count == 2)
        #expect(try instance.count("SELECT length(c.raw) FROM messages m JOIN message_contents c ON c.message_id = m.id WHERE m.message_id = 'big-1@example.si'") == 64 * 1024)
        #expect(try instance.count("SELECT size FROM messages WHERE message_id = 'big-1@example.si'") > 200_000)
        #expect(try instance.count("SELECT needs_review FROM inquiries WHERE from_address = 'big@example.si'") == 1)
        #expect(try instance.count("SELECT count(*) FROM messages WHERE problems LIKE '%max_message_size%'") == 1)
        #expect(try instance.acknowledgements().count == 2)
        #expect(try instance.flags().values.allSatisfy { $0.contains("$Filed") })
    }

    @Test("files a message that makes no sense raw, flagged for review, and goes on with the next")
    func malformed() throws {
        let instance = try Instance()
        try instance.append([MailStack.repositoryRoot + "/Tests/Fixtures/fuzz/no-body-separator.eml",
                             MailStack.repositoryRoot + "/Tests/Fixtures/fuzz/raw-8bit-unknown-charset.eml"])
        try instance.appendFixtures("02-en-school-exchange.eml")
        let result = try instance.mailintake("run", "--once")
        #expect(result.status == 0, "run --once failed: \(result.stderr)")
        #expect(try instance.count("SELECT count(*) FROM message_contents") == 3)
        #expect(try instance.count("SELECT count(*) FROM inquiries WHERE needs_review = 1") == 2)
        #expect(try instance.count("SELECT count(*) FROM messages WHERE problems != '[]'") == 2)
        #expect(try instance.acknowledgements().count == 1)  // the malformed ones have no Return-Path to answer
        #expect(try instance.flags().values.allSatisfy { $0.contains("$Filed") })
    }

    @Test("keeps attachments: show lists them and `attachment` writes out the same bytes")
    func attachments() throws {
        let instance = try Instance()
        try instance.appendFixtures("07-outlook-forward-attachment.eml")
        #expect(try instance.mailintake("run", "--once").status == 0)
        let reference = try #require(try instance.exported().first?["reference"] as? String)
        let show = try instance.mailintake("show", reference)
        #expect(show.stdout.contains("1. attachment-1.eml  message/rfc822"))
        #expect(show.stdout.contains("2. Program festivala Špenglerfest 2026.pdf  application/pdf, 78 bytes"))
        #expect(show.stdout.contains("attached message from kultura@varazdin.example: Poziv na festival Špenglerfest"))
        let pdf = try instance.mailintake("attachment", reference, "2")
        #expect(pdf.status == 0)
        #expect(pdf.stdout.hasPrefix("%PDF-1.4"))
        #expect(try instance.count("SELECT count(*) FROM attachments") == 2)
        #expect(try instance.mailintake("attachment", reference, "3").status == 1)
    }

    @Test("lists and shows inquiries for staff, and exports CSV")
    func staffCommands() throws {
        let instance = try Instance()
        try instance.appendFixtures("04-sl-cp1250-company.eml")
        #expect(try instance.mailintake("run", "--once").status == 0)
        let list = try instance.mailintake("list")
        #expect(list.status == 0)
        #expect(list.stdout.contains("MB-2026-") || list.stdout.contains("MB-20"))
        #expect(list.stdout.contains("Poslovno sodelovanje z občino"))
        let reference = try #require(try instance.exported().first?["reference"] as? String)
        let show = try instance.mailintake("show", reference)
        #expect(show.stdout.contains("Evidence:"))
        #expect(show.stdout.contains("naše podjetje želi"))
        let csv = try instance.mailintake("export", "--format", "csv")
        #expect(csv.stdout.hasPrefix("reference,received_at,from_address,from_name,subject,language,field,secondary_fields,sender_type,legal_kind,intent,ack_status,ack_reason,corrected,status,due_on,interim_until,answered_at,answered_by,answered_via,closed_at,routed_to\r\n"))
        #expect(csv.stdout.contains("\"Vinska klet Zlati grič d.o.o.\"") || csv.stdout.contains("Vinska klet Zlati grič d.o.o."))
        #expect(try instance.mailintake("show", "MB-1999-000001").status == 1)
    }
}

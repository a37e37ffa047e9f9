import Foundation
import MailIntakeCore
import MailStore
import Testing

/// The office's data-protection duties through the command line, on mail filed from Dovecot and
/// acknowledged through the SMTP server: a person's access export, erasure with its refusals,
/// its replay after a backup is restored, retention's purge (dry run and real, by staff and by
/// the service), and logs that carry no personal data.
@Suite("Personal data: access, erasure, restore, retention, against Dovecot and the SMTP server", .enabled(if: MailStack.shouldRun))
struct DataProtectionTests {
    static func marker(_ tag: String) -> String { "ZQX\(tag)" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(10) }

    /// Whether the database file or its WAL holds `marker` anywhere, as `grep -a` finds it.
    static func databaseHolds(_ instance: Instance, _ marker: String) throws -> Bool {
        for file in [instance.databasePath, instance.databasePath + "-wal"] where FileManager.default.fileExists(atPath: file) {
            // -i: the search index keeps its words folded to lower case.
            if try runCommand("/bin/grep", ["-a", "-i", "-c", marker, file]).status == 0 { return true }
        }
        return false
    }

    static func references(_ output: String, tag: String) -> [String] {
        output.split(separator: "\n").filter { $0.hasPrefix(tag) }.compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }
    }

    static func withAttachment(from: String, subject: String, body: String, id: String, attachment: String) -> String {
        """
        Return-Path: <\(from.split(separator: "<").last!.dropLast())>
        From: \(from)
        To: mednarodno@maribor.example
        Subject: \(subject)
        Message-ID: <\(id)@test.example>
        Date: Mon, 23 Nov 2026 10:00:00 +0100
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="b1"

        --b1
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 8bit

        \(body)
        --b1
        Content-Type: application/pdf; name="program.pdf"
        Content-Disposition: attachment; filename="program.pdf"
        Content-Transfer-Encoding: base64

        \(Data(attachment.utf8).base64EncodedString())
        --b1--
        """
    }

    @Test("subject-access gathers a person's inquiries, follow-up, web-form submission, attachments and the mail sent; erase refuses held and open ones, then with --force leaves nothing; a restored backup is erased again; the log names no one")
    func accessErasureRestore() throws {
        var options = Instance.Options()
        options.extraSections = "[routing]\ndefault = desk@maribor.example"
        let instance = try Instance(options)
        let mail = AcknowledgementDeliveryTests.mail
        let (exhibition, fair, form, followUp, bojan) = (Self.marker("A"), Self.marker("B"), Self.marker("W"), Self.marker("F"), Self.marker("O"))
        let pdf = "%PDF-1.4 program razstave \(Self.marker("P"))"
        try instance.appendText(Self.withAttachment(from: "Ana Novak <Ana.Novak@example.si>", subject: "Razstava \(exhibition)",
                                                    body: "Spoštovani, predlagam razstavo slik v Mariboru. \(exhibition)", id: "ana1", attachment: pdf))
        try instance.appendText(mail("Ana Novak <ana.novak@example.si>", "Re: Razstava \(exhibition)",
                                     "Dodajam še datum: maj. \(followUp)", "In-Reply-To: <ana1@test.example>", nil, "ana2"))
        try instance.appendText(mail("Ana <ana.novak@work.example>", "Sejem \(fair)", "Naše podjetje bi razstavljalo na sejmu. \(fair)", "", nil, "ana3"))
        try instance.appendText(mail("Spletni obrazec <\(instance.webFormAddress)>", "Spletni obrazec", """
            Ime in priimek: Ana Novak
            E-pošta: ANA.NOVAK@example.si
            Ste fizična ali pravna oseba?: Fizična oseba
            Vrsta zahteve: Splošno vprašanje
            ------------------------------
            Sporočilo:
            Zanima me pobrateno mesto Graz. \(form)
            ------------------------------
            """, "", nil, "ana4"))
        try instance.appendText(mail("Bojan Kralj <bojan@example.si>", "Turnir \(bojan)", "Prosimo za sestanek glede turnirja. \(bojan)", "", nil, "bojan1"))
        let filing = try instance.mailintake("run", "--once")
        #expect(filing.status == 0, "\(filing.stderr)")
        // Logs at info: references and counts, never a name, an address, a subject or a body.
        for secret in ["Ana", "Novak", "novak@", "bojan@", "Kralj", exhibition, fair, form, followUp, bojan, "Razstava", "Sejem"] {
            #expect(!filing.stderr.contains(secret), "the log names `\(secret)`: \(filing.stderr)")
        }
        let records = try instance.exported()
        func reference(_ marker: String) -> String? {
            records.first { ($0["subject"] as? String)?.contains(marker) == true || ($0["subject"] as? String == "Spletni obrazec" && marker == form) }?["reference"] as? String
        }
        let (a1, a2, w1, b1) = (try #require(reference(exhibition)), try #require(reference(fair)), try #require(reference(form)), try #require(reference(bojan)))
        #expect(records.count == 4)
        try #require(try waitUntil(10) { try instance.acknowledgements().count >= 8 })

        // Article 15: everything about her, found by any case, the second address and the form's field.
        let out = instance.folder + "/access"
        let access = try instance.mailintake("subject-access", "ana.novak@EXAMPLE.si", "--also", "ana.novak@work.example", "--out", out)
        #expect(access.status == 0, "\(access.stderr)")
        #expect(access.stdout.contains("3 inquiry(ies)"), "\(access.stdout)")
        let readme = try String(contentsOfFile: out + "/README.txt", encoding: .utf8)
        #expect([a1, a2, w1].allSatisfy(readme.contains) && !readme.contains(b1))
        #expect(readme.contains("Article 15") && readme.contains("kept 10 years") == false && readme.contains("kept permanently"))
        let files = try FileManager.default.contentsOfDirectory(atPath: out + "/" + a1).sorted()
        #expect(files.contains("message-1-inquiry.eml") && files.contains("message-2-follow_up.eml"), "\(files)")
        #expect(files.contains("attachment-1-program.pdf") && files.contains { $0.hasSuffix("-acknowledgement.eml") } && files.contains { $0.hasSuffix("-notification.eml") }, "\(files)")
        #expect(try String(contentsOfFile: out + "/\(a1)/attachment-1-program.pdf", encoding: .utf8) == pdf)
        #expect(try String(contentsOfFile: out + "/\(a1)/message-2-follow_up.eml", encoding: .utf8).contains(followUp))
        let ack = try String(contentsOfFile: out + "/\(a1)/" + files.first { $0.hasSuffix("-acknowledgement.eml") }!, encoding: .utf8)
        #expect(ack.contains(a1) && ack.lowercased().contains("ana.novak@example.si"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/inquiries.json"))) as? [[String: Any]] ?? []
        #expect(Set(json.compactMap { ($0["inquiry"] as? [String: Any])?["reference"] as? String }) == [a1, a2, w1])
        #expect((try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int) == 0o700)
        // An export never goes into a folder that holds anything already, nor through a link.
        let again = try instance.mailintake("subject-access", "ana.novak@example.si", "--out", out + "/")
        #expect(again.status == 1 && again.stderr.contains("already exists"), "\(again.stderr)")
        try FileManager.default.createDirectory(atPath: instance.folder + "/elsewhere", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: instance.folder + "/link", withDestinationPath: instance.folder + "/elsewhere")
        #expect(try instance.mailintake("subject-access", "ana.novak@example.si", "--out", instance.folder + "/link/").status == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: instance.folder + "/elsewhere").isEmpty)

        // A backup before the erasure, readable by its owner alone.
        let backup = instance.folder + "/before-erasure.sqlite"
        #expect(try instance.mailintake("backup", backup).status == 0)
        #expect((try FileManager.default.attributesOfItem(atPath: backup)[.posixPermissions] as? Int) == 0o600)

        // Article 17 within its limits: the closed one goes; the open one and the held one are kept, and said so.
        #expect(try instance.mailintake("close", a1).status == 0)
        let namedHold = try instance.mailintake("hold", w1, "--reason", "pritožba ana.novak@EXAMPLE.si")
        #expect(namedHold.status == 2 && namedHold.stderr.contains("names the person"), "\(namedHold.stderr)")
        #expect(try instance.mailintake("hold", w1, "--reason", "inšpekcijski nadzor 2026").status == 0)
        let named = try instance.mailintake("erase", "ana.novak@example.si", "--reason", "Ana Novak asked by phone")
        #expect(named.status == 2 && named.stderr.contains("names the person"), "\(named.stderr)")
        #expect(try Self.databaseHolds(instance, exhibition), "the test must see the bytes before the erasure")
        let erase = try instance.mailintake("erase", "ana.novak@example.si", "--also", "ana.novak@work.example", "--reason", "zahteva z dne 2026-12-01, člen 17(1)(a)")
        #expect(erase.status == 1, "\(erase.stdout)\(erase.stderr)")
        #expect(Self.references(erase.stdout, tag: "erased") == [a1])
        #expect(Set(Self.references(erase.stdout, tag: "KEPT")) == [a2, w1] && erase.stderr.contains("Article 17(3)(b) and (d)"), "\(erase.stdout)")
        #expect(try !Self.databaseHolds(instance, exhibition) && !Self.databaseHolds(instance, followUp) && !Self.databaseHolds(instance, "program razstave"))
        #expect(try Self.databaseHolds(instance, form) && Self.databaseHolds(instance, bojan))
        #expect(try instance.mailintake("search", exhibition).stdout.contains(a1) == false)
        #expect(try instance.mailintake("search", form).stdout.contains(w1))

        let forced = try instance.mailintake("erase", "ana.novak@example.si", "--also", "ana.novak@work.example", "--reason", "zahteva z dne 2026-12-01",
                                             "--force", "no proceedings and no archival value: Article 17(3)(b) and (d) do not apply")
        #expect(forced.status == 0, "\(forced.stdout)\(forced.stderr)")
        #expect(Set(Self.references(forced.stdout, tag: "erased")) == [a2, w1])
        for marker in [exhibition, fair, form, followUp] {
            #expect(try !Self.databaseHolds(instance, marker), "\(marker) is still in the database file")
            #expect(try !instance.mailintake("search", marker).stdout.contains("MB-"))
        }
        #expect(try Self.databaseHolds(instance, bojan))
        let none = try instance.mailintake("subject-access", "ana.novak@example.si", "--also", "ana.novak@work.example", "--out", instance.folder + "/access2")
        #expect(none.status == 0 && none.stdout.contains("0 inquiry(ies)"), "\(none.stdout)")
        #expect(try instance.mailintake("show", a1).stdout.contains("Anonymised:"))

        // The audit trail: every step, by the Unix account, and no address or name in it.
        let audit = try instance.mailintake("audit")
        #expect(audit.status == 0)
        for action in ["subject_access", "hold", "erase"] { #expect(audit.stdout.contains("  \(action)  by "), "\(action): \(audit.stdout)") }
        #expect(!audit.stdout.lowercased().contains("novak") && !audit.stdout.contains("Ana "), "\(audit.stdout)")
        let trail = try MailRepository(path: instance.databasePath).database.rows("SELECT * FROM audit_log").map { "\($0)" }.joined(separator: "\n")
        #expect(!trail.lowercased().contains("novak") && trail.contains("erase"), "\(trail)")

        // The restore of the older backup brings her back; the service's start erases her again.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: instance.databasePath + suffix) }
        try FileManager.default.copyItem(atPath: backup, toPath: instance.databasePath)
        #expect(try Self.databaseHolds(instance, exhibition))
        let restart = try instance.mailintake("run", "--once")
        // Each erasure again: the first one's (it kept the open and the held inquiry), then the forced one's.
        #expect(restart.status == 0 && restart.stderr.contains("carried out again on 1 inquiry(ies)") && restart.stderr.contains("carried out again on 2 inquiry(ies)"),
                "\(restart.stderr)")
        for marker in [exhibition, fair, form, followUp] { #expect(try !Self.databaseHolds(instance, marker), "\(marker) came back with the backup") }
        let after = try instance.mailintake("subject-access", "ana.novak@example.si", "--also", "ana.novak@work.example", "--out", instance.folder + "/access3")
        #expect(after.stdout.contains("0 inquiry(ies)"))
        let replays = try instance.mailintake("audit", "--limit", "3").stdout
        #expect(replays.components(separatedBy: "  replay  by mailintake service (replay)").count == 3, "\(replays)")
        #expect(try instance.mailintake("replay-erasures").stdout.contains("2 erasure(s)"))
    }

    @Test("purge: the dry run lists what the real run does, a legal hold keeps its inquiry, the bytes leave the file; the service purges once a day")
    func retention() throws {
        let instance = try Instance()
        let (old1, old2, held, young) = (Self.marker("R"), Self.marker("S"), Self.marker("H"), Self.marker("Y"))
        let mail = AcknowledgementDeliveryTests.mail
        for (name, marker, age) in [("ana", old1, 40), ("bor", old2, 40), ("cene", held, 40), ("dana", young, 1)] {
            try instance.appendText(mail("\(name.capitalized) <\(name)@example.si>", "Vprašanje \(marker)", "Spoštovani, zanima me sodelovanje. \(marker)", "", nil, name), ageDays: age)
        }
        #expect(try instance.mailintake("run", "--once").status == 0)
        let unset = try instance.mailintake("purge", "--dry-run")
        #expect(unset.status == 2 && unset.stderr.contains("[retention]"), "\(unset.stderr)")

        // Now the office's plan: 30 days, then anonymised.
        var config = try String(contentsOfFile: instance.configPath, encoding: .utf8)
        config += "\n[retention]\ndefault = 30d\nexpiry = anonymise\n"
        try config.write(toFile: instance.configPath, atomically: true, encoding: .utf8)
        let records = try instance.exported()
        let heldReference = try #require(records.first { ($0["subject"] as? String)?.contains(held) == true }?["reference"] as? String)
        // The three old ones were answered (by telephone) 39 days ago; an open inquiry never expires.
        let answeredOn = HolidayCalendar.Day(local: Date()).adding(days: -39).description
        for marker in [old1, old2, held] {
            let reference = try #require(records.first { ($0["subject"] as? String)?.contains(marker) == true }?["reference"] as? String)
            #expect(try instance.mailintake("answered", reference, "--at", answeredOn).status == 0)
        }
        #expect(try instance.mailintake("hold", heldReference, "--reason", "pritožba v postopku").status == 0)
        let dry = try instance.mailintake("purge", "--dry-run")
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("2 inquiry(ies) expired") && dry.stdout.contains("kept by a legal hold: 1") && dry.stdout.contains("dry run"), "\(dry.stdout)")
        #expect(try Self.databaseHolds(instance, old1) && Self.databaseHolds(instance, old2))
        let real = try instance.mailintake("purge")
        #expect(real.status == 0, "\(real.stderr)")
        let lines = { (text: String) in text.split(separator: "\n").filter { $0.hasPrefix("  MB-") } }
        #expect(lines(dry.stdout) == lines(real.stdout) && lines(real.stdout).count == 3, "dry run:\n\(dry.stdout)\nreal:\n\(real.stdout)")
        #expect(try !Self.databaseHolds(instance, old1) && !Self.databaseHolds(instance, old2), "purged bytes are still in the file")
        #expect(try Self.databaseHolds(instance, held) && Self.databaseHolds(instance, young))
        #expect(try instance.mailintake("purge", "--dry-run").stdout.contains("0 inquiry(ies) expired"))

        // The service's daily purge: the hold released, the next cycle purges it, once that day.
        #expect(try instance.mailintake("release", heldReference, "--reason", "pritožba rešena").status == 0)
        let cycle = try instance.mailintake("run", "--once")
        #expect(cycle.status == 0 && cycle.stderr.contains("retention: 1 inquiry(ies) anonymised"), "\(cycle.stderr)")
        #expect(try !Self.databaseHolds(instance, held) && Self.databaseHolds(instance, young))
        #expect(try instance.mailintake("audit", "--limit", "1").stdout.contains("purge  by mailintake service (retention)"))
        #expect(try instance.mailintake("hold", heldReference, "--reason", "x").stderr.contains("already anonymised"))
        let status = try instance.mailintake("status").stdout
        #expect(status.contains("retention:        30d, then anonymise; last purge \(HolidayCalendar.Day(local: Date())); 0 under a legal hold, 3 anonymised"), "\(status)")
    }
}

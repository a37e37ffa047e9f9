import Foundation
import Testing
import MailIntakeCore
@testable import MailStore

/// Retention, legal holds, erasure and its replay on the store: what goes, what stays, and that
/// the bytes are really gone from the database file (searched for as `grep -a` does).
@Suite("Personal data in the store: retention, holds, erasure, replay")
struct DataProtectionStoreTests {
    /// An inquiry whose mail, attachment name, subject, acknowledgement and index all carry
    /// `marker`, received `age` days ago, with the raw mail large enough for overflow pages.
    static func file(_ repository: MailRepository, reference: String, address: String, name: String = "Ana Novak",
                     marker: String, ageDays: Double = 0, field: String = "culture", status: String = "answered", uid: UInt32) throws -> Int64 {
        try repository.transaction {
            var inquiry = MailRepositoryTests.inquiry(reference)
            inquiry.fromAddress = address
            inquiry.fromName = name
            inquiry.subject = "Prošnja \(marker)"
            inquiry.field = field
            inquiry.evidence = ["signature: \(marker)"]
            inquiry.receivedAt = Date().addingTimeInterval(-ageDays * 86_400)
            let id = try repository.insertInquiry(inquiry)
            // Answered (and not closed): retention counts from the receipt; an open one never expires.
            try repository.database.run("UPDATE inquiries SET status = ? WHERE id = ?", [status, id])
            let raw = Array("From: \(name) <\(address)>\r\nSubject: Prošnja \(marker)\r\n\r\n\(String(repeating: "\(marker) ", count: 2000))\r\n".utf8)
            let message = try repository.insertMessage(NewMessage(mailbox: "INBOX", uidValidity: 1, uid: uid, messageID: "\(marker)@example.si",
                                                                  sha256: SHA256.hex(raw), raw: raw, size: raw.count, disposition: .inquiry,
                                                                  inquiryID: id, duplicateOf: nil, problems: []))
            try repository.insertAttachment(messageRowID: message, position: 1, filename: "\(marker).pdf", contentType: "application/pdf", size: 10, sha256: "f")
            try repository.enqueue(.acknowledgement, inquiryID: id, recipient: address, messageID: "<ack-\(reference)-\(uid)@maribor.example>",
                                   content: Array("To: \(address)\r\n\r\nSpoštovani \(name), \(marker)".utf8))
            try repository.indexInquiry(id: id, SearchDocument(subject: "Prošnja \(marker)", sender: [name, address], organisation: nil,
                                                               body: String(repeating: "\(marker) ", count: 50), attachments: ["\(marker).pdf"]))
            return id
        }
    }

    /// Whether the database file (after a checkpoint into it) holds `marker`'s bytes anywhere, in
    /// either case (the search index keeps words folded to lower case).
    static func fileHolds(_ repository: MailRepository, _ marker: String) throws -> Bool {
        repository.checkpoint()
        _ = try repository.database.checkpointTruncating()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: repository.database.path))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: repository.database.path + "-wal"))) ?? Data()
        return [marker, marker.lowercased()].contains { needle in
            bytes.range(of: Data(needle.utf8)) != nil || wal.range(of: Data(needle.utf8)) != nil
        }
    }

    static func marker() -> String { "ZQX" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12) }

    @Test("anonymise keeps the reference, dates, labels and outcome; the mail, names, addresses, text and index are gone from the file")
    func anonymise() throws {
        let repository = try MailRepository(path: MailRepositoryTests.temporaryPath())
        let old = Self.marker(), young = Self.marker()
        let oldID = try Self.file(repository, reference: "MB-2016-000001", address: "ana@example.si", marker: old, ageDays: 800, uid: 1)
        _ = try Self.file(repository, reference: "MB-2026-000001", address: "bor@example.si", marker: young, ageDays: 10, uid: 2)
        _ = try repository.correct(reference: "MB-2016-000001", by: "mojca", note: "\(old) asked") { $0.field = "culture" }
        #expect(try repository.correctedExamples().examples.count == 1 && repository.modelStaleSince() == nil)
        // The person's follow-up is an event with their address; a desk's digest lists the subject.
        try repository.database.run("INSERT INTO inquiry_events (inquiry_id, at, action, status, by) VALUES (?, ?, 'follow_up', 'open', 'ana@example.si')",
                                    [oldID, MailDate.iso8601(Date())])
        #expect(try repository.enqueueDigest(recipient: "desk@maribor.si", messageID: "<digest-x@maribor.si>",
                                             content: Array("MB-2016-000001  Prošnja \(old)\r\n".utf8)))
        #expect(try Self.fileHolds(repository, old), "the test must see the marker before the purge")
        let settings = RetentionSettings(periods: ["default": .init(years: 2)], expiries: ["default": .anonymise])
        let today = HolidayCalendar.Day(local: Date())
        let plan = RetentionPlan.decide(try repository.retentionCandidates(), settings: settings, today: today)
        #expect(plan.expired.map(\.reference) == ["MB-2016-000001"])
        let outcome = try repository.purge(plan.expired, settings: settings, by: "tester", today: today)
        #expect(outcome.done == plan.expired && outcome.skipped.isEmpty)

        #expect(try !Self.fileHolds(repository, old), "the purged inquiry's bytes are still in the database file")
        #expect(try Self.fileHolds(repository, young), "the inquiry that has not expired must keep its mail")
        let detail = try #require(try repository.inquiry(reference: "MB-2016-000001"))
        #expect(detail.record.fromAddress == nil && detail.record.fromName == nil && detail.record.subject.isEmpty)
        #expect(detail.record.field == "culture" && detail.record.language == "sl" && detail.record.ackStatus == "failed")
        #expect(detail.anonymisedAt != nil && detail.evidence.isEmpty)
        #expect(detail.messages.allSatisfy { $0.raw.isEmpty } && detail.attachments.allSatisfy { $0.filename.isEmpty })
        #expect(try repository.search(SearchText.query(old.lowercased())!, limit: 10).isEmpty)
        #expect(try repository.search(SearchText.query(young.lowercased())!, limit: 10).count == 1)
        // The learned model was made of its words: it must be rebuilt, without it.
        let stale = try #require(try repository.modelStaleSince())
        #expect(try repository.correctedExamples().examples.isEmpty)
        try repository.modelRebuilt(staleSince: stale)
        #expect(try repository.modelStaleSince() == nil)
        // Nothing more to do on the next day's plan; the audit names references, never an address.
        #expect(RetentionPlan.decide(try repository.retentionCandidates(), settings: settings, today: today).expired.isEmpty)
        let audit = try #require(try repository.auditLog(limit: 5).first)
        #expect(audit.action == .purge && audit.references == ["MB-2016-000001"] && audit.counts["anonymised"] == 1)
        #expect(try repository.database.row("SELECT count(*) AS n FROM inquiry_events WHERE by IS NOT NULL")?["n"].int == 0)
        #expect(try repository.database.row("SELECT length(content) AS n, status FROM outbox WHERE kind = 'digest'")?["n"].int == 0)
        let trail = try repository.database.rows("SELECT * FROM audit_log").map { "\($0)" }.joined()
        #expect(!trail.contains("ana@") && !trail.contains("Ana Novak"))
        #expect(try oldID > 0 && repository.database.row("PRAGMA auto_vacuum")?["auto_vacuum"].int == 2)
        // The person writes again, replying to our acknowledgement: new mail, theirs again to ask
        // for and to erase, and found again.
        try repository.reviveIfAnonymised(inquiryID: oldID, author: "Ana@Example.si", name: "Ana Novak")
        try repository.indexFollowUp(inquiryID: oldID, SearchDocument(subject: "", sender: [], organisation: nil, body: "nadaljevanje pogovora", attachments: []))
        #expect(try repository.inquiries(of: DataSubject(addresses: ["ana@example.si"])).map(\.reference) == ["MB-2016-000001"])
        #expect(try repository.inquiry(reference: "MB-2016-000001")?.anonymisedAt == nil)
        #expect(try repository.search(SearchText.query("nadaljevanje")!, limit: 10).map(\.record.reference) == ["MB-2016-000001"])
        #expect(try repository.search(SearchText.query(old.lowercased())!, limit: 10).isEmpty)
    }

    @Test("delete removes the whole inquiry and its bytes, and its reference is never given again; the file shrinks")
    func delete() throws {
        let path = MailRepositoryTests.temporaryPath()
        let repository = try MailRepository(path: path)
        let marker = Self.marker()
        _ = try repository.nextReference(prefix: "MB", year: 2020)
        for uid in 1...20 { _ = try Self.file(repository, reference: "MB-2020-0000\(uid + 10)", address: "ana@example.si", marker: marker, ageDays: 400, uid: UInt32(uid)) }
        _ = try Self.fileHolds(repository, marker)
        let before = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        let settings = RetentionSettings(periods: ["default": .init(years: 10), "culture": .init(days: 365)], expiries: ["default": .anonymise, "culture": .delete])
        let today = HolidayCalendar.Day(local: Date())
        let plan = RetentionPlan.decide(try repository.retentionCandidates(), settings: settings, today: today)
        #expect(plan.expired.count == 20 && plan.expired.allSatisfy { $0.action == .delete })
        // In batches of 7: three transactions, each audited with what it did.
        _ = try repository.purge(plan.expired, settings: settings, by: nil, today: today, batch: 7)
        #expect(try repository.auditLog(limit: 10).map { $0.counts["deleted"] ?? 0 } == [6, 7, 7])
        #expect(try !Self.fileHolds(repository, marker))
        for table in ["inquiries", "messages", "attachments", "outbox", "inquiry_search"] {
            #expect(try repository.database.row("SELECT count(*) AS n FROM \(table)")?["n"].int == 0, "\(table)")
        }
        let after = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        #expect(after < before / 2, "the file gave its free pages back: \(before) → \(after) bytes")
        #expect(try repository.nextReference(prefix: "MB", year: 2020) == "MB-2020-000002")
    }

    @Test("system messages (reports matching no mail of ours) go after the default period from their filing, bytes and all")
    func systemMessages() throws {
        let repository = try MailRepository(path: MailRepositoryTests.temporaryPath())
        let (old, young) = (Self.marker(), Self.marker())
        for (uid, marker, age) in [(UInt32(1), old, 400.0), (2, young, 10)] {
            let raw = Array("From: MAILER-DAEMON@example.org\r\n\r\nDelivery to ana@example.si failed. \(String(repeating: marker, count: 500))\r\n".utf8)
            let id = try repository.insertMessage(NewMessage(mailbox: "INBOX", uidValidity: 1, uid: uid, messageID: nil, sha256: marker, raw: raw, size: raw.count,
                                                             disposition: .system, inquiryID: nil, duplicateOf: nil, problems: []))
            try repository.recordDeliveryReport(messageRowID: id, outboxID: nil, kind: "bounce", status: "5.1.1", diagnostic: "ana@example.si unknown", recipient: "ana@example.si", now: Date())
            try repository.database.run("UPDATE messages SET filed_at = ? WHERE id = ?", [MailDate.iso8601(Date().addingTimeInterval(-age * 86_400)), id])
        }
        let cutoff = RetentionSettings.Period(days: 365).before(HolidayCalendar.Day(local: Date())).localNoon
        #expect(try repository.expiredSystemMessages(filedBefore: cutoff) == 1)
        #expect(try repository.deleteSystemMessages(filedBefore: cutoff, by: "service") == 1)
        try repository.reclaimSpace()
        #expect(try !Self.fileHolds(repository, old) && Self.fileHolds(repository, young))
        #expect(try repository.systemMessages(limit: 10).count == 1)
        #expect(try repository.auditLog(limit: 1).first?.counts["system_messages"] == 1)
    }

    @Test("a legal hold keeps an expired inquiry out of the purge until it is released; holds and releases are audited")
    func holds() throws {
        let repository = try MailRepository(path: MailRepositoryTests.temporaryPath())
        let marker = Self.marker()
        _ = try Self.file(repository, reference: "MB-2016-000001", address: "ana@example.si", marker: marker, ageDays: 900, uid: 1)
        #expect(try repository.hold(reference: "MB-2016-000001", reason: "upravni spor U 123/2026", by: "mojca"))
        #expect(throws: MailRepository.DataProtectionRefused.self) { try repository.hold(reference: "MB-2016-000001", reason: "again", by: "mojca") }
        #expect(try !repository.hold(reference: "MB-1999-000001", reason: "x", by: nil))
        let settings = RetentionSettings(periods: ["default": .init(years: 1)])
        let today = HolidayCalendar.Day(local: Date())
        var plan = RetentionPlan.decide(try repository.retentionCandidates(), settings: settings, today: today)
        #expect(plan.expired.isEmpty && plan.held.map(\.reference) == ["MB-2016-000001"])
        #expect(try repository.inquiry(reference: "MB-2016-000001")?.hold?.reason == "upravni spor U 123/2026")
        // A plan made before the hold is checked again inside the purge's transaction.
        #expect(try repository.release(reference: "MB-2016-000001", reason: "judgment final", by: "mojca"))
        plan = RetentionPlan.decide(try repository.retentionCandidates(), settings: settings, today: today)
        #expect(try repository.hold(reference: "MB-2016-000001", reason: "appeal", by: "mojca"))
        let stale = try repository.purge(plan.expired, settings: settings, by: nil, today: today)
        #expect(stale.done.isEmpty && stale.skipped == ["MB-2016-000001"])
        #expect(try Self.fileHolds(repository, marker))
        #expect(try repository.release(reference: "MB-2016-000001", reason: nil, by: "mojca"))
        plan = RetentionPlan.decide(try repository.retentionCandidates(), settings: settings, today: today)
        #expect(try repository.purge(plan.expired, settings: settings, by: nil, today: today).done.count == 1)
        #expect(try repository.auditLog(limit: 10).map(\.action) == [.purge, .release, .hold, .release, .hold])
    }

    @Test("erasure anonymises a person's inquiries, found by any case and either form of an internationalised domain")
    func erasure() throws {
        let path = MailRepositoryTests.temporaryPath()
        let repository = try MailRepository(path: path)
        let hers = Self.marker(), his = Self.marker()
        _ = try Self.file(repository, reference: "MB-2026-000001", address: "Ziga.Kos@xn--ebelar-h2a.si", marker: hers, uid: 1)
        _ = try Self.file(repository, reference: "MB-2026-000002", address: "ziga.kos@čebelar.si", marker: hers, uid: 2)
        _ = try Self.file(repository, reference: "MB-2026-000003", address: "bojan@example.si", name: "Bojan", marker: his, uid: 3)
        let subject = try DataSubject(addresses: ["ZIGA.KOS@ČEBELAR.SI"])
        let found = try repository.inquiries(of: subject)
        #expect(found.map(\.reference) == ["MB-2026-000001", "MB-2026-000002"])
        let journal = ErasureJournal(databasePath: path)
        let record = try repository.erase(found, subject: subject, reason: "request of 2026-12-01", forced: nil, by: "mojca", journal: journal)
        #expect(try journal.records() == [record])
        #expect(try !Self.fileHolds(repository, hers) && Self.fileHolds(repository, his))
        #expect(try repository.inquiries(of: subject).isEmpty)
        #expect(try repository.search(SearchText.query(hers.lowercased())!, limit: 10).isEmpty)
        let journalText = try String(contentsOfFile: journal.path, encoding: .utf8)
        #expect(!journalText.lowercased().contains("ziga") && !journalText.contains("ebelar"))
        #expect(record.subjects == subject.hashes(key: try repository.auditKey()))
    }

    @Test("a backup from before an erasure, restored, is erased again by the journal's replay; what the erasure kept stays; new mail of the person stays")
    func replay() throws {
        let path = MailRepositoryTests.temporaryPath()
        let repository = try MailRepository(path: path)
        let marker = Self.marker()
        _ = try Self.file(repository, reference: "MB-2026-000001", address: "ana@example.si", marker: marker, ageDays: 3, uid: 1)
        _ = try Self.file(repository, reference: "MB-2026-000002", address: "ana@example.si", marker: marker, ageDays: 2, uid: 2)
        let backup = path + ".backup"
        try repository.backup(to: backup)
        let subject = try DataSubject(addresses: ["ana@example.si"])
        let found = try repository.inquiries(of: subject)
        let journal = ErasureJournal(databasePath: path)
        // The second was still open: the erasure kept it.
        _ = try repository.erase(found.filter { $0.reference == "MB-2026-000001" }, keeping: found.filter { $0.reference == "MB-2026-000002" },
                                 subject: subject, reason: "request", forced: nil, by: "mojca", journal: journal)
        repository.close()

        // The restore: the old file back in place, the journal kept.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try FileManager.default.copyItem(atPath: backup, toPath: path)
        let restored = try MailRepository(path: path)
        #expect(try restored.inquiries(of: subject).count == 2)
        // Mail fetched again after the restore, filed under a new reference; and a new letter of hers.
        _ = try Self.file(restored, reference: "MB-2026-000003", address: "ANA@example.si", marker: marker, ageDays: 3, uid: 3)
        _ = try Self.file(restored, reference: "MB-2026-000004", address: "ana@example.si", marker: Self.marker(), ageDays: -1, uid: 4)
        // The restored counter gives her erased reference to someone else's mail: not hers, kept.
        try restored.database.run("UPDATE inquiries SET reference = 'MB-2026-000001x' WHERE reference = 'MB-2026-000001'")
        _ = try Self.file(restored, reference: "MB-2026-000001", address: "bojan@example.si", name: "Bojan", marker: Self.marker(), ageDays: 1, uid: 5)
        let replayed = try restored.replayErasures(try journal.records(), by: "service")
        #expect(replayed.count == 1 && replayed.first?.references == ["MB-2026-000001x", "MB-2026-000003"], "\(replayed)")
        #expect(try restored.inquiries(of: subject).map(\.reference) == ["MB-2026-000002", "MB-2026-000004"])
        #expect(try restored.inquiry(reference: "MB-2026-000001")?.anonymisedAt == nil, "another person's inquiry under a reference given again")
        #expect(try restored.replayErasures(try journal.records(), by: "service").isEmpty, "a replay is done once")
        #expect(try restored.auditLog(limit: 1).first?.action == .replay)
    }

    @Test("a line cut short in the journal (a crash while appending) does not swallow the next erasure")
    func tornJournal() throws {
        let path = MailRepositoryTests.temporaryPath()
        let journal = ErasureJournal(databasePath: path)
        let first = ErasureRecord(at: "2026-12-01T10:00:00Z", subjects: ["a"], erased: [.init(reference: "MB-1", received: "x")])
        try journal.append(first)
        let handle = try #require(FileHandle(forWritingAtPath: journal.path))
        handle.seekToEndOfFile()
        handle.write(Data("{\"id\":\"torn".utf8))
        try handle.close()
        let second = ErasureRecord(at: "2026-12-01T11:00:00Z", subjects: ["b"], erased: [.init(reference: "MB-2", received: "y")])
        try journal.append(second)
        #expect(try journal.records() == [first, second])
    }
}

import Foundation
import Testing
import MailIntakeCore
@testable import MailStore

@Suite("SQLite store")
struct MailRepositoryTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("mi-store-\(UUID().uuidString).sqlite").path
    }

    static func message(uid: UInt32, inquiryID: Int64?, sha: String = UUID().uuidString) -> NewMessage {
        NewMessage(mailbox: "INBOX", uidValidity: 7, uid: uid, messageID: "id-\(uid)@x", sha256: sha,
                   raw: Array("raw \(uid)".utf8), size: 5, disposition: .inquiry, inquiryID: inquiryID, duplicateOf: nil, problems: [])
    }

    static func inquiry(_ reference: String) -> NewInquiry {
        NewInquiry(reference: reference, receivedAt: Date(), fromAddress: "a@b.si", fromName: nil, replyTo: nil, subject: "s",
                   language: "sl", field: "sport", secondaryFields: ["culture"], senderType: "natural", legalKind: nil,
                   intent: "information_request", confidence: 0.5, evidence: ["e"], needsReview: false, ackReason: nil)
    }

    @Test("applies migrations once, with WAL and foreign keys, in a file only its owner can read")
    func migrations() throws {
        let path = Self.temporaryPath()
        _ = try MailRepository(path: path)
        let repository = try MailRepository(path: path)  // a second open applies nothing twice
        #expect(try repository.database.rows("SELECT name FROM schema_migrations").count == Schema.migrator.migrations.count)
        #expect(try repository.database.row("PRAGMA journal_mode")?["journal_mode"].string == "wal")
        #expect(try repository.database.row("PRAGMA foreign_keys")?["foreign_keys"].int == 1)
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
    }

    @Test("refuses a database written by a newer version")
    func newerSchema() throws {
        let path = Self.temporaryPath()
        let repository = try MailRepository(path: path)
        try repository.database.run("INSERT INTO schema_migrations VALUES ('2099-01-01-future', 'x')")
        #expect(throws: DatabaseError.self) { try MailRepository(path: path) }
    }

    @Test("moves the raw mail of an older database into message_contents, and a message's content goes with it")
    func messageContentsMigration() throws {
        let path = Self.temporaryPath()
        do {  // the schema as the previous release left it, with a message, a duplicate and an attachment
            let older = try Database(path: path)
            try Migrator(Array(Schema.migrator.migrations.dropLast())).migrate(older)
            try older.run("""
                INSERT INTO inquiries (id, reference, received_at, subject, language, field, sender_type, intent, confidence, created_at, due_on)
                VALUES (1, 'MB-2026-000001', '2026-12-01T08:00:00Z', 's', 'sl', 'sport', 'natural', 'information_request', 0.5, '2026-12-01T08:00:00Z', '2026-12-16')
                """)
            try older.run("""
                INSERT INTO messages (id, mailbox, uidvalidity, uid, message_id, sha256, size, raw, disposition, inquiry_id, filed_at)
                VALUES (1, 'INBOX', 7, 1, 'a@x', 'h1', 11, CAST('Subject: a\r\n' AS BLOB), 'inquiry', 1, '2026-12-01T08:00:00Z')
                """)
            try older.run("""
                INSERT INTO messages (id, mailbox, uidvalidity, uid, message_id, sha256, size, raw, disposition, duplicate_of, filed_at)
                VALUES (2, 'INBOX', 7, 2, 'a@x', 'h1', 11, NULL, 'duplicate', 1, '2026-12-01T08:01:00Z')
                """)
            try older.run("INSERT INTO attachments (message_id, position, filename, content_type, size, sha256) VALUES (1, 1, 'a.pdf', 'application/pdf', 3, 'x')")
        }
        let repository = try MailRepository(path: path)
        let columns = try repository.database.rows("PRAGMA table_info(messages)").compactMap { $0["name"].string }
        #expect(!columns.contains("raw") && columns.contains("erased_at") && columns.contains("server_marked"))
        #expect(try repository.database.rows("SELECT message_id, raw FROM message_contents").map { [$0["message_id"].int64 ?? 0: $0["raw"].bytes ?? []] }
                == [[1: Array("Subject: a\r\n".utf8)]])
        #expect(try repository.firstMessageRaw(ofInquiry: 1) == Array("Subject: a\r\n".utf8))
        #expect(try repository.originalOf(sha256: "new", messageID: "a@x", sameBody: { $0 == Array("Subject: a\r\n".utf8) }) == 1)
        #expect(try repository.database.rows("PRAGMA foreign_key_check").isEmpty)
        #expect(try repository.database.row("PRAGMA freelist_count")?["freelist_count"].int == 0, "the old table's pages given back")
        // The schema holds the content to its message: deleting the message deletes it.
        try repository.database.run("DELETE FROM attachments")
        try repository.database.run("DELETE FROM messages")
        #expect(try repository.database.row("SELECT count(*) AS n FROM message_contents")?["n"].int == 0)
    }

    @Test("files a message's raw content with it, and refuses a message other than a duplicate without one")
    func messageContents() throws {
        let repository = try MailRepository(path: Self.temporaryPath())
        let inquiryID = try repository.insertInquiry(Self.inquiry("MB-2026-000001"))
        let id = try repository.insertMessage(Self.message(uid: 1, inquiryID: inquiryID))
        #expect(try repository.database.row("SELECT raw FROM message_contents WHERE message_id = ?", [id])?["raw"].bytes == Array("raw 1".utf8))
        var bare = Self.message(uid: 2, inquiryID: inquiryID)
        bare.raw = nil
        #expect(throws: DatabaseError.self) { try repository.insertMessage(bare) }
        bare.disposition = .duplicate
        bare.duplicateOf = id
        _ = try repository.insertMessage(bare)
        #expect(try repository.database.row("SELECT count(*) AS n FROM message_contents")?["n"].int == 1)
        // Written into its room (zeroblob, then the bytes): a mail larger than the page cache, and an empty one.
        for (uid, size) in [(3, 3 << 20), (4, 0)] as [(UInt32, Int)] {
            var large = Self.message(uid: uid, inquiryID: inquiryID)
            large.raw = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12) }
            let row = try repository.transaction { try repository.insertMessage(large) }
            #expect(try repository.database.row("SELECT raw FROM message_contents WHERE message_id = ?", [row])?["raw"].bytes == large.raw)
        }
    }

    @Test("numbers references per prefix and year, starting again each year")
    func references() throws {
        let repository = try MailRepository(path: Self.temporaryPath())
        #expect(try repository.nextReference(prefix: "MB", year: 2026) == "MB-2026-000001")
        #expect(try repository.nextReference(prefix: "MB", year: 2026) == "MB-2026-000002")
        #expect(try repository.nextReference(prefix: "MB", year: 2027) == "MB-2027-000001")
    }

    @Test("keeps (mailbox, UIDVALIDITY, UID) unique and finds originals by hash or Message-ID and body")
    func uniqueness() throws {
        let repository = try MailRepository(path: Self.temporaryPath())
        let inquiryID = try repository.insertInquiry(Self.inquiry("MB-2026-000001"))
        let first = try repository.insertMessage(Self.message(uid: 1, inquiryID: inquiryID, sha: "aaa"))
        #expect(throws: DatabaseError.self) { try repository.insertMessage(Self.message(uid: 1, inquiryID: inquiryID)) }
        #expect(try repository.originalOf(sha256: "aaa", messageID: nil, sameBody: { _ in false }) == first)
        #expect(try repository.originalOf(sha256: "other", messageID: "id-1@x", sameBody: { $0 == Array("raw 1".utf8) }) == first)
        #expect(try repository.originalOf(sha256: "other", messageID: "id-1@x", sameBody: { _ in false }) == nil)
        #expect(try repository.isFiled(mailbox: "INBOX", uidValidity: 7, uid: 1))
        #expect(try !repository.isFiled(mailbox: "INBOX", uidValidity: 8, uid: 1))
    }

    @Test("rolls a failed transaction back completely")
    func rollback() throws {
        let repository = try MailRepository(path: Self.temporaryPath())
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try repository.transaction {
                let id = try repository.insertInquiry(Self.inquiry("MB-2026-000001"))
                _ = try repository.insertMessage(Self.message(uid: 1, inquiryID: id))
                try repository.saveCursor(MailboxCursor(mailbox: "INBOX", uidValidity: 7, lastUID: 1))
                throw Boom()
            }
        }
        #expect(try repository.database.row("SELECT count(*) AS n FROM inquiries")?["n"].int == 0)
        #expect(try repository.database.row("SELECT count(*) AS n FROM messages")?["n"].int == 0)
        #expect(try repository.cursor(mailbox: "INBOX") == nil)
    }

    @Test("the search index: filled when filing, backfilled by the migration's Swift half from the stored messages")
    func searchIndex() throws {
        let repository = try MailRepository(path: Self.temporaryPath())
        let id = try repository.insertInquiry(Self.inquiry("MB-2026-000001"))
        let raw = Array("From: Marko Đorđević <marko@example.rs>\r\nSubject: Saradnja\r\n\r\nNaša škola želi saradnju.\r\n".utf8)
        _ = try repository.insertMessage(NewMessage(mailbox: "INBOX", uidValidity: 1, uid: 1, messageID: "m@x", sha256: "s", raw: raw, size: raw.count,
                                                    disposition: .inquiry, inquiryID: id, duplicateOf: nil, problems: []))
        try repository.indexInquiry(id: id, SearchDocument(subject: "Saradnja", sender: ["Marko Đorđević"], organisation: nil, body: "Naša škola želi saradnju.", attachments: []))
        #expect(try repository.search(SearchText.query("skola")!, limit: 10).map(\.record.reference) == ["MB-2026-000001"])
        // As after an upgrade: the index empty, the messages there.
        try repository.database.run("DELETE FROM inquiry_search")
        #expect(try repository.search(SearchText.query("djordjevic")!, limit: 10).isEmpty)
        try MailRepository.backfillSearch(repository.database)
        #expect(try repository.search(SearchText.query("djordjevic")!, limit: 10).count == 1)
        #expect(try repository.search(SearchText.query("saradnju")!, limit: 10).count == 1)
        var filter = MailRepository.InquiryFilter()
        filter.language = "de"
        #expect(try repository.search(SearchText.query("saradnju")!, filter: filter, limit: 10).isEmpty)
    }

    @Test("moves outbox mail through pending, retry and sent or failed")
    func outbox() throws {
        let repository = try MailRepository(path: Self.temporaryPath())
        let inquiryID = try repository.insertInquiry(Self.inquiry("MB-2026-000001"))
        try repository.enqueue(.acknowledgement, inquiryID: inquiryID, recipient: "a@b.si", messageID: "m1@x", content: [1, 2, 3])
        var due = try repository.dueOutbox(now: Date().addingTimeInterval(1), limit: 10)
        #expect(due.count == 1)
        #expect(due[0].reference == "MB-2026-000001")
        try repository.markSending(id: due[0].id)
        try repository.markAttemptFailed(id: due[0].id, error: "down", serverReply: nil, retryAt: Date().addingTimeInterval(600))
        #expect(try repository.dueOutbox(now: Date().addingTimeInterval(1), limit: 10).isEmpty)
        due = try repository.dueOutbox(now: Date().addingTimeInterval(601), limit: 10)
        #expect(due.first?.attempts == 1)
        // Every step is a compare-and-set: a step from the wrong state is refused, not applied.
        // An attempt ends from pending (it failed before the handover) or from sending.
        try repository.markSending(id: due[0].id)
        #expect(throws: MailRepository.OutboxConflict.self) { try repository.markSending(id: due[0].id) }
        try repository.markSent(id: due[0].id, serverReply: "250 ok")
        #expect(throws: MailRepository.OutboxConflict.self) { try repository.markSent(id: due[0].id, serverReply: "250 ok") }
        #expect(throws: MailRepository.OutboxConflict.self) { try repository.releaseSending(id: due[0].id, error: "late") }
        #expect(try repository.outboxCounts() == ["sent": 1])
        #expect(try repository.inquiry(reference: "MB-2026-000001")?.record.ackStatus == "sent")
        #expect(try repository.inquiryID(messageIDs: ["m1@x"]) == inquiryID)
    }

    @Test("holds mail until staff release it, counts acknowledgements for the rate limits, and re-queues failed mail")
    func heldAndRequeued() throws {
        let repository = try MailRepository(path: Self.temporaryPath())
        let first = try repository.insertInquiry(Self.inquiry("MB-2026-000001"))
        let second = try repository.insertInquiry(Self.inquiry("MB-2026-000002"))
        let now = Date()
        try repository.enqueue(.acknowledgement, inquiryID: first, recipient: "A@B.si", messageID: "m1@x", content: [1], now: now)
        try repository.enqueue(.notification, inquiryID: first, recipient: "staff@maribor.example", messageID: "n1@x", content: [2], now: now)
        try repository.enqueue(.acknowledgement, inquiryID: second, recipient: "a@b.si", messageID: "m2@x", content: [3],
                               heldBecause: "rate limit", now: now)
        // Held mail is neither due nor counted; addresses compare without case; notifications do not count.
        #expect(try repository.dueOutbox(now: now.addingTimeInterval(1), limit: 10).map(\.messageID) == ["m1@x", "n1@x"])
        #expect(try repository.acknowledgementCount(to: "a@b.si", since: now.addingTimeInterval(-60)) == 1)
        #expect(try repository.acknowledgementCount(to: nil, since: now.addingTimeInterval(-60)) == 1)
        #expect(try repository.acknowledgementCount(to: nil, since: now.addingTimeInterval(60)) == 0)
        #expect(try repository.inquiry(reference: "MB-2026-000002")?.record.ackStatus == "held")
        let unsent = try repository.unsentOutbox()
        #expect(unsent.map(\.status) == ["pending", "pending", "held"])
        #expect(unsent.map(\.kind) == [.acknowledgement, .notification, .acknowledgement])
        #expect(unsent[2].lastError == "rate limit")

        #expect(try repository.requeue(reference: "MB-2026-000002") == 1)
        #expect(try repository.dueOutbox(now: Date().addingTimeInterval(1), limit: 10).count == 3)
        #expect(try repository.requeue(reference: "MB-2026-000002") == 0)
        #expect(try repository.requeue(reference: "MB-2026-999999") == nil)
    }

    @Test("exports records with every key present, nulls included")
    func exportKeys() throws {
        let repository = try MailRepository(path: Self.temporaryPath())
        _ = try repository.insertInquiry(Self.inquiry("MB-2026-000001"))
        var records: [InquiryRecord] = []
        try repository.forEachInquiry { records.append($0) }
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(records[0])) as? [String: Any]
        #expect(Set(json?.keys.map { $0 } ?? []) == ["reference", "received_at", "from_address", "from_name", "subject", "language", "field",
                                                      "secondary_fields", "sender_type", "legal_kind", "intent", "ack_status", "ack_reason",
                                                      "corrected", "status", "due_on", "interim_until", "answered_at", "answered_by",
                                                      "answered_via", "closed_at", "routed_to"])
        #expect(json?["status"] as? String == "open")
        #expect(json?["legal_kind"] is NSNull)
        #expect(json?["corrected"] as? Bool == false)
    }

    @Test("a correction replaces the labels, keeps the classifier's, records who and when, and clears the review flag")
    func corrections() throws {
        let repository = try MailRepository(path: Self.temporaryPath())
        var flagged = Self.inquiry("MB-2026-000001")
        flagged.needsReview = true
        _ = try repository.insertInquiry(flagged)
        let time = Date(timeIntervalSince1970: 1_790_000_000)
        let first = try #require(try repository.correct(reference: "MB-2026-000001", by: "maja", note: "a club", now: time) { labels in
            labels.senderType = "legal"
            labels.legalKind = "association"
        })
        #expect(first.before.senderType == "natural")
        #expect(first.after.legalKind == "association")
        _ = try repository.correct(reference: "MB-2026-000001", by: "ana", note: nil, now: time.addingTimeInterval(60)) { $0.field = "culture" }

        let detail = try #require(try repository.inquiry(reference: "MB-2026-000001"))
        #expect(detail.record.corrected)
        #expect(detail.record.field == "culture")
        #expect(detail.record.legalKind == "association")
        #expect(!detail.needsReview)
        // The classifier's labels, from before the first correction.
        #expect(detail.originalLabels == Labels(language: "sl", field: "sport", secondaryFields: ["culture"], senderType: "natural",
                                                legalKind: nil, intent: "information_request"))
        #expect(detail.corrections.map(\.correctedBy) == ["maja", "ana"])
        #expect(detail.corrections.first?.correctedAt == "2026-09-21T14:13:20Z")
        #expect(detail.corrections.first?.note == "a club")
        #expect(detail.corrections.last?.before.senderType == "legal")
        #expect(try repository.correct(reference: "MB-2026-999999", by: nil, note: nil) { $0.field = "other" } == nil)
    }

    @Test("text with a NUL in it is stored and read back whole")
    func nul() throws {
        let repository = try MailRepository(path: Self.temporaryPath())
        var inquiry = Self.inquiry("MB-2026-000001")
        inquiry.subject = "before\u{0}after"
        _ = try repository.insertInquiry(inquiry)
        #expect(try repository.inquiry(reference: "MB-2026-000001")?.record.subject == "before\u{0}after")
    }

    @Test("a backup is created exclusively, never over a file and never through a symlink, and holds the data")
    func backup() throws {
        let path = Self.temporaryPath()
        let repository = try MailRepository(path: path)
        _ = try repository.insertInquiry(Self.inquiry("MB-2026-000001"))
        let folder = (path as NSString).deletingLastPathComponent
        let target = folder + "/target-\(UUID().uuidString)"
        try "precious".write(toFile: target, atomically: true, encoding: .utf8)
        #expect(throws: DatabaseError.self) { try repository.backup(to: target) }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "precious")
        let link = folder + "/link-\(UUID().uuidString)"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect(throws: DatabaseError.self) { try repository.backup(to: link) }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "precious")
        let dangling = folder + "/dangling-\(UUID().uuidString)"
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: folder + "/nowhere-\(UUID().uuidString)")
        #expect(throws: DatabaseError.self) { try repository.backup(to: dangling) }
        let good = folder + "/backup-\(UUID().uuidString).sqlite"
        try repository.backup(to: good)
        let attributes = try FileManager.default.attributesOfItem(atPath: good)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try MailRepository(path: good).inquiry(reference: "MB-2026-000001") != nil)
    }

    @Test("after close the main file alone holds everything: a plain copy of it is a whole database")
    func closeCheckpoints() throws {
        let path = Self.temporaryPath()
        let repository = try MailRepository(path: path)
        _ = try repository.insertInquiry(Self.inquiry("MB-2026-000001"))
        repository.close()
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        let copy = path + ".copy"
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        #expect(try MailRepository(path: copy).inquiry(reference: "MB-2026-000001") != nil)
    }

    /// The descriptors this process has open on files whose path starts with `prefix` (other tests
    /// run beside this one and open files of their own).
    static func openDescriptors(_ prefix: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).filter {
            ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) ?? "").hasPrefix(prefix)
        }.count
    }

    @Test("a store opened and released (or closed) many times leaves no file descriptor open")
    func noDescriptorLeak() throws {
        let path = Self.temporaryPath()
        _ = try MailRepository(path: path)  // created and migrated once
        #expect(Self.openDescriptors(path) == 0)
        for round in 0..<40 {
            let repository = try MailRepository(path: path)
            _ = try repository.insertInquiry(Self.inquiry("MB-2026-\(String(format: "%06d", round + 1))"))
            _ = try repository.recentInquiries(limit: 5)
            if round % 2 == 0 { repository.close() }  // half closed explicitly, half by release
        }
        #expect(Self.openDescriptors(path) == 0, "\(Self.openDescriptors(path)) descriptors left open on \(path)")
    }

    @Test("transactions nest as savepoints: an inner failure rolls back the inner part only")
    func savepoints() throws {
        let repository = try MailRepository(path: Self.temporaryPath())
        struct Boom: Error {}
        try repository.transaction {
            _ = try repository.insertInquiry(Self.inquiry("MB-2026-000001"))
            #expect(throws: Boom.self) {
                try repository.transaction {
                    _ = try repository.insertInquiry(Self.inquiry("MB-2026-000002"))
                    throw Boom()
                }
            }
        }
        #expect(try repository.database.rows("SELECT reference FROM inquiries").compactMap { $0["reference"].string } == ["MB-2026-000001"])
    }

    @Test("a read-only open reads, refuses to write, and migrates nothing")
    func readOnly() throws {
        let path = Self.temporaryPath()
        let writer = try MailRepository(path: path)
        _ = try writer.insertInquiry(Self.inquiry("MB-2026-000001"))
        writer.close()
        let reader = try MailRepository(path: path, readOnly: true)
        #expect(try reader.inquiry(reference: "MB-2026-000001") != nil)
        #expect(throws: DatabaseError.self) { _ = try reader.insertInquiry(Self.inquiry("MB-2026-000002")) }
        reader.close()
        #expect(throws: DatabaseError.self) { try writer.database.execute("SELECT 1") }  // closed
        // A database an older binary left behind is not migrated by a reader: it says what to do.
        let older = try MailRepository(path: path)
        try older.database.execute("DELETE FROM schema_migrations WHERE name = (SELECT max(name) FROM schema_migrations)")
        older.close()
        do {
            _ = try MailRepository(path: path, readOnly: true)
            Issue.record("an old schema was read as if current")
        } catch let error as DatabaseError {
            #expect(error.message.contains("older than this mailintake"), "\(error)")
        }
    }

    @Test("a required column that is missing or NULL is an error naming it, not an empty value")
    func requiredColumns() throws {
        let repository = try MailRepository(path: Self.temporaryPath())
        let row = try #require(try repository.database.row("SELECT 'x' AS present, NULL AS empty"))
        #expect(try row.text("present") == "x")
        for column in ["empty", "absent"] {
            do {
                _ = try row.text(column)
                Issue.record("\(column) was read as a value")
            } catch {
                // Typed throws: `error` is a DatabaseError.
                #expect(error.message.contains("`\(column)`"), "\(error)")
            }
        }
    }

    @Test("a migration that would break a foreign key is rolled back and not recorded")
    func migrationForeignKeyCheck() throws {
        let database = try Database(path: Self.temporaryPath())
        let migrator = Migrator([
            .init(name: "1-tables", sql: "CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id));"),
            .init(name: "2-dangling", sql: "INSERT INTO b (a_id) VALUES (42);"),
        ])
        #expect(throws: DatabaseError.self) { try migrator.migrate(database) }
        #expect(try database.rows("SELECT name FROM schema_migrations").compactMap { $0["name"].string } == ["1-tables"])
        #expect(try database.row("SELECT count(*) AS n FROM b")?["n"].int == 0)
        #expect(try database.row("PRAGMA foreign_keys")?.values.first?.int == 1, "foreign keys are on again afterwards")

        // A table others refer to can be rebuilt (with keys enforced, dropping it would fail).
        let rebuilt = try Database(path: Self.temporaryPath())
        try Migrator([
            .init(name: "1-tables", sql: "CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id));"),
            .init(name: "2-rows", sql: "INSERT INTO a (id) VALUES (1); INSERT INTO b (a_id) VALUES (1);"),
            .init(name: "3-rebuild", sql: "CREATE TABLE a_new (id INTEGER PRIMARY KEY, note TEXT); INSERT INTO a_new (id) SELECT id FROM a; DROP TABLE a; ALTER TABLE a_new RENAME TO a;"),
        ]).migrate(rebuilt)
        #expect(try rebuilt.row("SELECT count(*) AS n FROM b JOIN a ON a.id = b.a_id")?["n"].int == 1)
    }
}

@Suite("An inquiry's life in the store")
struct LifecycleStoreTests {
    @Test("answer, close, reopen and interim are kept with who did it; refused moves say why; a follow-up reopens with a new due day")
    func lifecycle() throws {
        let repository = try MailRepository(path: MailRepositoryTests.temporaryPath())
        var inquiry = MailRepositoryTests.inquiry("MB-2026-000001")
        inquiry.dueOn = "2026-12-16"
        let id = try repository.insertInquiry(inquiry)
        let settings = DeadlineSettings(), holidays = HolidayCalendar()
        func status() throws -> String? { try repository.database.row("SELECT status FROM inquiries WHERE id = ?", [id])?["status"].string }

        let answered = try repository.apply(.answer, reference: "MB-2026-000001", at: Date(), by: "mojca", note: nil, deadlines: settings, holidays: holidays)
        #expect(answered == MailRepository.LifecycleChange(before: .open, after: .answered, dueOn: "2026-12-16"))
        #expect(throws: MailRepository.LifecycleRefused.self) {
            try repository.apply(.answer, reference: "MB-2026-000001", at: Date(), by: "mojca", note: nil, deadlines: settings, holidays: holidays)
        }
        // The intake's own moves never throw: an answer seen twice changes nothing.
        #expect(try repository.apply(.answer, inquiryID: id, at: Date(), by: "x", via: "in the sent folder", strict: false) == nil)
        #expect(try repository.database.row("SELECT answered_by FROM inquiries WHERE id = ?", [id])?["answered_by"].string == "mojca")
        _ = try repository.apply(.close, reference: "MB-2026-000001", at: Date(), by: "mojca", note: "done", deadlines: settings, holidays: holidays)
        #expect(try status() == "closed")
        // The person writes again: open, due 15 days from the follow-up.
        let followUp = try #require(MailDate.parseISO8601("2026-12-01T11:00:00Z"))
        let reopened = try repository.apply(.followUp, inquiryID: id, at: followUp, by: "a@b.si", strict: false)
        #expect(reopened?.after == .open && reopened?.dueOn == "2026-12-16")
        #expect(try repository.apply(.followUp, inquiryID: id, at: Date(), by: "a@b.si", strict: false) == nil, "a follow-up of an open inquiry changes nothing")
        let interim = try repository.apply(.interim, reference: "MB-2026-000001", at: Date(), by: "mojca", note: "complex", interimUntil: HolidayCalendar.Day(year: 2027, month: 1, day: 20),
                                           deadlines: settings, holidays: holidays)
        #expect(interim?.dueOn == "2027-01-20")
        #expect(try repository.apply(.reopen, reference: "MB-2026-999999", at: Date(), by: "x", note: nil, deadlines: settings, holidays: holidays) == nil)
        let events = try repository.events(ofInquiry: id)
        #expect(events.map(\.action) == ["answered", "closed", "follow_up", "interim"])
        #expect(events.map(\.by) == ["mojca", "mojca", "a@b.si", "mojca"])
        #expect(events[1].note == "done")
    }

    @Test("the service's connection keeps 512 KiB of page cache; a reading one SQLite's default")
    func pageCache() throws {
        let path = MailRepositoryTests.temporaryPath()
        let writing = try Database(path: path)
        #expect(try writing.row("PRAGMA cache_size")?["cache_size"].int == -512)
        writing.close()
        let reading = try Database(path: path, readOnly: true)
        #expect(try reading.row("PRAGMA cache_size")?["cache_size"].int == -2000)
    }

    @Test("overdue and due soon count only open inquiries; a digest goes into the outbox once per Message-ID; the migration gives old inquiries a due day")
    func deadlines() throws {
        let path = MailRepositoryTests.temporaryPath()
        // A database from before deadlines existed, with one inquiry in it.
        let database = try Database(path: path)
        try Migrator(Array(Schema.migrator.migrations.prefix { $0.name != "2026-12-01-lifecycle" })).migrate(database)
        try database.run("""
            INSERT INTO inquiries (reference, received_at, subject, language, field, sender_type, intent, confidence, created_at)
            VALUES ('MB-2026-000009', '2026-11-15T12:00:00Z', 's', 'sl', 'sport', 'natural', 'meeting_request', 0.9, '2026-11-15T12:00:00Z')
            """)
        database.close()
        let repository = try MailRepository(path: path)
        #expect(try repository.database.row("SELECT due_on FROM inquiries")?["due_on"].string == "2026-11-30")
        for (n, due, status) in [(1, "2026-11-20", "open"), (2, "2026-12-02", "open"), (3, "2026-11-01", "answered"), (4, "2026-12-30", "open")] {
            var inquiry = MailRepositoryTests.inquiry("MB-2026-00000\(n)")
            inquiry.dueOn = due
            inquiry.routedTo = n == 4 ? nil : "desk@maribor.si"
            let id = try repository.insertInquiry(inquiry)
            try repository.database.run("UPDATE inquiries SET status = ? WHERE id = ?", [status, id])
        }
        let counts = try repository.deadlineCounts(today: HolidayCalendar.Day(year: 2026, month: 12, day: 1), soon: 3)
        #expect(counts.overdue == 2 && counts.dueSoon == 1 && counts.oldestDue == "2026-11-20")
        let due = try repository.openInquiries(dueBy: HolidayCalendar.Day(year: 2026, month: 12, day: 4))
        #expect(due.map(\.item.reference) == ["MB-2026-000001", "MB-2026-000009", "MB-2026-000002"])
        #expect(try repository.enqueueDigest(recipient: "desk@maribor.si", messageID: "<digest-1@x>", content: [65]))
        #expect(try !repository.enqueueDigest(recipient: "desk@maribor.si", messageID: "<digest-1@x>", content: [65]))
        let outbox = try repository.dueOutbox(now: Date(), limit: 10)
        #expect(outbox.count == 1 && outbox[0].kind == .digest && outbox[0].inquiryID == nil && outbox[0].reference == "digest")
        try repository.markSending(id: outbox[0].id)
        try repository.markSent(id: outbox[0].id, serverReply: "250 ok")
        #expect(try repository.statusCounts() == ["open": 4, "answered": 1])
    }
}

import Foundation
import MailIntakeCore

/// The mailintake database: messages, inquiries, the outbox and the mailbox cursors, behind
/// methods named for what the pipeline and staff do. Every statement binds its arguments.
public final class MailRepository {
    public let database: Database

    /// Opens the database at `path` and brings its schema up to date.
    public init(path: String) throws {
        database = try Database(path: path)
        try Schema.migrator.migrate(database)
    }

    public func transaction<T>(_ body: () throws -> T) throws -> T { try database.transaction(body) }

    static func now() -> String { MailDate.iso8601(Date()) }
    static func json(_ strings: [String]) -> String {
        (try? String(data: JSONEncoder().encode(strings), encoding: .utf8)) ?? "[]"
    }
    static func strings(_ json: String?) -> [String] {
        guard let json, let data = json.data(using: .utf8) else { return [] }
        return (try? JSONDecoder().decode([String].self, from: data)) ?? []
    }

    // MARK: cursor

    public func cursor(mailbox: String) throws -> MailboxCursor? {
        guard let row = try database.row("SELECT uidvalidity, last_uid FROM mailbox_cursors WHERE mailbox = ?", [mailbox]) else { return nil }
        return MailboxCursor(mailbox: mailbox, uidValidity: UInt32(exactly: row["uidvalidity"].int ?? 0) ?? 0,
                             lastUID: UInt32(exactly: row["last_uid"].int ?? 0) ?? 0)
    }

    /// Saves the cursor. Within one UIDVALIDITY it only ever moves forward; a new UIDVALIDITY starts it again.
    public func saveCursor(_ cursor: MailboxCursor) throws {
        try database.run("""
            INSERT INTO mailbox_cursors (mailbox, uidvalidity, last_uid, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (mailbox) DO UPDATE SET
                last_uid = CASE WHEN uidvalidity = excluded.uidvalidity THEN max(last_uid, excluded.last_uid) ELSE excluded.last_uid END,
                uidvalidity = excluded.uidvalidity, updated_at = excluded.updated_at
            """, [cursor.mailbox, Int(cursor.uidValidity), Int(cursor.lastUID), Self.now()])
    }

    /// The UIDs at or above `first` already filed from this mailbox (so a poll does not fetch them again).
    public func filedUIDs(mailbox: String, uidValidity: UInt32, from first: UInt32) throws -> Set<UInt32> {
        Set(try database.rows("SELECT uid FROM messages WHERE mailbox = ? AND uidvalidity = ? AND uid >= ?",
                              [mailbox, Int(uidValidity), Int(first)]).compactMap { $0["uid"].int.flatMap { UInt32(exactly: $0) } })
    }

    // MARK: filing

    /// True when nothing was ever filed here: a new install — or a database that was lost,
    /// emptied or replaced, which the caller must tell apart by asking the server.
    public func isEmpty() throws -> Bool {
        try database.row("SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM mailbox_cursors) AS n")?["n"].int == 0
    }

    /// Copies the WAL into the main file (see `Database.checkpoint`).
    public func checkpoint() { database.checkpoint() }

    /// Checkpoints and closes the connection (see `Database.close`).
    public func close() { database.close() }

    /// Whether this exact UID is already filed (it would violate the unique key).
    public func isFiled(mailbox: String, uidValidity: UInt32, uid: UInt32) throws -> Bool {
        try database.row("SELECT 1 FROM messages WHERE mailbox = ? AND uidvalidity = ? AND uid = ?",
                         [mailbox, Int(uidValidity), Int(uid)]) != nil
    }

    /// The original of a message seen before: the same bytes, or the same Message-ID with the same
    /// body (a re-delivery adds Received lines, so the whole-message hash differs while the body does
    /// not). `sameBody` compares a candidate's raw bytes; it is asked only when Message-IDs collide,
    /// so the common path costs one indexed lookup and no second hash.
    public func originalOf(sha256: String, messageID: String?, sameBody: ([UInt8]) -> Bool) throws -> Int64? {
        if let row = try database.row("SELECT id FROM messages WHERE sha256 = ? AND disposition != 'duplicate' ORDER BY id LIMIT 1", [sha256]) {
            return row["id"].int64
        }
        guard let messageID else { return nil }
        for row in try database.rows("SELECT id, raw FROM messages WHERE message_id = ? AND disposition != 'duplicate' ORDER BY id", [messageID]) {
            if let raw = row["raw"].bytes, sameBody(raw) { return row["id"].int64 }
        }
        return nil
    }

    public func reference(ofInquiry id: Int64) throws -> String? {
        try database.row("SELECT reference FROM inquiries WHERE id = ?", [id])?["reference"].string
    }

    public func inquiryID(reference: String) throws -> Int64? {
        try database.row("SELECT id FROM inquiries WHERE reference = ?", [reference])?["id"].int64
    }

    /// The inquiry that one of these Message-IDs belongs to: an incoming message of it, or our acknowledgement.
    public func inquiryID(messageIDs: [String]) throws -> Int64? {
        for id in messageIDs.reversed() {
            if let row = try database.row("SELECT inquiry_id FROM messages WHERE message_id = ? AND inquiry_id IS NOT NULL ORDER BY id LIMIT 1", [id]) {
                return row["inquiry_id"].int64
            }
            if let row = try database.row("SELECT inquiry_id FROM outbox WHERE message_id = ?", [id]) {
                return row["inquiry_id"].int64
            }
        }
        return nil
    }

    /// The next reference for `prefix` in `year`; call inside the filing transaction so a number is never given twice.
    public func nextReference(prefix: String, year: Int) throws -> String {
        try database.run("""
            INSERT INTO reference_counters (prefix, year, last) VALUES (?, ?, 1)
            ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1
            """, [prefix, year])
        let last = try database.row("SELECT last FROM reference_counters WHERE prefix = ? AND year = ?", [prefix, year])?["last"].int ?? 1
        let digits = String(last)
        return "\(prefix)-\(year)-\(String(repeating: "0", count: max(0, 6 - digits.count)))\(digits)"
    }

    public func insertInquiry(_ inquiry: NewInquiry) throws -> Int64 {
        try database.run("""
            INSERT INTO inquiries (reference, received_at, from_address, from_name, reply_to, subject, language, field,
                secondary_fields, sender_type, legal_kind, intent, confidence, evidence, needs_review, ack_reason, routed_to, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [inquiry.reference, MailDate.iso8601(inquiry.receivedAt), inquiry.fromAddress, inquiry.fromName,
                  inquiry.replyTo, inquiry.subject, inquiry.language, inquiry.field, Self.json(inquiry.secondaryFields),
                  inquiry.senderType, inquiry.legalKind, inquiry.intent, inquiry.confidence, Self.json(inquiry.evidence),
                  inquiry.needsReview, inquiry.ackReason, inquiry.routedTo, Self.now()])
        return database.lastInsertRowID
    }

    public func insertMessage(_ message: NewMessage) throws -> Int64 {
        try database.run("""
            INSERT INTO messages (mailbox, uidvalidity, uid, message_id, sha256, size, raw, disposition,
                inquiry_id, duplicate_of, problems, filed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [message.mailbox, Int(message.uidValidity), Int(message.uid), message.messageID, message.sha256,
                  message.size, message.raw.map { SQLValue.blob($0) } ?? .null, message.disposition.rawValue, message.inquiryID,
                  message.duplicateOf, Self.json(message.problems), Self.now()])
        return database.lastInsertRowID
    }

    /// Records an attachment's summary; its bytes stay in the message's raw content, which is kept anyway.
    public func insertAttachment(messageRowID: Int64, position: Int, filename: String, contentType: String, size: Int, sha256: String) throws {
        try database.run("""
            INSERT INTO attachments (message_id, position, filename, content_type, size, sha256) VALUES (?, ?, ?, ?, ?, ?)
            """, [messageRowID, position, filename, contentType, size, sha256])
    }

    /// Puts mail in the outbox: `pending` to be sent, or `held` (with the reason) until staff release it.
    public func enqueue(_ kind: OutboxEntry.Kind, inquiryID: Int64, recipient: String, messageID: String, content: [UInt8],
                        heldBecause reason: String? = nil, now: Date = Date()) throws {
        let time = MailDate.iso8601(now)
        try database.run("""
            INSERT INTO outbox (inquiry_id, kind, recipient, message_id, content, status, last_error, next_attempt_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [inquiryID, kind.rawValue, recipient, messageID, content, reason == nil ? "pending" : "held", reason, time, time])
    }

    /// Acknowledgements queued (not held) since `since`, to `recipient` or, with nil, to anyone: for the rate limits.
    public func acknowledgementCount(to recipient: String?, since: Date) throws -> Int {
        if let recipient {
            return try database.row("""
                SELECT count(*) AS n FROM outbox WHERE kind = 'acknowledgement' AND recipient = ? COLLATE NOCASE AND created_at >= ? AND status != 'held'
                """, [recipient, MailDate.iso8601(since)])?["n"].int ?? 0
        }
        return try database.row("""
            SELECT count(*) AS n FROM outbox WHERE kind = 'acknowledgement' AND created_at >= ? AND status != 'held'
            """, [MailDate.iso8601(since)])?["n"].int ?? 0
    }

    /// The staff address an inquiry was routed to.
    public func routedTo(inquiryID: Int64) throws -> String? {
        try database.row("SELECT routed_to FROM inquiries WHERE id = ?", [inquiryID])?["routed_to"].string
    }

    // MARK: server flags

    /// UIDs filed but not yet flagged (or moved) on the server: the crash window between COMMIT and STORE.
    public func unmarkedUIDs(mailbox: String, uidValidity: UInt32) throws -> [UInt32] {
        try database.rows("SELECT uid FROM messages WHERE mailbox = ? AND uidvalidity = ? AND server_marked = 0 ORDER BY uid",
                          [mailbox, Int(uidValidity)]).compactMap { $0["uid"].int.flatMap { UInt32(exactly: $0) } }
    }

    public func markedOnServer(mailbox: String, uidValidity: UInt32, uids: [UInt32]) throws {
        try database.transaction {
            for uid in uids {
                try database.run("UPDATE messages SET server_marked = 1 WHERE mailbox = ? AND uidvalidity = ? AND uid = ?",
                                 [mailbox, Int(uidValidity), Int(uid)])
            }
        }
    }

    // MARK: outbox

    /// Pending mail whose next attempt is due, oldest first.
    public func dueOutbox(now: Date, limit: Int) throws -> [OutboxEntry] {
        try database.rows("""
            \(Self.outboxSQL) WHERE o.status = 'pending' AND o.next_attempt_at <= ? ORDER BY o.id LIMIT ?
            """, [MailDate.iso8601(now), limit]).map(Self.outboxEntry)
    }

    private static let outboxSQL = """
        SELECT o.id, o.inquiry_id, i.reference, o.kind, o.recipient, o.message_id, o.content, o.status, o.attempts, o.last_error,
               o.next_attempt_at, o.created_at
        FROM outbox o JOIN inquiries i ON i.id = o.inquiry_id
        """

    static func outboxEntry(_ row: Row) -> OutboxEntry {
        OutboxEntry(id: row["id"].int64 ?? 0, inquiryID: row["inquiry_id"].int64 ?? 0, reference: row["reference"].string ?? "",
                    kind: OutboxEntry.Kind(rawValue: row["kind"].string ?? "") ?? .acknowledgement,
                    recipient: row["recipient"].string ?? "", messageID: row["message_id"].string ?? "",
                    content: row["content"].bytes ?? [], status: row["status"].string ?? "", attempts: row["attempts"].int ?? 0,
                    lastError: row["last_error"].string, nextAttemptAt: row["next_attempt_at"].string ?? "",
                    createdAt: row["created_at"].string ?? "")
    }

    /// Mail that has not gone out: pending, being sent, held or failed, oldest first (without content).
    public func unsentOutbox() throws -> [OutboxEntry] {
        try database.rows(Self.outboxSQL + " WHERE o.status != 'sent' ORDER BY o.id").map { row in
            var entry = Self.outboxEntry(row)
            entry.content = []
            return entry
        }
    }

    /// Puts an inquiry's failed and held mail back in the queue, due now, with a fresh count of
    /// attempts. Mail already sent is never touched. Returns how many were re-queued, or nil when
    /// there is no such inquiry.
    public func requeue(reference: String, now: Date = Date()) throws -> Int? {
        try transaction {
            guard let id = try inquiryID(reference: reference) else { return nil }
            try database.run("""
                UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?,
                    last_error = 'released by staff; before: ' || coalesce(last_error, status)
                WHERE inquiry_id = ? AND status IN ('failed', 'held', 'unconfirmed')
                """, [MailDate.iso8601(now), id])
            return database.changes
        }
    }

    /// The outbox row changed under us: another process sends from this database (the instance
    /// lock should make that impossible), or staff changed it. Nothing more is sent this round.
    public struct OutboxConflict: Error, CustomStringConvertible {
        public let id: Int64
        public let expected: String
        public var description: String {
            "outbox entry \(id) was no longer '\(expected)' when this process came to change it: another mailintake may be sending from the same database; stop all but one (check `mailintake status` and the instance lock)"
        }
    }

    /// Moves one outbox row from `expected` to a new state, proving it won: exactly one row must
    /// change, or someone else holds it and `OutboxConflict` is thrown.
    private func transition(id: Int64, from expected: String, _ sql: String, _ arguments: [SQLConvertible?]) throws {
        try database.run(sql + " WHERE id = ? AND status = ?", arguments + [id, expected])
        guard database.changes == 1 else { throw OutboxConflict(id: id, expected: expected) }
    }

    /// Marks mail as being handed to the SMTP server, committed before the first byte is sent.
    /// If the process dies before `markSent`, the row stays `sending`, and `recoverInterruptedSends`
    /// marks it unconfirmed for a person to look at instead of sending it again: we cannot know
    /// whether the server accepted it, and an acknowledgement must never arrive twice.
    public func markSending(id: Int64) throws {
        try transition(id: id, from: "pending", "UPDATE outbox SET status = 'sending'", [])
    }

    /// After a crash: mail left `sending` may or may not have reached the server. It is marked
    /// unconfirmed, with a reason that says so, and never re-sent automatically. Returns how many there were.
    public func recoverInterruptedSends() throws -> Int {
        try database.run("""
            UPDATE outbox SET status = 'unconfirmed', attempts = attempts + 1,
                last_error = 'interrupted while being handed to the SMTP server: it may or may not have been delivered, so it is not sent again automatically'
            WHERE status = 'sending'
            """)
        return database.changes
    }

    /// Records the server's acceptance.
    public func markSent(id: Int64, serverReply: String) throws {
        try transition(id: id, from: "sending",
                       "UPDATE outbox SET status = 'sent', attempts = attempts + 1, server_reply = ?, sent_at = ?, last_error = NULL",
                       [serverReply, Self.now()])
    }

    /// Records a failed attempt: retried at `retryAt`, or given up (`retryAt == nil`).
    public func markAttemptFailed(id: Int64, error: String, serverReply: String?, retryAt: Date?) throws {
        if let retryAt {
            try transition(id: id, from: "sending",
                           "UPDATE outbox SET status = 'pending', attempts = attempts + 1, last_error = ?, server_reply = ?, next_attempt_at = ?",
                           [error, serverReply, MailDate.iso8601(retryAt)])
        } else {
            try transition(id: id, from: "sending", "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, server_reply = ?",
                           [error, serverReply])
        }
    }

    /// The server took the whole message and never confirmed it: kept for a person, never retried.
    public func markUnconfirmed(id: Int64, error: String, serverReply: String?) throws {
        try transition(id: id, from: "sending", "UPDATE outbox SET status = 'unconfirmed', attempts = attempts + 1, last_error = ?, server_reply = ?",
                       [error, serverReply])
    }

    /// The attempt never reached the point of handing the message over (the server is down, or
    /// refuses our login): back to pending as it was, the attempt not counted against the mail.
    public func releaseSending(id: Int64, error: String) throws {
        try transition(id: id, from: "sending", "UPDATE outbox SET status = 'pending', last_error = ?", [error])
    }

    public func outboxCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try database.rows("SELECT status, count(*) AS n FROM outbox GROUP BY status") {
            counts[row["status"].string ?? "?"] = row["n"].int ?? 0
        }
        return counts
    }

    // MARK: staff views

    private static let recordSQL = """
        SELECT i.id, i.reference, i.received_at, i.from_address, i.from_name, i.subject, i.language, i.field, i.secondary_fields,
               i.sender_type, i.legal_kind, i.intent, i.ack_reason, i.confidence, i.evidence, i.needs_review,
               i.original_labels, i.corrected_at, i.routed_to,
               (SELECT status FROM outbox o WHERE o.inquiry_id = i.id AND o.kind = 'acknowledgement' ORDER BY o.id LIMIT 1) AS ack_status
        FROM inquiries i
        """

    static func record(_ row: Row) -> InquiryRecord {
        let outboxStatus = row["ack_status"].string
        return InquiryRecord(
            reference: row["reference"].string ?? "", receivedAt: row["received_at"].string ?? "",
            fromAddress: row["from_address"].string, fromName: row["from_name"].string, subject: row["subject"].string ?? "",
            language: row["language"].string ?? "", field: row["field"].string ?? "", secondaryFields: strings(row["secondary_fields"].string),
            senderType: row["sender_type"].string ?? "", legalKind: row["legal_kind"].string, intent: row["intent"].string ?? "",
            ackStatus: outboxStatus ?? "suppressed", ackReason: row["ack_reason"].string,
            corrected: row["corrected_at"].string != nil)
    }

    /// Every inquiry, oldest first, handed over one at a time so an export of years of mail stays small in memory.
    public func forEachInquiry(_ body: (InquiryRecord) throws -> Void) throws {
        try database.forEachRow(Self.recordSQL + " ORDER BY i.id") { try body(Self.record($0)) }
    }

    /// The newest `limit` inquiries, newest first.
    public func recentInquiries(limit: Int) throws -> [InquiryRecord] {
        try database.rows(Self.recordSQL + " ORDER BY i.id DESC LIMIT ?", [limit]).map(Self.record)
    }

    public func inquiry(reference: String) throws -> InquiryDetail? {
        guard let row = try database.row(Self.recordSQL + " WHERE i.reference = ?", [reference]), let id = row["id"].int64 else { return nil }
        let messages = try database.rows("""
            SELECT id, disposition, uid, size, filed_at, problems, raw FROM messages WHERE inquiry_id = ? ORDER BY id
            """, [id]).map { m in
            (id: m["id"].int64 ?? 0, disposition: m["disposition"].string ?? "", uid: UInt32(exactly: m["uid"].int ?? 0) ?? 0, size: m["size"].int ?? 0,
             filedAt: m["filed_at"].string ?? "", problems: Self.strings(m["problems"].string), raw: m["raw"].bytes ?? [])
        }
        let outbox = try database.rows("""
            SELECT kind, recipient, status, attempts, last_error, server_reply, sent_at FROM outbox WHERE inquiry_id = ? ORDER BY id
            """, [id]).map { o in
            (kind: o["kind"].string ?? "", recipient: o["recipient"].string ?? "", status: o["status"].string ?? "", attempts: o["attempts"].int ?? 0,
             lastError: o["last_error"].string, serverReply: o["server_reply"].string, sentAt: o["sent_at"].string)
        }
        let attachments = try database.rows("""
            SELECT a.message_id, a.position, a.filename, a.content_type, a.size, a.sha256 FROM attachments a
            JOIN messages m ON m.id = a.message_id WHERE m.inquiry_id = ? ORDER BY a.message_id, a.position
            """, [id]).map { a in
            (messageID: a["message_id"].int64 ?? 0, position: a["position"].int ?? 0, filename: a["filename"].string ?? "",
             contentType: a["content_type"].string ?? "", size: a["size"].int ?? 0, sha256: a["sha256"].string ?? "")
        }
        let corrections = try database.rows("""
            SELECT corrected_at, corrected_by, note, before, after FROM corrections WHERE inquiry_id = ? ORDER BY id
            """, [id]).compactMap { c -> Correction? in
            guard let before = Self.labels(c["before"].string), let after = Self.labels(c["after"].string) else { return nil }
            return Correction(correctedAt: c["corrected_at"].string ?? "", correctedBy: c["corrected_by"].string, note: c["note"].string,
                              before: before, after: after)
        }
        return InquiryDetail(record: Self.record(row), confidence: row["confidence"].double ?? 0, evidence: Self.strings(row["evidence"].string),
                             needsReview: (row["needs_review"].int ?? 0) != 0, routedTo: row["routed_to"].string,
                             originalLabels: Self.labels(row["original_labels"].string),
                             corrections: corrections, messages: messages, attachments: attachments, outbox: outbox)
    }

    // MARK: service state

    /// Records what the service did (key → value), in one transaction.
    public func setState(_ values: [String: String], now: Date = Date()) throws {
        try transaction {
            for (key, value) in values {
                try database.run("""
                    INSERT INTO service_state (key, value, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """, [key, value, MailDate.iso8601(now)])
            }
        }
    }

    public func state() throws -> [String: String] {
        var values: [String: String] = [:]
        for row in try database.rows("SELECT key, value FROM service_state") {
            values[row["key"].string ?? ""] = row["value"].string ?? ""
        }
        return values
    }

    /// Totals for the metrics file and `status`.
    public func totals() throws -> (messages: Int, inquiries: Int, followUps: Int, duplicates: Int, suppressed: Int,
                                    outbox: [String: [String: Int]]) {
        var byDisposition: [String: Int] = [:]
        for row in try database.rows("SELECT disposition, count(*) AS n FROM messages GROUP BY disposition") {
            byDisposition[row["disposition"].string ?? ""] = row["n"].int ?? 0
        }
        let inquiries = try database.row("SELECT count(*) AS n FROM inquiries")?["n"].int ?? 0
        let suppressed = try database.row("""
            SELECT count(*) AS n FROM inquiries i WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.inquiry_id = i.id AND o.kind = 'acknowledgement')
            """)?["n"].int ?? 0
        var outbox: [String: [String: Int]] = [:]
        for row in try database.rows("SELECT kind, status, count(*) AS n FROM outbox GROUP BY kind, status") {
            outbox[row["kind"].string ?? "", default: [:]][row["status"].string ?? ""] = row["n"].int ?? 0
        }
        return (byDisposition.values.reduce(0, +), inquiries, byDisposition["follow_up"] ?? 0, byDisposition["duplicate"] ?? 0,
                suppressed, outbox)
    }

    /// Acknowledgements that failed for good since `since`, or are still retrying after `attempts` tries.
    public func failingAcknowledgements(since: Date, attempts: Int) throws -> Int {
        try database.row("""
            SELECT count(*) AS n FROM outbox WHERE kind = 'acknowledgement'
              AND ((status = 'failed' AND created_at >= ?) OR (status = 'pending' AND attempts >= ?))
            """, [MailDate.iso8601(since), attempts])?["n"].int ?? 0
    }

    /// Writes an online copy of the database (SQLite's backup API; the service may keep running).
    public func backup(to path: String) throws {
        try database.backup(to: path)
    }

    // MARK: corrections

    /// Every corrected inquiry as a labelled example: the first message filed for it and the
    /// labels staff gave it last, with the highest correction id (what the model has learned through).
    public func correctedExamples() throws -> (examples: [(raw: [UInt8], labels: Labels)], through: Int64) {
        var examples: [(raw: [UInt8], labels: Labels)] = []
        try database.forEachRow("""
            SELECT i.language, i.field, i.secondary_fields, i.sender_type, i.legal_kind, i.intent,
                   (SELECT m.raw FROM messages m WHERE m.inquiry_id = i.id AND m.raw IS NOT NULL ORDER BY m.id LIMIT 1) AS raw
            FROM inquiries i WHERE i.corrected_at IS NOT NULL ORDER BY i.id
            """) { row in
            guard let raw = row["raw"].bytes else { return }
            examples.append((raw, Labels(language: row["language"].string ?? "", field: row["field"].string ?? "",
                                         secondaryFields: Self.strings(row["secondary_fields"].string), senderType: row["sender_type"].string ?? "",
                                         legalKind: row["legal_kind"].string, intent: row["intent"].string ?? "")))
        }
        let through = try database.row("SELECT coalesce(max(id), 0) AS n FROM corrections")?["n"].int64 ?? 0
        return (examples, through)
    }

    /// The highest correction id: when it passes the model's, the model is rebuilt.
    public func latestCorrection() throws -> Int64 {
        try database.row("SELECT coalesce(max(id), 0) AS n FROM corrections")?["n"].int64 ?? 0
    }

    static func labels(_ json: String?) -> Labels? {
        guard let json else { return nil }
        return try? JSONDecoder().decode(Labels.self, from: Data(json.utf8))
    }

    static func json(_ labels: Labels) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(labels), as: UTF8.self)
    }

    /// Replaces an inquiry's labels with staff's, in one transaction: the correction is recorded
    /// with its time, who made it and the labels before; the classifier's own labels are kept
    /// the first time; the review flag is cleared. Returns the labels before and after, or nil
    /// when there is no such inquiry.
    public func correct(reference: String, by person: String?, note: String?, now: Date = Date(),
                        _ change: (inout Labels) throws -> Void) throws -> (before: Labels, after: Labels)? {
        try transaction {
            guard let row = try database.row("""
                SELECT id, language, field, secondary_fields, sender_type, legal_kind, intent, original_labels FROM inquiries WHERE reference = ?
                """, [reference]), let id = row["id"].int64 else { return nil }
            let before = Labels(language: row["language"].string ?? "", field: row["field"].string ?? "",
                                secondaryFields: Self.strings(row["secondary_fields"].string), senderType: row["sender_type"].string ?? "",
                                legalKind: row["legal_kind"].string, intent: row["intent"].string ?? "")
            var after = before
            try change(&after)
            let time = MailDate.iso8601(now)
            try database.run("""
                UPDATE inquiries SET language = ?, field = ?, secondary_fields = ?, sender_type = ?, legal_kind = ?, intent = ?,
                    original_labels = coalesce(original_labels, ?), corrected_at = ?, needs_review = 0 WHERE id = ?
                """, [after.language, after.field, Self.json(after.secondaryFields), after.senderType, after.legalKind, after.intent,
                      try Self.json(before), time, id])
            try database.run("""
                INSERT INTO corrections (inquiry_id, corrected_at, corrected_by, note, before, after) VALUES (?, ?, ?, ?, ?, ?)
                """, [id, time, person, note, try Self.json(before), try Self.json(after)])
            return (before, after)
        }
    }
}

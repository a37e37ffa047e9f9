import FoundationEssentials
import MailIntakeCore

/// The messages and the mailbox cursor: filing, duplicates, threading look-ups, the server's flags.
extension MailRepository {
    // MARK: cursor

    public func cursor(mailbox: String) throws -> MailboxCursor? {
        guard let row = try database.row("SELECT uidvalidity, last_uid FROM mailbox_cursors WHERE mailbox = ?", [mailbox]) else { return nil }
        // A cursor outside UIDs' 32 bits is a damaged database: an error, not a cursor at 0
        // (which would fetch and file the whole mailbox again).
        let uidValidity = try row.required("uidvalidity") { $0.int64.flatMap { UInt32(exactly: $0) } }
        let lastUID = try row.required("last_uid") { $0.int64.flatMap { UInt32(exactly: $0) } }
        return MailboxCursor(mailbox: mailbox, uidValidity: uidValidity, lastUID: lastUID)
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
        for row in try database.rows("""
            SELECT m.id, c.raw FROM messages m JOIN message_contents c ON c.message_id = m.id
            WHERE m.message_id = ? AND m.disposition != 'duplicate' ORDER BY m.id
            """, [messageID]) {
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

    /// The inquiry a message's keys tie it to, with its reference: a known reference in the
    /// subject first, else a Message-ID it replies to (see `inquiryID(messageIDs:)`).
    public func inquiry(threadedBy keys: ThreadKeys) throws -> (id: Int64, reference: String)? {
        if let reference = keys.reference, let id = try inquiryID(reference: reference) { return (id, reference) }
        guard !keys.messageIDs.isEmpty, let id = try inquiryID(messageIDs: keys.messageIDs) else { return nil }
        return (id, try reference(ofInquiry: id) ?? "?")
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
                secondary_fields, sender_type, legal_kind, intent, confidence, evidence, needs_review, ack_reason, routed_to, created_at, due_on)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [inquiry.reference, MailDate.iso8601(inquiry.receivedAt), inquiry.fromAddress, inquiry.fromName,
                  inquiry.replyTo, inquiry.subject, inquiry.language, inquiry.field, Self.json(inquiry.secondaryFields),
                  inquiry.senderType, inquiry.legalKind, inquiry.intent, inquiry.confidence, Self.json(inquiry.evidence),
                  inquiry.needsReview, inquiry.ackReason, inquiry.routedTo, Self.now(), inquiry.dueOn])
        return database.lastInsertRowID
    }

    /// Files a message and its raw content (a duplicate may have none: its original holds the
    /// bytes); call inside a transaction, so that the two rows are one.
    public func insertMessage(_ message: NewMessage) throws -> Int64 {
        if message.raw == nil, message.disposition != .duplicate {
            throw DatabaseError(code: 19, message: "a \(message.disposition.rawValue) message must be filed with its raw content; report this")
        }
        try database.run("""
            INSERT INTO messages (mailbox, uidvalidity, uid, message_id, sha256, size, disposition,
                inquiry_id, duplicate_of, problems, filed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [message.mailbox, Int(message.uidValidity), Int(message.uid), message.messageID, message.sha256,
                  message.size, message.disposition.rawValue, message.inquiryID,
                  message.duplicateOf, Self.json(message.problems), Self.now()])
        let id = database.lastInsertRowID
        if let raw = message.raw {
            // Room for the mail first, then the mail itself: no copy of it in SQLite's memory.
            try database.run("INSERT INTO message_contents (message_id, raw) VALUES (?, zeroblob(?))", [id, raw.count])
            try database.writeBlob(table: "message_contents", column: "raw", rowID: id, raw)
        }
        return id
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

    /// The raw bytes of an inquiry's first message (what the person wrote), for details such as their phone number.
    public func firstMessageRaw(ofInquiry inquiryID: Int64) throws -> [UInt8]? {
        try database.row("""
            SELECT c.raw FROM messages m JOIN message_contents c ON c.message_id = m.id
            WHERE m.inquiry_id = ? AND m.disposition = 'inquiry' AND length(c.raw) > 0 ORDER BY m.id LIMIT 1
            """, [inquiryID])?["raw"].bytes
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
}

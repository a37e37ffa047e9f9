import CSQLite
import FoundationEssentials
import MailIntakeCore

/// The outbox: mail to send, its states (every move a compare-and-set) and the rate limits' counts.
extension MailRepository {
    // MARK: outbox

    /// Pending mail whose next attempt is due, oldest first; notifications only, when the hourly
    /// cap lets no more acknowledgements go this round.
    public func dueOutbox(now: Date, limit: Int, acknowledgements: Bool = true) throws -> [OutboxEntry] {
        // The due ids first, from the index alone: ordered whole, the rows (their content with
        // them) went into a sort of every pending mail on each call, quadratic over a backlog.
        try database.rows("""
            \(Self.outboxSQL) WHERE o.id IN (
                SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? \(acknowledgements ? "" : "AND kind != 'acknowledgement'")
                ORDER BY id LIMIT ?)
            ORDER BY o.id
            """, [MailDate.iso8601(now), limit]).map { try Self.outboxEntry($0) }
    }

    /// Acknowledgements the server accepted since `since` (what the hourly cap counts), and when the first of them went.
    public func acknowledgementsSent(since: Date) throws -> (count: Int, first: Date?) {
        let row = try database.row("""
            SELECT count(*) AS n, min(sent_at) AS first FROM outbox WHERE kind = 'acknowledgement' AND status = 'sent' AND sent_at >= ?
            """, [MailDate.iso8601(since)])
        return (row?["n"].int ?? 0, row?["first"].string.flatMap(MailDate.parseISO8601))
    }

    /// Acknowledgements not yet sent that will be (pending or being sent): how many, and since when the oldest waits.
    public func waitingAcknowledgements() throws -> (count: Int, oldest: Date?) {
        let row = try database.row("""
            SELECT count(*) AS n, min(created_at) AS oldest FROM outbox WHERE kind = 'acknowledgement' AND status IN ('pending', 'sending')
            """)
        return (row?["n"].int ?? 0, row?["oldest"].string.flatMap(MailDate.parseISO8601))
    }

    private static let outboxSQL = """
        SELECT o.id, o.inquiry_id, coalesce(i.reference, o.kind) AS reference, o.kind, o.recipient, o.message_id, o.content, o.status,
               o.attempts, o.last_error, o.next_attempt_at, o.created_at
        FROM outbox o LEFT JOIN inquiries i ON i.id = o.inquiry_id
        """

    static func outboxEntry(_ row: Row) throws -> OutboxEntry {
        let kind = try row.text("kind")
        guard let parsedKind = OutboxEntry.Kind(rawValue: kind) else {
            throw DatabaseError(code: SQLITE_MISMATCH, message: "outbox kind `\(kind)` is not one this mailintake knows")
        }
        return OutboxEntry(id: try row.integer("id"), inquiryID: row["inquiry_id"].int64, reference: try row.text("reference"),
                           kind: parsedKind, recipient: try row.text("recipient"), messageID: try row.text("message_id"),
                           content: try row.required("content") { $0.bytes }, status: try row.text("status"),
                           attempts: Int(try row.integer("attempts")), lastError: row["last_error"].string,
                           nextAttemptAt: try row.text("next_attempt_at"), createdAt: try row.text("created_at"))
    }

    /// Mail that has not gone out: pending, being sent, held or failed, oldest first (without content).
    public func unsentOutbox() throws -> [OutboxEntry] {
        try database.rows(Self.outboxSQL + " WHERE o.status != 'sent' ORDER BY o.id").map { row in
            var entry = try Self.outboxEntry(row)
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
    /// change, or someone else holds it and `OutboxConflict` is thrown. `inFlight` is pending or
    /// sending: an attempt ends in either, depending on whether it got as far as the handover.
    private func transition(id: Int64, from expected: String, _ sql: String, _ arguments: [SQLConvertible?]) throws {
        if expected == Self.inFlight {
            try database.run(sql + " WHERE id = ? AND status IN ('pending', 'sending')", arguments + [id])
        } else {
            try database.run(sql + " WHERE id = ? AND status = ?", arguments + [id, expected])
        }
        guard database.changes == 1 else { throw OutboxConflict(id: id, expected: expected) }
    }

    static let inFlight = "pending or sending"

    /// Marks mail as being handed over, committed when every byte is with libcurl and only the
    /// end of the data is left to send (`MailSubmitter.send`'s `handingOver`). If the process dies
    /// before `markSent`, the row stays `sending`, and `recoverInterruptedSends` marks it
    /// unconfirmed for a person to look at instead of sending it again: the server may have taken
    /// it, and an acknowledgement must never arrive twice. Dying before this leaves it pending.
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
        try transition(id: id, from: Self.inFlight,
                       "UPDATE outbox SET status = 'sent', attempts = attempts + 1, server_reply = ?, sent_at = ?, last_error = NULL",
                       [serverReply, Self.now()])
    }

    /// Records a failed attempt: retried at `retryAt`, or given up (`retryAt == nil`).
    public func markAttemptFailed(id: Int64, error: String, serverReply: String?, retryAt: Date?) throws {
        if let retryAt {
            try transition(id: id, from: Self.inFlight,
                           "UPDATE outbox SET status = 'pending', attempts = attempts + 1, last_error = ?, server_reply = ?, next_attempt_at = ?",
                           [error, serverReply, MailDate.iso8601(retryAt)])
        } else {
            try transition(id: id, from: Self.inFlight, "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, server_reply = ?",
                           [error, serverReply])
        }
    }

    /// The server took the whole message and never confirmed it: kept for a person, never retried.
    public func markUnconfirmed(id: Int64, error: String, serverReply: String?) throws {
        try transition(id: id, from: Self.inFlight, "UPDATE outbox SET status = 'unconfirmed', attempts = attempts + 1, last_error = ?, server_reply = ?",
                       [error, serverReply])
    }

    /// The attempt never reached the point of handing the message over (the server is down, or
    /// refuses our login): back to pending as it was, the attempt not counted against the mail.
    public func releaseSending(id: Int64, error: String) throws {
        try transition(id: id, from: Self.inFlight, "UPDATE outbox SET status = 'pending', last_error = ?", [error])
    }

    /// The outbox row of mail we sent with this Message-ID, if any: what a report is about.
    public func outboxEntry(messageID: String) throws -> OutboxEntry? {
        try database.row(Self.outboxSQL + " WHERE o.message_id = ?", [messageID]).map { try Self.outboxEntry($0) }
    }

    /// An inquiry's acknowledgement, if it has one.
    public func acknowledgement(ofInquiry inquiryID: Int64) throws -> OutboxEntry? {
        try database.row(Self.outboxSQL + " WHERE o.inquiry_id = ? AND o.kind = 'acknowledgement' ORDER BY o.id LIMIT 1", [inquiryID])
            .map { try Self.outboxEntry($0) }
    }

    /// A permanent failure reported for mail we sent: `bounced`, with the status and what the
    /// remote server said, whatever it was before (sent, or unconfirmed: the report proves it left).
    public func markBounced(id: Int64, status: String?, diagnostic: String?) throws {
        try database.run("""
            UPDATE outbox SET status = 'bounced', server_reply = coalesce(?, server_reply),
                last_error = 'bounced: ' || coalesce(?, 'no status given') || coalesce(' ' || ?, '')
            WHERE id = ? AND status IN ('sent', 'unconfirmed', 'bounced')
            """, [status, status, diagnostic, id])
    }

    /// Keeps what a report said, tied to the message it came in and the mail it concerns.
    public func recordDeliveryReport(messageRowID: Int64, outboxID: Int64?, kind: String, status: String?, diagnostic: String?,
                                     recipient: String?, now: Date) throws {
        try database.run("""
            INSERT INTO delivery_reports (message_id, outbox_id, kind, status, diagnostic, recipient, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, [messageRowID, outboxID, kind, status, diagnostic, recipient, MailDate.iso8601(now)])
    }

    public func outboxCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try database.rows("SELECT status, count(*) AS n FROM outbox GROUP BY status") {
            counts[row["status"].string ?? "?"] = row["n"].int ?? 0
        }
        return counts
    }
}

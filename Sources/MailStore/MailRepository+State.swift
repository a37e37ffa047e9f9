import FoundationEssentials
import MailIntakeCore

/// What the service did (for `status` and the metrics), totals, and backups.
extension MailRepository {
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
                                    outbox: [String: [String: Int]], dispositions: [String: Int]) {
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
                suppressed, outbox, byDisposition)
    }

    /// Messages that matched no mail of ours (unmatched bounces and receipts), newest first.
    public func systemMessages(limit: Int) throws -> [(id: Int64, filedAt: String, raw: [UInt8])] {
        try database.rows("""
            SELECT m.id, m.filed_at, c.raw FROM messages m JOIN message_contents c ON c.message_id = m.id
            WHERE m.disposition = 'system' ORDER BY m.id DESC LIMIT ?
            """, [limit]).map {
            (try $0.integer("id"), try $0.text("filed_at"), try $0.required("raw") { $0.bytes })
        }
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
}

import FoundationEssentials
import MailIntakeCore

/// The search index (SQLite FTS5): one row per inquiry, its rowid the inquiry's id, holding the
/// folded text `SearchText.indexed` makes. Written in the filing transaction; read by `search`.
extension MailRepository {
    /// What `search` (and `list`) can narrow by.
    public struct InquiryFilter: Sendable {
        public var field: String?
        public var senderType: String?
        public var intent: String?
        public var language: String?
        public var since: String?
        public var until: String?
        public var needsReview = false
        /// `open`, `answered` or `closed`.
        public var status: String?
        /// Open and due before this day (YYYY-MM-DD, today for `--overdue`).
        public var overdueOn: String?

        public init() {}

        public var isEmpty: Bool {
            field == nil && senderType == nil && intent == nil && language == nil && since == nil && until == nil && !needsReview
                && status == nil && overdueOn == nil
        }

        /// SQL conditions on `inquiries i` and their arguments.
        var conditions: (sql: String, arguments: [SQLConvertible?]) {
            var parts: [String] = []
            var arguments: [SQLConvertible?] = []
            for (column, value) in [("i.field", field), ("i.sender_type", senderType), ("i.intent", intent), ("i.language", language)] {
                if let value { parts.append("\(column) = ?"); arguments.append(value) }
            }
            if let since { parts.append("i.received_at >= ?"); arguments.append(since) }
            if let until { parts.append("i.received_at < ?"); arguments.append(until) }
            if needsReview { parts.append("i.needs_review = 1") }
            if let status { parts.append("i.status = ?"); arguments.append(status) }
            if let overdueOn { parts.append("i.status = 'open' AND i.due_on < ?"); arguments.append(overdueOn) }
            return (parts.map { " AND " + $0 }.joined(), arguments)
        }
    }

    /// Indexes a new inquiry.
    public func indexInquiry(id: Int64, _ document: SearchDocument) throws {
        try Self.indexInquiry(id: id, document, in: database)
    }

    /// Adds a follow-up's text and attachment names to its inquiry's row; an inquiry whose row is
    /// gone (anonymised: retention or an erasure) gets one with what the person wrote since.
    public func indexFollowUp(inquiryID: Int64, _ document: SearchDocument) throws {
        try database.run("""
            UPDATE inquiry_search SET body = body || ' ' || ?, attachments = attachments || ' ' || ? WHERE rowid = ?
            """, [document.body, document.attachments, inquiryID])
        if database.changes == 0 { try Self.indexInquiry(id: inquiryID, document, in: database) }
    }

    /// Inquiries matching an FTS5 expression (`SearchText.query`) and `filter`, newest first,
    /// each with the words that matched in context.
    public func search(_ match: String, filter: InquiryFilter = InquiryFilter(), limit: Int) throws -> [(record: InquiryRecord, snippet: String)] {
        let (conditions, arguments) = filter.conditions
        return try database.rows("""
            \(Self.recordColumns), snippet(inquiry_search, -1, '[', ']', '…', 12) AS snippet
            FROM inquiry_search s JOIN inquiries i ON i.id = s.rowid
            WHERE inquiry_search MATCH ?\(conditions) ORDER BY i.id DESC LIMIT ?
            """, [match] + arguments + [limit]).map { (try Self.record($0), $0["snippet"].string ?? "") }
    }

    private static func indexInquiry(id: Int64, _ document: SearchDocument, in database: Database) throws {
        try database.run("""
            INSERT INTO inquiry_search (rowid, subject, sender, organisation, body, attachments) VALUES (?, ?, ?, ?, ?, ?)
            """, [id, document.subject, document.sender, document.organisation, document.body, document.attachments])
    }

    /// Fills the index for inquiries filed before it existed (the migration's second half). That
    /// migration runs on the schema of its day, when the raw mail was a column of `messages`; on
    /// today's it is in `message_contents`.
    static func backfillSearch(_ database: Database) throws {
        let split = try database.row("SELECT 1 AS n FROM sqlite_master WHERE type = 'table' AND name = 'message_contents'") != nil
        let messages = split
            ? "SELECT m.id, c.raw FROM messages m JOIN message_contents c ON c.message_id = m.id WHERE m.inquiry_id = ? AND m.disposition IN ('inquiry', 'follow_up') ORDER BY m.id"
            : "SELECT id, raw FROM messages WHERE inquiry_id = ? AND disposition IN ('inquiry', 'follow_up') ORDER BY id"
        let inquiries = try database.rows("SELECT id, subject, from_name, from_address FROM inquiries ORDER BY id")
        for inquiry in inquiries {
            guard let id = inquiry["id"].int64 else { continue }
            var body: [String] = []
            var names: [String] = []
            var senders: [String?] = [inquiry["from_name"].string, inquiry["from_address"].string]
            for (index, message) in try database.rows(messages, [id]).enumerated() {
                guard let raw = message["raw"].bytes else { continue }
                let parsed = MessageParser.parse(raw)
                body.append(String(parsed.split.newText.prefix(SearchDocument.textLimit)))
                names += parsed.attachments.compactMap(\.filename)
                if index == 0 { senders += [parsed.fromName, parsed.from?.address] }
            }
            try indexInquiry(id: id, SearchDocument(subject: inquiry["subject"].string ?? "", sender: senders, organisation: nil,
                                                    body: body.joined(separator: " "), attachments: names), in: database)
        }
    }
}

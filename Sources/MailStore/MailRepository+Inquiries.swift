import FoundationEssentials
import MailIntakeCore

/// The inquiries as staff see them, and their corrections.
extension MailRepository {
    // MARK: staff views

    static let recordColumns = """
        SELECT i.id, i.reference, i.received_at, i.from_address, i.from_name, i.subject, i.language, i.field, i.secondary_fields,
               i.sender_type, i.legal_kind, i.intent, i.ack_reason, i.confidence, i.evidence, i.needs_review,
               i.original_labels, i.corrected_at, i.routed_to, i.status, i.due_on, i.interim_until, i.answered_at, i.answered_by,
               i.answered_via, i.closed_at, i.held_reason, i.held_at, i.held_by, i.anonymised_at,
               (SELECT status FROM outbox o WHERE o.inquiry_id = i.id AND o.kind = 'acknowledgement' ORDER BY o.id LIMIT 1) AS ack_status
        """

    private static let recordSQL = recordColumns + " FROM inquiries i"

    static func record(_ row: Row) throws -> InquiryRecord {
        InquiryRecord(
            reference: try row.text("reference"), receivedAt: try row.text("received_at"),
            fromAddress: row["from_address"].string, fromName: row["from_name"].string, subject: try row.text("subject"),
            language: try row.text("language"), field: try row.text("field"), secondaryFields: strings(row["secondary_fields"].string),
            senderType: try row.text("sender_type"), legalKind: row["legal_kind"].string, intent: try row.text("intent"),
            ackStatus: row["ack_status"].string ?? "suppressed", ackReason: row["ack_reason"].string,
            corrected: row["corrected_at"].string != nil, status: try row.text("status"), dueOn: row["due_on"].string,
            interimUntil: row["interim_until"].string, answeredAt: row["answered_at"].string, answeredBy: row["answered_by"].string,
            answeredVia: row["answered_via"].string, closedAt: row["closed_at"].string, routedTo: row["routed_to"].string)
    }

    /// Every inquiry, oldest first, handed over one at a time so an export of years of mail stays small in memory.
    public func forEachInquiry(_ body: (InquiryRecord) throws -> Void) throws {
        try database.forEachRow(Self.recordSQL + " ORDER BY i.id") { try body(try Self.record($0)) }
    }

    /// The newest `limit` inquiries, newest first.
    public func recentInquiries(limit: Int, filter: InquiryFilter = InquiryFilter()) throws -> [InquiryRecord] {
        let (conditions, arguments) = filter.conditions
        return try database.rows(Self.recordSQL + " WHERE 1 = 1\(conditions) ORDER BY i.id DESC LIMIT ?", arguments + [limit]).map { try Self.record($0) }
    }

    public func inquiry(reference: String) throws -> InquiryDetail? {
        guard let row = try database.row(Self.recordSQL + " WHERE i.reference = ?", [reference]), let id = row["id"].int64 else { return nil }
        let messages = try database.rows("""
            SELECT m.id, m.disposition, m.uid, m.size, m.filed_at, m.problems, c.raw
            FROM messages m LEFT JOIN message_contents c ON c.message_id = m.id WHERE m.inquiry_id = ? ORDER BY m.id
            """, [id]).map { m in
            (id: try m.integer("id"), disposition: try m.text("disposition"),
             uid: try m.required("uid") { $0.int64.flatMap { UInt32(exactly: $0) } }, size: Int(try m.integer("size")),
             filedAt: try m.text("filed_at"), problems: Self.strings(m["problems"].string), raw: try m.required("raw") { $0.bytes })
        }
        let outbox = try database.rows("""
            SELECT kind, recipient, status, attempts, last_error, server_reply, sent_at FROM outbox WHERE inquiry_id = ? ORDER BY id
            """, [id]).map { o in
            (kind: try o.text("kind"), recipient: try o.text("recipient"), status: try o.text("status"), attempts: Int(try o.integer("attempts")),
             lastError: o["last_error"].string, serverReply: o["server_reply"].string, sentAt: o["sent_at"].string)
        }
        let attachments = try database.rows("""
            SELECT a.message_id, a.position, a.filename, a.content_type, a.size, a.sha256 FROM attachments a
            JOIN messages m ON m.id = a.message_id WHERE m.inquiry_id = ? ORDER BY a.message_id, a.position
            """, [id]).map { a in
            (messageID: try a.integer("message_id"), position: Int(try a.integer("position")), filename: try a.text("filename"),
             contentType: try a.text("content_type"), size: Int(try a.integer("size")), sha256: try a.text("sha256"))
        }
        let corrections = try database.rows("""
            SELECT corrected_at, corrected_by, note, before, after FROM corrections WHERE inquiry_id = ? ORDER BY id
            """, [id]).compactMap { c -> Correction? in
            guard let before = Self.labels(c["before"].string), let after = Self.labels(c["after"].string) else { return nil }
            return Correction(correctedAt: try c.text("corrected_at"), correctedBy: c["corrected_by"].string, note: c["note"].string,
                              before: before, after: after)
        }
        var detail = InquiryDetail(record: try Self.record(row), confidence: row["confidence"].double ?? 0, evidence: Self.strings(row["evidence"].string),
                                   needsReview: (row["needs_review"].int ?? 0) != 0,
                                   originalLabels: Self.labels(row["original_labels"].string),
                                   corrections: corrections, events: try events(ofInquiry: id), messages: messages, attachments: attachments, outbox: outbox)
        if let reason = row["held_reason"].string { detail.hold = (reason, row["held_at"].string ?? "", row["held_by"].string) }
        detail.anonymisedAt = row["anonymised_at"].string
        return detail
    }

    // MARK: corrections

    /// Every corrected inquiry as a labelled example: the first message filed for it and the
    /// labels staff gave it last, with the highest correction id (what the model has learned through).
    public func correctedExamples() throws -> (examples: [(raw: [UInt8], labels: Labels)], through: Int64) {
        var examples: [(raw: [UInt8], labels: Labels)] = []
        try database.forEachRow("""
            SELECT i.language, i.field, i.secondary_fields, i.sender_type, i.legal_kind, i.intent,
                   (SELECT c.raw FROM messages m JOIN message_contents c ON c.message_id = m.id
                    WHERE m.inquiry_id = i.id AND length(c.raw) > 0 ORDER BY m.id LIMIT 1) AS raw
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

import FoundationEssentials
import MailIntakeCore

/// Personal data as the law asks: retention's purge, legal holds, what a person's access request
/// gathers, erasure, and the audit trail of each (which holds references, counts and keyed
/// hashes, never an address). Anonymising and deleting are the two things expiry and erasure do;
/// `reclaimSpace` makes the bytes leave the file.
extension MailRepository {
    /// What the audit trail records.
    public enum AuditAction: String, Sendable, CaseIterable {
        case purge, subjectAccess = "subject_access", erase, hold, release, replay
    }

    public struct AuditEntry: Sendable, Equatable {
        public var at: String
        public var action: AuditAction
        public var by: String?
        public var reason: String?
        /// Keyed hashes of the person's addresses (`DataSubject.hashes`).
        public var subjects: [String]
        public var references: [String]
        public var counts: [String: Int]
        /// The erasure's id in the journal, for `erase` and `replay`.
        public var erasure: String?
    }

    /// A change to an inquiry that its state does not allow (a hold on a held inquiry, …).
    public struct DataProtectionRefused: Error, CustomStringConvertible {
        public let description: String
    }

    // MARK: the audit trail

    static func makeAuditKey(_ database: Database) throws {
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try database.run("INSERT INTO audit_key (id, key) VALUES (1, ?)", [key])
    }

    /// The key of the audit trail's hashes, made once with the database.
    public func auditKey() throws -> [UInt8] {
        try database.row("SELECT key FROM audit_key WHERE id = 1")?.required("key") { $0.bytes } ?? []
    }

    public func recordAudit(_ action: AuditAction, by person: String?, reason: String?, subjects: [String] = [],
                            references: [String] = [], counts: [String: Int] = [:], erasure: String? = nil, now: Date = Date()) throws {
        let countsJSON = String(decoding: try JSONEncoder.sorted.encode(counts), as: UTF8.self)
        try database.run("""
            INSERT INTO audit_log (at, action, by, reason, subjects, refs, counts, erasure) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [MailDate.iso8601(now), action.rawValue, person, reason, Self.json(subjects), Self.json(references), countsJSON, erasure])
    }

    /// The newest `limit` entries, newest first.
    public func auditLog(limit: Int) throws -> [AuditEntry] {
        try database.rows("SELECT at, action, by, reason, subjects, refs, counts, erasure FROM audit_log ORDER BY id DESC LIMIT ?", [limit]).map { row in
            let counts = (row["counts"].string?.data(using: .utf8)).flatMap { try? JSONDecoder().decode([String: Int].self, from: $0) } ?? [:]
            return AuditEntry(at: try row.text("at"), action: try row.required("action") { $0.string.flatMap(AuditAction.init(rawValue:)) },
                              by: row["by"].string, reason: row["reason"].string, subjects: Self.strings(row["subjects"].string),
                              references: Self.strings(row["refs"].string), counts: counts, erasure: row["erasure"].string)
        }
    }

    // MARK: retention

    /// Every inquiry retention may have work for: not yet anonymised (or, for a `delete` policy, anonymised too).
    public func retentionCandidates() throws -> [RetentionCandidate] {
        try retentionCandidates(where: "1 = 1", [])
    }

    private func retentionCandidates(where condition: String, _ arguments: [SQLConvertible?]) throws -> [RetentionCandidate] {
        try database.rows("""
            SELECT id, reference, field, status, received_at, answered_at, closed_at, held_reason, anonymised_at FROM inquiries
            WHERE \(condition) ORDER BY id
            """, arguments).map { row in
            RetentionCandidate(id: try row.integer("id"), reference: try row.text("reference"), field: try row.text("field"),
                               status: try row.required("status") { $0.string.flatMap(InquiryStatus.init(rawValue:)) },
                               receivedAt: try row.required("received_at") { $0.string.flatMap(MailDate.parseISO8601) },
                               answeredAt: row["answered_at"].string.flatMap(MailDate.parseISO8601),
                               closedAt: row["closed_at"].string.flatMap(MailDate.parseISO8601),
                               heldReason: row["held_reason"].string, anonymised: row["anonymised_at"].string != nil)
        }
    }

    /// Carries out retention's decisions, up to `batch` inquiries a transaction, each batch with
    /// its own audit entry (what is done is audited in the same commit: a crash leaves nothing
    /// done and unrecorded), then gives the space back. A decision whose inquiry is by now held,
    /// reopened or gone is skipped: the plan is checked again inside the transaction.
    public func purge(_ decisions: [RetentionDecision], settings: RetentionSettings, by person: String?,
                      today: HolidayCalendar.Day, now: Date = Date(), batch: Int = 100) throws -> (done: [RetentionDecision], skipped: [String]) {
        var done: [RetentionDecision] = []
        var skipped: [String] = []
        for start in stride(from: 0, to: decisions.count, by: max(1, batch)) {
            let chunk = decisions[start..<min(start + max(1, batch), decisions.count)]
            let applied = try transaction { () -> [RetentionDecision] in
                var applied: [RetentionDecision] = []
                for decision in chunk {
                    guard let current = try retentionCandidate(id: decision.id),
                          RetentionPlan.decide([current], settings: settings, today: today).expired.first?.action == decision.action else {
                        skipped.append(decision.reference)
                        continue
                    }
                    switch decision.action {
                    case .anonymise: try anonymise(inquiryID: decision.id, now: now)
                    case .delete: try deleteInquiry(id: decision.id)
                    }
                    applied.append(decision)
                }
                if !applied.isEmpty {
                    try recordAudit(.purge, by: person, reason: "retention", references: applied.map(\.reference),
                                    counts: ["anonymised": applied.filter { $0.action == .anonymise }.count,
                                             "deleted": applied.filter { $0.action == .delete }.count], now: now)
                }
                return applied
            }
            done += applied
        }
        if !done.isEmpty { try reclaimSpace() }
        return (done, skipped)
    }

    private func retentionCandidate(id: Int64) throws -> RetentionCandidate? {
        try retentionCandidates(where: "id = ?", [id]).first
    }

    /// Inquiries under a legal hold, and anonymised ones, for `status`.
    public func dataProtectionCounts() throws -> (held: Int, anonymised: Int) {
        let row = try database.row("""
            SELECT (SELECT count(*) FROM inquiries WHERE held_reason IS NOT NULL) AS held,
                   (SELECT count(*) FROM inquiries WHERE anonymised_at IS NOT NULL) AS anonymised
            """)
        return (row?["held"].int ?? 0, row?["anonymised"].int ?? 0)
    }

    /// System messages (reports that matched no mail of ours: they belong to no inquiry, so no
    /// inquiry's retention reaches them) filed before `cutoff`.
    public func expiredSystemMessages(filedBefore cutoff: Date) throws -> Int {
        try database.row("SELECT count(*) AS n FROM messages WHERE disposition = 'system' AND filed_at < ?",
                         [MailDate.iso8601(cutoff)])?["n"].int ?? 0
    }

    /// Deletes them, in one transaction with its audit entry; the caller reclaims the space.
    public func deleteSystemMessages(filedBefore cutoff: Date, by person: String?, now: Date = Date()) throws -> Int {
        try transaction {
            let old = "SELECT id FROM messages WHERE disposition = 'system' AND filed_at < ?"
            let cut = MailDate.iso8601(cutoff)
            try database.run("DELETE FROM delivery_reports WHERE message_id IN (\(old))", [cut])
            try database.run("DELETE FROM attachments WHERE message_id IN (\(old))", [cut])
            try database.run("DELETE FROM messages WHERE duplicate_of IN (\(old))", [cut])
            try database.run("DELETE FROM messages WHERE disposition = 'system' AND filed_at < ?", [cut])
            let deleted = database.changes
            if deleted > 0 { try recordAudit(.purge, by: person, reason: "retention (system messages)", counts: ["system_messages": deleted], now: now) }
            return deleted
        }
    }

    // MARK: legal holds

    /// Places a legal hold: retention and erasure leave the inquiry alone until it is released.
    public func hold(reference: String, reason: String, by person: String?, now: Date = Date()) throws -> Bool {
        try transaction {
            guard let row = try database.row("SELECT id, held_reason, anonymised_at FROM inquiries WHERE reference = ?", [reference]) else { return false }
            if let held = row["held_reason"].string { throw DataProtectionRefused(description: "\(reference) is already under a legal hold (\(held)); `release \(reference)` first to change it") }
            if row["anonymised_at"].string != nil { throw DataProtectionRefused(description: "\(reference) is already anonymised: there is no personal data left to hold") }
            try database.run("UPDATE inquiries SET held_reason = ?, held_at = ?, held_by = ? WHERE id = ?",
                             [reason, MailDate.iso8601(now), person, try row.integer("id")])
            try recordAudit(.hold, by: person, reason: reason, references: [reference], now: now)
            return true
        }
    }

    public func release(reference: String, reason: String?, by person: String?, now: Date = Date()) throws -> Bool {
        try transaction {
            guard let row = try database.row("SELECT id, held_reason FROM inquiries WHERE reference = ?", [reference]) else { return false }
            guard row["held_reason"].string != nil else { throw DataProtectionRefused(description: "\(reference) is under no legal hold") }
            try database.run("UPDATE inquiries SET held_reason = NULL, held_at = NULL, held_by = NULL WHERE id = ?", [try row.integer("id")])
            try recordAudit(.release, by: person, reason: reason, references: [reference], now: now)
            return true
        }
    }

    // MARK: a person's data

    /// An inquiry a person's addresses find.
    public struct SubjectInquiry: Sendable, Equatable {
        public var id: Int64
        public var reference: String
        public var status: String
        public var heldReason: String?
        public var fromName: String?
        public var receivedAt: String
    }

    /// The inquiries whose author (the sender, the web form's e-mail field) or Reply-To is one of
    /// `subject`'s addresses, oldest first. Anonymised inquiries hold no address, so none is found.
    public func inquiries(of subject: DataSubject, receivedBy: Date? = nil) throws -> [SubjectInquiry] {
        try inquiries(after: 0, receivedBy: receivedBy) { !subject.keys.isDisjoint(with: $0) }
    }

    /// The inquiries whose author's keyed hash is among `hashes` (an erasure replayed, which
    /// knows the person only by those), received by `receivedBy`, after inquiry `first`.
    func inquiries(hashedAs hashes: Set<String>, key: [UInt8], receivedBy: Date, after first: Int64 = 0) throws -> [SubjectInquiry] {
        try inquiries(after: first, receivedBy: receivedBy) { $0.contains { hashes.contains(DataSubject.hash($0, key: key)) } }
    }

    /// The one scan both lookups make: inquiries not anonymised, after `first`, received by
    /// `receivedBy`, whose author's and Reply-To's address keys (`DataSubject.key`) `match`.
    private func inquiries(after first: Int64, receivedBy: Date?, where match: (Set<String>) -> Bool) throws -> [SubjectInquiry] {
        var found: [SubjectInquiry] = []
        try database.forEachRow("""
            SELECT id, reference, status, held_reason, from_name, from_address, reply_to, received_at FROM inquiries
            WHERE anonymised_at IS NULL AND id > ? ORDER BY id
            """, [first]) { row in
            let keys = Set([row["from_address"].string, row["reply_to"].string].compactMap { $0.flatMap(DataSubject.key) })
            guard match(keys) else { return }
            let received = try row.text("received_at")
            if let receivedBy, let date = MailDate.parseISO8601(received), date > receivedBy { return }
            found.append(SubjectInquiry(id: try row.integer("id"), reference: try row.text("reference"), status: try row.text("status"),
                                        heldReason: row["held_reason"].string, fromName: row["from_name"].string, receivedAt: received))
        }
        return found
    }

    /// Everything `subject-access` hands over about one inquiry: the record, its messages' raw
    /// mail, the mail sent about it (acknowledgements, staff notifications, bounce notices) and
    /// its history.
    public struct SubjectAccessInquiry: Sendable {
        public var detail: InquiryDetail
        public var sentMail: [(kind: String, status: String, createdAt: String, sentAt: String?, content: [UInt8])]
        public var heldReason: String?
    }

    public func subjectAccess(_ inquiry: SubjectInquiry) throws -> SubjectAccessInquiry? {
        guard let detail = try self.inquiry(reference: inquiry.reference) else { return nil }
        let sent = try database.rows("SELECT kind, status, created_at, sent_at, content FROM outbox WHERE inquiry_id = ? ORDER BY id", [inquiry.id]).map { o in
            (kind: try o.text("kind"), status: try o.text("status"), createdAt: try o.text("created_at"), sentAt: o["sent_at"].string,
             content: o["content"].bytes ?? [])
        }
        return SubjectAccessInquiry(detail: detail, sentMail: sent, heldReason: inquiry.heldReason)
    }

    // MARK: anonymising and deleting

    /// Removes the inquiry's personal data and keeps what the statistics need: the reference, the
    /// dates, the labels, the status, the desk and the acknowledgement's outcome. Gone: the
    /// author's name and addresses, the subject, the evidence (words of the mail), the raw mail of
    /// its messages and their duplicates, the attachments' names and fingerprints, the mail sent
    /// about it (content and recipient; mail not yet sent is failed, never sent empty), delivery
    /// reports' diagnostics, staff's notes, and its search index entry.
    func anonymise(inquiryID id: Int64, now: Date) throws {
        try markModelStaleIfTrainedOn(inquiryID: id, now: now)
        let time = MailDate.iso8601(now)
        let messages = "SELECT id FROM messages WHERE inquiry_id = ?"
        try database.run("""
            UPDATE inquiries SET from_address = NULL, from_name = NULL, reply_to = NULL, subject = '', evidence = '[]', anonymised_at = ?,
                held_reason = NULL, held_at = NULL, held_by = NULL WHERE id = ?
            """, [time, id])
        try database.run("UPDATE attachments SET filename = '', sha256 = '' WHERE message_id IN (\(messages))", [id])
        try database.run("""
            UPDATE delivery_reports SET diagnostic = NULL, recipient = NULL, status = NULL
            WHERE message_id IN (\(messages)) OR outbox_id IN (SELECT id FROM outbox WHERE inquiry_id = ?)
            """, [id, id])
        try database.run("UPDATE message_contents SET raw = X'' WHERE message_id IN (\(messages))", [id])
        try database.run("""
            UPDATE messages SET sha256 = '', message_id = NULL, problems = '[]', erased_at = ?
            WHERE inquiry_id = ? OR duplicate_of IN (\(messages))
            """, [time, id, id])
        try database.run("""
            UPDATE outbox SET recipient = '', content = X'', server_reply = NULL,
                \(Self.failUnsent)
            WHERE inquiry_id = ?
            """, [id])
        try database.run("UPDATE corrections SET note = NULL WHERE inquiry_id = ?", [id])
        // A follow-up's event names its sender (the person); staff's moves name staff.
        try database.run("UPDATE inquiry_events SET note = NULL, by = CASE WHEN action = 'follow_up' THEN NULL ELSE by END WHERE inquiry_id = ?", [id])
        try database.run("DELETE FROM inquiry_search WHERE rowid = ?", [id])
        try forgetInDigests(inquiryID: id)
    }

    /// Outbox columns for mail whose content is erased: not yet sent, it fails (never sent
    /// empty); sent or failed, it keeps its status and loses its error text.
    static let failUnsent = """
        last_error = CASE WHEN status IN ('pending', 'held') THEN 'erased before it was sent' ELSE NULL END,
        status = CASE WHEN status IN ('pending', 'held') THEN 'failed' ELSE status END
        """

    /// The desks' daily digests list inquiries with their subjects: a digest naming this
    /// inquiry's reference loses its copy (one not yet sent is failed, never sent empty).
    private func forgetInDigests(inquiryID id: Int64) throws {
        guard let reference = try database.row("SELECT reference FROM inquiries WHERE id = ?", [id])?["reference"].string else { return }
        try database.run("""
            UPDATE outbox SET content = X'', server_reply = NULL,
                \(Self.failUnsent)
            WHERE kind = 'digest' AND length(content) > 0 AND instr(content, CAST(? AS BLOB)) > 0
            """, [reference])
    }

    /// The person wrote again to an anonymised inquiry: it holds their data again, under the new
    /// author, so a later access request, erasure or retention finds it.
    public func reviveIfAnonymised(inquiryID id: Int64, author: String?, name: String?) throws {
        try database.run("""
            UPDATE inquiries SET anonymised_at = NULL, from_address = ?, from_name = ? WHERE id = ? AND anonymised_at IS NOT NULL
            """, [author, name, id])
    }

    /// Removes the inquiry and everything of it. Its reference is never given again (the counter stays).
    func deleteInquiry(id: Int64) throws {
        try markModelStaleIfTrainedOn(inquiryID: id, now: Date())
        try forgetInDigests(inquiryID: id)
        // Its messages, and the duplicates recorded of them (which point at them).
        let messages = "SELECT id FROM messages WHERE inquiry_id = ?1 OR duplicate_of IN (SELECT id FROM messages WHERE inquiry_id = ?1)"
        try database.run("DELETE FROM delivery_reports WHERE message_id IN (\(messages)) OR outbox_id IN (SELECT id FROM outbox WHERE inquiry_id = ?1)", [id])
        try database.run("DELETE FROM attachments WHERE message_id IN (\(messages))", [id])
        try database.run("DELETE FROM messages WHERE duplicate_of IN (SELECT id FROM messages WHERE inquiry_id = ?)", [id])
        try database.run("DELETE FROM messages WHERE inquiry_id = ?", [id])
        for table in ["outbox", "corrections", "inquiry_events"] {
            try database.run("DELETE FROM \(table) WHERE inquiry_id = ?", [id])
        }
        try database.run("DELETE FROM inquiry_search WHERE rowid = ?", [id])
        try database.run("DELETE FROM inquiries WHERE id = ?", [id])
    }

    /// The learned model is made of the words of corrected inquiries' mail: when one of those is
    /// anonymised or deleted, the model must be rebuilt without it (`modelNeedsRebuilding`).
    private func markModelStaleIfTrainedOn(inquiryID id: Int64, now: Date) throws {
        guard try database.row("SELECT 1 AS n FROM corrections WHERE inquiry_id = ? LIMIT 1", [id]) != nil else { return }
        try setState([Self.modelStaleKey: MailDate.iso8601(now)], now: now)
    }

    static let modelStaleKey = "model.stale_since_erasure"

    /// When an erasure or the purge last removed mail the learned model was trained on; nil if
    /// none did since the model was last rebuilt.
    public func modelStaleSince() throws -> String? {
        try database.row("SELECT value FROM service_state WHERE key = ?", [Self.modelStaleKey])?["value"].string
    }

    /// The model was rebuilt from what the database held at `since` or later; a removal after
    /// that keeps it stale.
    public func modelRebuilt(staleSince since: String) throws {
        try database.run("DELETE FROM service_state WHERE key = ? AND value = ?", [Self.modelStaleKey, since])
    }

    /// Makes removed bytes leave the file: the search index merged (FTS5 keeps a deleted row's
    /// terms in old segments until a merge), the WAL copied into the file and truncated, the free
    /// pages (zeroed by `secure_delete`) given back. A database made before incremental vacuum is
    /// rebuilt once with VACUUM, which also switches it on (its temporary copy on disk, not in
    /// memory: a database of years of mail does not fit). Returns false when a reader kept the WAL
    /// from being emptied: the data is gone from the database, but older copies of its pages may
    /// stay in the WAL until the next full checkpoint (the service's stop, the next purge).
    @discardableResult
    public func reclaimSpace() throws -> Bool {
        try database.execute("INSERT INTO inquiry_search (inquiry_search) VALUES ('optimize')")
        if try database.row("PRAGMA auto_vacuum")?["auto_vacuum"].int == 0 {
            try database.execute("PRAGMA auto_vacuum = INCREMENTAL")
            try database.execute("PRAGMA temp_store = FILE")
            defer { try? database.execute("PRAGMA temp_store = MEMORY") }
            try database.execute("VACUUM")
        } else {
            try database.execute("PRAGMA incremental_vacuum")
        }
        for attempt in 0..<3 {
            if try database.checkpointTruncating() { lastReclaimComplete = true; return true }
            if attempt < 2 { usleep(200_000) }
        }
        lastReclaimComplete = false
        return false
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

/// Erasure (Article 17) and its replay after a restore.
extension MailRepository {
    /// Anonymises `inquiries` (as retention's `anonymise` does) for the person `subject`: the
    /// journal first (durable), then one transaction with its audit entry, then the space is
    /// reclaimed. The caller has decided which inquiries may go (`ErasureRequest`).
    public func erase(_ inquiries: [SubjectInquiry], keeping kept: [SubjectInquiry] = [], subject: DataSubject, reason: String, forced: String?,
                      by person: String?, journal: ErasureJournal, now: Date = Date()) throws -> ErasureRecord {
        let key = try auditKey()
        let record = ErasureRecord(at: MailDate.iso8601(now), subjects: subject.hashes(key: key),
                                   erased: inquiries.map { .init(reference: $0.reference, received: $0.receivedAt) },
                                   kept: kept.map { .init(reference: $0.reference, received: $0.receivedAt) })
        try journal.append(record)
        try transaction {
            for inquiry in inquiries { try anonymise(inquiryID: inquiry.id, now: now) }
            try recordAudit(.erase, by: person, reason: forced.map { "\(reason); forced: \($0)" } ?? reason, subjects: record.subjects,
                            references: record.references, counts: ["anonymised": inquiries.count, "kept": kept.count], erasure: record.id, now: now)
        }
        try reclaimSpace()
        return record
    }

    /// Carries out again what `records` erased, where this database still holds it: inquiries by
    /// their references (a backup from before the erasure), and inquiries of the person's
    /// addresses received by the erasure's time, filed anew under other references (mail fetched
    /// again after a restore) — but not those the erasure kept (held or open, `record.kept`). Only inquiries after `afterInquiry` are looked at by address (after a
    /// poll, the new ones). Each replay is audited; returns what it anonymised, by erasure.
    public func replayErasures(_ records: [ErasureRecord], afterInquiry: Int64 = 0, by person: String?,
                               now: Date = Date()) throws -> [(erasure: String, references: [String])] {
        guard !records.isEmpty else { return [] }
        let key = try auditKey()
        var replayed: [(erasure: String, references: [String])] = []
        for record in records {
            guard let erasedAt = MailDate.parseISO8601(record.at) else { continue }
            // The same inquiries: the same reference and the same receipt (a key of another
            // database, after restoring one from before its audit key, cannot match by address).
            var found = Set<Int64>()
            for erased in record.erased {
                if let id = try database.row("SELECT id FROM inquiries WHERE anonymised_at IS NULL AND reference = ? AND received_at = ? AND id > ?",
                                             [erased.reference, erased.received, afterInquiry])?["id"].int64 { found.insert(id) }
            }
            // The same person's mail received by then, filed again under other references — but
            // not what the erasure kept (held, or open), under whatever reference it is now.
            let keptReceipts = Set(record.kept.map(\.received))
            for match in try inquiries(hashedAs: Set(record.subjects), key: key, receivedBy: erasedAt, after: afterInquiry)
            where !keptReceipts.contains(match.receivedAt) {
                found.insert(match.id)
            }
            let ids = found.sorted()
            guard !ids.isEmpty else { continue }
            let references = try transaction { () -> [String] in
                var references: [String] = []
                for id in ids {
                    if let reference = try database.row("SELECT reference FROM inquiries WHERE id = ?", [id])?["reference"].string { references.append(reference) }
                    try anonymise(inquiryID: id, now: now)
                }
                try recordAudit(.replay, by: person, reason: "erasure of \(record.at) carried out again", subjects: record.subjects,
                                references: references, counts: ["anonymised": ids.count], erasure: record.id, now: now)
                return references
            }
            replayed.append((record.id, references))
        }
        if !replayed.isEmpty { try reclaimSpace() }
        return replayed
    }

    /// The highest inquiry id: where the next replay after a poll starts.
    public func lastInquiryID() throws -> Int64 {
        try database.row("SELECT coalesce(max(id), 0) AS n FROM inquiries")?["n"].int64 ?? 0
    }
}

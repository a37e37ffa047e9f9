import FoundationEssentials
import MailIntakeCore

/// An inquiry's life (`InquiryStatus`): answered, closed, reopened, an interim reply promised,
/// each change kept in `inquiry_events` with who made it; the due days; what the digest and
/// `status` count as overdue.
extension MailRepository {
    /// A change `InquiryStatus` does not allow, with its reason for the person who asked.
    public struct LifecycleRefused: Error, CustomStringConvertible {
        public let reference: String
        public let reason: String
        public var description: String { "\(reference) \(reason)" }
    }

    /// What a change did.
    public struct LifecycleChange: Sendable, Equatable {
        public var before: InquiryStatus
        public var after: InquiryStatus
        public var dueOn: String?
    }

    /// Applies `action` to the inquiry `id`, in one transaction with its event. `at` is when it
    /// happened (an answer's own date); `by` who did it; `via` how an answer was seen. A reopened
    /// inquiry (by staff, or by the person's follow-up) is a new letter: due `deadlines` from `at`.
    /// Returns nil when nothing changes because the move does not apply to a follow-up of an open
    /// inquiry or an answer already recorded (the intake's moves are idempotent); staff's refused
    /// moves throw `LifecycleRefused`.
    @discardableResult
    public func apply(_ action: InquiryStatus.Action, inquiryID id: Int64, at: Date, by person: String?, note: String? = nil,
                      via: String? = nil, interimUntil: HolidayCalendar.Day? = nil, deadlines: DeadlineSettings = DeadlineSettings(),
                      holidays: HolidayCalendar = HolidayCalendar(), strict: Bool = true) throws -> LifecycleChange? {
        try transaction {
            guard let row = try database.row("SELECT reference, status, field, due_on FROM inquiries WHERE id = ?", [id]) else { return nil }
            let reference = try row.text("reference")
            let before = try row.required("status") { $0.string.flatMap(InquiryStatus.init(rawValue:)) }
            if action == .followUp && before == .open { return nil }
            guard let after = before.after(action) else {
                if strict { throw LifecycleRefused(reference: reference, reason: before.refusal(action)) }
                return nil
            }
            var due = row["due_on"].string
            let time = MailDate.iso8601(at)
            switch action {
            case .answer:
                try database.run("""
                    UPDATE inquiries SET status = 'answered', answered_at = coalesce(answered_at, ?), answered_by = coalesce(answered_by, ?),
                        answered_via = coalesce(answered_via, ?) WHERE id = ?
                    """, [time, person, via, id])
            case .close:
                try database.run("UPDATE inquiries SET status = 'closed', closed_at = ? WHERE id = ?", [time, id])
            case .reopen, .followUp:
                due = deadlines.due(received: at, field: try row.text("field"), holidays: holidays).description
                try database.run("UPDATE inquiries SET status = 'open', closed_at = NULL, interim_until = NULL, due_on = ? WHERE id = ?", [due, id])
            case .interim:
                guard let interimUntil else { throw LifecycleRefused(reference: reference, reason: "needs the day the answer is promised for (--until)") }
                due = interimUntil.description
                try database.run("UPDATE inquiries SET interim_until = ?, due_on = ? WHERE id = ?", [due, due, id])
            }
            try database.run("""
                INSERT INTO inquiry_events (inquiry_id, at, action, status, by, note) VALUES (?, ?, ?, ?, ?, ?)
                """, [id, MailDate.iso8601(Date()), action.rawValue, after.rawValue, person,
                      [note, via.map { "seen \($0)" }, action == .answer && at < Date().addingTimeInterval(-60) ? "answered \(time)" : nil]
                        .compactMap { $0 }.joined(separator: "; ").nilIfEmpty])
            return LifecycleChange(before: before, after: after, dueOn: due)
        }
    }

    /// `apply` by reference, for the staff commands; nil when there is no such inquiry.
    public func apply(_ action: InquiryStatus.Action, reference: String, at: Date, by person: String?, note: String?,
                      interimUntil: HolidayCalendar.Day? = nil, deadlines: DeadlineSettings, holidays: HolidayCalendar) throws -> LifecycleChange? {
        guard let id = try inquiryID(reference: reference) else { return nil }
        return try apply(action, inquiryID: id, at: at, by: person, note: note, via: action == .answer ? "recorded by staff" : nil,
                         interimUntil: interimUntil, deadlines: deadlines, holidays: holidays)
    }

    /// An inquiry's events, oldest first.
    public func events(ofInquiry id: Int64) throws -> [(at: String, action: String, status: String, by: String?, note: String?)] {
        try database.rows("SELECT at, action, status, by, note FROM inquiry_events WHERE inquiry_id = ? ORDER BY id", [id]).map {
            (try $0.text("at"), try $0.text("action"), try $0.text("status"), $0["by"].string, $0["note"].string)
        }
    }

    /// Records `reply`, mail the office sent, as the answer to inquiry `id` if it went to the
    /// inquiry's author (or the Reply-To they gave), dated by its own Date or else `received`.
    /// Nil when it answers nobody (a forward to a colleague); otherwise whether the inquiry
    /// changed (not when it was answered already, or is closed).
    @discardableResult
    public func recordAnswer(_ reply: OfficeReply, inquiryID id: Int64, via: String, received: Date) throws -> Bool? {
        let row = try database.row("SELECT from_address, reply_to FROM inquiries WHERE id = ?", [id])
        guard reply.answers(author: row?["from_address"].string, replyTo: row?["reply_to"].string) else { return nil }
        return try apply(.answer, inquiryID: id, at: reply.date ?? received, by: reply.answeredBy, via: via, strict: false) != nil
    }

    /// Whether we sent mail with this Message-ID (an acknowledgement, a notification, a digest).
    public func isOurMail(messageID: String) throws -> Bool {
        try database.row("SELECT 1 AS n FROM outbox WHERE message_id = ?", [messageID]) != nil
    }

    // MARK: deadlines

    /// Open inquiries due on or before `day`, with their desk (nil: routed to no one) and field, soonest first.
    public func openInquiries(dueBy day: HolidayCalendar.Day) throws -> [(desk: String?, field: String, item: DeadlineDigest.Item)] {
        try database.rows("""
            SELECT reference, received_at, due_on, subject, field, routed_to, interim_until FROM inquiries
            WHERE status = 'open' AND due_on <= ? ORDER BY due_on, id
            """, [day.description]).compactMap { row in
            guard let due = row["due_on"].string.flatMap(HolidayCalendar.Day.init(iso:)),
                  let received = row["received_at"].string.flatMap(MailDate.parseISO8601) else { return nil }
            return (row["routed_to"].string, try row.text("field"), DeadlineDigest.Item(reference: try row.text("reference"), received: HolidayCalendar.Day(local: received),
                                                                due: due, subject: try row.text("subject"), interim: row["interim_until"].string != nil))
        }
    }

    /// Open inquiries overdue on `today` (due before it), and due within `soon` days.
    public func deadlineCounts(today: HolidayCalendar.Day, soon: Int) throws -> (overdue: Int, dueSoon: Int, oldestDue: String?) {
        let row = try database.row("""
            SELECT sum(due_on < ?) AS overdue, sum(due_on >= ? AND due_on <= ?) AS soon, min(due_on) AS oldest
            FROM inquiries WHERE status = 'open'
            """, [today.description, today.description, today.adding(days: soon).description])
        let overdue = row?["overdue"].int ?? 0
        return (overdue, row?["soon"].int ?? 0, overdue > 0 ? row?["oldest"].string : nil)
    }

    /// How many inquiries are open, answered and closed.
    public func statusCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try database.rows("SELECT status, count(*) AS n FROM inquiries GROUP BY status") { counts[try row.text("status")] = row["n"].int ?? 0 }
        return counts
    }

    /// Puts a digest in the outbox unless one with its Message-ID (the desk and the day) is
    /// there already. Returns whether it was added.
    @discardableResult
    public func enqueueDigest(recipient: String, messageID: String, content: [UInt8], now: Date = Date()) throws -> Bool {
        try database.run("""
            INSERT INTO outbox (inquiry_id, kind, recipient, message_id, content, status, next_attempt_at, created_at)
            VALUES (NULL, 'digest', ?, ?, ?, 'pending', ?, ?) ON CONFLICT (message_id) DO NOTHING
            """, [recipient, messageID, SQLValue.blob(content), MailDate.iso8601(now), MailDate.iso8601(now)])
        return database.changes == 1
    }

    /// The due days of inquiries filed before deadlines existed (the migration's second half):
    /// 15 days from receipt, on Slovenia's calendar; `[deadlines]` applies to mail filed from now on.
    static func backfillDueDays(_ database: Database) throws {
        let settings = DeadlineSettings(), holidays = HolidayCalendar()
        for row in try database.rows("SELECT id, received_at, field FROM inquiries") {
            guard let id = row["id"].int64, let received = row["received_at"].string.flatMap(MailDate.parseISO8601) else { continue }
            try database.run("UPDATE inquiries SET due_on = ? WHERE id = ?",
                             [settings.due(received: received, field: row["field"].string ?? "", holidays: holidays).description, id])
        }
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

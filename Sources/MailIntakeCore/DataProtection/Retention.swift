import FoundationEssentials

/// How long inquiries are kept, and what their expiry does (`[retention]`). The office's
/// classification plan sets the period (ZVDAGA and the Uredba o upravnem poslovanju leave it to
/// each body), so it is configuration: `default = 10y`, a period per field (`other = 2y`), and
/// `expiry = anonymise` or `delete` (also per field: `expiry.other = delete`). Without a period
/// nothing expires. The clock starts when an inquiry is closed; one answered and never closed
/// counts from its answer (or its receipt, if later); an open one — new, or reopened by the
/// person's follow-up — never expires: the office still owes it an answer.
public struct RetentionSettings: Sendable, Equatable {
    /// What expiry does to an inquiry.
    public enum Expiry: String, Sendable, CaseIterable {
        /// The whole inquiry goes: messages, attachments, mail sent, corrections, events, index.
        case delete
        /// The raw mail, attachments' names, text, names and addresses go; the reference, the
        /// dates, the labels and the acknowledgement's outcome stay, for the report's statistics.
        case anonymise
    }

    /// A retention period: whole years (calendar years, so 10y ends on the same day ten years
    /// on) and days; nil periods mean "kept for good".
    public struct Period: Sendable, Equatable, CustomStringConvertible {
        public var years: Int
        public var days: Int

        public init(years: Int = 0, days: Int = 0) {
            self.years = years
            self.days = days
        }

        /// `10y`, `18y`, `90d`; nil for anything else (the configuration reader names the key).
        public init?(_ text: String) {
            let text = text.trimmed().lowercased()
            guard let unit = text.last, let number = Int(text.dropLast()), number > 0, text.dropLast().allSatisfy(\.isNumber) else { return nil }
            switch unit {
            case "y" where number <= 100: self.init(years: number)
            case "d" where number <= 36_500: self.init(days: number)
            default: return nil
            }
        }

        public var description: String { years > 0 ? "\(years)y" : "\(days)d" }

        /// The day `period` before `day`: what expires today started on it or earlier.
        public func before(_ day: HolidayCalendar.Day) -> HolidayCalendar.Day {
            HolidayCalendar.Day(year: day.year - years, month: day.month, day: 1).adding(days: day.day - 1 - days)
        }

        /// The day `period` after `day`; 29 February plus a year is 1 March.
        public func after(_ day: HolidayCalendar.Day) -> HolidayCalendar.Day {
            let shifted = HolidayCalendar.Day(year: day.year + years, month: day.month, day: 1).adding(days: day.day - 1)
            return shifted.adding(days: days)
        }
    }

    /// "default" and field names → period.
    public var periods: [String: Period]
    /// "default" or fields set to `forever`: kept for good (archives).
    public var forever: Set<String>
    /// "default" and field names → what expiry does.
    public var expiries: [String: Expiry]

    public init(periods: [String: Period] = [:], forever: Set<String> = [], expiries: [String: Expiry] = ["default": .anonymise]) {
        self.periods = periods
        self.forever = forever
        self.expiries = expiries
    }

    /// Whether anything can ever expire.
    public var isConfigured: Bool { !periods.isEmpty }

    /// The field's own period (or `forever`), else the default's; nil: kept for good.
    public func period(for field: String) -> Period? {
        if forever.contains(field) { return nil }
        if let specific = periods[field] { return specific }
        return forever.contains("default") ? nil : periods["default"]
    }

    public func expiry(for field: String) -> Expiry { expiries[field] ?? expiries["default"] ?? .anonymise }
}

/// One inquiry as retention sees it.
public struct RetentionCandidate: Sendable, Equatable {
    public var id: Int64
    public var reference: String
    public var field: String
    public var status: InquiryStatus
    public var receivedAt: Date
    public var answeredAt: Date?
    public var closedAt: Date?
    /// The legal hold's reason, when one is placed.
    public var heldReason: String?
    /// Already anonymised: only a `delete` policy still has work to do.
    public var anonymised: Bool

    public init(id: Int64, reference: String, field: String, status: InquiryStatus, receivedAt: Date, answeredAt: Date?, closedAt: Date?,
                heldReason: String?, anonymised: Bool) {
        self.id = id
        self.reference = reference
        self.field = field
        self.status = status
        self.receivedAt = receivedAt
        self.answeredAt = answeredAt
        self.closedAt = closedAt
        self.heldReason = heldReason
        self.anonymised = anonymised
    }
}

/// What retention decides for one inquiry: it expired on `expiredOn`, counted from its closing
/// (or receipt) under `period`, and `action` is done to it — unless a legal hold keeps it.
public struct RetentionDecision: Sendable, Equatable, CustomStringConvertible {
    public var id: Int64
    public var reference: String
    public var action: RetentionSettings.Expiry
    public var expiredOn: HolidayCalendar.Day
    /// "closed 2016-03-01", "answered 2016-03-01" or "received 2016-03-01".
    public var basis: String
    public var period: RetentionSettings.Period
    public var field: String
    public var heldReason: String?

    public var description: String {
        "\(reference)  \(action.rawValue)  \(field): kept \(period) after \(basis), expired \(expiredOn)"
            + (heldReason.map { "  KEPT: legal hold (\($0))" } ?? "")
    }
}

/// The retention plan: which inquiries have expired by `today`, and which of those a legal hold
/// keeps. `purge --dry-run` prints it, `purge` (and the daemon, daily) carries it out, from the
/// same function, so the dry run shows exactly what the real one does.
public enum RetentionPlan {
    public static func decide(_ candidates: [RetentionCandidate], settings: RetentionSettings,
                              today: HolidayCalendar.Day) -> (expired: [RetentionDecision], held: [RetentionDecision]) {
        var expired: [RetentionDecision] = []
        var held: [RetentionDecision] = []
        for candidate in candidates {
            guard let period = settings.period(for: candidate.field) else { continue }
            let action = settings.expiry(for: candidate.field)
            if candidate.anonymised && action == .anonymise { continue }
            guard let (event, time) = Self.clockStart(candidate) else { continue }
            let start = HolidayCalendar.Day(local: time)
            let ends = period.after(start)
            guard ends <= today else { continue }
            let decision = RetentionDecision(id: candidate.id, reference: candidate.reference, action: action, expiredOn: ends,
                                             basis: "\(event) \(start)",
                                             period: period, field: candidate.field, heldReason: candidate.heldReason)
            if candidate.heldReason == nil { expired.append(decision) } else { held.append(decision) }
        }
        return (expired, held)
    }

    /// When an inquiry's retention starts counting, and why; nil while it is open.
    static func clockStart(_ candidate: RetentionCandidate) -> (event: String, time: Date)? {
        switch candidate.status {
        case .open: return nil
        case .closed: return ("closed", candidate.closedAt ?? candidate.answeredAt ?? candidate.receivedAt)
        case .answered:
            guard let answered = candidate.answeredAt, answered > candidate.receivedAt else { return ("received", candidate.receivedAt) }
            return ("answered", answered)
        }
    }
}

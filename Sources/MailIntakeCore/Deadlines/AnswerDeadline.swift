import FoundationEssentials

/// When the office must have answered, as Article 17 of the Uredba o upravnem poslovanju sets
/// it: within 15 days of receipt (calendar days), or by the date an interim reply promised.
/// `[deadlines] answer_within = 15d` is the default and `answer_within.FIELD` a field's own.
public struct DeadlineSettings: Sendable, Equatable {
    /// Calendar days from receipt, by field; `default` for the rest.
    public var answerWithin: [String: Int]
    /// "Due soon" in the digest and the report: due within this many days.
    public var dueSoon: Int
    /// Whether each desk gets a daily digest of what is due and overdue.
    public var digest: Bool
    /// The local time of day after which the day's digest goes out (minutes after midnight).
    public var digestAt: Int

    public static let lawfulDays = 15

    public init(answerWithin: [String: Int] = ["default": DeadlineSettings.lawfulDays], dueSoon: Int = 3, digest: Bool = true, digestAt: Int = 8 * 60) {
        self.answerWithin = answerWithin
        self.dueSoon = dueSoon
        self.digest = digest
        self.digestAt = digestAt
    }

    public func days(for field: String) -> Int { answerWithin[field] ?? answerWithin["default"] ?? Self.lawfulDays }

    /// The last day an answer to mail received at `received` may be sent: `days(for:)` calendar
    /// days after the day of receipt; a deadline ending on a Saturday, a Sunday or a work-free
    /// day ends on the next working day, as the general rule for deadlines (ZUP, Article 101)
    /// has it.
    public func due(received: Date, field: String, holidays: HolidayCalendar) -> HolidayCalendar.Day {
        var day = HolidayCalendar.day(HolidayCalendar.Day(local: received), plus: days(for: field))
        while !holidays.isWorkingDay(day) { day = HolidayCalendar.day(day, plus: 1) }
        return day
    }
}

extension HolidayCalendar.Day {
    /// The day `date` falls on in local time (the office's; the service runs in its zone).
    public init(local date: Date) {
        let fields = HolidayCalendar.localFields(date)
        self.init(year: Int(fields.tm_year) + 1900, month: Int(fields.tm_mon) + 1, day: Int(fields.tm_mday))
    }

    /// When something staff date by the day alone happened (`answered --at 2026-03-01`): noon of
    /// that day, which falls on it in any zone the office uses; but today, noon may still be
    /// hours ahead, and then it is now (a reply recorded at nine in the morning did not happen
    /// in the future).
    public func moment(now: Date) -> Date {
        self == HolidayCalendar.Day(local: now) ? min(localNoon, now) : localNoon
    }

    /// Noon of the day in local time: a time that falls on this day in any zone the office uses.
    public var localNoon: Date {
        var fields = tm()
        fields.tm_year = Int32(year - 1900)
        fields.tm_mon = Int32(month - 1)
        fields.tm_mday = Int32(day)
        fields.tm_hour = 12
        fields.tm_isdst = -1
        return Date(timeIntervalSince1970: TimeInterval(mktime(&fields)))
    }

    /// 0 for Sunday to 6 for Saturday (1 January 1970 was a Thursday).
    public var weekday: Int {
        let days = HolidayCalendar.daysFromCivil(self)
        return ((days % 7) + 11) % 7
    }

    public func adding(days: Int) -> HolidayCalendar.Day { HolidayCalendar.day(self, plus: days) }

    /// Days from `self` to `other` (negative when `other` is earlier).
    public func days(to other: HolidayCalendar.Day) -> Int { HolidayCalendar.daysFromCivil(other) - HolidayCalendar.daysFromCivil(self) }
}

extension DeadlineSettings {
    /// Whether the day's digest may go at `now`: it is `digestAt` or later, local time.
    public func isDigestTime(_ now: Date) -> Bool {
        let fields = HolidayCalendar.localFields(now)
        return Int(fields.tm_hour) * 60 + Int(fields.tm_min) >= digestAt
    }
}

extension HolidayCalendar {
    /// `date` in local time, broken down (the one place the calendar asks the zone).
    static func localFields(_ date: Date) -> tm {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var fields = tm()
        localtime_r(&seconds, &fields)
        return fields
    }

    /// Monday to Friday and not a work-free day.
    public func isWorkingDay(_ day: Day) -> Bool { day.weekday != 0 && day.weekday != 6 && !isHoliday(day) }
}

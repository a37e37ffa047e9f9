import FoundationEssentials

/// The days no one works in Slovenia, for the working-day arithmetic of the acknowledgement's
/// promise (`{{answer_by}}`, `[working_days]`): the work-free days of the Public Holidays and
/// Work-Free Days Act (1 and 2 January, 8 February, Easter Sunday and Monday, 27 April, 1 and 2
/// May, Whit Sunday, 25 June, 15 August, 31 October, 1 November, 25 and 26 December), and one-off
/// days the government declares (14 August 2023), from `[deadlines] holidays`.
public struct HolidayCalendar: Sendable, Equatable {
    /// A calendar day, without a time or a zone.
    public struct Day: Hashable, Sendable, Comparable, CustomStringConvertible {
        public let year: Int, month: Int, day: Int

        public init(year: Int, month: Int, day: Int) {
            self.year = year
            self.month = month
            self.day = day
        }

        /// `2023-08-14`.
        public init?(iso text: String) {
            let parts = text.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]), (1900...2999).contains(parts[0]) else { return nil }
            self.init(year: parts[0], month: parts[1], day: parts[2])
        }

        public static func < (a: Day, b: Day) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
        public var description: String { Formatting.padded(year, width: 4) + "-" + Formatting.padded(month, width: 2) + "-" + Formatting.padded(day, width: 2) }
    }

    /// Days beyond the fixed and the Easter-bound ones.
    public var extraDays: Set<Day>

    public init(extraDays: Set<Day> = []) { self.extraDays = extraDays }

    static let fixed: [(month: Int, day: Int)] = [(1, 1), (1, 2), (2, 8), (4, 27), (5, 1), (5, 2), (6, 25), (8, 15), (10, 31), (11, 1), (12, 25), (12, 26)]

    /// Easter Sunday in the Gregorian calendar (the anonymous algorithm of Meeus, Jones and Butcher).
    public static func easter(_ year: Int) -> Day {
        let a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4
        let f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1
        return Day(year: year, month: month, day: day)
    }

    /// Every work-free day of `year`, in order.
    public func holidays(in year: Int) -> [Day] {
        let easter = Self.easter(year)
        let movable = [0, 1, 49].map { Self.day(easter, plus: $0) }
        let days = Self.fixed.map { Day(year: year, month: $0.month, day: $0.day) } + movable + extraDays.filter { $0.year == year }
        return Set(days).sorted()
    }

    public func isHoliday(_ day: Day) -> Bool {
        extraDays.contains(day) || Self.fixed.contains { $0.month == day.month && $0.day == day.day }
            || [0, 1, 49].contains { Self.day(Self.easter(day.year), plus: $0) == day }
    }

    /// `date` plus `days` working days: Monday to Friday, not a work-free day, in local time.
    public func addingWorkingDays(_ days: Int, to date: Date) -> Date {
        var result = date
        var left = days
        while left > 0 {
            result = result.addingTimeInterval(86_400)
            if isWorkingDay(Day(local: result)) { left -= 1 }
        }
        return result
    }

    /// The day `offset` days after `day` (proleptic Gregorian, through the days since 1970).
    static func day(_ day: Day, plus offset: Int) -> Day {
        civil(fromDays: daysFromCivil(day) + offset)
    }

    // Howard Hinnant's civil-date algorithms: exact for any year, no time zone involved.
    static func daysFromCivil(_ d: Day) -> Int {
        let y = d.month <= 2 ? d.year - 1 : d.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (d.month + (d.month > 2 ? -3 : 9)) + 2) / 5 + d.day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z: Int) -> Day {
        let z = z + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp + (mp < 10 ? 3 : -9)
        return Day(year: yoe + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }
}

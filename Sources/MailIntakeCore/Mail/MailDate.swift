import FoundationEssentials

/// Dates as mail and our database write them: RFC 5322 (parsing what real mail carries — obsolete
/// zone names, two-digit years, missing seconds or weekday — and writing the canonical form),
/// IMAP INTERNALDATE, and ISO 8601 in UTC. Done by hand with timegm/gmtime_r because Foundation's
/// formatters build an ICU formatter each time, which cost more than filing the message itself.
public enum MailDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    private static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let zones: [String: Int] = [
        "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
        "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "CET": 1, "CEST": 2,
    ]

    /// An RFC 5322 Date field's value, or nil when it cannot be read.
    public static func parse(_ value: String) -> Date? {
        var text = value
        if let paren = text.firstIndex(of: "(") { text = String(text[..<paren]) }  // trailing comment such as (CET)
        var tokens = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
        if let first = tokens.first, Int(first) == nil { tokens.removeFirst() }  // weekday
        guard tokens.count >= 4, let day = Int(tokens[0]), let month = monthIndex(tokens[1]), var year = Int(tokens[2]) else { return nil }
        if year < 50 { year += 2000 } else if year < 1000 { year += 1900 }
        let offset = tokens.count >= 5 ? zoneOffset(tokens[4]) : 0
        return date(year: year, month: month, day: day, time: tokens[3], offsetSeconds: offset)
    }

    /// IMAP INTERNALDATE: `28-Nov-2026 14:02:48 +0000` (the day may be space-padded).
    public static func parseInternalDate(_ value: String) -> Date? {
        let tokens = value.split(separator: " ").map(String.init)
        guard tokens.count == 3 else { return nil }
        let dayMonthYear = tokens[0].split(separator: "-").map(String.init)
        guard dayMonthYear.count == 3, let day = Int(dayMonthYear[0]), let month = monthIndex(dayMonthYear[1]),
              let year = Int(dayMonthYear[2]) else { return nil }
        return date(year: year, month: month, day: day, time: tokens[1], offsetSeconds: zoneOffset(tokens[2]))
    }

    private static func monthIndex(_ name: String) -> Int? {
        months.firstIndex(of: String(name.prefix(3)).lowercased())
    }

    private static func zoneOffset(_ zone: String) -> Int {
        if let sign = zone.first, sign == "+" || sign == "-", zone.count == 5, let number = Int(zone.dropFirst()) {
            return (number / 100 * 3600 + number % 100 * 60) * (sign == "-" ? -1 : 1)
        }
        return (zones[zone.uppercased()] ?? 0) * 3600
    }

    private static func date(year: Int, month: Int, day: Int, time: String, offsetSeconds: Int) -> Date? {
        // Every number is range-checked before it becomes an Int32: `99999999999:00` in a
        // stranger's Date header once trapped the process.
        let parts = time.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard (2...3).contains(parts.count), let hour = parts[0], let minute = parts[1], (0...24).contains(hour), (0...59).contains(minute),
              (1...31).contains(day), (1000...9999).contains(year) else { return nil }
        let second = parts.count > 2 ? parts[2] : 0
        guard let second, (0...60).contains(second) else { return nil }
        var fields = tm()
        fields.tm_year = Int32(year - 1900)
        fields.tm_mon = Int32(month)
        fields.tm_mday = Int32(day)
        fields.tm_hour = Int32(hour)
        fields.tm_min = Int32(minute)
        fields.tm_sec = Int32(second)
        let seconds = timegm(&fields)
        return Date(timeIntervalSince1970: TimeInterval(seconds - offsetSeconds))
    }

    /// `Sat, 28 Nov 2026 15:02:48 +0100` in the machine's time zone.
    public static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var fields = tm()
        localtime_r(&seconds, &fields)
        let offset = Int(fields.tm_gmtoff) / 60
        let sign = offset < 0 ? "-" : "+"
        return "\(dayNames[Int(fields.tm_wday)]), \(pad(fields.tm_mday)) \(monthNames[Int(fields.tm_mon)]) \(fields.tm_year + 1900) "
            + "\(pad(fields.tm_hour)):\(pad(fields.tm_min)):\(pad(fields.tm_sec)) \(sign)\(pad(Int32(abs(offset) / 60)))\(pad(Int32(abs(offset) % 60)))"
    }

    /// `28.11.2026` in the machine's time zone (the office's), as Slovenian, German and Croatian
    /// write dates and English readers understand.
    public static func dayMonthYear(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var fields = tm()
        localtime_r(&seconds, &fields)
        return "\(pad(fields.tm_mday)).\(pad(fields.tm_mon + 1)).\(fields.tm_year + 1900)"
    }

    /// `2026-11-28T14:02:48Z`: how JSON output and the database write times.
    public static func iso8601(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var fields = tm()
        gmtime_r(&seconds, &fields)
        return "\(fields.tm_year + 1900)-\(pad(fields.tm_mon + 1))-\(pad(fields.tm_mday))T\(pad(fields.tm_hour)):\(pad(fields.tm_min)):\(pad(fields.tm_sec))Z"
    }

    /// Reads what `iso8601` writes: `2026-11-28T14:02:48Z`.
    public static func parseISO8601(_ value: String) -> Date? {
        let parts = value.split(separator: "T")
        guard parts.count == 2, parts[1].hasSuffix("Z") else { return nil }
        let day = parts[0].split(separator: "-").compactMap { Int($0) }
        guard day.count == 3, (1...12).contains(day[1]) else { return nil }
        return date(year: day[0], month: day[1] - 1, day: day[2], time: String(parts[1].dropLast()), offsetSeconds: 0)
    }

    private static func pad(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

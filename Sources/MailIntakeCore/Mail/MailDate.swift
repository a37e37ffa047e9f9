import Foundation

/// RFC 5322 dates: parsing what real mail carries (obsolete zone names, two-digit years,
/// missing seconds or weekday) and writing the canonical form.
public enum MailDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let zones: [String: Int] = [
        "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
        "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "CET": 1, "CEST": 2,
    ]

    public static func parse(_ value: String) -> Date? {
        var text = value
        if let paren = text.firstIndex(of: "(") { text = String(text[..<paren]) }  // trailing comment such as (CET)
        var tokens = text.replacingOccurrences(of: ",", with: " ").split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if let first = tokens.first, Int(first) == nil { tokens.removeFirst() }  // weekday
        guard tokens.count >= 4, let day = Int(tokens[0]),
              let month = months.firstIndex(of: String(tokens[1].prefix(3)).lowercased()),
              var year = Int(tokens[2]) else { return nil }
        if year < 50 { year += 2000 } else if year < 1000 { year += 1900 }
        let timeParts = tokens[3].split(separator: ":").compactMap { Int($0) }
        guard timeParts.count >= 2 else { return nil }
        var offsetSeconds = 0
        if tokens.count >= 5 {
            let zone = tokens[4]
            if let sign = zone.first, sign == "+" || sign == "-", let number = Int(zone.dropFirst()), zone.count == 5 {
                offsetSeconds = (number / 100 * 3600 + number % 100 * 60) * (sign == "-" ? -1 : 1)
            } else if let hours = zones[zone.uppercased()] {
                offsetSeconds = hours * 3600
            }
        }
        var components = DateComponents()
        components.year = year
        components.month = month + 1
        components.day = day
        components.hour = timeParts[0]
        components.minute = timeParts[1]
        components.second = timeParts.count > 2 ? timeParts[2] : 0
        components.timeZone = TimeZone(secondsFromGMT: offsetSeconds)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        return calendar.date(from: components)
    }

    /// `Sat, 28 Nov 2026 14:02:48 +0000`.
    public static func format(_ date: Date, timeZone: TimeZone = .current) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }

    /// ISO 8601 in UTC, as JSON output and the database use.
    public static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    public static func fromISO8601(_ text: String) -> Date? {
        ISO8601DateFormatter().date(from: text)
    }
}

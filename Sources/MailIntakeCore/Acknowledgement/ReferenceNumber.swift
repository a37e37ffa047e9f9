/// An inquiry's human-friendly reference, such as `MB-2026-000042`: a prefix, the year, and a
/// counter that starts again each year. Stable once given; it stands in every acknowledgement subject.
public struct ReferenceNumber: Sendable, Hashable, CustomStringConvertible {
    public let prefix: String
    public let year: Int
    public let sequence: Int

    public init(prefix: String, year: Int, sequence: Int) {
        self.prefix = prefix
        self.year = year
        self.sequence = sequence
    }

    public var description: String {
        let digits = String(sequence)
        return "\(prefix)-\(year)-\(String(repeating: "0", count: max(0, 6 - digits.count)))\(digits)"
    }

    /// Parses `MB-2026-000042` exactly.
    public init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }),
              parts[1].count == 4, let year = Int(parts[1]), parts[2].count >= 6, let sequence = Int(parts[2]) else { return nil }
        self.init(prefix: String(parts[0]), year: year, sequence: sequence)
    }

    /// The first reference with this prefix found anywhere in `text` (a reply's subject, say).
    public static func find(in text: String, prefix: String) -> ReferenceNumber? {
        var rest = Substring(text)
        let marker = prefix + "-"
        while let range = rest.firstRange(of: marker) {
            let candidate = rest[range.lowerBound...].prefix(while: { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            if let reference = ReferenceNumber(String(candidate)), reference.prefix == prefix { return reference }
            rest = rest[range.upperBound...]
        }
        return nil
    }
}

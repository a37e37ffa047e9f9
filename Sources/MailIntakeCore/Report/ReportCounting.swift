import FoundationEssentials

/// How the report sorts what it counts: answer times into buckets around the 15-day duty, and
/// the reasons an acknowledgement was not sent into kinds (never with an address in them:
/// "forwarded by someone@…" is counted as "forwarded by").
extension ReportData {
    public static let answerBuckets = ["0–1 days", "2–5 days", "6–10 days", "11–15 days", "over 15 days"]

    /// The bucket of an answer `days` calendar days after receipt.
    public static func answerBucket(days: Int) -> Int {
        switch days {
        case ...1: return 0
        case 2...5: return 1
        case 6...10: return 2
        case 11...15: return 3
        default: return 4
        }
    }

    /// The kind of a suppression reason: its words before any detail in brackets, after a colon
    /// or a semicolon, and before any address.
    public static func suppressionCategory(_ reason: String?) -> String {
        guard let reason, !reason.isEmpty else { return "no reason recorded" }
        let head = reason.prefix { !"(:;".contains($0) }
        let words = head.split(separator: " ").prefix { !$0.contains("@") }
        let text = words.joined(separator: " ").trimmed()
        return text.isEmpty ? "other" : String(text.prefix(48))
    }
}

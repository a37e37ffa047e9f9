import FoundationEssentials
import MailIntakeCore
import MailStore

/// `report --html` and `[report] file`: the page `HTMLReport` renders from the store's
/// `ReportData`, written whole to a temporary file and renamed, so a browser never shows half.
public enum ReportFile {
    public static func data(_ repository: MailRepository, _ configuration: Configuration, since: String? = nil, until: String? = nil,
                            now: Date = Date()) throws -> ReportData {
        try repository.reportData(since: since, until: until, office: configuration.office.name, today: HolidayCalendar.Day(local: now),
                                  dueSoon: configuration.deadlines.dueSoon, fields: Field.allCases.map(\.rawValue), now: now)
    }

    /// Writes the page of `data` to `path`.
    public static func write(_ path: String, data: ReportData) throws {
        // It names people's subjects: the owner's and, in a staff folder, the group's (`FileModes`).
        try ServiceHealth.writeAtomically(HTMLReport.render(data), to: path, mode: Int(FileModes.personalData(besides: path)))
    }
}

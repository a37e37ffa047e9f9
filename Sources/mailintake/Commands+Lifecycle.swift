import FoundationEssentials
import MailIntakeCore
import MailIntakeDaemon
import MailStore

extension Commands {
    /// `answered REFERENCE [--at DATE] [--by NAME] [--note TEXT]`, `close REFERENCE [--note TEXT]`,
    /// `reopen REFERENCE [--note TEXT]`, `interim REFERENCE --until DATE [--note TEXT]`: staff move
    /// an inquiry through its life (`InquiryStatus` says which moves are allowed); each move is
    /// kept with the Unix account that made it.
    static func lifecycle(_ action: InquiryStatus.Action, _ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        let name: String
        var allowed = ["--note", "--by"]
        switch action {
        case .answer: name = "answered"; allowed.append("--at")
        case .close: name = "close"
        case .reopen: name = "reopen"
        case .interim: name = "interim"; allowed.append("--until")
        case .followUp: throw CommandFailure.usage("a follow-up comes by mail, not by command")
        }
        guard let reference = options.first, !reference.hasPrefix("--") else {
            throw CommandFailure.usage("\(name) needs a REFERENCE first, such as MB-2026-000042\(action == .interim ? ", then --until DATE" : "")")
        }
        let values = try Self.valuedOptions(options.dropFirst(), allowed: allowed, command: name)
        var at = Date()
        if let text = values["--at"] {
            guard let date = Self.dateOrTime(text) else {
                throw CommandFailure.usage("--at needs a date such as 2026-03-01 or a time such as 2026-03-01T14:30:00Z; got `\(text)`")
            }
            guard date <= Date().addingTimeInterval(300) else { throw CommandFailure.usage("--at \(text) is in the future; give when the answer was sent") }
            at = date
        }
        var until: HolidayCalendar.Day?
        if action == .interim {
            guard let text = values["--until"], let day = HolidayCalendar.Day(iso: text) else {
                throw CommandFailure.usage("interim needs --until DATE, the day the answer is promised for, such as 2026-03-20")
            }
            guard day >= HolidayCalendar.Day(local: Date()) else { throw CommandFailure.usage("--until \(text) is already past; promise a day from today on") }
            until = day
        }
        let configuration = try loadConfiguration(configPath, environment, readingSecrets: false)
        let repository = try openRepository(configuration)
        let person = Self.correctionAuthor(named: values["--by"], environment: environment)
        let change: MailRepository.LifecycleChange?
        do {
            change = try repository.apply(action, reference: reference, at: at, by: person, note: values["--note"], interimUntil: until,
                                          deadlines: configuration.deadlines, holidays: configuration.holidays)
        } catch let refused as MailRepository.LifecycleRefused {
            throw CommandFailure.runtime(refused.description)
        }
        guard let change else { throw CommandFailure.runtime("no inquiry \(reference); `mailintake list` shows the references") }
        var line = "\(reference): \(change.before.rawValue) → \(change.after.rawValue)"
        if change.after == .open, let due = change.dueOn { line += ", answer due \(due)" }
        StandardOutput.say(line)
        return 0
    }

    /// `--option value` pairs, each allowed option at most once.
    static func valuedOptions(_ options: ArraySlice<String>, allowed: [String], command: String) throws -> [String: String] {
        var values: [String: String] = [:]
        var index = options.startIndex
        while index < options.endIndex {
            let option = options[index]
            guard allowed.contains(option) else { throw CommandFailure.usage("\(command): unknown option \(option); use \(allowed.joined(separator: ", "))") }
            guard index + 1 < options.endIndex else { throw CommandFailure.usage("\(option) needs a value") }
            guard values[option] == nil else { throw CommandFailure.usage("\(option) is given twice") }
            values[option] = options[index + 1]
            index += 2
        }
        return values
    }

    /// `2026-03-01` (noon local time, so the day is right in any zone) or an ISO 8601 time.
    static func dateOrTime(_ text: String) -> Date? {
        if let day = HolidayCalendar.Day(iso: text), text.count == 10 { return day.moment(now: Date()) }
        return MailDate.parseISO8601(text)
    }
}

extension Commands {
    /// `report --html FILE [--since DATE] [--until DATE]`: the period's inquiries as one
    /// self-contained page (`HTMLReport`), written whole (never half a file for a browser).
    static func report(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        let values = try Self.valuedOptions(options[...], allowed: ["--html", "--since", "--until"], command: "report")
        if let (option, _) = values.first(where: { $0.value.hasPrefix("--") }) { throw CommandFailure.usage("\(option) needs a value") }
        guard let path = values["--html"] else { throw CommandFailure.usage("report needs --html FILE, the page to write (e.g. report.html)") }
        for key in ["--since", "--until"] {
            if let text = values[key], HolidayCalendar.Day(iso: text) == nil {
                throw CommandFailure.usage("\(key) needs a date such as 2026-01-01; got `\(text)`")
            }
        }
        let configuration = try loadConfiguration(configPath, environment, readingSecrets: false)
        let repository = try openRepository(configuration, readOnly: true)
        let data = try ReportFile.data(repository, configuration, since: values["--since"], until: values["--until"])
        do {
            try ReportFile.write(path, data: data)
        } catch {
            throw CommandFailure.runtime("could not write \(path): \(error); check the folder exists and you may write there")
        }
        StandardOutput.say("wrote \(path): \(data.total) inquiries, \(data.overdue.count) overdue, \(data.dueSoon.count) due soon")
        return 0
    }
}

import FoundationEssentials
import MailIntakeCore

/// The numbers of `report --html` (`ReportData`), read in one pass over the period's inquiries:
/// the same rows, and the same acknowledgement status, that `export` writes.
extension MailRepository {
    /// The period is `since` (inclusive) to `until` (exclusive), days of receipt, as `list` reads them.
    public func reportData(since: String?, until: String?, office: String, today: HolidayCalendar.Day,
                           dueSoon: Int, fields: [String], now: Date = Date()) throws -> ReportData {
        var filter = InquiryFilter()
        filter.since = since
        filter.until = until
        let (conditions, arguments) = filter.conditions
        var weeks: [HolidayCalendar.Day: [String: Int]] = [:]
        var senders: [String: Int] = [:], languages: [String: Int] = [:], intents: [String: Int] = [:], acks: [String: Int] = [:]
        var answerDays: [Double] = []
        var buckets = [Int](repeating: 0, count: ReportData.answerBuckets.count)
        var within = 0, total = 0
        var flagged: [ReportData.Item] = []
        try database.forEachRow("""
            \(Self.recordColumns) FROM inquiries i WHERE 1 = 1\(conditions) ORDER BY i.id
            """, arguments) { row in
            let record = try Self.record(row)
            guard let received = MailDate.parseISO8601(record.receivedAt) else { return }
            total += 1
            let day = HolidayCalendar.Day(local: received)
            let monday = day.adding(days: -((day.weekday + 6) % 7))
            weeks[monday, default: [:]][record.field, default: 0] += 1
            senders[record.senderType == "legal" ? "legal/\(record.legalKind ?? "other")" : record.senderType, default: 0] += 1
            languages[record.language, default: 0] += 1
            intents[record.intent, default: 0] += 1
            acks[record.ackStatus == "suppressed" ? "suppressed: " + ReportData.suppressionCategory(record.ackReason) : record.ackStatus, default: 0] += 1
            if let answeredText = record.answeredAt, let answered = MailDate.parseISO8601(answeredText) {
                answerDays.append(max(0, answered.timeIntervalSince(received) / 86_400))
                let calendarDays = day.days(to: HolidayCalendar.Day(local: answered))
                buckets[ReportData.answerBucket(days: calendarDays)] += 1
                if let due = record.dueOn, HolidayCalendar.Day(local: answered).description <= due { within += 1 }
            }
            if (row["needs_review"].int ?? 0) != 0, flagged.count < 500 {
                flagged.append(ReportData.Item(reference: record.reference, received: day.description, due: record.dueOn ?? "",
                                               field: record.field, desk: record.routedTo, subject: record.subject))
            }
        }
        // Every week of the period, empty ones too, so the chart's time axis is true.
        var weekList: [ReportData.Week] = []
        if let first = weeks.keys.min(), let last = weeks.keys.max() {
            var week = first
            while week <= last {
                weekList.append(ReportData.Week(start: week.description, byField: weeks[week] ?? [:]))
                week = week.adding(days: 7)
            }
        }
        func counts(_ values: [String: Int]) -> [ReportData.Count] {
            values.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { ReportData.Count(label: $0.key, count: $0.value) }
        }
        var overdue: [ReportData.Item] = [], soon: [ReportData.Item] = []
        for (desk, field, item) in try openInquiries(dueBy: today.adding(days: dueSoon)) {
            let entry = ReportData.Item(reference: item.reference, received: item.received.description, due: item.due.description,
                                        field: field, desk: desk, subject: item.subject)
            if item.due < today { overdue.append(entry) } else { soon.append(entry) }
        }
        answerDays.sort()
        let median = answerDays.isEmpty ? nil : answerDays.count % 2 == 1 ? answerDays[answerDays.count / 2]
            : (answerDays[answerDays.count / 2 - 1] + answerDays[answerDays.count / 2]) / 2
        return ReportData(
            office: office, since: since, until: until, generatedAt: MailDate.iso8601(now), total: total,
            fields: fields, weeks: weekList, senderTypes: counts(senders), languages: counts(languages), intents: counts(intents),
            acknowledgements: counts(acks), answered: answerDays.count, medianDaysToAnswer: median, answeredWithinDeadline: within,
            answerTimes: zip(ReportData.answerBuckets, buckets).map { ReportData.Count(label: $0, count: $1) },
            overdue: overdue, dueSoon: soon, flagged: flagged)
    }
}

import FoundationEssentials

/// The daily mail to one desk: its inquiries overdue and those due within `[deadlines] due_soon`
/// days. Sent only when there is something to say; a notification, never a reply
/// (`Auto-Submitted: auto-generated`), so no auto-responder answers it.
public struct DeadlineDigest: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var reference: String
        public var received: HolidayCalendar.Day
        public var due: HolidayCalendar.Day
        public var subject: String
        public var interim: Bool

        public init(reference: String, received: HolidayCalendar.Day, due: HolidayCalendar.Day, subject: String, interim: Bool = false) {
            self.reference = reference
            self.received = received
            self.due = due
            self.subject = subject
            self.interim = interim
        }
    }

    public var desk: MailAddress
    public var day: HolidayCalendar.Day
    public var overdue: [Item]
    public var dueSoon: [Item]

    /// Sorts `items` (open inquiries of the desk) into overdue and due soon; nil when neither has any.
    public init?(desk: MailAddress, day: HolidayCalendar.Day, items: [Item], dueSoon: Int) {
        self.desk = desk
        self.day = day
        overdue = items.filter { $0.due < day }.sorted { ($0.due, $0.reference) < ($1.due, $1.reference) }
        self.dueSoon = items.filter { $0.due >= day && day.days(to: $0.due) <= dueSoon }.sorted { ($0.due, $0.reference) < ($1.due, $1.reference) }
        if overdue.isEmpty && self.dueSoon.isEmpty { return nil }
    }

    /// The digest as mail from `from`, with a Message-ID that names the desk and the day.
    public func mail(from: MailAddress, messageIDDomain: String, now: Date) -> OutgoingMail {
        var lines = ["Inquiries of \(desk.address) that need an answer, as of \(day).", ""]
        func section(_ title: String, _ items: [Item], late: Bool) {
            guard !items.isEmpty else { return }
            lines.append("\(title) (\(items.count)):")
            for item in items {
                let days = late ? "\(item.due.days(to: day)) day(s) late" : (item.due == day ? "due today" : "due in \(day.days(to: item.due)) day(s)")
                lines.append("  \(item.reference)  received \(item.received), due \(item.due)\(item.interim ? " (interim reply)" : ""), \(days): \(PrintableText.safe(item.subject, limit: 80))")
            }
            lines.append("")
        }
        section("Overdue", overdue, late: true)
        section("Due soon", dueSoon, late: false)
        lines.append("The answer is due within 15 days of receipt (Article 17 of the Uredba o upravnem poslovanju); for a complex matter,")
        lines.append("an interim reply within those days says when the answer will come (`mailintake interim REFERENCE --until DATE`).")
        lines.append("An answer sent from the office mailbox, or copied to it, is noticed by itself; otherwise `mailintake answered REFERENCE`.")
        let subject = "Deadlines \(day): \(overdue.count) overdue, \(dueSoon.count) due soon"
        let token = SHA256.hex(Array("\(desk.address.lowercased()) \(day)".utf8)).prefix(16)
        return OutgoingMail(
            from: from, to: desk, replyTo: nil, subject: subject, body: lines.joined(separator: "\n"), date: now,
            messageID: "<digest-\(day)-\(token)@\(messageIDDomain)>", inReplyTo: nil, references: [],
            extraHeaders: [("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "All"),
                           (AckPolicy.loopMarkerHeader, "digest")])
    }
}

import Foundation

/// The mail that tells the responsible member of staff about a new inquiry or a follow-up: the
/// reference, the labels with their confidence, the sender, the subject and the new text. It
/// is a notification, not a reply (RFC 3834: `Auto-Submitted: auto-generated`); Reply-To is the
/// citizen, so answering it answers them, and In-Reply-To threads it with their message.
public struct StaffNotification: Sendable {
    public enum Event: Sendable { case newInquiry, followUp }

    public var event: Event
    public var reference: String
    public var classification: Classification?
    public var needsReview: Bool
    public var author: InquiryText
    public var received: Date
    public var acknowledgement: String

    public init(event: Event, reference: String, classification: Classification?, needsReview: Bool, author: InquiryText,
                received: Date, acknowledgement: String) {
        self.event = event
        self.reference = reference
        self.classification = classification
        self.needsReview = needsReview
        self.author = author
        self.received = received
        self.acknowledgement = acknowledgement
    }

    /// The longest new text a notification carries; the whole message is in `mailintake show`.
    static let textLimit = 8000

    public func mail(from: MailAddress, to: MailAddress, inReplyTo: String?, references: [String], messageIDDomain: String, now: Date) -> OutgoingMail {
        let sender = author.authorAddress.map { address in
            (author.authorName.map { "\($0) " } ?? "") + "<\(address.address)>"
        } ?? (author.authorName ?? "unknown")
        var lines: [String] = []
        switch event {
        case .newInquiry: lines.append("New inquiry \(reference), received \(MailDate.dayMonthYear(received)).")
        case .followUp: lines.append("Follow-up to inquiry \(reference), received \(MailDate.dayMonthYear(received)).")
        }
        lines.append("")
        lines.append("From:        \(sender)")
        if author.origin != .direct { lines.append("Came as:     \(author.origin.rawValue.replacingOccurrences(of: "_", with: " "))") }
        if let organisation = author.organisation { lines.append("Organisation (form): \(organisation)") }
        lines.append("Subject:     \(author.subject)")
        if let labels = classification {
            lines.append("Field:       \(labels.field)\(labels.secondaryFields.isEmpty ? "" : " (also \(labels.secondaryFields.joined(separator: ", ")))")")
            lines.append("Sender:      \(labels.senderType)\(labels.legalKind.map { " / \($0)" } ?? "")")
            lines.append("Intent:      \(labels.intent)")
            lines.append("Language:    \(labels.language)")
            lines.append("Confidence:  \(labels.confidence)\(needsReview ? " (please check the labels: mailintake reclassify \(reference) ...)" : "")")
        }
        lines.append("Acknowledgement: \(acknowledgement)")
        lines.append("")
        lines.append("Reply to this mail to answer the sender; `mailintake show \(reference)` shows everything.")
        lines.append("")
        lines.append("----- new text -----")
        let text = author.body.count > Self.textLimit ? String(author.body.prefix(Self.textLimit)) + "\n[…]" : author.body
        lines.append(text)
        if let evidence = classification?.evidence, !evidence.isEmpty {
            lines.append("")
            lines.append("----- why these labels -----")
            lines.append(contentsOf: evidence)
        }
        let prefix = event == .newInquiry ? "New inquiry" : "Follow-up"
        return OutgoingMail(
            from: from, to: to, replyTo: author.authorAddress,
            subject: "[\(reference)] \(prefix): \(author.subject.isEmpty ? "-" : author.subject)",
            body: lines.joined(separator: "\n"), date: now,
            messageID: OutgoingMail.makeMessageID(reference: reference, domain: messageIDDomain),
            inReplyTo: inReplyTo, references: references,
            extraHeaders: [("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "All"),
                           (AckPolicy.loopMarkerHeader, reference), ("X-Mailintake-Reference", reference)])
    }
}

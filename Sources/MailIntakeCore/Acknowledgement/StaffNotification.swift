import FoundationEssentials

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
        if author.origin != .direct { lines.append("Came as:     \(author.origin.rawValue.replacingAll("_", with: " "))") }
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

/// The one notice the desk gets when an acknowledgement bounced, or our own SMTP server refused
/// it for good: the person will not hear from the office by mail unless someone reaches them
/// another way.
public struct BounceNotice: Sendable {
    /// It left and came back (a bounce), or it never left (refused by our server).
    public var bounced = true
    public var reference: String
    public var recipient: String
    public var status: String?
    public var diagnostic: String?
    /// A telephone number from the person's own message, when it has one.
    public var phone: String?

    public init(reference: String, recipient: String, status: String?, diagnostic: String?, phone: String?) {
        self.reference = reference
        self.recipient = recipient
        self.status = status
        self.diagnostic = diagnostic
        self.phone = phone
    }

    public func mail(from: MailAddress, to: MailAddress, inReplyTo: String?, messageIDDomain: String, now: Date) -> OutgoingMail {
        let said = [status, diagnostic].compactMap { $0 }.joined(separator: " ")
        var lines = [
            "The acknowledgement of inquiry \(reference) to \(recipient) \(bounced ? "bounced" : "could not be sent")\(said.isEmpty ? "" : " (\(said))").",
            bounced ? "The person may have mistyped their address; they have not been told that the office received their message."
                    : "They have not been told that the office received their message; `mailintake outbox` shows the reason.",
            "",
        ]
        if let phone { lines.append("Their message gives a telephone number: \(phone)") }
        lines.append("`mailintake show \(reference)` shows the inquiry and the report.")
        return OutgoingMail(
            from: from, to: to, replyTo: nil,
            subject: "[\(reference)] Acknowledgement \(bounced ? "bounced" : "not sent"): \(recipient)",
            body: lines.joined(separator: "\n"), date: now,
            messageID: OutgoingMail.makeMessageID(reference: reference, domain: messageIDDomain),
            inReplyTo: inReplyTo, references: inReplyTo.map { [$0] } ?? [],
            extraHeaders: [("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "All"),
                           (AckPolicy.loopMarkerHeader, reference), ("X-Mailintake-Reference", reference)])
    }

    /// The first telephone number in a text: 8 to 15 digits, with the spaces, slashes, dots,
    /// dashes and brackets people write them with (`02/2201-219`, `+386 41 123 456`).
    public static func phone(in text: String) -> String? {
        let characters = Array(text)
        var start = 0
        while start < characters.count {
            guard let end = phoneMatch(in: characters, at: start) else {
                start += 1
                continue
            }
            let candidate = String(characters[start..<end])
            let digits = candidate.filter(\.isNumber).count
            // Not a date (1. 12. 2026) or a reference: enough digits, and not only dots between them.
            if (8...15).contains(digits), candidate.contains(where: { " /-()+".contains($0) }) { return candidate.trimmed() }
            start = end
        }
        return nil
    }

    /// Where a telephone-number-like run starting at `start` ends, as the regular expression
    /// `(?<![\w@.\-/])(?:\+|00)?[0-9][0-9 ()/.\-]{6,20}[0-9](?![\w@\-])` matches it (greedy,
    /// backtracking): not inside a word, an address or a reference (MB-2026-000007).
    private static func phoneMatch(in characters: [Character], at start: Int) -> Int? {
        func isDigit(_ index: Int) -> Bool { index < characters.count && characters[index].isASCIIDigit }
        func isBody(_ index: Int) -> Bool { index < characters.count && (isDigit(index) || " ()/.-".contains(characters[index])) }
        if start > 0, characters[start - 1].isRegexWordCharacter || "@.-/".contains(characters[start - 1]) { return nil }
        // `(?:\+|00)?`: after a "+", or after "00" and failing that from the first "0".
        let openings: [Int]
        if characters[start] == "+" { openings = [start + 1] }
        else if characters[start] == "0", start + 1 < characters.count, characters[start + 1] == "0" { openings = [start + 2, start] }
        else { openings = [start] }
        for first in openings where isDigit(first) {
            var run = 0
            while run < 20, isBody(first + 1 + run) { run += 1 }
            for length in stride(from: run, through: 6, by: -1) {
                let last = first + 1 + length
                guard isDigit(last) else { continue }
                let next = last + 1
                if next < characters.count, characters[next].isRegexWordCharacter || "@-".contains(characters[next]) { continue }
                return next
            }
        }
        return nil
    }
}

import FoundationEssentials

/// Every decision about one filed message's mail, as a pure function of the message and what the
/// store counted: whether its author is acknowledged (the policy's rules, forwards, the web
/// form's recipient, the rate limits), the acknowledgement itself (template, values, headers),
/// whether and whom staff are told, and whether the inquiry needs review. The filer runs the
/// plan inside its transaction; the planner never touches a database, so its rules are tested
/// without one.
public struct AcknowledgementPlanner: Sendable {
    public let configuration: Configuration
    public let templates: AckTemplates
    public let policy: AckPolicy

    public init(configuration: Configuration, templates: AckTemplates) {
        self.configuration = configuration
        self.templates = templates
        policy = AckPolicy(settings: configuration.ack, ownAddresses: [configuration.office.email, configuration.smtp.from])
    }

    /// What happens to a new inquiry's acknowledgement.
    public enum Acknowledgement: Equatable, Sendable {
        case queued
        /// Held in the outbox until staff release it: over the per-sender limit (loop protection;
        /// `limit` is the address), or received longer ago than `max_age` (`limit` is `age`), so
        /// the log can say so once per limit. The hourly cap never holds: it only delays.
        case held(reason: String, limit: String)
        case suppressed(reason: String)

        public var summary: String {
            switch self {
            case .queued: return "queued"
            case .held(let reason, _): return "held: \(reason)"
            case .suppressed(let reason): return "not sent: \(reason)"
            }
        }

        /// Why none goes out now, or nil when it is queued.
        public var reason: String? {
            switch self {
            case .queued: return nil
            case .held(let reason, _), .suppressed(let reason): return reason
            }
        }
    }

    /// The message as the planner needs it: read, attributed and labelled.
    public struct Letter: Sendable {
        public var parsed: ParsedMessage
        public var author: InquiryText
        public var classification: Classification
        /// Filed again into a new database (`run --adopt-filed`): nobody is acknowledged or told.
        public var adopted: Bool

        public init(parsed: ParsedMessage, author: InquiryText, classification: Classification, adopted: Bool = false) {
            self.parsed = parsed
            self.author = author
            self.classification = classification
            self.adopted = adopted
        }

        /// Mail carrying our own loop marker is ours coming back (an acknowledgement or a
        /// notification bounced or routed to the office's own mailbox): never answered, never notified.
        public var isOurOwn: Bool { parsed.headers.first(AckPolicy.loopMarkerHeader) != nil }
    }

    /// The acknowledgements already counted for the per-sender limit: to `recipient` in the last
    /// 24 hours. Asked only when an acknowledgement would be due.
    public struct Counts {
        public var toRecipientToday: (String) throws -> Int

        public init(toRecipientToday: @escaping (String) throws -> Int) {
            self.toRecipientToday = toRecipientToday
        }
    }

    /// Everything to write for a new inquiry.
    public struct Plan {
        public var acknowledgement: Acknowledgement
        /// The acknowledgement to enqueue (pending, or held with `acknowledgement`'s reason), or nil.
        public var acknowledgementMail: OutgoingMail?
        /// Who in the office is told, and the notification.
        public var staff: MailAddress?
        public var notification: OutgoingMail?
        public var needsReview: Bool
    }

    /// Where to look for the inquiry a reply belongs to: a reference in the subject, then the
    /// Message-IDs it answers (incoming mail of an inquiry, or our acknowledgement).
    public func threadKeys(of parsed: ParsedMessage) -> ThreadKeys {
        ThreadKeys(parsed, referencePrefix: configuration.ack.referencePrefix)
    }

    /// The plan for a new inquiry under `reference`.
    public func plan(_ letter: Letter, reference: String, received: Date, now: Date, counts: Counts) throws -> Plan {
        let decision = letter.adopted
            ? (Acknowledgement.suppressed(reason: "adopted: the server showed it filed by an earlier database (run --adopt-filed), so it was not acknowledged again"), nil)
            : try acknowledgement(for: letter, received: received, now: now, counts: counts)
        let classification = letter.classification
        let needsReview = letter.parsed.needsReview || classification.confidence < configuration.classifier.reviewBelow
        let staff = letter.isOurOwn || letter.adopted ? nil : configuration.routing.recipient(field: classification.field, senderType: classification.senderType)
        return Plan(
            acknowledgement: decision.0,
            acknowledgementMail: decision.1.map { acknowledgementMail(for: letter, to: $0, reference: reference, received: received, now: now) },
            staff: staff,
            notification: staff.map { notification(.newInquiry, to: $0, letter: letter, reference: reference, received: received,
                                                   acknowledgement: decision.0.summary, needsReview: needsReview, now: now) },
            needsReview: needsReview)
    }

    /// The notification for a follow-up of an inquiry routed to `staff`, or nil when nobody is to be told.
    public func followUpNotification(_ letter: Letter, reference: String, staff: MailAddress?, received: Date, now: Date) -> OutgoingMail? {
        guard let staff, !letter.isOurOwn, !letter.adopted else { return nil }
        return notification(.followUp, to: staff, letter: letter, reference: reference, received: received,
                            acknowledgement: "none for a follow-up", needsReview: false, now: now)
    }

    // MARK: the rules

    /// Whom to acknowledge, and whether: switched on, not a forward, the web form's address, the
    /// policy's rules, then the per-sender limit and the inquiry's age. (The hourly cap is the
    /// outbox's: over it, acknowledgements wait pending and go out as the window allows.)
    func acknowledgement(for letter: Letter, received: Date, now: Date, counts: Counts) throws -> (Acknowledgement, MailAddress?) {
        let ack = configuration.ack
        guard ack.enabled else { return (.suppressed(reason: "acknowledgements are switched off ([ack] enabled = no)"), nil) }
        let author = letter.author
        switch author.origin {
        case .forwardedInline, .forwardedAttachment:
            // The original author wrote to someone else; a colleague passed it on. Staff answer them.
            return (.suppressed(reason: "forwarded by \(letter.parsed.from?.address ?? "someone"); the original author did not write to the office"), nil)
        case .webForm:
            guard author.authorAddress != nil else { return (.suppressed(reason: "the web form gave no valid e-mail address"), nil) }
        case .direct:
            break
        }
        let decision = policy.decide(letter.parsed, recipient: author.origin == .webForm ? author.authorAddress : nil)
        guard case let .acknowledge(recipient) = decision else {
            if case let .suppress(reason) = decision { return (.suppressed(reason: reason), nil) }
            return (.suppressed(reason: "no acknowledgement due"), nil)
        }
        let perSender = try counts.toRecipientToday(recipient.address)
        if perSender >= ack.maxPerSenderPerDay {
            return (.held(reason: "rate limit: \(perSender) acknowledgements to this address in 24 hours ([ack] max_per_sender_per_day = \(ack.maxPerSenderPerDay))",
                          limit: recipient.address.lowercased()), recipient)
        }
        let age = now.timeIntervalSince(received)
        if age > ack.maxAge {
            // A promise to answer in N working days, sent weeks late, would mislead: staff decide.
            return (.held(reason: "received \(Int(age / 86_400)) days before it was filed, more than [ack] max_age = \(Int(ack.maxAge / 86_400))d; staff decide whether an acknowledgement still helps (`mailintake outbox retry REFERENCE` sends it)",
                          limit: "age"), recipient)
        }
        return (.queued, recipient)
    }

    /// The day's digest for `desk` (a routing address) of its open inquiries due by `today` plus
    /// `[deadlines] due_soon`, or nil when it has nothing to say or the desk is the office's own
    /// mailbox (which would file its digest as mail).
    public func digest(for desk: String, items: [DeadlineDigest.Item], today: HolidayCalendar.Day, now: Date) -> OutgoingMail? {
        guard let address = MailAddress(validating: desk), !AckPolicy.isOwn(address.address, policy.ownAddresses),
              let digest = DeadlineDigest(desk: address, day: today, items: items, dueSoon: configuration.deadlines.dueSoon) else { return nil }
        return digest.mail(from: sender, messageIDDomain: configuration.ack.messageIDDomain, now: now)
    }

    /// Our From: the SMTP sender with its own name where `[smtp] from` gives one, else the office's name.
    var sender: MailAddress {
        if configuration.smtp.from.displayName != nil { return configuration.smtp.from }
        return MailAddress(validating: configuration.smtp.from.address, displayName: configuration.office.name) ?? configuration.smtp.from
    }

    /// The acknowledgement in the inquiry's language (English where no template exists).
    public func acknowledgementMail(for letter: Letter, to recipient: MailAddress, reference: String, received: Date, now: Date) -> OutgoingMail {
        let parsed = letter.parsed, labels = letter.classification
        let template = templates.template(for: labels.language)
        let office = configuration.office
        let days = configuration.ack.workingDays(for: labels.field)
        let values = [
            "reference": reference, "subject": parsed.subject.isEmpty ? "-" : parsed.subject,
            "received_date": MailDate.dayMonthYear(received), "sender_name": letter.author.authorName ?? "",
            "field_name": template?.fieldNames[labels.field] ?? labels.field, "working_days": String(days),
            "answer_by": MailDate.dayMonthYear(configuration.holidays.addingWorkingDays(days, to: received)),
            "office_name": office.name, "office_email": office.email.address, "office_phone": office.phone,
            "office_address": office.address,
        ]
        let (subject, body) = template?.render(values, intent: labels.intent) ?? ("[\(reference)]", "")
        return OutgoingMail(
            from: sender, to: recipient, subject: subject, body: body, date: now,
            messageID: OutgoingMail.makeMessageID(reference: reference, domain: configuration.ack.messageIDDomain),
            inReplyTo: parsed.messageID, references: parsed.references + (parsed.messageID.map { [$0] } ?? []),
            extraHeaders: [("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All"),
                           (AckPolicy.loopMarkerHeader, reference), ("X-Mailintake-Reference", reference)])
    }

    /// The desk's notice of an acknowledgement that bounced (`bounced`) or that our SMTP server
    /// refused for good, or nil when nobody is to be told.
    public func undeliveredNotification(reference: String, staff: MailAddress?, recipient: String, status: String?, diagnostic: String?,
                                        bounced: Bool, inquiryText: String?, inReplyTo: String?, now: Date) -> OutgoingMail? {
        guard let staff else { return nil }
        var notice = BounceNotice(reference: reference, recipient: recipient, status: status,
                                  diagnostic: diagnostic, phone: inquiryText.flatMap(BounceNotice.phone(in:)))
        notice.bounced = bounced
        return notice.mail(from: sender, to: staff, inReplyTo: inReplyTo, messageIDDomain: configuration.ack.messageIDDomain, now: now)
    }

    func notification(_ event: StaffNotification.Event, to staff: MailAddress, letter: Letter, reference: String, received: Date,
                      acknowledgement: String, needsReview: Bool, now: Date) -> OutgoingMail {
        var author = letter.author
        // Answering the notification answers the person: their Reply-To where they gave one.
        if author.origin == .direct, let replyTo = letter.parsed.replyTo { author.authorAddress = replyTo }
        let notification = StaffNotification(event: event, reference: reference, classification: event == .newInquiry ? letter.classification : nil,
                                             needsReview: needsReview, author: author, received: received, acknowledgement: acknowledgement)
        let parsed = letter.parsed
        return notification.mail(from: sender, to: staff, inReplyTo: parsed.messageID,
                                 references: parsed.references + (parsed.messageID.map { [$0] } ?? []),
                                 messageIDDomain: configuration.ack.messageIDDomain, now: now)
    }
}

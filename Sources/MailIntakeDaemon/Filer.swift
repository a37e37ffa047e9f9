import Foundation
import MailIntakeCore
import MailStore

/// Files one fetched message in a single transaction: the message with its raw bytes, its
/// inquiry (new, or the one it replies to), the acknowledgement in the outbox or the reason
/// none is due, and the mailbox cursor. Either all of it is in the database or none of it is.
public struct Filer {
    /// What became of a message.
    public enum Outcome: Equatable, Sendable {
        case inquiry(reference: String, acknowledgement: Acknowledgement)
        case followUp(reference: String)
        case duplicate(ofMessage: Int64)
        case alreadyFiled
    }

    public let repository: MailRepository
    public let configuration: Configuration
    public let templates: AckTemplates
    public let classifier: InquiryClassifier
    public let policy: AckPolicy

    /// What happened to a new inquiry's acknowledgement.
    public enum Acknowledgement: Equatable, Sendable {
        case queued
        /// Over a rate limit: waiting in the outbox as 'held' until staff release it. `limit` is
        /// `hour` or the recipient's address, so the log can say so once per limit.
        case held(reason: String, limit: String)
        case suppressed(reason: String)

        var summary: String {
            switch self {
            case .queued: return "queued"
            case .held(let reason, _): return "held: \(reason)"
            case .suppressed(let reason): return "not sent: \(reason)"
            }
        }
    }

    public init(repository: MailRepository, configuration: Configuration, templates: AckTemplates,
                classifier: InquiryClassifier) {
        self.repository = repository
        self.configuration = configuration
        self.templates = templates
        self.classifier = classifier
        self.policy = AckPolicy(settings: configuration.ack, ownAddresses: [configuration.office.email, configuration.smtp.from])
    }

    /// A message read and labelled, ready to be filed: the pure half of filing, which needs no
    /// database and so can run while the previous message is being written.
    public struct Prepared: Sendable {
        public let raw: [UInt8]
        public var parsed: ParsedMessage
        /// Whose inquiry it is: the sender, a forward's original author, or a web form's filler.
        public let author: InquiryText
        public let classification: Classification
        /// The attachments' summaries (decoded, hashed): worked out here, not in the transaction.
        public let attachments: [AttachmentSummary]
        /// The size on the server, when only a prefix of the message was fetched.
        public var originalSize: Int?
        /// Filed again into a new database (`run --adopt-filed`): the server shows an earlier
        /// mailintake filed it, so nobody is acknowledged or notified a second time.
        public var adopted = false

        /// Records that only the first `limit` bytes of a larger message were fetched: filed anyway,
        /// flagged for review, never blocking the mailbox.
        public mutating func markTruncated(originalSize: Int, limit: Int) {
            self.originalSize = originalSize
            parsed.problems.append("message of \(originalSize) bytes is larger than [imap] max_message_size (\(limit) bytes); only its first \(raw.count) bytes were kept")
        }
    }

    public static func prepare(_ raw: [UInt8], classifier: InquiryClassifier) -> Prepared {
        let parsed = MessageParser.parse(raw)
        let author = classifier.author(of: parsed)
        let attachments = parsed.attachments.enumerated().map { $1.attachmentSummary(position: $0 + 1) }
        return Prepared(raw: raw, parsed: parsed, author: author, classification: classifier.classify(author), attachments: attachments,
                        originalSize: nil)
    }

    /// Files `prepared` as message `uid`; `cursor` is where the mailbox cursor stands once it is
    /// filed (see `CursorAdvance`: never past a UID not yet filed).
    public func file(_ prepared: Prepared, mailbox: String, uidValidity: UInt32, uid: UInt32, cursor: UInt32, receivedAt: Date?,
                     now: Date = Date()) throws -> Outcome {
        let raw = prepared.raw, parsed = prepared.parsed, classification = prepared.classification
        // Hashed here rather than in `prepare`: in the FilingPipeline this runs on the database's
        // thread, which balances the reading thread's TLS, parsing and classification.
        let sha256 = SHA256.hex(raw)
        let body = MIMEPart.splitHeader(raw[...]).1
        let received = receivedAt ?? now

        return try repository.transaction { () throws -> Outcome in
            if try repository.isFiled(mailbox: mailbox, uidValidity: uidValidity, uid: uid) { return .alreadyFiled }
            var message = NewMessage(mailbox: mailbox, uidValidity: uidValidity, uid: uid, messageID: parsed.messageID,
                                     sha256: sha256, raw: raw, size: prepared.originalSize ?? raw.count,
                                     disposition: .inquiry, inquiryID: nil, duplicateOf: nil, problems: parsed.problems)

            if let original = try repository.originalOf(sha256: sha256, messageID: parsed.messageID,
                                                        sameBody: { MIMEPart.splitHeader($0[...]).1.elementsEqual(body) }) {
                message.disposition = .duplicate
                message.duplicateOf = original
                message.raw = nil  // the original holds the same content
                _ = try repository.insertMessage(message)
                try repository.saveCursor(MailboxCursor(mailbox: mailbox, uidValidity: uidValidity, lastUID: cursor))
                return .duplicate(ofMessage: original)
            }

            if let (inquiryID, reference) = try thread(of: parsed) {
                message.disposition = .followUp
                message.inquiryID = inquiryID
                try recordAttachments(prepared.attachments, messageRowID: try repository.insertMessage(message))
                // The person who has the inquiry hears of the follow-up too.
                if let staff = try repository.routedTo(inquiryID: inquiryID).flatMap({ MailAddress(validating: $0) }), !isOurOwn(parsed), !prepared.adopted {
                    try notify(staff, event: .followUp, reference: reference, inquiryID: inquiryID, prepared: prepared,
                               received: received, acknowledgement: "none for a follow-up", now: now)
                }
                try repository.saveCursor(MailboxCursor(mailbox: mailbox, uidValidity: uidValidity, lastUID: cursor))
                return .followUp(reference: reference)
            }

            let year = Calendar(identifier: .gregorian).component(.year, from: now)
            let reference = try repository.nextReference(prefix: configuration.ack.referencePrefix, year: year)
            let acknowledgement = prepared.adopted
                ? (outcome: Acknowledgement.suppressed(reason: "adopted: the server showed it filed by an earlier database (run --adopt-filed), so it was not acknowledged again"), recipient: nil)
                : try decideAcknowledgement(prepared, now: now)
            let staff = isOurOwn(parsed) || prepared.adopted
                ? nil : configuration.routing.recipient(field: classification.field, senderType: classification.senderType)
            let needsReview = parsed.needsReview || classification.confidence < configuration.classifier.reviewBelow
            var ackReason: String?
            switch acknowledgement.outcome {
            case .queued: ackReason = nil
            case .held(let reason, _), .suppressed(let reason): ackReason = reason
            }
            let inquiryID = try repository.insertInquiry(NewInquiry(
                reference: reference, receivedAt: received, fromAddress: prepared.author.authorAddress?.address ?? parsed.from?.address,
                fromName: prepared.author.authorName ?? parsed.fromName,
                replyTo: parsed.replyTo?.address, subject: parsed.subject, language: classification.language,
                field: classification.field, secondaryFields: classification.secondaryFields, senderType: classification.senderType,
                legalKind: classification.legalKind, intent: classification.intent, confidence: classification.confidence,
                evidence: classification.evidence, needsReview: needsReview, ackReason: ackReason, routedTo: staff?.address))
            message.inquiryID = inquiryID
            try recordAttachments(prepared.attachments, messageRowID: try repository.insertMessage(message))

            if let recipient = acknowledgement.recipient {
                let mail = self.acknowledgement(for: prepared, to: recipient, reference: reference, received: received, now: now)
                var held: String?
                if case .held(let reason, _) = acknowledgement.outcome { held = reason }
                try repository.enqueue(.acknowledgement, inquiryID: inquiryID, recipient: recipient.address,
                                       messageID: mail.messageID, content: mail.rendered(), heldBecause: held, now: now)
            }
            if let staff {
                try notify(staff, event: .newInquiry, reference: reference, inquiryID: inquiryID, prepared: prepared,
                           received: received, acknowledgement: acknowledgement.outcome.summary, needsReview: needsReview, now: now)
            }
            try repository.saveCursor(MailboxCursor(mailbox: mailbox, uidValidity: uidValidity, lastUID: cursor))
            return .inquiry(reference: reference, acknowledgement: acknowledgement.outcome)
        }
    }

    /// Whom to acknowledge, and whether: the policy's rules, then the rate limits.
    private func decideAcknowledgement(_ prepared: Prepared, now: Date) throws -> (outcome: Acknowledgement, recipient: MailAddress?) {
        guard configuration.ack.enabled else { return (.suppressed(reason: "acknowledgements are switched off ([ack] enabled = no)"), nil) }
        let author = prepared.author
        switch author.origin {
        case .forwardedInline, .forwardedAttachment:
            // The original author wrote to someone else; a colleague passed it on. Staff answer them.
            return (.suppressed(reason: "forwarded by \(prepared.parsed.from?.address ?? "someone"); the original author did not write to the office"), nil)
        case .webForm:
            guard author.authorAddress != nil else { return (.suppressed(reason: "the web form gave no valid e-mail address"), nil) }
        case .direct:
            break
        }
        let decision = policy.decide(prepared.parsed, recipient: author.origin == .webForm ? author.authorAddress : nil)
        guard case let .acknowledge(recipient) = decision else {
            if case let .suppress(reason) = decision { return (.suppressed(reason: reason), nil) }
            return (.suppressed(reason: "no acknowledgement due"), nil)
        }
        let ack = configuration.ack
        let perSender = try repository.acknowledgementCount(to: recipient.address, since: now.addingTimeInterval(-86_400))
        if perSender >= ack.maxPerSenderPerDay {
            return (.held(reason: "rate limit: \(perSender) acknowledgements to this address in 24 hours ([ack] max_per_sender_per_day = \(ack.maxPerSenderPerDay))",
                          limit: recipient.address.lowercased()), recipient)
        }
        let overall = try repository.acknowledgementCount(to: nil, since: now.addingTimeInterval(-3600))
        if overall >= ack.maxPerHour {
            return (.held(reason: "rate limit: \(overall) acknowledgements in the last hour ([ack] max_per_hour = \(ack.maxPerHour))",
                          limit: "hour"), recipient)
        }
        return (.queued, recipient)
    }

    /// Mail that carries our own loop marker is ours coming back (an acknowledgement or a
    /// notification bounced or routed to the office's own mailbox): filed, never answered, never notified.
    private func isOurOwn(_ parsed: ParsedMessage) -> Bool {
        parsed.headers.first(AckPolicy.loopMarkerHeader) != nil
    }

    private func notify(_ staff: MailAddress, event: StaffNotification.Event, reference: String, inquiryID: Int64, prepared: Prepared,
                        received: Date, acknowledgement: String, needsReview: Bool = false, now: Date) throws {
        var author = prepared.author
        // Answering the notification answers the person: their Reply-To where they gave one.
        if author.origin == .direct, let replyTo = prepared.parsed.replyTo { author.authorAddress = replyTo }
        let notification = StaffNotification(event: event, reference: reference, classification: event == .newInquiry ? prepared.classification : nil,
                                             needsReview: needsReview, author: author, received: received, acknowledgement: acknowledgement)
        let parsed = prepared.parsed
        let mail = notification.mail(from: sender, to: staff, inReplyTo: parsed.messageID,
                                     references: parsed.references + (parsed.messageID.map { [$0] } ?? []),
                                     messageIDDomain: configuration.ack.messageIDDomain, now: now)
        try repository.enqueue(.notification, inquiryID: inquiryID, recipient: staff.address, messageID: mail.messageID,
                               content: mail.rendered(), now: now)
    }

    /// Our From: the SMTP sender with the office's name.
    private var sender: MailAddress {
        MailAddress(validating: configuration.smtp.from.address, displayName: configuration.office.name) ?? configuration.smtp.from
    }

    private func recordAttachments(_ summaries: [AttachmentSummary], messageRowID: Int64) throws {
        for (offset, summary) in summaries.enumerated() {
            try repository.insertAttachment(messageRowID: messageRowID, position: offset + 1, filename: summary.filename,
                                            contentType: summary.contentType, size: summary.size, sha256: summary.sha256)
        }
    }

    /// The inquiry a reply belongs to: a known reference in the subject, or a Message-ID we know
    /// (of an incoming message or of our acknowledgement) in In-Reply-To or References.
    private func thread(of parsed: ParsedMessage) throws -> (Int64, String)? {
        if let reference = ReferenceNumber.find(in: parsed.subject, prefix: configuration.ack.referencePrefix),
           let id = try repository.inquiryID(reference: reference.description) {
            return (id, reference.description)
        }
        let ids = parsed.inReplyTo + parsed.references
        guard !ids.isEmpty, let id = try repository.inquiryID(messageIDs: ids) else { return nil }
        let reference = try repository.reference(ofInquiry: id) ?? "?"
        return (id, reference)
    }

    /// The acknowledgement mail in the inquiry's language (English where no template exists).
    public func acknowledgement(for prepared: Prepared, to recipient: MailAddress, reference: String, received: Date, now: Date) -> OutgoingMail {
        let parsed = prepared.parsed, labels = prepared.classification
        let template = templates.template(for: labels.language)
        let office = configuration.office
        let days = configuration.ack.workingDays(for: labels.field)
        let values = [
            "reference": reference, "subject": parsed.subject.isEmpty ? "-" : parsed.subject,
            "received_date": MailDate.dayMonthYear(received), "sender_name": prepared.author.authorName ?? "",
            "field_name": template?.fieldNames[labels.field] ?? labels.field, "working_days": String(days),
            "answer_by": MailDate.dayMonthYear(MailDate.addingWorkingDays(days, to: received)),
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
}

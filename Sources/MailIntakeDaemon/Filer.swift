import Foundation
import MailIntakeCore
import MailStore

/// Files one fetched message in a single transaction: the message with its raw bytes, its
/// inquiry (new, or the one it replies to), the acknowledgement in the outbox or the reason
/// none is due, and the mailbox cursor. Either all of it is in the database or none of it is.
public struct Filer {
    /// What became of a message.
    public enum Outcome: Equatable, Sendable {
        case inquiry(reference: String, acknowledged: Bool)
        case followUp(reference: String)
        case duplicate(ofMessage: Int64)
        case alreadyFiled
    }

    public let repository: MailRepository
    public let configuration: Configuration
    public let templates: AckTemplates
    public let classifier: InquiryClassifier
    public let policy: AckPolicy

    public init(repository: MailRepository, configuration: Configuration, templates: AckTemplates,
                classifier: InquiryClassifier) {
        self.repository = repository
        self.configuration = configuration
        self.templates = templates
        self.classifier = classifier
        self.policy = AckPolicy(ownAddresses: [configuration.office.email, configuration.smtp.from])
    }

    /// A message read and labelled, ready to be filed: the pure half of filing, which needs no
    /// database and so can run while the previous message is being written.
    public struct Prepared: Sendable {
        public let raw: [UInt8]
        public var parsed: ParsedMessage
        public let classification: Classification
        /// The size on the server, when only a prefix of the message was fetched.
        public var originalSize: Int?

        /// Records that only the first `limit` bytes of a larger message were fetched: filed anyway,
        /// flagged for review, never blocking the mailbox.
        public mutating func markTruncated(originalSize: Int, limit: Int) {
            self.originalSize = originalSize
            parsed.problems.append("message of \(originalSize) bytes is larger than [imap] max_message_size (\(limit) bytes); only its first \(raw.count) bytes were kept")
        }
    }

    public static func prepare(_ raw: [UInt8], classifier: InquiryClassifier) -> Prepared {
        let parsed = MessageParser.parse(raw)
        return Prepared(raw: raw, parsed: parsed, classification: classifier.classify(parsed), originalSize: nil)
    }

    public func file(raw: [UInt8], mailbox: String, uidValidity: UInt32, uid: UInt32, receivedAt: Date?, now: Date = Date()) throws -> Outcome {
        try file(Self.prepare(raw, classifier: classifier), mailbox: mailbox, uidValidity: uidValidity, uid: uid,
                 receivedAt: receivedAt, now: now)
    }

    public func file(_ prepared: Prepared, mailbox: String, uidValidity: UInt32, uid: UInt32, receivedAt: Date?, now: Date = Date()) throws -> Outcome {
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
                try repository.saveCursor(MailboxCursor(mailbox: mailbox, uidValidity: uidValidity, lastUID: uid))
                return .duplicate(ofMessage: original)
            }

            if let (inquiryID, reference) = try thread(of: parsed) {
                message.disposition = .followUp
                message.inquiryID = inquiryID
                try recordAttachments(of: parsed, messageRowID: try repository.insertMessage(message))
                try repository.saveCursor(MailboxCursor(mailbox: mailbox, uidValidity: uidValidity, lastUID: uid))
                return .followUp(reference: reference)
            }

            let year = Calendar(identifier: .gregorian).component(.year, from: now)
            let reference = try repository.nextReference(prefix: configuration.ack.referencePrefix, year: year)
            var decision = policy.decide(parsed)
            if !configuration.ack.enabled { decision = .suppress(reason: "acknowledgements are switched off ([ack] enabled = no)") }
            var ackReason: String?
            if case let .suppress(reason) = decision { ackReason = reason }
            let inquiryID = try repository.insertInquiry(NewInquiry(
                reference: reference, receivedAt: received, fromAddress: parsed.from?.address, fromName: parsed.fromName,
                replyTo: parsed.replyTo?.address, subject: parsed.subject, language: classification.language,
                field: classification.field, secondaryFields: classification.secondaryFields, senderType: classification.senderType,
                legalKind: classification.legalKind, intent: classification.intent, confidence: classification.confidence,
                evidence: classification.evidence,
                needsReview: parsed.needsReview || classification.confidence < configuration.classifier.reviewBelow, ackReason: ackReason))
            message.inquiryID = inquiryID
            try recordAttachments(of: parsed, messageRowID: try repository.insertMessage(message))

            var acknowledged = false
            if case let .acknowledge(recipient) = decision {
                let mail = acknowledgement(for: parsed, to: recipient, reference: reference, language: classification.language,
                                           received: received, now: now)
                try repository.enqueueAcknowledgement(inquiryID: inquiryID, recipient: recipient.address,
                                                      messageID: mail.messageID, content: mail.rendered())
                acknowledged = true
            }
            try repository.saveCursor(MailboxCursor(mailbox: mailbox, uidValidity: uidValidity, lastUID: uid))
            return .inquiry(reference: reference, acknowledged: acknowledged)
        }
    }

    private func recordAttachments(of parsed: ParsedMessage, messageRowID: Int64) throws {
        for (offset, part) in parsed.attachments.enumerated() {
            let summary = part.attachmentSummary(position: offset + 1)
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
    public func acknowledgement(for parsed: ParsedMessage, to recipient: MailAddress, reference: String, language: String,
                                received: Date, now: Date) -> OutgoingMail {
        let template = templates.template(for: language)
        let office = configuration.office
        let values = [
            "reference": reference, "subject": parsed.subject.isEmpty ? "-" : parsed.subject,
            "received_date": MailDate.dayMonthYear(received), "sender_name": parsed.fromName ?? "",
            "office_name": office.name, "office_email": office.email.address, "office_phone": office.phone,
            "office_address": office.address,
        ]
        let (subject, body) = template?.render(values) ?? ("[\(reference)]", "")
        let from = MailAddress(validating: configuration.smtp.from.address, displayName: office.name) ?? configuration.smtp.from
        return OutgoingMail(
            from: from, to: recipient, subject: subject, body: body, date: now,
            messageID: OutgoingMail.makeMessageID(reference: reference, domain: configuration.ack.messageIDDomain),
            inReplyTo: parsed.messageID, references: parsed.references + (parsed.messageID.map { [$0] } ?? []),
            extraHeaders: [("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All"),
                           (AckPolicy.loopMarkerHeader, reference), ("X-Mailintake-Reference", reference)])
    }
}


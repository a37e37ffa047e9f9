import MailIntakeCore
import FoundationEssentials

/// Where filing has got to in one mailbox: every UID up to `lastUID` under `uidValidity` is filed.
public struct MailboxCursor: Sendable, Equatable {
    public var mailbox: String
    public var uidValidity: UInt32
    public var lastUID: UInt32

    public init(mailbox: String, uidValidity: UInt32, lastUID: UInt32) {
        self.mailbox = mailbox
        self.uidValidity = uidValidity
        self.lastUID = lastUID
    }
}

/// A message as stored: where it came from, its fingerprint, and what became of it.
public struct NewMessage: Sendable {
    public enum Disposition: String, Sendable {
        case inquiry, followUp = "follow_up", duplicate
        /// The office's own reply to the person, copied to the mailbox: it answers the inquiry.
        case answer
        /// Reports on our own mail, filed under the inquiry they concern (`DeliveryReport.Kind`).
        case bounce, delay, autoReply = "auto_reply", readReceipt = "read_receipt"
        /// A report that matches no mail of ours: kept for staff, with no inquiry.
        case system
    }

    public var mailbox: String
    public var uidValidity: UInt32
    public var uid: UInt32
    public var messageID: String?
    public var sha256: String
    public var raw: [UInt8]?
    public var disposition: Disposition
    public var inquiryID: Int64?
    public var duplicateOf: Int64?
    public var problems: [String]
    public var size: Int

    public init(mailbox: String, uidValidity: UInt32, uid: UInt32, messageID: String?, sha256: String,
                raw: [UInt8]?, size: Int, disposition: Disposition, inquiryID: Int64?, duplicateOf: Int64?, problems: [String]) {
        self.mailbox = mailbox
        self.uidValidity = uidValidity
        self.uid = uid
        self.messageID = messageID
        self.sha256 = sha256
        self.raw = raw
        self.size = size
        self.disposition = disposition
        self.inquiryID = inquiryID
        self.duplicateOf = duplicateOf
        self.problems = problems
    }
}

/// A new inquiry's fields, as the classifier and parser gave them.
public struct NewInquiry: Sendable {
    public var reference: String
    public var receivedAt: Date
    public var fromAddress: String?
    public var fromName: String?
    public var replyTo: String?
    public var subject: String
    public var language: String
    public var field: String
    public var secondaryFields: [String]
    public var senderType: String
    public var legalKind: String?
    public var intent: String
    public var confidence: Double
    public var evidence: [String]
    public var needsReview: Bool
    public var ackReason: String?
    /// The staff address notified of it (and of its follow-ups).
    public var routedTo: String?
    /// The last day the answer is due (`DeadlineSettings.due`), YYYY-MM-DD.
    public var dueOn: String?

    public init(reference: String, receivedAt: Date, fromAddress: String?, fromName: String?, replyTo: String?, subject: String,
                language: String, field: String, secondaryFields: [String], senderType: String, legalKind: String?, intent: String,
                confidence: Double, evidence: [String], needsReview: Bool, ackReason: String?, routedTo: String? = nil, dueOn: String? = nil) {
        self.reference = reference
        self.receivedAt = receivedAt
        self.fromAddress = fromAddress
        self.fromName = fromName
        self.replyTo = replyTo
        self.subject = subject
        self.language = language
        self.field = field
        self.secondaryFields = secondaryFields
        self.senderType = senderType
        self.legalKind = legalKind
        self.intent = intent
        self.confidence = confidence
        self.evidence = evidence
        self.needsReview = needsReview
        self.ackReason = ackReason
        self.routedTo = routedTo
        self.dueOn = dueOn
    }
}

/// One mail waiting in (or gone from) the outbox.
public struct OutboxEntry: Sendable {
    public enum Kind: String, Sendable { case acknowledgement, notification, digest }

    public var id: Int64
    /// nil for a digest, which concerns many inquiries.
    public var inquiryID: Int64?
    /// The inquiry's reference, or `digest` for a digest.
    public var reference: String
    public var kind: Kind
    public var recipient: String
    public var messageID: String
    public var content: [UInt8]
    public var status: String
    public var attempts: Int
    public var lastError: String?
    public var nextAttemptAt: String = ""
    public var createdAt: String = ""
}

/// An inquiry as staff see it in `list`, `show` and `export`. The JSON keys are a contract.
public struct InquiryRecord: Sendable, Codable, Equatable {
    public var reference: String
    public var receivedAt: String
    public var fromAddress: String?
    public var fromName: String?
    public var subject: String
    public var language: String
    public var field: String
    public var secondaryFields: [String]
    public var senderType: String
    public var legalKind: String?
    public var intent: String
    public var ackStatus: String
    public var ackReason: String?
    /// Whether staff corrected the classifier's labels (`reclassify`); the labels above are then theirs.
    public var corrected: Bool
    /// `open`, `answered` or `closed` (`InquiryStatus`).
    public var status: String
    /// The last day the answer is due, YYYY-MM-DD; an interim reply's promised day once there is one.
    public var dueOn: String?
    public var interimUntil: String?
    public var answeredAt: String?
    public var answeredBy: String?
    /// How the answer was seen: in the sent folder, copied to the mailbox, or recorded by staff.
    public var answeredVia: String?
    public var closedAt: String?
    /// The desk (routing address) that has it.
    public var routedTo: String?

    enum CodingKeys: String, CodingKey {
        case reference, subject, language, field, intent, corrected, status
        case receivedAt = "received_at", fromAddress = "from_address", fromName = "from_name"
        case secondaryFields = "secondary_fields", senderType = "sender_type", legalKind = "legal_kind"
        case ackStatus = "ack_status", ackReason = "ack_reason"
        case dueOn = "due_on", interimUntil = "interim_until", answeredAt = "answered_at", answeredBy = "answered_by"
        case answeredVia = "answered_via", closedAt = "closed_at", routedTo = "routed_to"
    }

    /// Open and due before `today`.
    public func isOverdue(today: String) -> Bool { status == InquiryStatus.open.rawValue && (dueOn.map { $0 < today } ?? false) }

    /// Encodes nil as JSON null rather than leaving the key out: consumers rely on every key being present.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(reference, forKey: .reference)
        try container.encode(receivedAt, forKey: .receivedAt)
        try container.encode(fromAddress, forKey: .fromAddress)
        try container.encode(fromName, forKey: .fromName)
        try container.encode(subject, forKey: .subject)
        try container.encode(language, forKey: .language)
        try container.encode(field, forKey: .field)
        try container.encode(secondaryFields, forKey: .secondaryFields)
        try container.encode(senderType, forKey: .senderType)
        try container.encode(legalKind, forKey: .legalKind)
        try container.encode(intent, forKey: .intent)
        try container.encode(ackStatus, forKey: .ackStatus)
        try container.encode(ackReason, forKey: .ackReason)
        try container.encode(corrected, forKey: .corrected)
        try container.encode(status, forKey: .status)
        try container.encode(dueOn, forKey: .dueOn)
        try container.encode(interimUntil, forKey: .interimUntil)
        try container.encode(answeredAt, forKey: .answeredAt)
        try container.encode(answeredBy, forKey: .answeredBy)
        try container.encode(answeredVia, forKey: .answeredVia)
        try container.encode(closedAt, forKey: .closedAt)
        try container.encode(routedTo, forKey: .routedTo)
    }
}

/// One correction of an inquiry's labels by staff.
public struct Correction: Sendable, Equatable {
    public var correctedAt: String
    public var correctedBy: String?
    public var note: String?
    public var before: Labels
    public var after: Labels
}

/// Everything `show` prints about one inquiry.
public struct InquiryDetail: Sendable {
    public var record: InquiryRecord
    public var confidence: Double
    public var evidence: [String]
    public var needsReview: Bool
    /// What the classifier said, when staff have corrected it.
    public var originalLabels: Labels?
    public var corrections: [Correction]
    /// The inquiry's life: answered, closed, reopened, interim replies, with who and when.
    public var events: [(at: String, action: String, status: String, by: String?, note: String?)] = []
    public var messages: [(id: Int64, disposition: String, uid: UInt32, size: Int, filedAt: String, problems: [String], raw: [UInt8])]
    /// Attachments of all the inquiry's messages: (message row, position within it, file name, type, size, SHA-256).
    public var attachments: [(messageID: Int64, position: Int, filename: String, contentType: String, size: Int, sha256: String)]
    public var outbox: [(kind: String, recipient: String, status: String, attempts: Int, lastError: String?, serverReply: String?, sentAt: String?)]
    /// A legal hold: why, since when, placed by whom.
    public var hold: (reason: String, at: String, by: String?)?
    /// When retention or an erasure removed its personal data.
    public var anonymisedAt: String?
}

/// The labels of one inquiry (see the office's taxonomy), with what decided them.
public struct Classification: Sendable, Equatable, Codable {
    public var language: String
    public var field: String
    public var secondaryFields: [String]
    public var senderType: String
    public var legalKind: String?
    public var intent: String
    /// 0...1: how sure the classifier is of the weakest of its labels.
    public var confidence: Double
    /// Human-readable reasons, one per decision, e.g. `field=sport: subject "turnir", body "sport"`.
    public var evidence: [String]

    public init(language: String, field: String, secondaryFields: [String], senderType: String,
                legalKind: String?, intent: String, confidence: Double, evidence: [String]) {
        self.language = language
        self.field = field
        self.secondaryFields = secondaryFields
        self.senderType = senderType
        self.legalKind = legalKind
        self.intent = intent
        self.confidence = confidence
        self.evidence = evidence
    }

    public static let fields = ["economy", "culture", "sport", "education", "tourism", "humanitarian", "social", "other"]
    public static let intents = ["twinning_proposal", "partnership_proposal", "meeting_request", "information_request",
                                 "event_invitation", "aid_request", "complaint_or_other"]
    public static let senderTypes = ["natural", "legal"]
    public static let legalKinds = ["company", "public_institution", "association", "municipality", "state_body", "other"]
}

/// Anything that can label a parsed message. The pipeline depends only on this.
public protocol InquiryClassifier: Sendable {
    /// Whose inquiry the message carries: the sender, a forward's original author, a web form's filler.
    func author(of message: ParsedMessage) -> InquiryText
    func classify(_ inquiry: InquiryText) -> Classification
}

extension InquiryClassifier {
    public func classify(_ message: ParsedMessage) -> Classification { classify(author(of: message)) }
}

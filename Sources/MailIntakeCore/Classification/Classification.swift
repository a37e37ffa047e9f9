/// The labels of one inquiry (see the office's taxonomy), with what decided them.
public struct Classification: Sendable, Equatable {
    public var labels: Labels
    /// 0...1: how sure the classifier is of the weakest of its labels.
    public var confidence: Double
    /// Human-readable reasons, one per decision, e.g. `field=sport: subject "turnir", body "sport"`.
    public var evidence: [String]

    public init(labels: Labels, confidence: Double, evidence: [String]) {
        self.labels = labels
        self.confidence = confidence
        self.evidence = evidence
    }

    public init(language: String, field: String, secondaryFields: [String], senderType: String,
                legalKind: String?, intent: String, confidence: Double, evidence: [String]) {
        self.init(labels: Labels(language: language, field: field, secondaryFields: secondaryFields, senderType: senderType,
                                 legalKind: legalKind, intent: intent),
                  confidence: confidence, evidence: evidence)
    }

    public var language: String { labels.language }
    public var field: String { labels.field }
    public var secondaryFields: [String] { labels.secondaryFields }
    public var senderType: String { labels.senderType }
    public var legalKind: String? { labels.legalKind }
    public var intent: String { labels.intent }

    // The label names, from the enums in Labels.swift (their one declaration).
    public static var fields: [String] { Field.names }
    public static var intents: [String] { Intent.names }
    public static var senderTypes: [String] { SenderType.names }
    public static var legalKinds: [String] { LegalKind.names }
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

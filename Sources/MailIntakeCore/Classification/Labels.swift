/// The office's labels (../shared/corpus/TAXONOMY.md), declared once: the classifier, the
/// vocabulary files, the store (as raw values), the command line (validation and help) and the
/// JSON all take them from here.
public enum Field: String, CaseIterable, Codable, Sendable {
    case economy, culture, sport, education, tourism, humanitarian, social, other
}

public enum Intent: String, CaseIterable, Codable, Sendable {
    case twinningProposal = "twinning_proposal"
    case partnershipProposal = "partnership_proposal"
    case meetingRequest = "meeting_request"
    case informationRequest = "information_request"
    case eventInvitation = "event_invitation"
    case aidRequest = "aid_request"
    case complaintOrOther = "complaint_or_other"
}

public enum SenderType: String, CaseIterable, Codable, Sendable {
    case natural, legal
}

public enum LegalKind: String, CaseIterable, Codable, Sendable {
    case company
    case publicInstitution = "public_institution"
    case association, municipality
    case stateBody = "state_body"
    case other
}

extension CaseIterable where Self: RawRepresentable, Self.RawValue == String {
    /// The raw values, in declaration order: what files, the database and the command line say.
    public static var names: [String] { allCases.map(\.rawValue) }
}

/// One inquiry's labels, as the classifier gives them, staff correct them and the store keeps
/// them (raw values, so a database stays readable whatever the Swift names).
public struct Labels: Sendable, Codable, Equatable, Hashable {
    public var language: String
    public var field: String
    public var secondaryFields: [String]
    public var senderType: String
    public var legalKind: String?
    public var intent: String

    enum CodingKeys: String, CodingKey {
        case language, field, intent
        case secondaryFields = "secondary_fields", senderType = "sender_type", legalKind = "legal_kind"
    }

    public init(language: String, field: String, secondaryFields: [String], senderType: String, legalKind: String?, intent: String) {
        self.language = language
        self.field = field
        self.secondaryFields = secondaryFields
        self.senderType = senderType
        self.legalKind = legalKind
        self.intent = intent
    }

    /// What is wrong with these labels against the taxonomy, or nil when nothing is.
    public var problem: String? {
        if Field(rawValue: field) == nil { return "field `\(field)` is not one of \(Field.names.joined(separator: ", "))" }
        if let bad = secondaryFields.first(where: { Field(rawValue: $0) == nil || $0 == field }) {
            return "secondary field `\(bad)` is not a field, or repeats the field"
        }
        guard let type = SenderType(rawValue: senderType) else { return "sender type `\(senderType)` is not natural or legal" }
        switch (type, legalKind) {
        case (.natural, .some): return "a natural person has no legal kind"
        case (.legal, nil): return "a legal person needs a legal kind (\(LegalKind.names.joined(separator: ", ")))"
        case (.legal, .some(let kind)) where LegalKind(rawValue: kind) == nil: return "legal kind `\(kind)` is not one of \(LegalKind.names.joined(separator: ", "))"
        default: break
        }
        if Intent(rawValue: intent) == nil { return "intent `\(intent)` is not one of \(Intent.names.joined(separator: ", "))" }
        return nil
    }

    /// One line for people: `sl culture+education legal/association event_invitation`.
    public var summary: String {
        "\(language) \(field)\(secondaryFields.isEmpty ? "" : "+" + secondaryFields.joined(separator: "+")) \(senderType)\(legalKind.map { "/\($0)" } ?? "") \(intent)"
    }
}

/// What ties a message to the inquiry it belongs to: our reference in its subject, and the
/// Message-IDs it replies to (In-Reply-To, then References, as written). Incoming replies are
/// filed as follow-ups by them, and the office's sent mail is matched to what it answers by them.
public struct ThreadKeys: Sendable, Equatable {
    public var reference: String?
    public var messageIDs: [String]

    public init(_ parsed: ParsedMessage, referencePrefix: String) {
        reference = ReferenceNumber.find(in: parsed.subject, prefix: referencePrefix)?.description
        messageIDs = parsed.inReplyTo + parsed.references
    }

    /// Nothing ties it to anything.
    public var isEmpty: Bool { reference == nil && messageIDs.isEmpty }
}

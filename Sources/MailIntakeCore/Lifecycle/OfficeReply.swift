import FoundationEssentials

/// Whether a message the office sent answers an inquiry: read from the sent folder, or from a
/// staff member's reply that copies the office mailbox. It answers when it threads to the
/// inquiry (In-Reply-To or References names one of its messages, or its reference is in the
/// subject) *and* goes to the person who wrote: a forward to a colleague threads too, but
/// answers nobody. Our own automatic mail (acknowledgements, notifications, digests, which a
/// server may keep in the sent folder) is never an answer.
public struct OfficeReply: Sendable, Equatable {
    /// Our reference in its subject and the Message-IDs it replies to, as for any reply.
    public var keys: ThreadKeys
    /// Everyone it went to (To, Cc, Bcc where the sent copy keeps it), lower case.
    public var recipients: Set<String>
    /// Who answered: the Sender (a person sending for the shared mailbox), else the From.
    public var answeredBy: String?
    public var date: Date?
    public var ownMessageID: String?

    /// Reads a sent message; nil for mail that cannot be an answer (automatic, or threading to nothing).
    public static func read(_ parsed: ParsedMessage, referencePrefix: String) -> OfficeReply? {
        let headers = parsed.headers
        if headers.first(AckPolicy.loopMarkerHeader) != nil || headers.first("X-Mailintake-Reference") != nil { return nil }
        if let auto = headers.first("Auto-Submitted")?.trimmed().lowercased(), !auto.hasPrefix("no") { return nil }
        let keys = ThreadKeys(parsed, referencePrefix: referencePrefix)
        guard !keys.isEmpty else { return nil }
        var recipients = Set(parsed.to.map { $0.address.lowercased() })
        for name in ["Cc", "Bcc"] {
            for value in headers.all(name) { recipients.formUnion(AddressList.parse(value).map { $0.address.lowercased() }) }
        }
        let sender = headers.first("Sender").flatMap { AddressList.parse($0).first }
        return OfficeReply(keys: keys, recipients: recipients,
                           answeredBy: (sender ?? parsed.from)?.address, date: parsed.date, ownMessageID: parsed.messageID)
    }

    /// Whether it went to the inquiry's author (or the Reply-To they gave).
    public func answers(author: String?, replyTo: String?) -> Bool {
        [author, replyTo].compactMap { $0?.lowercased() }.contains { recipients.contains($0) }
    }
}

/// Who in the office writes: the office mailbox, the SMTP sender, the desks of `[routing]`, and
/// `[office] staff` (addresses, or `@domain` for everyone at a domain). A reply from one of them
/// that copies the office mailbox is the office's answer, not a follow-up from the person.
public struct StaffDirectory: Sendable, Equatable {
    public var addresses: Set<String>
    public var domains: Set<String>

    public init(addresses: [String], domains: [String]) {
        self.addresses = Set(addresses.map { $0.lowercased() })
        self.domains = Set(domains.map { $0.lowercased() })
    }

    public func isStaff(_ address: String?) -> Bool {
        guard let address = address?.lowercased() else { return false }
        if addresses.contains(address) { return true }
        guard let at = address.lastIndex(of: "@") else { return false }
        return domains.contains(String(address[address.index(after: at)...]))
    }
}

import FoundationEssentials

/// What mailintake understood of one message: the fields the pipeline and staff need, the
/// MIME tree, and every problem met while reading it. Parsing never fails; a message that
/// made no sense still yields a ParsedMessage whose `problems` say why.
public struct ParsedMessage: Sendable {
    public var headers: HeaderFields
    public var from: MailAddress?
    public var replyTo: MailAddress?
    public var to: [MailAddress]
    public var subject: String
    public var date: Date?
    public var messageID: String?
    public var inReplyTo: [String]
    public var references: [String]
    /// The chosen body text: text/plain preferred, else HTML rendered as text.
    public var text: String
    /// `text` split into the sender's new text, their signature and the mail they quoted.
    public var split: QuoteSplitter.Split
    public var root: MIMEPart
    public var problems: [String]

    /// The parts a person would call attachments, in order (numbered from 1 by `mailintake attachment`).
    public var attachments: [MIMEPart] {
        root.leaves.filter { $0.isAttachment || ($0.contentType.type != "text" && $0.contentType.type != "multipart") }
    }

    /// Messages attached whole (message/rfc822), such as a forwarded original.
    public var attachedMessages: [ParsedMessage] { root.leaves.flatMap(\.embedded) }

    /// The name to address the sender by, if they gave one.
    public var fromName: String? { from?.displayName }

    /// True when the parser could not find a sender or a body: staff should look at it.
    public var needsReview: Bool { from == nil || !problems.isEmpty }
}

/// Parses raw RFC 5322 bytes into a `ParsedMessage`.
public enum MessageParser {
    public static func parse(_ raw: [UInt8]) -> ParsedMessage {
        let budget = ParseBudget()
        var message = parse(raw, depth: 0, budget: budget)
        message.problems += budget.problems
        return message
    }

    /// One message, or one embedded in another (then `budget` is the outer message's).
    static func parse(_ raw: [UInt8], depth: Int, budget: ParseBudget) -> ParsedMessage {
        var problems: [String] = []
        let root = MIMEPart.parse(raw[...], depth: depth, problems: &problems, budget: budget)
        let headers = root.headers
        if headers.fields.isEmpty { problems.append("no header fields found") }

        let from = firstAddress(headers, "From", budget)
        if from == nil { problems.append(headers.first("From") == nil ? "no From field" : "unreadable From address") }
        let subject = headers.first("Subject").map(budget.decodeWords) ?? ""
        var date: Date?
        if let value = headers.first("Date") {
            date = MailDate.parse(value)
            if date == nil { problems.append("unreadable Date `\(value.prefix(40))`") }
        }
        let (text, textProblem) = chooseText(root)
        if let textProblem { problems.append(textProblem) }
        return ParsedMessage(
            headers: headers,
            from: from,
            replyTo: firstAddress(headers, "Reply-To", budget),
            to: headers.all("To").flatMap { addresses($0, budget) },
            subject: subject,
            date: date,
            messageID: messageIDs(headers.first("Message-ID") ?? "").first,
            inReplyTo: messageIDs(headers.first("In-Reply-To") ?? ""),
            references: messageIDs(headers.first("References") ?? ""),
            text: text,
            split: QuoteSplitter.split(text),
            root: root,
            problems: problems
        )
    }

    private static func addresses(_ value: String, _ budget: ParseBudget) -> [MailAddress] {
        AddressList.parse(value).compactMap { address in
            guard let name = address.displayName else { return address }
            return MailAddress(validating: address.address, displayName: budget.decodeWords(name))
        }
    }

    private static func firstAddress(_ headers: HeaderFields, _ name: String, _ budget: ParseBudget) -> MailAddress? {
        headers.first(name).flatMap { addresses($0, budget).first }
    }

    /// Extracts `<id>` tokens; a bare id without brackets is accepted when it is the only token.
    static func messageIDs(_ value: String) -> [String] {
        var ids: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let id = rest[rest.index(after: open)..<close].trimmed()
            if !id.isEmpty, !id.contains(" ") { ids.append(id) }
            rest = rest[rest.index(after: close)...]
        }
        if ids.isEmpty {
            let bare = value.trimmed()
            if !bare.isEmpty, !bare.contains(" "), bare.contains("@") { ids.append(bare) }
        }
        return ids
    }

    /// The first inline text/plain leaf, else the first inline text/html leaf rendered as text.
    private static func chooseText(_ root: MIMEPart) -> (String, String?) {
        let inline = root.leaves.filter { !$0.isAttachment && $0.contentType.type == "text" }
        if let plain = inline.first(where: { $0.contentType.subtype == "plain" }) {
            let decoded = plain.decodedText()
            return (decoded.text, decoded.problem)
        }
        if let html = inline.first(where: { $0.contentType.subtype == "html" }) {
            let decoded = html.decodedText()
            return (HTMLText.render(decoded.text), decoded.problem)
        }
        return ("", "no readable text part")
    }
}

/// Whose inquiry a message carries, and what they wrote: the text the classifier reads.
///
/// Usually that is the sender and their new text. But when a colleague forwards a citizen's mail
/// with a short note ("Posredujem v obravnavo"), the inquiry is the forwarded original, inline or
/// attached as message/rfc822; and when the office's web form sends the mail, it is the person
/// who filled the form in. The taxonomy labels the author of the inquiry, so the classifier must
/// see that author.
public struct InquiryText: Sendable {
    public enum Origin: String, Sendable {
        case direct, forwardedInline = "forwarded_inline", forwardedAttachment = "forwarded_attachment", webForm = "web_form"
    }

    public var origin: Origin
    public var authorName: String?
    public var authorAddress: MailAddress?
    public var subject: String
    /// What the author wrote now: no quoted mail, no signature.
    public var body: String
    /// The author's signature, when the mail separated one (`-- `); evidence of who they are.
    public var signature: String
    /// The web form's "natural or legal person" answer and organisation name.
    public var declaredSenderType: String?
    public var organisation: String?
    public var requestType: String?

    /// A forwarding note longer than this is the colleague's own message, not a covering note.
    static let coveringNoteLimit = 400

    public init(origin: Origin = .direct, authorName: String?, authorAddress: MailAddress?, subject: String, body: String,
                signature: String = "", declaredSenderType: String? = nil, organisation: String? = nil, requestType: String? = nil) {
        self.origin = origin
        self.authorName = authorName
        self.authorAddress = authorAddress
        self.subject = subject
        self.body = body
        self.signature = signature
        self.declaredSenderType = declaredSenderType
        self.organisation = organisation
        self.requestType = requestType
    }

    /// Finds the author of `message`. `webFormSenders` are the addresses the office's form sends from.
    public init(_ message: ParsedMessage, webFormSenders: Set<String> = [], webForm: WebFormSubmission.Layout = .init()) {
        let note = message.split.newText
        if let sender = message.from?.address.lowercased(), webFormSenders.contains(sender),
           let form = WebFormSubmission.parse(message.text, layout: webForm) {
            self.init(origin: .webForm, authorName: form.name, authorAddress: form.email ?? message.replyTo,
                      subject: message.subject, body: form.message, declaredSenderType: form.declaredSenderType,
                      organisation: form.organisation, requestType: form.requestType)
            return
        }
        if note.count <= Self.coveringNoteLimit, let original = message.attachedMessages.first {
            self.init(origin: .forwardedAttachment, authorName: original.fromName, authorAddress: original.from,
                      subject: original.subject, body: original.split.newText, signature: original.split.signature)
            return
        }
        if note.count <= Self.coveringNoteLimit, let forward = InlineForward.parse(message.split.quotedText),
           forward.isForward || Self.hasForwardPrefix(message.subject) {
            let split = QuoteSplitter.split(forward.body)
            self.init(origin: .forwardedInline, authorName: forward.from?.displayName, authorAddress: forward.from,
                      subject: forward.subject ?? Self.strippingForwardPrefix(message.subject),
                      body: split.newText, signature: split.signature)
            return
        }
        self.init(authorName: message.fromName, authorAddress: message.from, subject: message.subject,
                  body: note, signature: message.split.signature)
    }

    static let forwardPrefixes = ["fwd:", "fw:", "wg:", "tr:", "posl.:", "posl:", "pd:", "prosl.:", "inoltro:", "i:", "továbbítás:", "továbbított:"]

    static func hasForwardPrefix(_ subject: String) -> Bool {
        let lower = subject.lowercased()
        return forwardPrefixes.contains { lower.hasPrefix($0) }
    }

    static func strippingForwardPrefix(_ subject: String) -> String {
        strippingPrefixes(forwardPrefixes, from: subject)
    }

    /// The subject without any of `prefixes` (`Fwd: Re: FW:` …), however many are stacked.
    static func strippingPrefixes(_ prefixes: [String], from subject: String) -> String {
        var text = subject.trimmed()
        while true {
            let head = text.prefix(16).lowercased()
            guard let prefix = prefixes.first(where: { head.hasPrefix($0) }) else { return text }
            text = String(text.dropFirst(prefix.count)).trimmed()
        }
    }
}

/// A forwarded message written into the body: a separator ("---------- Forwarded message ---------",
/// "Posredovano sporočilo", "Weitergeleitete Nachricht" …) or an Outlook header block, then
/// From/Date/Subject/To lines in the client's language, a blank line and the original text.
enum InlineForward {
    struct Parsed {
        var from: MailAddress?
        var subject: String?
        var body: String
        /// The separator says "forwarded" (an "Original Message" separator may be a reply).
        var isForward: Bool
    }

    static let forwardWords = ["forwarded message", "posredovano sporočilo", "posredovano sporocilo", "weitergeleitete nachricht",
                               "proslijeđena poruka", "prosleđena poruka", "prosledjena poruka", "messaggio inoltrato",
                               "továbbított üzenet", "message transféré", "проследена порака", "прослеђена порука"]

    static func parse(_ quoted: String) -> Parsed? {
        var lines = quoted.lines().map { $0.trimmed() }
        guard !lines.isEmpty else { return nil }
        var isForward = false
        let first = lines[0].lowercased()
        if first.hasPrefix("-") || first.hasPrefix("_") || first.hasPrefix("begin forwarded") || first.hasPrefix("anfang der weitergeleiteten") {
            isForward = forwardWords.contains { first.contains($0) } || first.hasPrefix("begin forwarded") || first.hasPrefix("anfang der weitergeleiteten")
            lines.removeFirst()
        }
        var from: MailAddress?
        var subject: String?
        var index = 0
        var sawHeader = false
        while index < lines.count {
            let line = lines[index]
            if line.isEmpty { if sawHeader { index += 1; break } else { index += 1; continue } }
            guard let colon = line.firstIndex(of: ":") else { break }
            let label = line[...colon].lowercased()
            let value = line[line.index(after: colon)...].trimmed()
            if QuoteSplitter.fromLabels.contains(label) {
                from = AddressList.parse(value).first
            } else if QuoteSplitter.subjectLabels.contains(label) {
                subject = value
            } else if !(QuoteSplitter.sentLabels.contains(label) || QuoteSplitter.toLabels.contains(label)) {
                break
            }
            sawHeader = true
            index += 1
        }
        guard sawHeader, from != nil else { return nil }
        return Parsed(from: from, subject: subject, body: lines[index...].joined(separator: "\n"), isForward: isForward)
    }
}

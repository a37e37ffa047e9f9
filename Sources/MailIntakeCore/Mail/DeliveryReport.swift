import FoundationEssentials

/// What a message says about mail we sent, when it is a report rather than an inquiry: a bounce
/// or a delay notice (RFC 3464 and RFC 6533 delivery reports, and the common non-standard forms
/// of Exim, qmail, Exchange and Gmail), an automatic reply (RFC 3834 and what vacation responders
/// write without it), or a read receipt (RFC 8098). Pure: the filer decides, from the Message-IDs
/// and references this finds, which of our mails it is about.
public struct DeliveryReport: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A permanent failure (Action: failed, or a 5.x.x status): the address does not work.
        case bounce
        /// A delay (Action: delayed, 4.x.x): the MTA still tries; nothing to do yet.
        case delay
        case autoReply = "auto_reply"
        case readReceipt = "read_receipt"
    }

    public var kind: Kind
    /// The enhanced status code (RFC 3463), such as 5.1.1.
    public var status: String?
    /// What the remote server said, such as `550 5.1.1 <ana@example.org>: User unknown`.
    public var diagnostic: String?
    /// The address that failed.
    public var recipient: String?
    /// The Message-IDs of the mail it reports on, best first: the returned message's, RFC 8098's
    /// Original-Message-ID, then In-Reply-To and References.
    public var originalMessageIDs: [String]
    /// Text in which one of our references may stand (the returned message's subject, the report's text).
    public var searchText: [String]

    /// Reads `parsed` as a report; nil for an ordinary message. Auto-replies are recognised here
    /// whoever they answer: the filer treats one as such only when it answers our mail.
    public static func read(_ parsed: ParsedMessage) -> DeliveryReport? {
        let headers = parsed.headers
        let leaves = parsed.root.leaves
        var ids: [String] = []
        var texts = [parsed.subject]
        // The returned message, whole or only its header.
        for leaf in leaves {
            for embedded in leaf.embedded {
                if let id = embedded.messageID { ids.append(id) }
                texts.append(embedded.subject)
            }
            let type = leaf.contentType.mimeType
            if type == "text/rfc822-headers" || type == "message/global-headers" {
                let returned = MessageParser.parse(leaf.decodedBody + [0x0A, 0x0A])
                if let id = returned.messageID { ids.append(id) }
                texts.append(returned.subject)
            }
        }
        let report = parsed.root.contentType.mimeType == "multipart/report"
            ? parsed.root.contentType.parameters["report-type"]?.lowercased() : nil

        // RFC 8098: a read receipt.
        if report == "disposition-notification" || leaves.contains(where: { $0.contentType.mimeType == "message/disposition-notification" }) {
            if let part = leaves.first(where: { $0.contentType.mimeType == "message/disposition-notification" }) {
                let fields = Self.fieldGroups(part).flatMap { $0 }
                if let original = fields.first(where: { $0.name == "original-message-id" })?.value { ids.insert(contentsOf: MessageParser.messageIDs(original), at: 0) }
            }
            return DeliveryReport(kind: .readReceipt, status: nil, diagnostic: nil, recipient: nil,
                                  originalMessageIDs: Self.unique(ids + parsed.inReplyTo + parsed.references), searchText: texts + [parsed.text])
        }

        // RFC 3464 / RFC 6533: the machine-readable status, one group per recipient.
        if let part = leaves.first(where: { ["message/delivery-status", "message/global-delivery-status"].contains($0.contentType.mimeType) }) {
            let groups = Self.fieldGroups(part).dropFirst()  // the first group is per message
            // The first recipient that failed, else the first one delayed.
            let recipients = groups.map { group in Dictionary(group.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }) }
            let chosen = recipients.first { $0["action"]?.lowercased() == "failed" } ?? recipients.first { $0["action"]?.lowercased() == "delayed" } ?? recipients.first
            if let chosen {
                let action = chosen["action"]?.lowercased()
                let status = chosen["status"].flatMap { Self.statusCode(in: $0) }
                let failed = action == "failed" || (action == nil && status?.hasPrefix("5") == true)
                let delayed = action == "delayed" || (action == nil && status?.hasPrefix("4") == true)
                if failed || delayed {
                    return DeliveryReport(kind: failed ? .bounce : .delay, status: status,
                                          diagnostic: chosen["diagnostic-code"].map(Self.diagnostic),
                                          recipient: (chosen["final-recipient"] ?? chosen["original-recipient"]).map(Self.address),
                                          originalMessageIDs: Self.unique(ids + Self.inlineMessageIDs(parsed) + parsed.inReplyTo + parsed.references),
                                          searchText: texts + [parsed.text])
                }
                return nil  // delivered, relayed, expanded: a success report, not a failure
            }
        }

        // The non-standard forms: known by their headers, their sender and their subject, read from their text.
        let from = parsed.from?.address.lowercased() ?? ""
        let localPart = from.split(separator: "@").first.map(String.init) ?? ""
        let subject = parsed.subject.lowercased()
        let fromDaemon = ["mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"].contains(localPart) || from.hasPrefix("microsoftexchange")
        let markers = headers.first("X-Failed-Recipients") != nil || headers.first("X-MS-Exchange-Message-Is-Ndr") != nil
            || headers.first("X-MS-Embedded-Report") != nil || report == "delivery-status"
        let bounceSubjects = ["undeliverable", "undelivered mail", "delivery status notification", "failure notice", "mail delivery failed",
                              "returned mail", "delivery failure", "mail delivery failure", "nondeliverable", "non-delivery", "nedostavljivo", "unzustellbar"]
        let delaySubjects = ["delayed mail", "delivery status notification (delay)", "warning: message", "delivery delayed", "still being retried"]
        if markers || (fromDaemon && (bounceSubjects + delaySubjects).contains { subject.contains($0) }) || bounceSubjects.prefix(6).contains(where: { subject.hasPrefix($0) }) {
            let text = parsed.text
            let status = Self.statusCode(in: text)
            let delayed = delaySubjects.contains { subject.contains($0) } || status?.hasPrefix("4") == true
            return DeliveryReport(kind: delayed ? .delay : .bounce, status: status, diagnostic: Self.diagnosticLine(in: text, status: status),
                                  recipient: headers.first("X-Failed-Recipients").map(Self.address) ?? Self.failedAddress(in: text),
                                  originalMessageIDs: Self.unique(ids + Self.inlineMessageIDs(parsed) + parsed.inReplyTo + parsed.references),
                                  searchText: texts + [text])
        }

        // RFC 3834, and the responders that do not follow it.
        let autoSubmitted = headers.first("Auto-Submitted")?.lowercased().trimmed()
        let precedence = headers.first("Precedence")?.lowercased().trimmed()
        let autoSubjects = ["automatic reply:", "autoreply:", "auto-reply:", "auto:", "out of office:", "abwesenheitsnotiz:", "abwesend:",
                            "odsotnost:", "samodejni odgovor:", "automatski odgovor:", "odsutnost:", "risposta automatica:", "fuori sede:",
                            "automatikus válasz:", "házon kívül:"]
        if (autoSubmitted.map { $0 != "no" } ?? false) || headers.first("X-Autoreply") != nil || headers.first("X-Autorespond") != nil
            || precedence == "auto_reply" || autoSubjects.contains(where: { subject.hasPrefix($0) }) {
            return DeliveryReport(kind: .autoReply, status: nil, diagnostic: nil, recipient: parsed.from?.address,
                                  originalMessageIDs: Self.unique(parsed.inReplyTo + parsed.references), searchText: [parsed.subject])
        }
        return nil
    }

    // MARK: reading the pieces

    /// A delivery-status body: groups of header-like fields (RFC 3464 2.1) separated by empty
    /// lines, each read by the message's own header parser (folding, obsolete syntax, bounds).
    static func fieldGroups(_ part: MIMEPart) -> [[(name: String, value: String)]] {
        var groups: [[String]] = [[]]
        for line in part.decodedText().text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmed().isEmpty {
                if !(groups.last?.isEmpty ?? true) { groups.append([]) }
            } else {
                groups[groups.count - 1].append(String(line))
            }
        }
        let budget = ParseBudget()
        return groups.filter { !$0.isEmpty }.map { lines in
            var problems: [String] = []
            let block = Array(lines.joined(separator: "\n").utf8)[...]
            return HeaderFields.parse(block, problems: &problems, budget: budget).fields.map {
                ($0.name.lowercased(), $0.value.trimmed())
            }
        }
    }

    /// The first enhanced status code (class 2, 4 or 5) in a text.
    static func statusCode(in text: String) -> String? {
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            defer { index += 1 }
            guard ["2", "4", "5"].contains(scalars[index]), index + 1 < scalars.count, scalars[index + 1] == ".",
                  index == 0 || !(scalars[index - 1].properties.numericType != nil || scalars[index - 1] == ".") else { continue }
            var end = index + 2
            var dots = 0
            var digits = 0
            while end < scalars.count, scalars[end].isASCII, ("0"..."9").contains(scalars[end]) || scalars[end] == "." {
                if scalars[end] == "." { dots += 1; digits = 0 } else { digits += 1 }
                if digits > 3 { break }
                end += 1
            }
            var candidate = String(String.UnicodeScalarView(scalars[index..<end]))
            while candidate.hasSuffix(".") { candidate.removeLast() }
            let pieces = candidate.split(separator: ".")
            if pieces.count == 3, pieces.allSatisfy({ !$0.isEmpty && $0.count <= 3 }) { return candidate }
        }
        return nil
    }

    /// `smtp; 550 5.1.1 …` → `550 5.1.1 …`.
    static func diagnostic(_ value: String) -> String {
        let text = value.split(separator: ";", maxSplits: 1).count == 2 && value.lowercased().hasPrefix("smtp") || value.lowercased().hasPrefix("x-")
            ? String(value.split(separator: ";", maxSplits: 1)[1]) : value
        return PrintableText.safe(text.trimmed(), limit: 300)
    }

    /// The line of a human-readable bounce that carries the status (or an SMTP 5xx reply).
    static func diagnosticLine(in text: String, status: String?) -> String? {
        let lines = text.split(separator: "\n").map { $0.trimmed() }
        let line = lines.first { line in status.map { line.contains($0) } ?? false }
            ?? lines.first(where: hasPermanentReplyCode)
        return line.map { PrintableText.safe($0, limit: 300) }
    }

    /// Whether `line` holds an SMTP 5xx reply code as a word of its own, followed by a space or a
    /// dash (`550 5.1.1`, `554-`): the regular expression `\b5[0-9][0-9][ -]`.
    static func hasPermanentReplyCode(_ line: String) -> Bool {
        let characters = Array(line)
        guard characters.count >= 4 else { return false }
        for index in 0...(characters.count - 4) where characters[index] == "5" {
            if index > 0, characters[index - 1].isRegexWordCharacter { continue }
            if characters[index + 1].isASCIIDigit, characters[index + 2].isASCIIDigit, characters[index + 3] == " " || characters[index + 3] == "-" { return true }
        }
        return false
    }

    /// `rfc822; ana@example.org` → `ana@example.org`.
    static func address(_ value: String) -> String {
        let bare = value.split(separator: ";", maxSplits: 1).count == 2 ? String(value.split(separator: ";", maxSplits: 1)[1]) : value
        return bare.trimmed(of: " <>\t").split(separator: ",").first.map(String.init) ?? bare
    }

    /// The first `<address>:` or bare address in a qmail- or Exim-style text after its failure words.
    static func failedAddress(in text: String) -> String? {
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmed()
            // qmail's `<address>:`, sendmail's `<address>` alone on its line.
            if trimmed.hasPrefix("<"), let close = trimmed.firstIndex(of: ">"),
               trimmed[trimmed.index(after: close)...].hasPrefix(":") || trimmed.index(after: close) == trimmed.endIndex {
                return String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
            }
            if !trimmed.contains(" "), trimmed.contains("@"), MailAddress(validating: trimmed) != nil { return trimmed }
        }
        return nil
    }

    /// Message-IDs of a copy returned inline, as Exim and qmail return it (`Message-ID: <…>` lines in the text).
    static func inlineMessageIDs(_ parsed: ParsedMessage) -> [String] {
        parsed.text.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmed()
            guard trimmed.lowercased().hasPrefix("message-id:") else { return nil }
            return MessageParser.messageIDs(String(trimmed.dropFirst(11))).first
        }
    }

    static func unique(_ ids: [String]) -> [String] {
        var seen = Set<String>()
        return ids.filter { seen.insert($0).inserted }
    }
}

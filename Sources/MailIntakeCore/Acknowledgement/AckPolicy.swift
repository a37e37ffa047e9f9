/// Whether a message may be answered automatically, after RFC 3834 and what helpdesks learned:
/// never answer robots, lists, bounces, spam, our own mail, or (when the admin asks for it) a
/// sender the receiving server could not authenticate, so that mailintake can never feed a mail
/// loop or shower a forged address with mail.
public struct AckPolicy: Sendable {
    /// The outcome for one message.
    public enum Decision: Sendable, Equatable {
        case acknowledge(MailAddress)
        case suppress(reason: String)
    }

    /// The header we put on everything we send; mail carrying it is ours coming back.
    public static let loopMarkerHeader = "X-Mailintake-Loop"

    public var ownAddresses: Set<String>
    /// Local parts (`noreply`, which also covers `noreply+x` and `noreply-x`), whole addresses, or `*@domain`.
    public var neverAnswer: [String]
    public var requireAuthentication: AuthenticationRequirement
    public var authservID: String?

    public init(ownAddresses: [MailAddress], neverAnswer: [String] = AckSettings.defaultNeverAnswer,
                requireAuthentication: AuthenticationRequirement = .no, authservID: String? = nil) {
        self.ownAddresses = Set(ownAddresses.map { $0.address.lowercased() })
        self.neverAnswer = neverAnswer.map { $0.lowercased() }
        self.requireAuthentication = requireAuthentication
        self.authservID = authservID?.lowercased()
    }

    /// Our own address, sub-addressed or not: `office+tag@…` (RFC 5233) is still the office.
    static func isOwn(_ address: String, _ own: Set<String>) -> Bool {
        let lowered = address.lowercased()
        if own.contains(lowered) { return true }
        guard let at = lowered.lastIndex(of: "@"), let plus = lowered[..<at].firstIndex(of: "+") else { return false }
        return own.contains(String(lowered[..<plus]) + String(lowered[at...]))
    }

    public init(settings: AckSettings, ownAddresses: [MailAddress]) {
        self.init(ownAddresses: ownAddresses, neverAnswer: settings.neverAnswer,
                  requireAuthentication: settings.requireAuthentication, authservID: settings.authservID)
    }

    /// Decides for `message`, answering `recipient` (the author, where that is not the sender:
    /// the person who filled in the web form), else the From address.
    public func decide(_ message: ParsedMessage, recipient: MailAddress? = nil) -> Decision {
        let headers = message.headers
        if headers.first(Self.loopMarkerHeader) != nil {
            return .suppress(reason: "carries our own loop marker (\(Self.loopMarkerHeader))")
        }
        if let auto = headers.first("Auto-Submitted"), auto.split(separator: ";").first?.trimmed().lowercased() != "no" {
            return .suppress(reason: "Auto-Submitted: \(auto.prefix(40))")
        }
        if let precedence = headers.first("Precedence")?.lowercased(), ["bulk", "list", "junk"].contains(precedence.trimmed()) {
            return .suppress(reason: "Precedence: \(precedence)")
        }
        for listHeader in ["List-Id", "List-Unsubscribe", "List-Post"] where headers.first(listHeader) != nil {
            return .suppress(reason: "mailing-list message (\(listHeader))")
        }
        if let suppress = headers.first("X-Auto-Response-Suppress")?.lowercased(),
           ["all", "autoreply", "oof", "dr", "rn", "nrn"].contains(where: { suppress.contains($0) }) {
            return .suppress(reason: "X-Auto-Response-Suppress: \(suppress.prefix(40))")
        }
        if let spam = Self.spamVerdict(headers) {
            return .suppress(reason: "marked as spam by the receiving server (\(spam))")
        }
        guard let returnPath = headers.first("Return-Path") else {
            return .suppress(reason: "no Return-Path: the message did not come through a delivering server")
        }
        if returnPath.replacing(" ", with: "") == "<>" {
            return .suppress(reason: "empty Return-Path (a bounce or notification)")
        }
        if let reason = authenticationFailure(headers) {
            return .suppress(reason: reason)
        }
        guard let to = recipient ?? message.from else {
            return .suppress(reason: "no valid From address")
        }
        if let rule = neverAnswerRule(for: to) {
            return .suppress(reason: "the recipient is on the don't-answer list ([ack] never_answer: \(rule))")
        }
        if Self.isOwn(to.address, ownAddresses) {
            return .suppress(reason: "sent from our own address")
        }
        return .acknowledge(to)
    }

    /// The entry of `neverAnswer` that `address` matches, if any.
    public func neverAnswerRule(for address: MailAddress) -> String? {
        let whole = address.address.lowercased()
        let local = address.localPart.lowercased()
        let domain = address.domain.lowercased()
        return neverAnswer.first { rule in
            if rule.hasPrefix("*@") { return domain == rule.dropFirst(2) || domain.hasSuffix("." + rule.dropFirst(2)) }
            if rule.contains("@") { return whole == rule }
            return local == rule || local.hasPrefix(rule + "+") || local.hasPrefix(rule + "-")
        }
    }

    /// SpamAssassin's X-Spam-Flag / X-Spam-Status, Rspamd's X-Spam, X-Rspamd-Action and X-Spamd-Result.
    static func spamVerdict(_ headers: HeaderFields) -> String? {
        if headers.first("X-Spam-Flag")?.trimmed().lowercased() == "yes" { return "X-Spam-Flag: YES" }
        if headers.first("X-Spam-Status")?.trimmed().lowercased().hasPrefix("yes") == true { return "X-Spam-Status: Yes" }
        if headers.first("X-Spam")?.trimmed().lowercased() == "yes" { return "X-Spam: Yes" }
        if let action = headers.first("X-Rspamd-Action")?.trimmed().lowercased(),
           ["add header", "rewrite subject", "reject", "soft reject"].contains(action) { return "X-Rspamd-Action: \(action)" }
        if let result = headers.first("X-Spamd-Result")?.lowercased().replacing(" ", with: ""),
           result.hasPrefix("default:true") { return "X-Spamd-Result: default: True" }
        return nil
    }

    /// The backscatter guard: with a requirement set, only a message whose Authentication-Results
    /// from our own receiving server (its authserv-id) show the required pass is answered. Headers
    /// from anyone else are ignored: a sender can write any header it likes.
    func authenticationFailure(_ headers: HeaderFields) -> String? {
        guard requireAuthentication != .no, let authservID else { return nil }
        let ours = headers.all("Authentication-Results").compactMap(AuthenticationResults.init).filter { $0.authservID == authservID }
        guard !ours.isEmpty else {
            return "no Authentication-Results from \(authservID); [ack] require_authentication = \(requireAuthentication.rawValue)"
        }
        // The topmost header of our server is the newest: the one it added on receipt.
        let results = ours[0]
        let spf = results.result(for: "spf"), dmarc = results.result(for: "dmarc")
        let passed: Bool
        switch requireAuthentication {
        case .no: passed = true
        case .spf: passed = spf == "pass"
        case .dmarc: passed = dmarc == "pass"
        case .spfOrDmarc: passed = spf == "pass" || dmarc == "pass"
        }
        return passed ? nil : "sender not authenticated (spf=\(spf ?? "none"), dmarc=\(dmarc ?? "none") by \(authservID)); [ack] require_authentication = \(requireAuthentication.rawValue)"
    }
}

/// One Authentication-Results header (RFC 8601): `authserv-id; method=result ...; ...`.
public struct AuthenticationResults: Sendable, Equatable {
    public let authservID: String
    /// (method, result), lower case, in order.
    public let results: [(method: String, result: String)]

    public init?(_ value: String) {
        let text = Self.removingComments(value)
        let parts = text.split(separator: ";").map { $0.trimmed() }
        // The authserv-id may be followed by a version number: "mx.example.org 1".
        guard let first = parts.first?.split(separator: " ").first, !first.isEmpty else { return nil }
        authservID = first.lowercased()
        results = parts.dropFirst().compactMap { part in
            guard let equals = part.firstIndex(of: "=") else { return nil }
            let method = part[..<equals].trimmed().lowercased()
            let result = part[part.index(after: equals)...].split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map { String($0).lowercased() } ?? ""
            return (method, result)
        }
    }

    public func result(for method: String) -> String? { results.first { $0.method == method }?.result }

    public static func == (lhs: AuthenticationResults, rhs: AuthenticationResults) -> Bool {
        lhs.authservID == rhs.authservID && lhs.results.elementsEqual(rhs.results, by: { $0 == $1 })
    }

    /// RFC 5322 comments in parentheses, which RFC 8601 allows anywhere.
    static func removingComments(_ text: String) -> String {
        var output = ""
        var depth = 0
        for character in text {
            if character == "(" { depth += 1; continue }
            if character == ")", depth > 0 { depth -= 1; continue }
            if depth == 0 { output.append(character) }
        }
        return output
    }
}

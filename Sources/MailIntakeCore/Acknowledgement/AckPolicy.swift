/// Whether a message may be answered automatically, after RFC 3834 and what helpdesks learned:
/// never answer robots, lists, bounces, our own mail or a sender we cannot trust, so that
/// mailintake can never feed a mail loop.
public struct AckPolicy: Sendable {
    /// The outcome for one message.
    public enum Decision: Sendable, Equatable {
        case acknowledge(MailAddress)
        case suppress(reason: String)
    }

    /// The header we put on everything we send; mail carrying it is ours coming back.
    public static let loopMarkerHeader = "X-Mailintake-Loop"

    public var ownAddresses: Set<String>
    public var robotLocalParts: [String]

    public init(ownAddresses: [MailAddress],
                robotLocalParts: [String] = ["mailer-daemon", "postmaster", "no-reply", "noreply", "do-not-reply", "donotreply", "bounce", "bounces", "listserv", "majordomo"]) {
        self.ownAddresses = Set(ownAddresses.map { $0.address.lowercased() })
        self.robotLocalParts = robotLocalParts
    }

    public func decide(_ message: ParsedMessage) -> Decision {
        let headers = message.headers
        if headers.first(Self.loopMarkerHeader) != nil {
            return .suppress(reason: "carries our own loop marker (\(Self.loopMarkerHeader))")
        }
        if let auto = headers.first("Auto-Submitted"), auto.split(separator: ";").first?.trimmingWhitespace().lowercased() != "no" {
            return .suppress(reason: "Auto-Submitted: \(auto.prefix(40))")
        }
        if let precedence = headers.first("Precedence")?.lowercased(), ["bulk", "list", "junk"].contains(precedence.trimmingWhitespace()) {
            return .suppress(reason: "Precedence: \(precedence)")
        }
        for listHeader in ["List-Id", "List-Unsubscribe", "List-Post"] where headers.first(listHeader) != nil {
            return .suppress(reason: "mailing-list message (\(listHeader))")
        }
        if let suppress = headers.first("X-Auto-Response-Suppress")?.lowercased(),
           ["all", "autoreply", "oof"].contains(where: { suppress.contains($0) }) {
            return .suppress(reason: "X-Auto-Response-Suppress: \(suppress.prefix(40))")
        }
        if headers.first("X-Spam-Flag")?.trimmingWhitespace().lowercased() == "yes"
            || headers.first("X-Spam-Status")?.lowercased().hasPrefix("yes") == true {
            return .suppress(reason: "marked as spam by the receiving server")
        }
        guard let returnPath = headers.first("Return-Path") else {
            return .suppress(reason: "no Return-Path: the message did not come through a delivering server")
        }
        if returnPath.replacingOccurrences(of: " ", with: "") == "<>" {
            return .suppress(reason: "empty Return-Path (a bounce or notification)")
        }
        guard let from = message.from else {
            return .suppress(reason: "no valid From address")
        }
        let local = from.localPart.lowercased()
        if robotLocalParts.contains(where: { local == $0 || local.hasPrefix($0 + "+") || local.hasPrefix($0 + "-") }) {
            return .suppress(reason: "sender \(local)@… is a robot address")
        }
        if ownAddresses.contains(from.address.lowercased()) {
            return .suppress(reason: "sent from our own address")
        }
        return .acknowledge(from)
    }
}

import FoundationEssentials

/// How one attempt to send an outbox mail failed, as far as the policy cares (the transport maps
/// its errors onto these).
public enum DeliveryFailure: Sendable, Equatable {
    /// The server took the whole message and then said nothing: it may have been delivered.
    case unconfirmed
    /// The server itself is the trouble (down, timing out, refusing our login or certificate):
    /// the same would happen to every mail now.
    case serverUnavailable
    /// This mail was refused for now (4xx) or the exchange broke off before the data.
    case temporary
    /// This mail was refused for good (5xx), or our own settings cannot send it.
    case permanent
}

/// The outbox's rules for one round of sending, pure so they are tested without a server: what
/// becomes of a mail whose attempt failed, and when the round stops so a failing server is not
/// hammered.
public struct DeliveryRound: Sendable {
    public let settings: AckSettings
    private var temporaryInARow = 0
    /// Acknowledgements the hourly cap still lets go in this round; notifications are not capped.
    public private(set) var acknowledgementsAllowed = Int.max

    /// Three temporary refusals in a row end the round.
    public static let temporaryLimit = 3
    /// The longest wait between two attempts at one mail.
    public static let longestDelay: TimeInterval = 6 * 3600

    public init(settings: AckSettings) {
        self.settings = settings
    }

    public enum Action: Sendable, Equatable {
        /// Kept for a person: never sent again by itself.
        case unconfirmed
        /// Back to pending as it was, the attempt not counted against the mail.
        case release
        /// Pending again, due at this time.
        case retry(at: Date)
        /// Failed for good, with the server's reply.
        case fail
    }

    public struct Decision: Sendable, Equatable {
        public let action: Action
        /// Nothing more is sent this round.
        public let stopsRound: Bool
    }

    /// The cap's window already holds `sentInWindow` acknowledgements: the rest of them wait,
    /// pending, oldest first, and go out as the window moves on. A backlog is delayed, never dropped.
    public mutating func limitAcknowledgements(sentInWindow: Int) {
        acknowledgementsAllowed = max(0, settings.maxPerHour - sentInWindow)
    }

    public var mayAcknowledge: Bool { acknowledgementsAllowed > 0 }

    /// A mail went out: the run of temporary refusals is broken, and an acknowledgement counts against the cap.
    public mutating func sent(acknowledgement: Bool = false) {
        temporaryInARow = 0
        if acknowledgement, acknowledgementsAllowed != Int.max { acknowledgementsAllowed -= 1 }
    }

    /// When the next acknowledgement may go, once the cap is reached: when the first one counted leaves the window.
    public func nextAcknowledgementAt(firstInWindow: Date?, now: Date) -> Date {
        (firstInWindow ?? now).addingTimeInterval(settings.rateWindow)
    }

    /// What to do with a mail whose `attempts`-th attempt (counting this one) failed so.
    public mutating func failed(_ failure: DeliveryFailure, attempts: Int, now: Date) -> Decision {
        switch failure {
        case .unconfirmed:
            // A server that goes silent after the data is not handed more.
            return Decision(action: .unconfirmed, stopsRound: true)
        case .serverUnavailable:
            return Decision(action: .release, stopsRound: true)
        case .temporary where attempts < settings.maxAttempts:
            temporaryInARow += 1
            return Decision(action: .retry(at: now.addingTimeInterval(Self.delay(afterAttempt: attempts, settings: settings))),
                            stopsRound: temporaryInARow >= Self.temporaryLimit)
        case .temporary, .permanent:
            return Decision(action: .fail, stopsRound: false)
        }
    }

    /// `retry_delay`, doubling with each attempt, up to six hours.
    public static func delay(afterAttempt attempts: Int, settings: AckSettings) -> TimeInterval {
        min(settings.retryDelay * pow(2, Double(max(0, min(attempts - 1, 30)))), longestDelay)
    }
}

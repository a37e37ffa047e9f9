/// Where an inquiry stands: `open` until the office has answered, `answered` once a reply went
/// to the person (seen in the sent folder, copied to the office mailbox, or recorded by staff),
/// `closed` when staff say nothing more is to be done. Which moves are allowed lives here, once,
/// for the commands and for the intake.
public enum InquiryStatus: String, Sendable, CaseIterable, Codable {
    case open, answered, closed

    /// What a person or the intake may do to an inquiry.
    public enum Action: String, Sendable {
        case answer = "answered", close = "closed", reopen = "reopened"
        /// The person wrote again: a new letter, so a new 15 days, unless it was still open.
        case followUp = "follow_up"
        /// An interim reply saying when the answer will come (Article 17's complex matter).
        case interim
    }

    /// The status after `action`, or nil when the move makes no sense (the reason is `refusal`).
    public func after(_ action: Action) -> InquiryStatus? {
        switch (self, action) {
        case (.open, .answer): return .answered
        case (.open, .close), (.answered, .close): return .closed
        case (.answered, .reopen), (.closed, .reopen): return .open
        case (_, .followUp): return .open
        case (.open, .interim): return .open
        default: return nil
        }
    }

    /// Why `action` cannot be done to an inquiry in this status, for the person who asked.
    public func refusal(_ action: Action) -> String {
        switch (self, action) {
        case (.answered, .answer): return "is already answered; `reopen` it first if the answer was not the end of it"
        case (.closed, .answer): return "is closed; `reopen` it first"
        case (.closed, .close): return "is already closed"
        case (.open, .reopen): return "is open already"
        case (_, .interim): return "is \(rawValue); an interim reply is for an open inquiry"
        default: return "is \(rawValue)"
        }
    }
}

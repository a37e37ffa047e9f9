import MailIntakeCore

/// What the intake needs of a mailbox: `IMAPSession` over the network, or a mailbox in memory in
/// the daemon's tests, so the cycle's rules are tested without a server (as swift-nio tests its
/// handlers on an EmbeddedChannel). The protocol's own behaviour — framing, deadlines, lying
/// servers — is tested on `IMAPSession` against real and hostile servers.
public protocol MailboxClient: AnyObject {
    func select(_ mailbox: String) throws -> MailboxStatus
    /// Opens a mailbox read-only (the sent folder): nothing in it is changed.
    func examine(_ mailbox: String) throws -> MailboxStatus
    /// UIDs at or above `first`, ascending.
    func uids(from first: UInt32) throws -> [UInt32]
    func uids(withKeyword keyword: String) throws -> [UInt32]
    func sizes(from first: UInt32) throws -> [UInt32: Int]
    /// Hands each message asked for to `body` as it arrives; UIDs not asked for are never handed on.
    func fetch(_ uids: [UInt32], prefix: Int?, _ body: (FetchedMessage) throws -> Void) throws
    /// Hands over each message's header only.
    func fetchHeaders(_ uids: [UInt32], _ body: (FetchedMessage) throws -> Void) throws
    func addFlags(_ flags: [String], to uids: [UInt32]) throws
    func move(_ uids: [UInt32], to folder: String) throws
    func logout()
    /// Answers for messages not asked for that were ignored.
    var ignoredResponses: Int { get }
}

/// What the intake needs to send mail: `SMTPSender`, or a recorder in tests.
public protocol MailSubmitter: AnyObject {
    /// Submits one message; returns the server's reply, or throws a `TransportError`.
    /// `handingOver` runs once every byte is in the transport's hands and before the end of the
    /// data is sent (the last moment the message can still be withdrawn): the outbox records
    /// `sending` there, so a crash before it leaves the mail pending. When it throws, the
    /// message is withdrawn (the data never ended, so the server discards it).
    func send(content: [UInt8], sender: String, recipient: String, handingOver: () throws -> Void) throws(TransportError) -> String
}

extension IMAPSession: MailboxClient {}

extension SMTPSender: MailSubmitter {}

/// How the intake reaches its servers: by default over the network.
public struct MailConnector {
    public var mailbox: (IMAPSettings) throws -> MailboxClient
    public var submitter: (SMTPSettings, String) -> MailSubmitter

    public init(mailbox: @escaping (IMAPSettings) throws -> MailboxClient,
                submitter: @escaping (SMTPSettings, String) -> MailSubmitter) {
        self.mailbox = mailbox
        self.submitter = submitter
    }

    public static var network: MailConnector { MailConnector(
        mailbox: { settings in
            let size = settings.maxMessageSize + (1 << 20)
            guard let oauth = settings.authentication.oauth2 else { return try IMAPSession(settings: settings, maximumMessageSize: size) }
            // libcurl authenticates in the connect phase: a refused token ends the connect, and
            // one fresh token gets one more try.
            return try TokenSources.withAccessToken(oauth) { token throws(TransportError) in
                try IMAPSession(settings: settings, maximumMessageSize: size, bearer: token)
            }
        },
        submitter: { settings, heloName in SMTPSender(settings: settings, heloName: heloName) }) }
}

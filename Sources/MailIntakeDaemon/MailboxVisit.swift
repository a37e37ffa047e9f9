import MailTransport

/// A cycle's one connection to the IMAP server: the inbox is polled and then the sent folder read
/// over it, one login for both where there were two. Each login is a TCP and TLS handshake and a
/// password or token checked — a few milliseconds of CPU on each side, and on Microsoft 365 or
/// Google a login their throttling counts. Made when first asked for (the intake's first one is
/// its `EarlyConnection`), logged out by `end()`, or when released.
public final class MailboxVisit {
    private let open: () throws -> MailboxClient
    private var session: MailboxClient?

    init(open: @escaping () throws -> MailboxClient) {
        self.open = open
    }

    /// The connection: the one made earlier in this visit, or a new one.
    func client() throws -> MailboxClient {
        if let session { return session }
        let made = try open()
        session = made
        return made
    }

    /// Logs out, if connected. A later `client()` connects again.
    public func end() {
        session?.logout()
        session = nil
    }

    deinit { end() }
}

import MailIntakeCore

/// A failure talking to a mail server, from libcurl or from the server itself. `description`
/// is one line that says what went wrong and what the operator can do about it.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, for deciding between retry and give-up.
    public enum Kind: String, Sendable {
        case connection      // refused, unreachable, DNS
        case timeout
        case tls             // handshake failed, STARTTLS not offered
        case certificate     // the server's certificate did not verify
        case authentication  // wrong user or password
        case protocolError   // the server said something we cannot follow
        case rejected        // the server refused a command (NO/BAD, 4xx/5xx)
        case configuration   // our own settings are unusable
        /// The SMTP server took the whole message, final dot included, and then said nothing (or
        /// dropped the connection): it may or may not have accepted it. Never retried automatically.
        case unconfirmed
        /// No OAuth2 access token could be had until a person acts: the refresh token was revoked
        /// or expired, nobody signed in, or the client's id, secret or consent are wrong.
        case signInNeeded
        /// The OAuth2 authorization server could not be asked (down, slow, 5xx): retried with backoff.
        case tokenUnavailable
    }

    public let kind: Kind
    public let message: String
    /// libcurl's CURLcode, when libcurl reported it.
    public let curlCode: Int?
    /// The server's reply code (SMTP), when there was one.
    public let replyCode: Int?
    /// The server's last reply line, as it wrote it (SMTP), when there was one.
    public let serverReply: String?

    public init(_ kind: Kind, _ message: String, curlCode: Int? = nil, replyCode: Int? = nil, serverReply: String? = nil) {
        self.kind = kind
        self.message = message
        self.curlCode = curlCode
        self.replyCode = replyCode
        self.serverReply = serverReply
    }

    /// True when trying again later may succeed (network, timeouts, 4xx); false for what needs a person (5xx, bad password, bad certificate).
    public var isTemporary: Bool {
        switch kind {
        case .connection, .timeout, .tls, .protocolError, .tokenUnavailable: return true
        case .rejected: return (replyCode ?? 400) < 500
        case .certificate, .authentication, .configuration, .unconfirmed, .signInNeeded: return false
        }
    }

    /// The failure as the outbox's policy (`DeliveryRound`) sees it.
    public var deliveryFailure: DeliveryFailure {
        if kind == .unconfirmed { return .unconfirmed }
        if concernsTheServer { return .serverUnavailable }
        return isTemporary ? .temporary : .permanent
    }

    /// True when the failure is the server's or our settings', not the message's: the same would
    /// happen to every message now, so a round of sending stops and the mail stays pending.
    public var concernsTheServer: Bool {
        switch kind {
        case .connection, .timeout, .tls, .certificate, .authentication, .configuration, .signInNeeded, .tokenUnavailable: return true
        case .protocolError, .rejected, .unconfirmed: return false
        }
    }

    public var description: String {
        var text = message
        switch kind {
        case .connection: text += " — check the host and port in the URL, and that the server is running and reachable"
        case .timeout: text += " — the server did not answer in time; it will be tried again"
        case .tls: text += " — check that the URL's scheme matches the port (imaps/smtps for implicit TLS, imap/smtp for STARTTLS)"
        case .certificate: text += " — the server's certificate is not trusted: install its CA and set ca_file, or fix the server's certificate; verification is never switched off"
        case .authentication: text += " — check the user and the password file (with OAuth2: the app's permission on this mailbox, docs/OAUTH2.md)"
        case .unconfirmed: text += " — it may or may not have been delivered, so it is not sent again automatically; check the SMTP server's log, then `mailintake outbox retry REFERENCE` if it never arrived"
        case .tokenUnavailable: text += " — mail waits on the server and acknowledgements in the outbox meanwhile"
        case .protocolError, .rejected, .configuration, .signInNeeded: break
        }
        if let curlCode { text += " (curl error \(curlCode))" }
        return text
    }
}

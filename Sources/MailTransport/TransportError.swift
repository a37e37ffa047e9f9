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
        case .connection, .timeout, .tls, .protocolError: return true
        case .rejected: return (replyCode ?? 400) < 500
        case .certificate, .authentication, .configuration: return false
        }
    }

    public var description: String {
        var text = message
        switch kind {
        case .connection: text += " — check the host and port in the URL, and that the server is running and reachable"
        case .timeout: text += " — the server did not answer in time; it will be tried again"
        case .tls: text += " — check that the URL's scheme matches the port (imaps/smtps for implicit TLS, imap/smtp for STARTTLS)"
        case .certificate: text += " — the server's certificate is not trusted: install its CA and set ca_file, or fix the server's certificate; verification is never switched off"
        case .authentication: text += " — check the user and the password file"
        case .protocolError, .rejected, .configuration: break
        }
        if let curlCode { text += " (curl error \(curlCode))" }
        return text
    }
}

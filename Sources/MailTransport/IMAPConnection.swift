import CCurl
import FoundationEssentials
import MailIntakeCore

/// An authenticated IMAP connection. libcurl does the parts it does well — connecting, TLS or
/// STARTTLS with verification, CAPABILITY and LOGIN/AUTHENTICATE — with CURLOPT_CONNECT_ONLY;
/// after that we speak IMAP ourselves over curl_easy_send/recv. That is what lets us use
/// BODY.PEEK (libcurl's own fetch sets \Seen), fetch a whole batch in one command (one round
/// trip per batch, not per message), and STORE or MOVE after the database commit.
final class IMAPConnection {
    private let curl: CurlEasy
    let timeout: TimeInterval
    /// Whether OpenSSL reads ahead on this connection (`CurlEasy.readAheadAfterConnect`).
    let readsAhead: Bool

    /// The core's settings, taken as they are: no mirror of them in the transport.
    /// `bearer`: the OAuth2 access token, when the settings ask for OAuth2 (`TokenSources` supplies it).
    init(_ endpoint: IMAPSettings, bearer: String?) throws(TransportError) {
        curl = try CurlEasy()
        timeout = endpoint.timeout
        guard var components = URLComponents(url: endpoint.url, resolvingAgainstBaseURL: false) else {
            throw TransportError(.configuration, "unusable IMAP URL \(endpoint.url)")
        }
        components.path = "/"  // no mailbox in the URL: with one, libcurl would SELECT it itself
        guard let url = components.string else { throw TransportError(.configuration, "unusable IMAP URL \(endpoint.url)") }
        try curl.set(CURLOPT_URL, string: url)
        try curl.set(CURLOPT_USERNAME, string: endpoint.user)
        switch endpoint.authentication {
        case .password(let password):
            if let password { try curl.set(CURLOPT_PASSWORD, string: password.value) }
        case .oauth2:
            guard let bearer else { throw TransportError(.configuration, "OAuth2 login without an access token") }
            try curl.configureBearer(bearer)
        }
        try curl.configureTLS(caFile: endpoint.caFile)
        try curl.configureTimeouts(connect: endpoint.timeout)
        try curl.set(CURLOPT_CONNECT_ONLY, 1)
        try curl.rememberTLSSession()
        try curl.perform("connecting to \(endpoint.url.host ?? "?"):\(endpoint.url.port.map(String.init) ?? "default port")")
        readsAhead = curl.readAheadAfterConnect()  // from here on only `receive` reads
    }

    func send(_ text: String) throws(TransportError) {
        try curl.send(Array(text.utf8), timeout: timeout)
    }

    /// Receives what is available, waiting at most `timeout` for the first byte.
    func receive(into buffer: UnsafeMutableRawBufferPointer, timeout: TimeInterval) throws(TransportError) -> Int {
        try curl.receive(into: buffer, timeout: timeout)
    }
}

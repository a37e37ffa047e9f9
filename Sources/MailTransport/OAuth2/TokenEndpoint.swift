import CCurl
import FoundationEssentials
import MailIntakeCore

/// The authorization server's endpoints, over libcurl HTTPS: a form POST and its JSON answer.
/// TLS is verified as for mail (the same CA option), only https:// is spoken, redirects are not
/// followed (a token request must not be replayed elsewhere), nothing is logged.
public struct TokenEndpoint: Sendable {
    public let settings: OAuth2Settings

    public init(_ settings: OAuth2Settings) { self.settings = settings }

    /// The client's own fields, sent with every request. The secret goes in the body (RFC 6749
    /// 2.3.1 allows it, and Microsoft and Google both take it so).
    var clientFields: [(String, String)] {
        var fields = [("client_id", settings.clientID)]
        if let secret = settings.clientSecret { fields.append(("client_secret", secret.value)) }
        return fields
    }

    /// A new access token by the configured grant, from the refresh token when that is the grant.
    public func requestToken(refreshToken: String?, now: Date = Date()) throws(TransportError) -> TokenReply {
        var fields: [(String, String)]
        switch settings.grant {
        case .clientCredentials:
            fields = [("grant_type", "client_credentials"), ("scope", settings.scope)]
        case .refreshToken:
            guard let refreshToken else { throw TransportError(.signInNeeded, "nobody has signed in yet for [\(settings.section)]; run `mailintake oauth login`") }
            fields = [("grant_type", "refresh_token"), ("refresh_token", refreshToken)]
            // Microsoft wants the scope again; Google refuses a refresh that names one it did not expect.
            if settings.provider != .google { fields.append(("scope", settings.scope)) }
        }
        return try token(fields + clientFields, now: now)
    }

    /// RFC 8628 3.4: exchanging the device code once the person has signed in.
    public func pollDevice(_ authorization: DeviceAuthorization, now: Date = Date()) throws(TransportError) -> TokenReply {
        try token([("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("device_code", authorization.deviceCode)] + clientFields, now: now)
    }

    /// RFC 6749 4.1.3 with RFC 7636's verifier: the code from the pasted redirect.
    public func exchange(code: String, redirectURI: String, verifier: String, now: Date = Date()) throws(TransportError) -> TokenReply {
        try token([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", verifier)] + clientFields, now: now)
    }

    /// RFC 8628 3.1: asks for a device code and the code the person types in.
    public func authorizeDevice() throws(TransportError) -> Result<DeviceAuthorization, TokenFailure> {
        guard let url = settings.deviceURL else {
            throw TransportError(.configuration, "[\(settings.section)] has no device_url (provider \(settings.provider.rawValue)); \(settings.provider == .google ? "Google's device flow does not allow the Gmail scope: use `mailintake oauth login --code`" : "set device_url, or use `mailintake oauth login --code`")")
        }
        let (status, body) = try post(url, [("scope", settings.scope)] + clientFields)
        return DeviceAuthorization.parse(status: status, body: body)
    }

    private func token(_ fields: [(String, String)], now: Date) throws(TransportError) -> TokenReply {
        let (status, body) = try post(settings.tokenURL, fields)
        return TokenReply(status: status, body: body, now: now)
    }

    /// One POST; the status and the body (at most `TokenReply.maximumBody` bytes).
    func post(_ url: URL, _ fields: [(String, String)]) throws(TransportError) -> (Int, [UInt8]) {
        let curl = try CurlEasy()
        let download = DownloadState(limit: TokenReply.maximumBody)
        curl.download = download
        defer { curl.download = nil }
        try curl.set(CURLOPT_URL, string: url.absoluteString)
        try curl.set(CURLOPT_PROTOCOLS_STR, string: "https")
        try curl.set(CURLOPT_FOLLOWLOCATION, 0)
        try curl.configureTLS(caFile: settings.caFile)
        try curl.configureTimeouts(connect: settings.timeout)
        try curl.set(CURLOPT_TIMEOUT_MS, CurlEasy.milliseconds(settings.timeout, maximum: Int(Int32.max)) as Int)
        try curl.set(CURLOPT_HTTPHEADER, list: ["Accept: application/json", "Content-Type: application/x-www-form-urlencoded"])
        try curl.set(CURLOPT_USERAGENT, string: "mailintake")
        try curl.set(CURLOPT_COPYPOSTFIELDS, string: FormEncoding.encode(fields))
        try curl.installDownloadCallback()
        let host = url.host ?? "the authorization server"
        do {
            try curl.perform("asking \(host) for a token")
        } catch {
            // The endpoint's failure, never the mail server's: named so, and always worth another try.
            switch error.kind {
            case .certificate, .configuration: throw error
            default: throw TransportError(.tokenUnavailable, error.message, curlCode: error.curlCode)
            }
        }
        return (curl.responseCode(), download.body)
    }
}

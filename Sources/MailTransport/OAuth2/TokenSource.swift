import FoundationEssentials
import MailIntakeCore

/// Access tokens for one token file: the one in hand while it is good, a new one from the
/// authorization server when not — the new refresh token saved durably before the new access
/// token is handed out — and after a failure, no request to the server until the backoff allows.
/// Thread-safe (IMAP and SMTP may share it); one per token file per process (`TokenSources`).
public final class TokenSource: @unchecked Sendable {
    public let settings: OAuth2Settings
    private let file: TokenFile
    private let endpoint: TokenEndpoint
    private let lock = Lock()
    private var state: TokenState?
    /// What the file looked like when last read or written: a change means another process
    /// (`oauth login`) wrote it, and it is read again.
    private var seen: TokenFile.Stamp?
    /// A grant taken in that could not be saved: not handed out until it is (persist before use).
    private var unsaved = false
    private var failures = 0
    private var lastFailure: TransportError?
    private var retryAfter: Date?
    var logger: Logger?

    public init(settings: OAuth2Settings, logger: Logger? = nil) {
        self.settings = settings
        file = TokenFile(path: settings.tokenFile)
        endpoint = TokenEndpoint(settings)
        self.logger = logger
    }

    /// An access token good for a while yet. Throws `.signInNeeded` when a person must act,
    /// `.tokenUnavailable` when the server could not be asked (or is being left alone after a
    /// failure), `.configuration` when the tokens cannot be kept.
    public func accessToken(now: Date = Date()) throws(TransportError) -> String {
        lock.lock()
        defer { lock.unlock() }
        try reloadIfChanged()
        if let token = state?.usableAccessToken(now: now), state?.belongs(to: settings) == true {
            if unsaved { try save() }
            return token
        }
        if let retryAfter, now < retryAfter, let lastFailure {
            throw TransportError(lastFailure.kind, "\(lastFailure.message) (the authorization server is asked again after \(MailDate.iso8601(retryAfter)))")
        }
        do {
            return try file.locked { () throws(TransportError) -> String in try refresh(now: now) }
        } catch let error as TransportError {
            throw error
        } catch {
            throw TransportError(.configuration, "\(error)")
        }
    }

    /// The mail server refused `token`: it is not offered again, and the next call asks for a new one.
    public func refused(_ token: String) {
        lock.lock()
        defer { lock.unlock() }
        guard state?.accessToken == token else { return }
        state?.accessToken = nil
        state?.accessTokenExpiresAt = nil
        // A refusal is no failure of the token endpoint: a new token may be asked for at once.
        retryAfter = nil
        try? save()
    }

    /// Under the file lock: read again (another process may have just refreshed), then ask.
    private func refresh(now: Date) throws(TransportError) -> String {
        try reloadIfChanged()
        var current = state.flatMap { $0.belongs(to: settings) ? $0 : nil } ?? TokenState(settings: settings)
        if let token = current.usableAccessToken(now: now), !unsaved { return token }
        // A refresh token refused before is tried again, but only as the backoff allows (at most
        // hourly): the daemon keeps running, and costs the server one request now and then.
        if settings.grant == .refreshToken, current.refreshToken == nil {
            let what = state == nil || state?.belongs(to: settings) == true ? "nobody has signed in yet" : "the saved tokens were issued to another client_id or token_url"
            throw fail(.needsSignIn("\(what) for [\(settings.section)]; sign in with `\(loginCommand)`"), state: &current, now: now)
        }
        let reply: TokenReply
        do {
            reply = try endpoint.requestToken(refreshToken: current.refreshToken, now: now)
        } catch {
            if error.kind == .signInNeeded { throw fail(.needsSignIn(error.message), state: &current, now: now) }
            if error.kind == .certificate || error.kind == .configuration { throw fail(.misconfigured(error.description), state: &current, now: now) }
            throw fail(.temporary("the authorization server \(settings.tokenURL.host ?? "") could not be reached: \(error.message)"), state: &current, now: now)
        }
        switch reply {
        case .granted(let grant):
            let rotated = grant.refreshToken != nil && grant.refreshToken != current.refreshToken
            current.accept(grant, now: now)
            state = current
            unsaved = true
            // Saved before it is used: once the new access token has been used, a rotating server
            // may stop accepting the old refresh token, and only the file would have the new one.
            try save()
            failures = 0
            lastFailure = nil
            retryAfter = nil
            logger?.info("OAuth2 access token renewed for [\(settings.section)]\(rotated ? " (new refresh token saved)" : "")", ["expires": MailDate.iso8601(grant.expiresAt)])
            return grant.accessToken
        case .refused(let error, let description):
            throw fail(TokenFailure.classify(error: error, description: description, grant: settings.grant, section: settings.section), state: &current, now: now)
        case .unusable(let reason):
            throw fail(.temporary(reason + "; it will be asked again"), state: &current, now: now)
        }
    }

    private var loginCommand: String {
        settings.section == "oauth2" ? "mailintake oauth login" : "mailintake oauth login --for \(settings.section.dropFirst(7))"
    }

    /// Records a failure (in the file too, for `status`), sets the backoff, and returns the error to throw.
    private func fail(_ failure: TokenFailure, state current: inout TokenState, now: Date) -> TransportError {
        failures += 1
        let delay = TokenBackoff.delay(after: failure, consecutive: failures)
        retryAfter = now.addingTimeInterval(delay)
        current.record(failure, now: now)
        if state == nil || state?.belongs(to: settings) == true {
            state = current
            try? save()
        }
        let kind: TransportError.Kind
        switch failure {
        case .temporary: kind = .tokenUnavailable
        case .needsSignIn, .misconfigured: kind = .signInNeeded
        }
        // Not logged here: the cycle that asked logs it, once until it changes (one error, not two).
        let error = TransportError(kind, failure.description)
        logger?.debug("OAuth2 for [\(settings.section)]: the token endpoint is left alone for \(Int(delay))s")
        lastFailure = error
        return error
    }

    private func save() throws(TransportError) {
        guard let state else { return }
        do {
            try file.write(state)
            unsaved = false
            seen = file.stamp()
        } catch {
            throw TransportError(.configuration, "the new OAuth2 tokens could not be saved, so they are not used yet: \(error.description)")
        }
    }

    private func reloadIfChanged() throws(TransportError) {
        let stamp = file.stamp()
        guard stamp != seen, !unsaved else { return }
        do {
            let loaded = try file.read()
            // A new refresh token on disk (a sign-in): whatever failed before may work now.
            if loaded?.refreshToken != state?.refreshToken || loaded?.signedInAt != state?.signedInAt {
                failures = 0
                retryAfter = nil
                lastFailure = nil
            }
            state = loaded
            seen = stamp
        } catch {
            throw TransportError(.configuration, error.description)
        }
    }
}

/// The token sources of this process, one per token file: IMAP and SMTP sharing an `[oauth2]`
/// section share one source, so they never refresh the same refresh token twice.
public final class TokenSources: @unchecked Sendable {
    public static let shared = TokenSources()
    private let lock = Lock()
    private var sources: [String: TokenSource] = [:]
    public var logger: Logger?

    public func source(for settings: OAuth2Settings) -> TokenSource {
        lock.lock()
        defer { lock.unlock() }
        if let source = sources[settings.tokenFile], source.settings == settings { return source }
        let source = TokenSource(settings: settings, logger: logger)
        sources[settings.tokenFile] = source
        return source
    }

    /// Logs in with a token, and when the server refuses it, once more with a new one (a token
    /// revoked or expired early looks valid to us until the server says otherwise).
    public static func withAccessToken<T>(_ settings: OAuth2Settings, _ login: (String) throws(TransportError) -> T) throws(TransportError) -> T {
        let source = shared.source(for: settings)
        let token = try source.accessToken()
        do {
            return try login(token)
        } catch where error.kind == .authentication {
            source.refused(token)
            let fresh = try source.accessToken()
            do {
                return try login(fresh)
            } catch where error.kind == .authentication {
                throw TransportError(.authentication, "\(error.message); a fresh OAuth2 access token was refused too", curlCode: error.curlCode,
                                     replyCode: error.replyCode, serverReply: error.serverReply)
            }
        }
    }
}

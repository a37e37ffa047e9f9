import FoundationEssentials

/// What is kept in the token file between runs: the refresh token (the one durable secret of
/// delegated access), the current access token and what is known of both, and the last failure
/// so that `mailintake status`, another process, can tell the administrator.
public struct TokenState: Codable, Sendable, Equatable {
    public var version = 1
    public var grant: String
    public var clientID: String
    public var tokenURL: String
    public var refreshToken: String?
    /// When the refresh token in hand was issued (by a sign-in or a rotation).
    public var refreshTokenIssuedAt: Date?
    /// When it was last used successfully (idle lifetimes count from here).
    public var refreshTokenUsedAt: Date?
    /// When a person last signed in (`oauth login`); absolute lifetimes count from here.
    public var signedInAt: Date?
    public var accessToken: String?
    public var accessTokenObtainedAt: Date?
    public var accessTokenExpiresAt: Date?
    public var lastFailure: String?
    public var lastFailureAt: Date?
    /// The last failure needs a person: a revoked or expired refresh token.
    public var needsSignIn: Bool = false

    public init(settings: OAuth2Settings) {
        grant = settings.grant.rawValue
        clientID = settings.clientID
        tokenURL = settings.tokenURL.absoluteString
    }

    /// Whether these tokens were issued to this client at this endpoint: after the administrator
    /// changes the app or tenant, old tokens are worthless and must not be sent to the new server.
    public func belongs(to settings: OAuth2Settings) -> Bool {
        grant == settings.grant.rawValue && clientID == settings.clientID && tokenURL == settings.tokenURL.absoluteString
    }

    /// Takes a grant in: the access token always, the refresh token when the server rotated it
    /// (RFC 6749 6: it MAY issue a new one, and then the old one may stop working).
    public mutating func accept(_ grant: TokenGrant, now: Date, signIn: Bool = false) {
        accessToken = grant.accessToken
        accessTokenObtainedAt = now
        accessTokenExpiresAt = grant.expiresAt
        if let refresh = grant.refreshToken, refresh != refreshToken || signIn {
            refreshToken = refresh
            refreshTokenIssuedAt = now
        }
        if refreshToken != nil { refreshTokenUsedAt = now }
        if signIn { signedInAt = now }
        lastFailure = nil
        lastFailureAt = nil
        needsSignIn = false
    }

    public mutating func record(_ failure: TokenFailure, now: Date) {
        lastFailure = failure.description
        lastFailureAt = now
        if case .needsSignIn = failure {
            needsSignIn = true
            accessToken = nil
        }
    }

    /// The access token, when it is still good for a while: it is renewed when a tenth of its life
    /// (at most five minutes) is left, so no login starts with a token about to expire.
    public func usableAccessToken(now: Date) -> String? {
        guard let token = accessToken, let expires = accessTokenExpiresAt else { return nil }
        let lifetime = expires.timeIntervalSince(accessTokenObtainedAt ?? expires.addingTimeInterval(-3600))
        let margin = min(300, max(0, lifetime / 10))
        return now < expires.addingTimeInterval(-margin) ? token : nil
    }

    /// When the refresh token will likely stop working, as far as the provider says.
    public func refreshTokenLikelyExpires(_ settings: OAuth2Settings) -> Date? {
        guard refreshToken != nil else { return nil }
        var dates: [Date] = []
        if let idle = settings.refreshTokenIdleLifetime, let used = refreshTokenUsedAt ?? refreshTokenIssuedAt { dates.append(used.addingTimeInterval(idle)) }
        if let maximum = settings.refreshTokenMaximumLifetime, let start = signedInAt ?? refreshTokenIssuedAt { dates.append(start.addingTimeInterval(maximum)) }
        return dates.min()
    }

    public static func decode(_ data: Data) throws -> TokenState {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(TokenState.self, from: data)
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

/// How long to leave the token endpoint alone after a failure: a temporary one is retried soon,
/// one that needs a person rarely (the token file is read again every cycle, so a new sign-in is
/// taken up at once, whatever the wait). Never a request per poll against a dead refresh token.
public enum TokenBackoff {
    public static func delay(after failure: TokenFailure, consecutive: Int) -> TimeInterval {
        let exponent = Double(min(max(consecutive - 1, 0), 12))
        switch failure {
        case .temporary: return min(5 * pow(2, exponent), 600)
        case .needsSignIn, .misconfigured: return min(60 * pow(2, exponent), 3600)
        }
    }
}

/// The health of one side's tokens, for `status` and the metrics.
public struct TokenHealth: Sendable {
    public var side: String
    public var lines: [String] = []
    public var problems: [String] = []
    public var ok = true
    public var accessTokenExpiresAt: Date?
    public var refreshTokenAge: TimeInterval?

    /// `state` is nil when there is no token file (yet). `privateToService`: the file is there but
    /// this account may not read it (a member of staff running `status`): its health is unknown
    /// here, which is no problem of the service's.
    public init(side: String, settings: OAuth2Settings, state: TokenState?, readError: String? = nil, privateToService: Bool = false, now: Date) {
        self.side = side
        func when(_ date: Date) -> String {
            let seconds = Int(date.timeIntervalSince(now))
            let span = abs(seconds) < 120 ? "\(abs(seconds))s" : abs(seconds) < 7200 ? "\(abs(seconds) / 60)m" : abs(seconds) < 172_800 ? "\(abs(seconds) / 3600)h" : "\(abs(seconds) / 86_400)d"
            return "\(MailDate.iso8601(date)) (\(seconds >= 0 ? "in \(span)" : "\(span) ago"))"
        }
        let login = settings.section == "oauth2" ? "mailintake oauth login" : "mailintake oauth login --for \(side)"
        lines.append("\(side) login:       OAuth2 \(settings.grant.rawValue) (\(settings.provider.rawValue), [\(settings.section)], \(settings.tokenFile))")
        if privateToService {
            lines.append("\(side) tokens:      kept for the service alone (mode 600); `sudo mailintake status` shows their health")
            return
        }
        if let readError {
            problems.append("\(side): the token file cannot be used: \(readError)")
            ok = false
            return
        }
        guard let state, state.belongs(to: settings) else {
            if settings.grant == .refreshToken {
                problems.append(state == nil ? "\(side): nobody has signed in yet; run `\(login)` (as root or the service's user)"
                                             : "\(side): the saved tokens were issued to another client_id or token_url; sign in again with `\(login)`")
                ok = false
            } else {
                lines.append("\(side) token:       none yet (one is fetched at the first login)")
            }
            return
        }
        if let expires = state.accessTokenExpiresAt, state.accessToken != nil {
            accessTokenExpiresAt = expires
            lines.append("\(side) token:       access token expires \(when(expires))")
        } else {
            lines.append("\(side) token:       no access token in hand")
        }
        if settings.grant == .refreshToken, state.refreshToken != nil {
            let issued = state.refreshTokenIssuedAt ?? state.signedInAt
            refreshTokenAge = issued.map { now.timeIntervalSince($0) }
            var line = "\(side) refresh:     issued \(issued.map(when) ?? "at an unknown time")"
            if let used = state.refreshTokenUsedAt { line += ", last used \(when(used))" }
            if let expires = state.refreshTokenLikelyExpires(settings) {
                line += ", likely expires \(when(expires))"
                if expires < now {
                    problems.append("\(side): the refresh token has likely expired (\(MailDate.iso8601(expires))); sign in again with `\(login)`")
                    ok = false
                } else if expires.timeIntervalSince(now) < 3 * OAuth2Settings.day {
                    problems.append("\(side): the refresh token will likely expire \(when(expires)); sign in again with `\(login)` before then")
                }
            } else {
                line += ", lifetime unknown (set refresh_token_lifetime)"
            }
            lines.append(line)
        } else if settings.grant == .refreshToken {
            problems.append("\(side): no refresh token is saved; sign in with `\(login)`")
            ok = false
        }
        if let failure = state.lastFailure {
            let at = state.lastFailureAt.map(when) ?? "recently"
            problems.append("\(side): getting a token fails (since \(at)): \(failure)")
            ok = false
        }
    }
}

import FoundationEssentials

/// How mailintake logs in to one of its mail servers.
public enum MailAuthentication: Sendable {
    /// A password from a file or a systemd credential; nil when the server needs no login (SMTP only).
    case password(Secret?)
    /// SASL XOAUTH2 with an access token from an OAuth2 authorization server.
    case oauth2(OAuth2Settings)

    public var password: Secret? {
        if case .password(let secret) = self { return secret }
        return nil
    }

    public var oauth2: OAuth2Settings? {
        if case .oauth2(let settings) = self { return settings }
        return nil
    }
}

/// Whose authorization server this is: a preset fills the endpoints, the scope and what is known
/// of how long a refresh token lives, so an administrator names the provider and the tenant only.
public enum OAuth2Provider: String, Sendable, CaseIterable {
    case microsoft, google, generic
}

/// How mailintake obtains access tokens (RFC 6749 section 4).
public enum OAuth2Grant: String, Sendable, CaseIterable {
    /// App-only access (Microsoft 365's IMAP.AccessAsApp / SMTP.SendAsApp): the client's own
    /// credentials, no person signs in, no refresh token; a new token is asked for before the old expires.
    case clientCredentials = "client_credentials"
    /// Delegated access: a person signed in once (`mailintake oauth login`) and the refresh
    /// token is kept, and replaced whenever the server hands out a new one.
    case refreshToken = "refresh_token"
}

/// One `[oauth2]` (or `[oauth2.imap]` / `[oauth2.smtp]`) section, validated.
public struct OAuth2Settings: Sendable, Equatable {
    /// The section it came from (`oauth2`, `oauth2.imap`, `oauth2.smtp`): names it in messages.
    public var section: String
    public var provider: OAuth2Provider
    public var grant: OAuth2Grant
    public var clientID: String
    /// Required for client_credentials; for refresh_token when the provider asks for it (Google's desktop clients do).
    public var clientSecret: Secret?
    public var tokenURL: URL
    /// RFC 8628's device authorization endpoint, for `oauth login`.
    public var deviceURL: URL?
    /// The authorization endpoint, for `oauth login --code` (the code flow with PKCE).
    public var authorizeURL: URL?
    public var scope: String
    public var caFile: String?
    /// Where the tokens are kept (mode 600, replaced atomically); by default beside the database.
    public var tokenFile: String
    public var timeout: TimeInterval
    /// How long a refresh token lives unused, when known (Microsoft 90 days, Google 6 months).
    public var refreshTokenIdleLifetime: TimeInterval?
    /// How long a refresh token lives at all, however often used (a Google app left in "testing": 7 days).
    public var refreshTokenMaximumLifetime: TimeInterval?

    /// The endpoints, scope and refresh-token lifetimes a provider preset fills in.
    public struct Preset: Sendable {
        public var tokenURL: String?
        public var deviceURL: String?
        public var authorizeURL: String?
        public var scope: String?
        public var idleLifetime: TimeInterval?
    }

    public static let day: TimeInterval = 86_400

    /// Microsoft: https://learn.microsoft.com/entra/identity-platform/ (v2.0 endpoints; refresh tokens
    /// live 90 days and are replaced on every use). Google: https://developers.google.com/identity/protocols/oauth2
    /// (refresh tokens unused for six months expire; Gmail's IMAP/SMTP scope is https://mail.google.com/).
    public static func preset(_ provider: OAuth2Provider, tenant: String?, grant: OAuth2Grant) -> Preset {
        switch provider {
        case .microsoft:
            let base = "https://login.microsoftonline.com/\(tenant ?? "organizations")/oauth2/v2.0"
            let scope = grant == .clientCredentials
                ? "https://outlook.office365.com/.default"
                : "offline_access https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send"
            return Preset(tokenURL: base + "/token", deviceURL: base + "/devicecode", authorizeURL: base + "/authorize",
                          scope: scope, idleLifetime: 90 * day)
        case .google:
            // Google's device flow does not allow the Gmail scope; `oauth login --code` is the way in.
            return Preset(tokenURL: "https://oauth2.googleapis.com/token", deviceURL: nil,
                          authorizeURL: "https://accounts.google.com/o/oauth2/v2/auth",
                          scope: "https://mail.google.com/", idleLifetime: 183 * day)
        case .generic:
            return Preset()
        }
    }
}

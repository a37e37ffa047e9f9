import FoundationEssentials

/// What a token endpoint answered (RFC 6749 5.1 and 5.2), read from its status and JSON body.
/// Pure: the HTTP exchange is the transport's; what the answer means is decided here.
public enum TokenReply: Sendable, Equatable {
    case granted(TokenGrant)
    /// An OAuth2 error object (`invalid_grant`, `authorization_pending`, …) with its description.
    case refused(error: String, description: String?)
    /// Not an OAuth2 answer at all: a 5xx, a proxy's HTML page, garbage.
    case unusable(String)

    /// The largest body worth reading; a token answer is a few kilobytes.
    public static let maximumBody = 1 << 20

    public init(status: Int, body: [UInt8], now: Date) {
        let object = JSONValue(parsing: body)?.object
        if let object, let error = object["error"]?.string, !error.isEmpty {
            self = .refused(error: PrintableText.safe(error, limit: 100), description: object["error_description"]?.string.map { PrintableText.safe($0, limit: 400) })
            return
        }
        guard (200..<300).contains(status) else {
            self = .unusable("the token endpoint answered HTTP \(status)")
            return
        }
        guard let object, let token = object["access_token"]?.string, !token.isEmpty else {
            self = .unusable("the token endpoint's answer (HTTP \(status)) holds no access_token")
            return
        }
        // A token goes into a SASL line: anything but printable ASCII would corrupt the exchange.
        guard token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), token.utf8.count <= 16 << 10 else {
            self = .unusable("the token endpoint's access_token is not a usable token (control characters or over 16 KiB)")
            return
        }
        if let type = object["token_type"]?.string, type.lowercased() != "bearer" {
            self = .unusable("the token endpoint issued a `\(PrintableText.safe(type, limit: 40))` token; only Bearer tokens work with XOAUTH2")
            return
        }
        // expires_in is RECOMMENDED, not required; a number or (some servers) a string. Without it,
        // assume an hour, the common lifetime, and let a refusal by the mail server correct us.
        let lifetime = Self.seconds(object["expires_in"]) ?? 3600
        var refresh = object["refresh_token"]?.string
        if let value = refresh, value.isEmpty || !value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) || value.utf8.count > 16 << 10 { refresh = nil }
        self = .granted(TokenGrant(accessToken: token, expiresAt: now.addingTimeInterval(max(0, min(lifetime, 366 * 86_400))), refreshToken: refresh))
    }

    static func seconds(_ value: JSONValue?) -> TimeInterval? {
        if let number = value?.double, number.isFinite { return number }
        if let text = value?.string, let number = Double(text), number.isFinite { return number }
        return nil
    }
}

/// An access token, when it expires, and the refresh token that came with it, if any.
public struct TokenGrant: Sendable, Equatable {
    public var accessToken: String
    public var expiresAt: Date
    public var refreshToken: String?

    public init(accessToken: String, expiresAt: Date, refreshToken: String?) {
        self.accessToken = accessToken
        self.expiresAt = expiresAt
        self.refreshToken = refreshToken
    }
}

/// Why a token could not be had, as the daemon acts on it.
public enum TokenFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The refresh token (or the client's credentials) are no longer accepted: a person must act.
    case needsSignIn(String)
    /// The client itself is misconfigured (wrong id or secret, not allowed this grant or scope).
    case misconfigured(String)
    /// The endpoint is down, slow or answered nonsense: trying again later may work.
    case temporary(String)

    public var description: String {
        switch self {
        case .needsSignIn(let text), .misconfigured(let text), .temporary(let text): return text
        }
    }

    /// Classifies a refusal (RFC 6749 5.2). `invalid_grant` means the refresh token is dead; with
    /// client_credentials it means the client's credentials or consent are wrong.
    public static func classify(error: String, description: String?, grant: OAuth2Grant, section: String) -> TokenFailure {
        let said = description.map { "\(error): \($0)" } ?? error
        switch error {
        case "invalid_grant" where grant == .refreshToken:
            return .needsSignIn("the authorization server no longer accepts the refresh token (\(said)); it was revoked, expired unused, or the account's password changed — sign in again with `mailintake oauth login\(section == "oauth2" ? "" : " --for \(section.dropFirst(7))")`")
        case "invalid_client", "unauthorized_client", "invalid_scope", "invalid_grant", "unsupported_grant_type", "invalid_request", "access_denied":
            return .misconfigured("the authorization server refused the client (\(said)); check client_id, the client secret (and its expiry), tenant, scope and the app's permissions and admin consent in [\(section)] (docs/OAUTH2.md lists the usual causes)")
        case "temporarily_unavailable", "server_error":
            return .temporary("the authorization server is unavailable (\(said)); it will be asked again")
        default:
            return .misconfigured("the authorization server refused the token request (\(said)); see docs/OAUTH2.md")
        }
    }
}

/// The form body of a token request, `application/x-www-form-urlencoded` (RFC 6749 appendix B).
public enum FormEncoding {
    public static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    /// Everything but the unreserved characters percent-encoded; a space as %20 is accepted everywhere.
    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + Formatting.hexByte(byte)
            }
        }
        return out
    }

    /// The query fields of a URL (for the redirect an administrator pastes back).
    public static func query(of url: URL) -> [String: String] {
        var fields: [String: String] = [:]
        for item in URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? [] { fields[item.name] = item.value ?? "" }
        return fields
    }
}

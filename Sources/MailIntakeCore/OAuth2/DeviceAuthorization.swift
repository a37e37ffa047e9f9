import FoundationEssentials

/// The answer of a device authorization endpoint (RFC 8628 3.2): what the administrator is shown
/// and what `oauth login` polls with.
public struct DeviceAuthorization: Sendable, Equatable {
    public var deviceCode: String
    public var userCode: String
    public var verificationURI: String
    public var verificationURIComplete: String?
    public var expiresIn: TimeInterval
    public var interval: TimeInterval

    /// The authorization, or why the answer is not one.
    public static func parse(status: Int, body: [UInt8]) -> Result<DeviceAuthorization, TokenFailure> {
        let object = JSONValue(parsing: body)?.object
        if let object, let error = object["error"]?.string {
            let description = object["error_description"]?.string.map { PrintableText.safe($0, limit: 400) }
            return .failure(.misconfigured("the device authorization endpoint refused (\(PrintableText.safe(error, limit: 100))\(description.map { ": " + $0 } ?? "")); check client_id, tenant, scope, and that the app allows public client (device code) flows"))
        }
        guard (200..<300).contains(status), let object else {
            return .failure(.temporary("the device authorization endpoint answered HTTP \(status) without a usable body"))
        }
        // Google names it verification_url, RFC 8628 verification_uri.
        guard let device = object["device_code"]?.string, let user = object["user_code"]?.string,
              let uri = (object["verification_uri"] ?? object["verification_url"])?.string, !device.isEmpty, !user.isEmpty else {
            return .failure(.temporary("the device authorization endpoint's answer lacks device_code, user_code or verification_uri"))
        }
        return .success(DeviceAuthorization(
            deviceCode: device, userCode: PrintableText.safe(user, limit: 40), verificationURI: PrintableText.safe(uri, limit: 400),
            verificationURIComplete: object["verification_uri_complete"]?.string.map { PrintableText.safe($0, limit: 600) },
            expiresIn: min(max(TokenReply.seconds(object["expires_in"]) ?? 900, 10), 3600),
            // RFC 8628 3.2: 5 seconds when the server names none.
            interval: min(max(TokenReply.seconds(object["interval"]) ?? 5, 1), 60)))
    }
}

/// Polling the token endpoint while a person signs in (RFC 8628 3.4–3.5): pure, so every answer's
/// consequence is unit-tested and `oauth login` only sleeps and asks.
public struct DevicePolling: Sendable {
    public enum Step: Sendable, Equatable {
        case wait(TimeInterval)
        case granted(TokenGrant)
        case failed(String)
    }

    public private(set) var interval: TimeInterval
    public let deadline: Date

    public init(_ authorization: DeviceAuthorization, startedAt: Date) {
        interval = authorization.interval
        deadline = startedAt.addingTimeInterval(authorization.expiresIn)
    }

    /// What to do after the token endpoint's answer (or, with nil, after it could not be reached).
    public mutating func next(after reply: TokenReply?, now: Date) -> Step {
        switch reply {
        case .granted(let grant)?:
            return .granted(grant)
        case .refused(let error, let description)?:
            switch error {
            case "authorization_pending":
                break
            case "slow_down":
                // 3.5: the interval grows by 5 seconds, for this and every later request.
                interval += 5
            case "expired_token":
                return .failed("the code expired before the sign-in was finished; run `mailintake oauth login` again and enter the new code sooner")
            case "access_denied", "authorization_declined":
                return .failed("the sign-in was declined\(description.map { " (\($0))" } ?? ""); run `mailintake oauth login` again and approve the request, or ask the tenant's administrator to consent to the app")
            default:
                return .failed("the authorization server refused the sign-in (\(error)\(description.map { ": " + $0 } ?? "")); see docs/OAUTH2.md")
            }
        case .unusable?, nil:
            // A 5xx or an unreachable endpoint: 3.5 says wait and try again, with the interval grown.
            interval = min(interval * 2, 60)
        }
        guard now.addingTimeInterval(interval) < deadline else {
            return .failed("the code expired before the sign-in was finished; run `mailintake oauth login` again")
        }
        return .wait(interval)
    }
}

/// Proof Key for Code Exchange (RFC 7636) for `oauth login --code`: a random verifier and its S256 challenge.
public struct PKCE: Sendable {
    public let verifier: String
    public let challenge: String
    public let state: String

    public init() {
        var generator = SystemRandomNumberGenerator()
        self.init(verifier: Self.base64URL((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }),
                  state: Self.base64URL((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }))
    }

    /// A known verifier (RFC 7636 appendix B's, in the tests).
    public init(verifier: String, state: String) {
        self.verifier = verifier
        self.state = state
        var hash = SHA256()
        hash.update(Array(verifier.utf8))
        challenge = Self.base64URL(hash.finalize())
    }

    public static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacing("+", with: "-").replacing("/", with: "_")
            .replacing("=", with: "")
    }
}

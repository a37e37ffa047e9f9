import Foundation
import Testing
@testable import MailIntakeCore

@Suite("OAuth2: configuration")
struct OAuth2ConfigurationTests {
    static let base = ConfigurationTests.valid
        .replacingOccurrences(of: "password_file = imap.password\n", with: "auth = oauth2\n")

    static func folder(_ text: String, secret: Bool = true) throws -> String {
        let path = try ConfigurationTests.makeFolder(text)
        if secret {
            let file = (path as NSString).deletingLastPathComponent + "/client.secret"
            try "s3cr3t-value\n".write(toFile: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        }
        return path
    }

    static let microsoft = """

        [oauth2]
        provider = microsoft
        tenant = maribor.onmicrosoft.com
        grant = client_credentials
        client_id = 11111111-2222-3333-4444-555555555555
        client_secret_file = client.secret
        """

    @Test("a Microsoft 365 app-only section: the preset fills endpoints and scope, the secret is masked")
    func microsoftPreset() throws {
        let path = try Self.folder(Self.base + Self.microsoft)
        let config = try Configuration.load(path: path)
        let oauth = try #require(config.imap.authentication.oauth2)
        #expect(oauth.tokenURL.absoluteString == "https://login.microsoftonline.com/maribor.onmicrosoft.com/oauth2/v2.0/token")
        #expect(oauth.scope == "https://outlook.office365.com/.default")
        #expect(oauth.clientSecret?.value == "s3cr3t-value")
        #expect(oauth.tokenFile == config.storePath + ".oauth2.json")
        #expect(oauth.refreshTokenIdleLifetime == TimeInterval(90 * 86_400))
        #expect(config.smtp.authentication.oauth2 == nil)
        #expect(!config.summary.contains("s3cr3t"))
        #expect(config.summary.contains("oauth2.client_secret (imap) = ********"))
    }

    @Test("IMAP and SMTP share [oauth2]; [oauth2.smtp] serves SMTP alone with its own token file")
    func perSide() throws {
        let smtp = Self.base.replacingOccurrences(of: "url = smtp://smtp.example.org:587", with: "url = smtp://smtp.example.org:587\nuser = office@example.org\nauth = oauth2")
        let shared = try Configuration.load(path: try Self.folder(smtp + Self.microsoft))
        #expect(shared.imap.authentication.oauth2 == shared.smtp.authentication.oauth2)
        let own = try Configuration.load(path: try Self.folder(smtp + Self.microsoft + """

            [oauth2.smtp]
            provider = google
            grant = refresh_token
            client_id = desktop-client
            """))
        #expect(own.smtp.authentication.oauth2?.provider == .google)
        #expect(own.smtp.authentication.oauth2?.scope == "https://mail.google.com/")
        #expect(own.smtp.authentication.oauth2?.tokenFile == own.storePath + ".oauth2-smtp.json")
        #expect(own.imap.authentication.oauth2?.provider == .microsoft)
    }

    @Test("each mistake names file, line and key", arguments: [
        ("tenant = maribor.onmicrosoft.com\n", "", "oauth2.tenant"),
        ("grant = client_credentials", "grant = password", "oauth2.grant"),
        ("client_secret_file = client.secret", "client_secret = hunter2", "oauth2.client_secret"),
        ("client_secret_file = client.secret", "client_secret_file = client.secret\ntoken_url = http://login.example/token", "oauth2.token_url"),
        ("provider = microsoft", "provider = yahoo", "oauth2.provider"),
        ("client_secret_file = client.secret", "client_secret_file = client.secret\nrefresh_token_lifetime = forever", "oauth2.refresh_token_lifetime"),
        ("client_secret_file = client.secret", "client_secret_file = client.secret\napp_in_testing = yes", "oauth2.app_in_testing"),
    ])
    func mistakes(original: String, replacement: String, key: String) throws {
        let text = (Self.base + Self.microsoft).replacingOccurrences(of: original, with: replacement)
        let path = try Self.folder(text)
        do {
            _ = try Configuration.load(path: path)
            Issue.record("accepted: \(replacement)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.file == path)
            #expect(error.line > 0)
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test("Google has no client credentials; a generic server needs token_url; an unused section is named")
    func structural() throws {
        let google = Self.base + "\n[oauth2]\nprovider = google\ngrant = client_credentials\nclient_id = x\n"
        #expect(throws: ConfigurationError.self) { try Configuration.load(path: try Self.folder(google)) }
        let generic = Self.base + "\n[oauth2]\nprovider = generic\ngrant = refresh_token\nclient_id = x\nscope = mail\n"
        let genericPath = try Self.folder(generic)
        do {
            _ = try Configuration.load(path: genericPath)
            Issue.record("a generic provider without token_url was accepted")
        } catch {
            #expect(error.key == "oauth2.token_url")
        }
        let unused = ConfigurationTests.valid + Self.microsoft
        let unusedPath = try Self.folder(unused)
        do {
            _ = try Configuration.load(path: unusedPath)
            Issue.record("an unused [oauth2] section was accepted")
        } catch {
            #expect(error.message.contains("not used"))
        }
        let both = Self.base.replacingOccurrences(of: "auth = oauth2", with: "auth = oauth2\npassword_file = imap.password") + Self.microsoft
        let bothPath = try Self.folder(both)
        do {
            _ = try Configuration.load(path: bothPath)
            Issue.record("a password beside auth = oauth2 was accepted")
        } catch {
            #expect(error.key == "imap.password_file")
        }
        let smtpWithoutUser = Self.base.replacingOccurrences(of: "url = smtp://smtp.example.org:587", with: "url = smtp://smtp.example.org:587\nauth = oauth2") + Self.microsoft
        let smtpPath = try Self.folder(smtpWithoutUser)
        do {
            _ = try Configuration.load(path: smtpPath)
            Issue.record("SMTP OAuth2 without a user was accepted")
        } catch {
            #expect(error.key == "smtp.user")
        }
    }
}

@Suite("OAuth2: replies, tokens and policy")
struct OAuth2PolicyTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func reply(_ status: Int, _ json: String) -> TokenReply { TokenReply(status: status, body: Array(json.utf8), now: now) }

    @Test("token answers: granted, refused with the error, unusable for 5xx, HTML and bad tokens")
    func replies() {
        #expect(reply(200, #"{"access_token":"abc","token_type":"Bearer","expires_in":3599,"refresh_token":"r2"}"#)
                == .granted(TokenGrant(accessToken: "abc", expiresAt: now.addingTimeInterval(3599), refreshToken: "r2")))
        // expires_in as a string (some servers), token_type in any case, no refresh token.
        #expect(reply(200, #"{"access_token":"abc","token_type":"bearer","expires_in":"60"}"#)
                == .granted(TokenGrant(accessToken: "abc", expiresAt: now.addingTimeInterval(60), refreshToken: nil)))
        #expect(reply(400, #"{"error":"invalid_grant","error_description":"AADSTS70008: expired"}"#) == .refused(error: "invalid_grant", description: "AADSTS70008: expired"))
        guard case .unusable = reply(503, "<html>Service Unavailable</html>") else { Issue.record("a 503 page was taken"); return }
        guard case .unusable = reply(200, #"{"access_token":"a\nb"}"#) else { Issue.record("a token with a line break was taken"); return }
        guard case .unusable = reply(200, #"{"access_token":"abc","token_type":"mac"}"#) else { Issue.record("a MAC token was taken"); return }
        guard case .unusable = reply(200, #"{"token":"abc"}"#) else { Issue.record("an answer without access_token was taken"); return }
    }

    @Test("invalid_grant on a refresh needs a sign-in; with client credentials it is the client's settings")
    func classification() {
        guard case .needsSignIn(let text) = TokenFailure.classify(error: "invalid_grant", description: nil, grant: .refreshToken, section: "oauth2") else {
            Issue.record("invalid_grant did not ask for a sign-in"); return
        }
        #expect(text.contains("mailintake oauth login"))
        guard case .needsSignIn(let smtp) = TokenFailure.classify(error: "invalid_grant", description: nil, grant: .refreshToken, section: "oauth2.smtp") else { return }
        #expect(smtp.contains("oauth login --for smtp"))
        guard case .misconfigured = TokenFailure.classify(error: "invalid_client", description: "AADSTS7000215", grant: .clientCredentials, section: "oauth2") else {
            Issue.record("invalid_client was not a configuration problem"); return
        }
        guard case .temporary = TokenFailure.classify(error: "temporarily_unavailable", description: nil, grant: .refreshToken, section: "oauth2") else {
            Issue.record("temporarily_unavailable was not temporary"); return
        }
    }

    @Test("the device flow: pending waits, slow_down adds five seconds for good, denial and expiry end it")
    func devicePolling() throws {
        let authorization = try DeviceAuthorization.parse(status: 200, body: Array(#"{"device_code":"d","user_code":"ABCD-EFGH","verification_url":"https://example/device","expires_in":60,"interval":2}"#.utf8)).get()
        #expect(authorization.verificationURI == "https://example/device")  // Google's spelling
        var polling = DevicePolling(authorization, startedAt: now)
        #expect(polling.next(after: .refused(error: "authorization_pending", description: nil), now: now) == .wait(2))
        #expect(polling.next(after: .refused(error: "slow_down", description: nil), now: now) == .wait(7))
        #expect(polling.next(after: .refused(error: "authorization_pending", description: nil), now: now) == .wait(7))
        let grant = TokenGrant(accessToken: "a", expiresAt: now, refreshToken: "r")
        #expect(polling.next(after: .granted(grant), now: now) == .granted(grant))
        guard case .failed(let denied) = polling.next(after: .refused(error: "access_denied", description: nil), now: now) else { Issue.record("denial went on"); return }
        #expect(denied.contains("declined"))
        guard case .failed = polling.next(after: .refused(error: "expired_token", description: nil), now: now) else { Issue.record("expiry went on"); return }
        // Past the code's lifetime the polling stops by itself.
        guard case .failed = polling.next(after: .refused(error: "authorization_pending", description: nil), now: now.addingTimeInterval(59)) else {
            Issue.record("polled past the code's expiry"); return
        }
        // Default interval 5 s (RFC 8628 3.2) when the server names none.
        #expect(try DeviceAuthorization.parse(status: 200, body: Array(#"{"device_code":"d","user_code":"u","verification_uri":"https://x"}"#.utf8)).get().interval == 5)
    }

    @Test("a rotated refresh token replaces the old one; the access token is renewed before it expires")
    func state() throws {
        let settings = OAuth2Settings(section: "oauth2", provider: .microsoft, grant: .refreshToken, clientID: "c", clientSecret: nil,
                                      tokenURL: URL(string: "https://login.example/token")!, deviceURL: nil, authorizeURL: nil, scope: "s",
                                      caFile: nil, tokenFile: "/tmp/x", timeout: 30, refreshTokenIdleLifetime: 90 * 86_400, refreshTokenMaximumLifetime: nil)
        var state = TokenState(settings: settings)
        state.accept(TokenGrant(accessToken: "a1", expiresAt: now.addingTimeInterval(3600), refreshToken: "r1"), now: now, signIn: true)
        #expect(state.usableAccessToken(now: now.addingTimeInterval(3000)) == "a1")
        #expect(state.usableAccessToken(now: now.addingTimeInterval(3301)) == nil)  // five minutes before expiry
        let later = now.addingTimeInterval(4000)
        state.accept(TokenGrant(accessToken: "a2", expiresAt: later.addingTimeInterval(3600), refreshToken: "r2"), now: later)
        #expect(state.refreshToken == "r2")
        #expect(state.refreshTokenIssuedAt == later)
        #expect(state.signedInAt == now)
        // A server that does not rotate: the refresh token stays, and counts as used.
        let latest = later.addingTimeInterval(4000)
        state.accept(TokenGrant(accessToken: "a3", expiresAt: latest.addingTimeInterval(3600), refreshToken: nil), now: latest)
        #expect(state.refreshToken == "r2")
        #expect(state.refreshTokenUsedAt == latest)
        #expect(state.refreshTokenLikelyExpires(settings) == latest.addingTimeInterval(90 * 86_400))
        // Survives the file's round trip, and belongs only to the client that got it.
        let decoded = try TokenState.decode(try state.encoded())
        #expect(decoded.refreshToken == "r2")
        #expect(decoded.belongs(to: settings))
        var other = settings
        other.clientID = "another-app"
        #expect(!decoded.belongs(to: other))
        state.record(.needsSignIn("revoked"), now: latest)
        #expect(state.needsSignIn && state.accessToken == nil)
        let health = TokenHealth(side: "imap", settings: settings, state: state, now: latest)
        #expect(!health.ok)
        #expect(health.problems.contains { $0.contains("revoked") })
        // A member of staff cannot read the service's token file: unknown to them, no problem.
        let staffView = TokenHealth(side: "imap", settings: settings, state: nil, privateToService: true, now: latest)
        #expect(staffView.ok && staffView.problems.isEmpty)
        #expect(staffView.lines.contains { $0.contains("sudo mailintake status") })
        // A very short token (tests use seconds) is still renewed ahead of its end.
        var short = TokenState(settings: settings)
        short.accept(TokenGrant(accessToken: "s", expiresAt: now.addingTimeInterval(10), refreshToken: "r"), now: now)
        #expect(short.usableAccessToken(now: now.addingTimeInterval(8.9)) == "s")
        #expect(short.usableAccessToken(now: now.addingTimeInterval(9.1)) == nil)
    }

    @Test("backoff: temporary failures retried soon, those needing a person rarely, both bounded")
    func backoff() {
        #expect(TokenBackoff.delay(after: .temporary("x"), consecutive: 1) == 5)
        #expect(TokenBackoff.delay(after: .temporary("x"), consecutive: 3) == 20)
        #expect(TokenBackoff.delay(after: .temporary("x"), consecutive: 50) == 600)
        #expect(TokenBackoff.delay(after: .needsSignIn("x"), consecutive: 1) == 60)
        #expect(TokenBackoff.delay(after: .needsSignIn("x"), consecutive: 50) == 3600)
    }

    @Test("PKCE S256 (RFC 7636 appendix B) and form encoding")
    func pkceAndForms() {
        #expect(PKCE(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", state: "s").challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        #expect(PKCE().verifier.count == 43)
        #expect(FormEncoding.encode([("scope", "offline_access https://x/IMAP.AccessAsUser.All"), ("a&b", "=ž")])
                == "scope=offline_access%20https%3A%2F%2Fx%2FIMAP.AccessAsUser.All&a%26b=%3D%C5%BE")
    }
}

import FoundationEssentials
import MailIntakeCore
import MailIntakeDaemon
import MailTransport

/// `mailintake oauth login` and `mailintake oauth status`: the administrator's side of OAuth2.
extension Commands {
    static func oauth(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        guard let verb = options.first else { throw CommandFailure.usage("oauth needs login or status") }
        var rest = Array(options.dropFirst())
        var side: String?
        var codeFlow = false
        var redirectURI = "http://127.0.0.1:8400/"
        while let option = rest.first {
            rest.removeFirst()
            switch option {
            case "--for":
                guard let value = rest.first, ["imap", "smtp"].contains(value) else { throw CommandFailure.usage("--for needs imap or smtp") }
                side = value
                rest.removeFirst()
            case "--code" where verb == "login":
                codeFlow = true
            case "--redirect-uri" where verb == "login":
                guard let value = rest.first, let url = URL(string: value), url.scheme == "http" || url.scheme == "https" else {
                    throw CommandFailure.usage("--redirect-uri needs the redirect address registered for the app, such as http://127.0.0.1:8400/")
                }
                redirectURI = value
                rest.removeFirst()
            default:
                throw CommandFailure.usage("oauth \(verb): unknown option \(option); use --for imap|smtp\(verb == "login" ? ", --code, --redirect-uri URI" : "")")
            }
        }
        let configuration = try loadConfiguration(configPath, environment)
        let sides = OAuth2Health.sides(configuration)
        guard !sides.isEmpty else {
            throw CommandFailure.usage("neither [imap] nor [smtp] has auth = oauth2 in \(configuration.sourcePath); nothing to sign in to")
        }
        switch verb {
        case "status":
            let report = OAuth2Health.check(configuration).filter { side == nil || $0.side == side }
            report.flatMap(\.lines).forEach { StandardOutput.say($0) }
            let problems = report.flatMap(\.problems)
            problems.forEach { StandardOutput.say("PROBLEM:          \($0)") }
            if problems.isEmpty { StandardOutput.say("oauth2:           OK") }
            return problems.isEmpty ? 0 : 1
        case "login":
            guard let chosen = sides.first(where: { side == nil || $0.side == side }) else {
                throw CommandFailure.usage("[\(side ?? "")] does not use auth = oauth2")
            }
            if side == nil, sides.count == 2, sides[0].settings.tokenFile != sides[1].settings.tokenFile {
                throw CommandFailure.usage("IMAP and SMTP have their own OAuth2 sections: sign in for each, with `oauth login --for imap` and `oauth login --for smtp`")
            }
            return try login(chosen.settings, codeFlow: codeFlow, redirectURI: redirectURI)
        default:
            throw CommandFailure.usage("oauth needs login or status, not `\(verb)`")
        }
    }

    /// The one-time sign-in: the device flow (RFC 8628), or the code flow with PKCE where the
    /// provider's device flow cannot grant mail access (Google); then the tokens are saved.
    static func login(_ settings: OAuth2Settings, codeFlow: Bool, redirectURI: String) throws -> Int32 {
        let endpoint = TokenEndpoint(settings)
        if settings.grant == .clientCredentials {
            // Nobody signs in for app-only access; asking for a token proves the settings.
            _ = try TokenSource(settings: settings).accessToken()
            let state = try TokenFile(path: settings.tokenFile).read()
            StandardOutput.say("grant = client_credentials needs no sign-in: the token endpoint issued an access token (expires \(state?.accessTokenExpiresAt.map(MailDate.iso8601) ?? "?")), saved in \(settings.tokenFile)")
            return 0
        }
        let grant: TokenGrant
        if codeFlow || settings.deviceURL == nil {
            grant = try codeLogin(settings, endpoint: endpoint, redirectURI: redirectURI)
        } else {
            grant = try deviceLogin(endpoint)
        }
        guard grant.refreshToken != nil else {
            throw CommandFailure.runtime("the authorization server signed you in but issued no refresh token, so the service could not keep access; add offline_access to [\(settings.section)] scope (Microsoft) or check the app's settings")
        }
        let file = TokenFile(path: settings.tokenFile)
        try file.locked {
            var state = TokenState(settings: settings)
            state.accept(grant, now: Date(), signIn: true)
            try file.write(state)
        }
        StandardOutput.say("signed in: the refresh token is saved in \(settings.tokenFile) (mode 600); the daemon uses it from its next poll, no restart needed")
        return 0
    }

    static func deviceLogin(_ endpoint: TokenEndpoint) throws -> TokenGrant {
        let authorization: DeviceAuthorization
        switch try endpoint.authorizeDevice() {
        case .success(let value): authorization = value
        case .failure(let failure): throw CommandFailure.runtime(failure.description)
        }
        StandardOutput.say("To sign in, open \(authorization.verificationURI) in any browser and enter the code \(authorization.userCode)")
        if let complete = authorization.verificationURIComplete { StandardOutput.say("(or open \(complete))") }
        StandardOutput.say("Sign in as the mailbox's account. The code is valid for \(Int(authorization.expiresIn / 60)) minutes; waiting…")
        var polling = DevicePolling(authorization, startedAt: Date())
        var wait = authorization.interval
        while true {
            usleep(UInt32(min(max(wait, 0), 3600) * 1_000_000))
            let reply: TokenReply?
            do {
                reply = try endpoint.pollDevice(authorization)
            } catch {
                if error.kind == .certificate || error.kind == .configuration { throw error }
                reply = nil  // unreachable for a moment: keep polling, slower
            }
            switch polling.next(after: reply, now: Date()) {
            case .wait(let interval): wait = interval
            case .granted(let grant): return grant
            case .failed(let reason): throw CommandFailure.runtime(reason)
            }
        }
    }

    static func codeLogin(_ settings: OAuth2Settings, endpoint: TokenEndpoint, redirectURI: String) throws -> TokenGrant {
        guard let authorize = settings.authorizeURL, var components = URLComponents(url: authorize, resolvingAgainstBaseURL: false) else {
            throw CommandFailure.usage("[\(settings.section)] has neither device_url nor authorize_url; set one of them")
        }
        let pkce = PKCE()
        var items = components.queryItems ?? []
        items += [URLQueryItem(name: "response_type", value: "code"), URLQueryItem(name: "client_id", value: settings.clientID),
                  URLQueryItem(name: "redirect_uri", value: redirectURI), URLQueryItem(name: "scope", value: settings.scope),
                  URLQueryItem(name: "state", value: pkce.state), URLQueryItem(name: "code_challenge", value: pkce.challenge),
                  URLQueryItem(name: "code_challenge_method", value: "S256")]
        // Google issues a refresh token only when asked for offline access, and again only with consent.
        if settings.provider == .google { items += [URLQueryItem(name: "access_type", value: "offline"), URLQueryItem(name: "prompt", value: "consent")] }
        components.queryItems = items
        guard let url = components.url else { throw CommandFailure.usage("[\(settings.section)] authorize_url cannot take the sign-in's parameters") }
        StandardOutput.say("1. Open this address in any browser and sign in as the mailbox's account:")
        StandardOutput.say("   \(url.absoluteString)")
        StandardOutput.say("2. The browser is then sent to \(redirectURI)… and shows an error page: that is expected.")
        StandardOutput.say("   Copy that page's whole address from the address bar, paste it here and press Enter:")
        guard let line = readLine(strippingNewline: true)?.trimmed(), !line.isEmpty else {
            throw CommandFailure.runtime("no address was pasted; run `mailintake oauth login --code` again")
        }
        guard let pasted = URL(string: line) else { throw CommandFailure.runtime("that is not an address; paste the whole address the browser showed") }
        let fields = FormEncoding.query(of: pasted)
        if let error = fields["error"] {
            throw CommandFailure.runtime("the sign-in was not completed (\(PrintableText.safe(error, limit: 100))\(fields["error_description"].map { ": " + PrintableText.safe($0, limit: 300) } ?? "")); run `mailintake oauth login --code` again")
        }
        guard fields["state"] == pkce.state else {
            throw CommandFailure.runtime("the pasted address does not belong to this sign-in (its state differs); paste the address from this attempt's browser tab")
        }
        guard let code = fields["code"], !code.isEmpty else { throw CommandFailure.runtime("the pasted address holds no code=…; paste the whole address") }
        switch try endpoint.exchange(code: code, redirectURI: redirectURI, verifier: pkce.verifier) {
        case .granted(let grant): return grant
        case .refused(let error, let description):
            throw CommandFailure.runtime("the authorization server refused the code (\(error)\(description.map { ": " + $0 } ?? "")); run `mailintake oauth login --code` again (a code works once, for a few minutes)")
        case .unusable(let reason):
            throw CommandFailure.runtime("\(reason); try again later")
        }
    }
}

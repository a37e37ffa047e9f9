import Foundation
import Testing

/// OAuth2 (SASL XOAUTH2) against real servers on loopback: Dovecot's oauth2 passdb validating the
/// access tokens (HS256 JWTs) itself, aiosmtpd with an XOAUTH2 mechanism, and the project's token
/// server (scripts/lib/token_server.py) with rotation, device codes, revocation, failure and hangs.
/// Each test has a private stack: the token server's modes would disturb any test sharing it.
@Suite("OAuth2 against Dovecot, aiosmtpd and the token server", .enabled(if: MailStack.shouldRun))
struct OAuth2IntegrationTests {
    /// A private stack and an instance logging in with `grant` through its token server.
    func instance(_ grant: String, extra: String = "", configure: (inout Instance.Options) -> Void = { _ in }) throws -> Instance {
        let stack = try MailStack.startPrivate()
        var options = Instance.Options()
        options.oauthGrant = grant
        options.oauthExtra = extra
        configure(&options)
        return try Instance(options, stack: stack)
    }

    func tokenTool(_ instance: Instance, _ arguments: String...) throws -> String {
        let result = try runCommand("/usr/bin/python3", [MailStack.repositoryRoot + "/scripts/lib/token_tool.py"] + arguments,
                                    environment: instance.stack.variables)
        try #require(result.status == 0, "token_tool \(arguments.joined(separator: " ")): \(result.stderr)")
        return result.stdout
    }

    func control(_ instance: Instance, _ json: String) throws { _ = try tokenTool(instance, "control", json) }

    func stats(_ instance: Instance) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(try tokenTool(instance, "stats").utf8)) as? [String: Any] ?? [:]
    }

    func tokenRequests(_ instance: Instance, grant: String, outcome: String? = nil) throws -> Int {
        let table = (try stats(instance)["token_by_grant_and_outcome"] as? [String: [String: Int]])?[grant] ?? [:]
        return outcome.map { table[$0] ?? 0 } ?? table.values.reduce(0, +)
    }

    func tokenFile(_ instance: Instance) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: instance.databasePath + ".oauth2.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// `mailintake oauth login` as an administrator does it: the device flow, with the person's
    /// approval (or denial) given at the token server once the code is printed.
    func deviceLogin(_ instance: Instance, approve: Bool = true) throws -> CommandResult {
        let out = instance.folder + "/login.out"
        let login = Subprocess()
        login.executableURL = URL(fileURLWithPath: Instance.binary)
        login.arguments = ["--config", instance.configPath, "oauth", "login"]
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: instance.folder + "/login.err", contents: nil)
        login.standardOutput = FileHandle(forWritingAtPath: out)
        login.standardError = FileHandle(forWritingAtPath: instance.folder + "/login.err")
        try login.run()
        var code: String?
        _ = waitUntil(15) {
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            if let range = text.range(of: "enter the code ") {
                code = String(text[range.upperBound...].prefix { !$0.isWhitespace })
            }
            return code != nil
        }
        let userCode = try #require(code, "oauth login printed no code: \((try? String(contentsOfFile: out, encoding: .utf8)) ?? "")")
        _ = try tokenTool(instance, approve ? "approve" : "deny", userCode)
        let status = waitForExit(login, timeout: 60) ?? -1
        return CommandResult(status: status, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOfFile: instance.folder + "/login.err", encoding: .utf8)) ?? "")
    }

    @Test("client credentials: IMAP and SMTP log in with XOAUTH2, one token serves both, secrets stay out of logs and output")
    func clientCredentials() throws {
        let instance = try instance("client_credentials") { $0.extraSections = "[metrics]\nfile = metrics.prom\n" }
        defer { try? instance.stack.control("stop") }
        try instance.appendFixtures("01-sl-sport-club.eml", "02-en-school-exchange.eml")
        let run = try instance.mailintake("run", "--once")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(instance.inquiryCount() == 2)
        let acks = try instance.acknowledgements()
        #expect(acks.count == 2)
        // The SMTP server records how each message's session logged in.
        let spooled = try FileManager.default.contentsOfDirectory(atPath: instance.stack.spool).filter { $0.hasSuffix(".json") }
        let sessions = try spooled.map { try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: instance.stack.spool + "/" + $0))) as? [String: Any] ?? [:] }
        #expect(!sessions.isEmpty && sessions.allSatisfy { $0["auth_mechanism"] as? String == "XOAUTH2" && $0["auth_user"] as? String == instance.user }, "\(sessions)")
        // One token for the whole run: IMAP and SMTP share the [oauth2] section and its source.
        #expect(try tokenRequests(instance, grant: "client_credentials", outcome: "ok") == 1)
        // Kept mode 600, and never printed.
        var info = stat()
        #expect(stat(instance.databasePath + ".oauth2.json", &info) == 0 && info.st_mode & 0o777 == 0o600)
        let token = try #require(try tokenFile(instance)["accessToken"] as? String)
        let check = try instance.mailintake("check-config")
        #expect(check.status == 0, "\(check.stderr)")
        for text in [run.stderr, run.stdout, check.stdout, check.stderr] {
            #expect(!text.contains(token))
            #expect(!text.contains(instance.stack.variables["MI_OAUTH_CLIENT_SECRET"] ?? "test-client-secret"))
        }
        #expect(check.stdout.contains("oauth2.client_secret (imap) = ********"))
        let status = try instance.mailintake("oauth", "status")
        #expect(status.status == 0, "\(status.stdout)")
        #expect(status.stdout.contains("client_credentials") && status.stdout.contains("access token expires"))
        let metrics = try String(contentsOfFile: instance.folder + "/metrics.prom", encoding: .utf8)
        #expect(metrics.contains("mailintake_oauth2_ok{side=\"imap\"} 1"))
        #expect(metrics.contains("mailintake_oauth2_ok{side=\"smtp\"} 1"))
        #expect(metrics.contains("mailintake_oauth2_access_token_expiry_timestamp_seconds{side=\"imap\"} "))
    }

    @Test("the device flow end to end, then a refresh token rotated on every renewal is kept, and the next start logs in")
    func deviceFlowAndRotation() throws {
        let instance = try instance("refresh_token")
        defer { try? instance.stack.control("stop") }
        // Before anyone signed in: a clear error naming the fix, nothing filed, status says so.
        try instance.appendFixtures("01-sl-sport-club.eml")
        let early = try instance.mailintake("run", "--once")
        #expect(early.status == 1)
        #expect(early.stderr.contains("mailintake oauth login"), "\(early.stderr)")
        #expect(instance.inquiryCount() == 0)
        // Tokens that live two seconds: every poll or two of the daemon renews them, and the server rotates.
        try control(instance, #"{"device_interval": 1, "access_lifetime": 2}"#)
        let login = try deviceLogin(instance)
        #expect(login.status == 0, "\(login.stdout)\(login.stderr)")
        #expect(login.stdout.contains("signed in"))
        let daemon = try instance.start(["run"])
        #expect(waitUntil(30) { instance.inquiryCount() == 1 })
        // Two rotations at least: the sign-in's refresh token is then dead at the server, and only
        // the newest one saved will do for the next start.
        #expect(waitUntil(60) { ((try? tokenRequests(instance, grant: "refresh_token", outcome: "ok")) ?? 0) >= 2 }, "\(instance.log())")
        try instance.appendFixtures("02-en-school-exchange.eml")
        #expect(waitUntil(30) { instance.inquiryCount() == 2 }, "\(instance.log())")
        daemon.terminate()
        #expect(waitForExit(daemon, timeout: 30) == 0)
        // The saved refresh token is the newest the server gave out.
        let saved = try #require(try tokenFile(instance)["refreshToken"] as? String)
        let current = try stats(instance)["current_refresh_tokens"] as? [String] ?? []
        #expect(current.contains(saved))
        #expect(instance.log().contains("new refresh token saved"))
        try instance.appendFixtures("03-sl-latin2-citizen.eml")
        let next = try instance.mailintake("run", "--once")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(instance.inquiryCount() == 3)
        #expect(try instance.acknowledgements().count == 3)
    }

    @Test("the device flow: a declined sign-in and a code left to expire end with what to do, and save nothing")
    func deviceFlowRefusals() throws {
        let instance = try instance("refresh_token")
        defer { try? instance.stack.control("stop") }
        try control(instance, #"{"device_interval": 1}"#)
        let denied = try deviceLogin(instance, approve: false)
        #expect(denied.status == 1)
        #expect(denied.stderr.contains("declined"), "\(denied.stderr)")
        try control(instance, #"{"device_expires_in": 3}"#)
        let expired = try instance.mailintake("oauth", "login")
        #expect(expired.status == 1)
        #expect(expired.stderr.contains("expired"), "\(expired.stderr)")
        #expect(!FileManager.default.fileExists(atPath: instance.databasePath + ".oauth2.json"))
    }

    @Test("the code flow with PKCE (Google's way in): the pasted redirect is exchanged and the tokens saved")
    func codeFlow() throws {
        let instance = try instance("refresh_token")
        defer { try? instance.stack.control("stop") }
        let login = Subprocess()
        login.executableURL = URL(fileURLWithPath: Instance.binary)
        login.arguments = ["--config", instance.configPath, "oauth", "login", "--code"]
        let out = instance.folder + "/code.out"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: instance.folder + "/code.err", contents: nil)
        login.standardOutput = FileHandle(forWritingAtPath: out)
        login.standardError = FileHandle(forWritingAtPath: instance.folder + "/code.err")
        let input = Pipe()
        login.standardInput = input
        try login.run()
        var address: String?
        _ = waitUntil(15) {
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            address = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix("https://") }
            return address != nil
        }
        let url = try #require(address, "no authorization address printed")
        #expect(url.contains("code_challenge_method=S256"))
        let redirect = try tokenTool(instance, "authorize", url).trimmingCharacters(in: .whitespacesAndNewlines)
        input.fileHandleForWriting.write(Data((redirect + "\n").utf8))
        try input.fileHandleForWriting.close()
        #expect(waitForExit(login, timeout: 30) == 0, "\((try? String(contentsOfFile: instance.folder + "/code.err", encoding: .utf8)) ?? "")")
        #expect(try tokenFile(instance)["refreshToken"] as? String != nil)
        try instance.appendFixtures("01-sl-sport-club.eml")
        let run = try instance.mailintake("run", "--once")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(instance.inquiryCount() == 1)
    }

    @Test("a token the server refuses while we still believe it valid: one renewal, one retry, and the run goes on")
    func refusedMidRun() throws {
        let instance = try instance("client_credentials")
        defer { try? instance.stack.control("stop") }
        // The server says an hour; the token itself (which Dovecot and the SMTP server check) ends in 2 s.
        try control(instance, #"{"access_lifetime": 2, "claimed_lifetime": 3600}"#)
        try instance.appendFixtures("01-sl-sport-club.eml")
        #expect(try instance.mailintake("run", "--once").status == 0)
        Thread.sleep(forTimeInterval: 3)
        try instance.appendFixtures("02-en-school-exchange.eml")
        let second = try instance.mailintake("run", "--once")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(instance.inquiryCount() == 2)
        #expect(try instance.acknowledgements().count == 2)
        // IMAP refused the saved token: one new one (SMTP then used it too).
        #expect(try tokenRequests(instance, grant: "client_credentials", outcome: "ok") == 2)
    }

    @Test("SIGKILL at random moments around renewals never loses the rotated refresh token")
    func killAroundRefresh() throws {
        let instance = try instance("refresh_token")
        defer { try? instance.stack.control("stop") }
        // One-second tokens: nearly every cycle renews, so the kills land before, in and after renewals.
        try control(instance, #"{"device_interval": 1, "access_lifetime": 1}"#)
        #expect(try deviceLogin(instance).status == 0)
        var generator = SystemRandomNumberGenerator()
        for round in 0..<10 {
            try instance.appendText("From: citizen\(round)@example.org\nTo: office@maribor.example\nSubject: Round \(round)\nMessage-ID: <kill-\(round)-\(UUID().uuidString)@example.org>\n\nZanima me sodelovanje s pobratenimi mesti.\n")
            let daemon = try instance.start(["run"], log: "kill.log")
            Thread.sleep(forTimeInterval: Double.random(in: 0.3...3.0, using: &generator))
            kill(daemon.processIdentifier, SIGKILL)
            waitForExit(daemon, timeout: 10)
        }
        let renewals = try tokenRequests(instance, grant: "refresh_token", outcome: "ok")
        #expect(renewals >= 5, "only \(renewals) renewals happened during the kills")
        #expect(try tokenRequests(instance, grant: "refresh_token", outcome: "invalid_grant") == 0)
        let final = try instance.mailintake("run", "--once")
        #expect(final.status == 0, "\(final.stderr)")
        #expect(instance.inquiryCount() == 10)
        #expect(try instance.count("SELECT count(*) FROM messages") == 10)
        let sent = try instance.acknowledgements().compactMap { $0["to"] as? String }
        #expect(Set(sent).count == sent.count, "an acknowledgement went out twice")
    }

    @Test("a revoked refresh token: one clear error, no hammering of the token endpoint, status fails, a new sign-in is taken up live")
    func revocation() throws {
        let instance = try instance("refresh_token")
        defer { try? instance.stack.control("stop") }
        try control(instance, #"{"device_interval": 1, "access_lifetime": 1}"#)
        #expect(try deviceLogin(instance).status == 0)
        try control(instance, #"{"revoke": true}"#)
        Thread.sleep(forTimeInterval: 1.5)
        let before = try tokenRequests(instance, grant: "refresh_token")
        let daemon = try instance.start(["run"])
        defer { daemon.terminate(); waitForExit(daemon, timeout: 30) }
        try instance.appendFixtures("01-sl-sport-club.eml")
        Thread.sleep(forTimeInterval: 8)  // eight poll intervals
        #expect(daemon.isRunning, "the daemon stopped: \(instance.log())")
        let asked = try tokenRequests(instance, grant: "refresh_token") - before
        #expect(asked >= 1 && asked <= 2, "the token endpoint was asked \(asked) times in 8 s")
        let log = instance.log()
        #expect(log.contains("invalid_grant") && log.contains("mailintake oauth login"), "\(log)")
        #expect(instance.inquiryCount() == 0)
        let status = try instance.mailintake("status")
        #expect(status.status == 1)
        #expect(status.stdout.contains("oauth login"), "\(status.stdout)")
        let oauthStatus = try instance.mailintake("oauth", "status")
        #expect(oauthStatus.status == 1)
        try control(instance, #"{"access_lifetime": 3600}"#)
        // The administrator signs in again; the running daemon reads the new token at its next poll.
        #expect(try deviceLogin(instance).status == 0)
        #expect(waitUntil(30) { instance.inquiryCount() == 1 }, "\(instance.log())")
        #expect(try instance.mailintake("oauth", "status").status == 0)
    }

    @Test("the token server down, then hanging: a temporary failure within the timeout, nothing lost, and recovery")
    func tokenServerDownAndHanging() throws {
        let instance = try instance("client_credentials", extra: "timeout = 2s")
        defer { try? instance.stack.control("stop") }
        try instance.appendFixtures("01-sl-sport-club.eml")
        try instance.stack.control("stop-token")
        let down = try instance.mailintake("run", "--once")
        #expect(down.status == 1)
        #expect(down.stderr.contains("authorization server"), "\(down.stderr)")
        #expect(instance.inquiryCount() == 0)
        try instance.stack.control("start-token")
        try control(instance, #"{"mode": "hang"}"#)
        let started = Date()
        let hung = try instance.mailintake("run", "--once")
        #expect(hung.status == 1)
        #expect(Date().timeIntervalSince(started) < 20, "a hanging token endpoint held the run \(Date().timeIntervalSince(started)) s")
        #expect(instance.inquiryCount() == 0)
        try control(instance, #"{"mode": "normal"}"#)
        let recovered = try instance.mailintake("run", "--once")
        #expect(recovered.status == 0, "\(recovered.stderr)")
        #expect(instance.inquiryCount() == 1)
        #expect(try instance.acknowledgements().count == 1)
    }

    @Test("SMTP alone on OAuth2 with its token server down: inquiries are filed, acknowledgements wait in the outbox, then go once")
    func smtpTokenDown() throws {
        let instance = try instance("client_credentials", extra: "timeout = 2s") { $0.oauthSides = ["smtp"] }
        defer { try? instance.stack.control("stop") }
        try instance.appendFixtures("01-sl-sport-club.eml", "02-en-school-exchange.eml")
        try instance.stack.control("stop-token")
        let down = try instance.mailintake("run", "--once")
        #expect(down.status == 1)
        #expect(down.stderr.contains("authorization server"), "\(down.stderr)")
        #expect(instance.inquiryCount() == 2)
        #expect(try instance.count("SELECT count(*) FROM outbox WHERE kind = 'acknowledgement' AND status = 'pending'") == 2)
        #expect(try instance.acknowledgements().isEmpty)
        let outbox = try instance.mailintake("outbox")
        #expect(outbox.stdout.contains("pending"), "\(outbox.stdout)")
        try instance.stack.control("start-token")
        let up = try instance.mailintake("run", "--once")
        #expect(up.status == 0, "\(up.stderr)")
        #expect(try instance.acknowledgements().count == 2)
        #expect(try instance.count("SELECT count(*) FROM outbox WHERE kind = 'acknowledgement' AND status = 'sent'") == 2)
    }

    @Test("the test servers refuse what they must: expired, foreign and forged tokens, dead refresh tokens (scripts/lib/oauth_selftest.py)")
    func serversSelfTest() throws {
        // Without this, a Dovecot that took any token would let every test above pass.
        // Through `system`, as every stack is started: the servers it starts must not inherit a test
        // thread's signal mask (a blocked SIGTERM would keep `stop-token` from stopping one).
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("mi-oauth-selftest-\(UUID().uuidString.prefix(8)).log").path
        let result = try runLeavingDaemons("/usr/bin/python3", [MailStack.repositoryRoot + "/scripts/lib/oauth_selftest.py"], log: log)
        #expect(result.status == 0, "\(result.output)")
    }
}

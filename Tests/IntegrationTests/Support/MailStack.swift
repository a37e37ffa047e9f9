import Foundation
import Testing

/// The real local mail stack that scripts/mailstack.sh started (Dovecot and aiosmtpd on loopback),
/// found through the MI_* variables of its env file. Tests never fake the protocols.
struct MailStack: Sendable {
    let directory: String
    let imapPort: Int
    let imapsPort: Int
    let smtpPort: Int
    let smtpsPort: Int
    let caFile: String
    let smtpUser: String
    let smtpPassword: String
    let spool: String
    /// Every MI_* variable of the stack's env file (the token server's among them).
    var variables: [String: String] = [:]

    static let environment = ProcessInfo.processInfo.environment

    /// Nil when no stack runs; `scripts/test.sh` always starts one and sets MAILINTAKE_REQUIRE_STACK,
    /// so in the README's test command a missing stack fails these tests instead of skipping them.
    static let current: MailStack? = {
        let env = environment
        guard let directory = env["MI_STACK_DIR"], let imap = env["MI_IMAP_PORT"].flatMap(Int.init),
              let imaps = env["MI_IMAPS_PORT"].flatMap(Int.init), let smtp = env["MI_SMTP_PORT"].flatMap(Int.init),
              let smtps = env["MI_SMTPS_PORT"].flatMap(Int.init), let ca = env["MI_CA"] else { return nil }
        return MailStack(directory: directory, imapPort: imap, imapsPort: imaps, smtpPort: smtp, smtpsPort: smtps, caFile: ca,
                         smtpUser: env["MI_SMTP_USER"] ?? "submit", smtpPassword: env["MI_SMTP_PASSWORD"] ?? "submit-secret",
                         spool: env["MI_SMTP_SPOOL"] ?? directory + "/spool", variables: env.filter { $0.key.hasPrefix("MI_") })
    }()

    /// Run the integration tests when a stack runs, or when the test script demands one (then they fail loudly).
    static var shouldRun: Bool { current != nil || environment["MAILINTAKE_REQUIRE_STACK"] != nil }

    /// A stack of the test's own, in a new folder with its own ports, for tests that stop and
    /// start the servers: stopping the shared one would fail every test running beside them.
    static func startPrivate() throws -> MailStack {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mi-stack-\(UUID().uuidString.prefix(8))").path
        let started = try runLeavingDaemons(repositoryRoot + "/scripts/mailstack.sh", ["start", directory], log: directory + ".log")
        try #require(started.status == 0, "could not start a private mail stack: \(started.output)")
        let text = try String(contentsOfFile: directory + "/env", encoding: .utf8)
        var env: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst(7).split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            env[String(pair[0])] = String(pair[1]).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        guard let imap = env["MI_IMAP_PORT"].flatMap(Int.init), let imaps = env["MI_IMAPS_PORT"].flatMap(Int.init),
              let smtp = env["MI_SMTP_PORT"].flatMap(Int.init), let smtps = env["MI_SMTPS_PORT"].flatMap(Int.init), let ca = env["MI_CA"] else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: directory + "/env"])
        }
        return MailStack(directory: directory, imapPort: imap, imapsPort: imaps, smtpPort: smtp, smtpsPort: smtps, caFile: ca,
                         smtpUser: "submit", smtpPassword: "submit-secret", spool: directory + "/spool", variables: env)
    }

    /// `stop`, `stop-imap`, `start-imap`, `stop-smtp` or `start-smtp` on this stack.
    func control(_ action: String) throws {
        let result = try runLeavingDaemons(Self.repositoryRoot + "/scripts/mailstack.sh", [action, directory], log: directory + ".log")
        try #require(result.status == 0, "mailstack.sh \(action) failed: \(result.output)")
    }

    static func require() throws -> MailStack {
        try #require(current, "no mail stack: run the tests with scripts/test.sh, which starts Dovecot and the SMTP server")
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// A fresh IMAP account for one test, so tests never see each other's mail: one new file in
    /// the stack's users.d, which Dovecot reads per login (its passwd-file path holds %u).
    func makeAccount() throws -> (user: String, password: String) {
        let user = "t" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        let password = "pw-" + UUID().uuidString.prefix(8)
        let template = try String(contentsOfFile: directory + "/users.d/office", encoding: .utf8)
        let fields = template.split(separator: ":", omittingEmptySubsequences: false)
        let line = "\(user):{PLAIN}\(password):\(fields[2]):\(fields[3])::\(directory)/mail/\(user)::\n"
        // Written aside and renamed into place, readable by Dovecot's unprivileged auth process.
        let temporary = directory + "/users.d/." + user
        try line.write(toFile: temporary, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: temporary)
        try FileManager.default.moveItem(atPath: temporary, toPath: directory + "/users.d/" + user)
        return (user, password)
    }
}

/// Runs a command that starts daemons, through libc's `system` with its output in a file.
/// A shell whose children daemonize: a daemon that inherits a pipe keeps it from reaching
/// end-of-file, so the output goes to a file; `system` waits for exactly its own child.
func runLeavingDaemons(_ executable: String, _ arguments: [String], log: String) throws -> (status: Int32, output: String) {
    let quoted = ([executable] + arguments + [log]).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    let command = quoted.dropLast().joined(separator: " ") + " </dev/null >>" + quoted.last! + " 2>&1"
    let status = system(command)
    let exitCode = status == -1 ? -1 : (status >> 8) & 0xFF
    return (Int32(exitCode), (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
}

/// Waits for a started process to exit and returns its exit status, 128 + the signal that ended
/// it (nil after `timeout`).
@discardableResult
func waitForExit(_ process: Subprocess, timeout: TimeInterval = 60) -> Int32? {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if !process.isRunning { return process.terminationStatus }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return nil
}

/// Waits up to `timeout` seconds for `condition`, checking five times a second.
func waitUntil(_ timeout: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.2)
    }
    return try condition()
}

/// Runs a command and collects its output.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

@discardableResult
func runCommand(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let process = Subprocess()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes while the process runs, so a full pipe never blocks it.
    let collected = Collected()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { collected.set(stdout: out.fileHandleForReading.readDataToEndOfFile()); group.leave() }
    group.enter()
    DispatchQueue.global().async { collected.set(stderr: err.fileHandleForReading.readDataToEndOfFile()); group.leave() }
    let status = waitForExit(process, timeout: 600) ?? -1
    group.wait()
    return CommandResult(status: status, stdout: String(decoding: collected.stdout, as: UTF8.self),
                         stderr: String(decoding: collected.stderr, as: UTF8.self))
}

/// Output gathered from two reader threads.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var stdout = Data()
    private(set) var stderr = Data()
    func set(stdout data: Data) { lock.lock(); stdout = data; lock.unlock() }
    func set(stderr data: Data) { lock.lock(); stderr = data; lock.unlock() }
}

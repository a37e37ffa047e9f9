import Foundation
import MailStore
import Testing

/// The service as systemd runs it, and the faults it must survive, against real servers.
@Suite("The service: systemd protocol, health, backups and faults", .enabled(if: MailStack.shouldRun))
struct ServiceTests {
    static func mail(_ number: Int, tag: String) -> String {
        """
        Return-Path: <ana\(number)@example.org>
        From: Ana \(number) <ana\(number)@example.org>
        To: mednarodno@maribor.example
        Subject: Vprašanje \(number)
        Message-ID: <\(tag)-\(number)@example.org>
        Content-Type: text/plain; charset=utf-8

        Pozdravljeni, zanima me seznam pobratenih mest (\(number)).
        """
    }

    @Test("under a notify socket: READY, STATUS and WATCHDOG pings, a reload on SIGHUP (an invalid one rejected), STOPPING and exit 0")
    func notifyProtocol() throws {
        let instance = try Instance(.init(pollInterval: "1s"))
        let socket = instance.folder + "/notify.sock"
        let messages = instance.folder + "/notify.log"
        let listener = Subprocess()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        listener.arguments = [MailStack.repositoryRoot + "/scripts/lib/notify_listener.py", socket, messages]
        // Not the test's own stdout: a helper that outlives a test must not hold the runner's pipe open.
        listener.standardOutput = FileHandle.nullDevice
        listener.standardError = FileHandle.nullDevice
        try listener.run()
        defer {
            kill(listener.processIdentifier, SIGKILL)
            waitForExit(listener, timeout: 5)
        }
        let received = { (try? String(contentsOfFile: messages, encoding: .utf8)) ?? "" }
        #expect(waitUntil(10) { received().contains("LISTENING") })

        let daemon = try instance.start(["run"], environment: ["NOTIFY_SOCKET": socket, "WATCHDOG_USEC": "1000000"])
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        #expect(waitUntil(15) { received().contains("READY=1") }, "no READY: \(received())\n\(instance.log())")
        #expect(waitUntil(15) { received().components(separatedBy: "WATCHDOG=1").count > 3 }, "no watchdog pings: \(received())")
        #expect(waitUntil(15) { received().contains("STATUS=last poll") }, "no status after a poll: \(received())")

        // A valid reload: the new poll interval is in force.
        let config = try String(contentsOfFile: instance.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "poll_interval = 1s", with: "poll_interval = 2s").write(toFile: instance.configPath, atomically: true, encoding: .utf8)
        kill(daemon.processIdentifier, SIGHUP)
        #expect(waitUntil(15) { received().contains("STATUS=configuration reloaded") }, "no reload: \(received())")
        #expect(received().contains("RELOADING=1"))
        #expect(waitUntil(5) { instance.log().contains("configuration reloaded") })

        // An invalid one is rejected with its error, and the daemon goes on with the old one.
        try (config + "\n[imap]\nbogus = 1\n").write(toFile: instance.configPath, atomically: true, encoding: .utf8)
        kill(daemon.processIdentifier, SIGHUP)
        #expect(waitUntil(15) { instance.log().contains("reload rejected") }, "\(instance.log())")
        #expect(instance.log().contains("mailintake.conf"))
        // The log line is written before the datagram is sent, and the listener stores what it
        // receives a moment later: wait for it rather than race it.
        #expect(waitUntil(5) { received().contains("READY=1 | STATUS=reload rejected") }, "\(received())")
        try instance.append([instance.folder + "/after-reject.eml"].map { path in
            try Self.mail(1, tag: "reload").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        })
        // (`export` would refuse the broken file too: count in the database.)
        #expect(waitUntil(20) { instance.inquiryCount() == 1 }, "the daemon stopped working after a rejected reload: \(instance.log())")

        kill(daemon.processIdentifier, SIGTERM)
        #expect(waitForExit(daemon) == 0)
        #expect(waitUntil(5) { received().contains("STOPPING=1") })
        let order = received()
        #expect(order.range(of: "READY=1")!.lowerBound < order.range(of: "STOPPING=1")!.lowerBound)
    }

    @Test("status reports the last poll and exits 1 when polling is stale or acknowledgements fail; metrics and backups are written")
    func statusMetricsBackup() throws {
        let instance = try Instance(.init(extraSections: "[metrics]\nfile = metrics.prom"))
        try instance.appendFixtures("01-sl-sport-club.eml", "02-en-school-exchange.eml")
        #expect(try instance.mailintake("run", "--once").status == 0)
        let healthy = try instance.mailintake("status")
        #expect(healthy.status == 0, "\(healthy.stdout)\(healthy.stderr)")
        #expect(healthy.stdout.contains("last success:"))
        #expect(healthy.stdout.contains("messages waiting: 0"))
        #expect(healthy.stdout.contains("outbox:           0 pending, 0 held, 0 failed"))
        #expect(healthy.stdout.contains("status:           OK"))

        let metrics = try String(contentsOfFile: instance.folder + "/metrics.prom", encoding: .utf8)
        #expect(metrics.contains("mailintake_inquiries_total 2\n"))
        #expect(metrics.contains("mailintake_acknowledgements_total{status=\"sent\"} 2\n"))
        #expect(metrics.contains("# TYPE mailintake_last_success_timestamp_seconds gauge"))
        #expect(metrics.contains("mailintake_backlog_messages 0\n"))
        #expect(!FileManager.default.fileExists(atPath: instance.folder + "/metrics.prom.tmp"))

        // An online backup, while nothing stops: a database with the same inquiries.
        let backup = instance.folder + "/backup.sqlite"
        let made = try instance.mailintake("backup", backup)
        #expect(made.status == 0, "\(made.stderr)")
        let copy = try MailRepository(path: backup)
        #expect(try copy.database.row("SELECT count(*) AS n FROM inquiries")?["n"].int == 2)
        #expect(try instance.mailintake("backup", backup).status == 1)  // never overwrites
        let mode = try FileManager.default.attributesOfItem(atPath: backup)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        // A poll long ago is stale.
        _ = try instance.count("UPDATE service_state SET value = '2026-01-01T00:00:00Z' WHERE key = 'last_success_at' RETURNING 1")
        let stale = try instance.mailintake("status")
        #expect(stale.status == 1)
        #expect(stale.stdout.contains("polling is stale"))
        // As are acknowledgements that fail.
        try instance.failSMTP(with: "554 5.7.1 No")
        try instance.appendFixtures("03-sl-latin2-citizen.eml")
        _ = try instance.mailintake("run", "--once")
        let failing = try instance.mailintake("status")
        #expect(failing.status == 1)
        #expect(failing.stdout.contains("1 acknowledgement(s) failing"))
        #expect(failing.stdout.contains("last error:       SMTP:"))
    }

    @Test("the IMAP server stopped and restarted mid-run: one error logged, backoff, and the mail that arrives is filed once it is back")
    func imapRestart() throws {
        let stack = try MailStack.startPrivate()
        defer { try? stack.control("stop") }
        let instance = try Instance(.init(pollInterval: "1s"), stack: stack)
        let first = instance.folder + "/first.eml", second = instance.folder + "/second.eml"
        try Self.mail(1, tag: "imap").write(toFile: first, atomically: true, encoding: .utf8)
        try Self.mail(2, tag: "imap").write(toFile: second, atomically: true, encoding: .utf8)
        try instance.append([first])
        let daemon = try instance.start(["run"])
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        #expect(waitUntil(20) { instance.inquiryCount() == 1 }, "\(instance.log())")

        try stack.control("stop-imap")
        #expect(waitUntil(20) { instance.log().contains("cycle failed: IMAP") }, "\(instance.log())")
        Thread.sleep(forTimeInterval: 4)
        try stack.control("start-imap")
        try instance.append([second])
        #expect(waitUntil(40) { instance.inquiryCount() == 2 }, "not filed after the restart: \(instance.log())")
        #expect(waitUntil(10) { instance.log().contains("recovered") })
        // The failure was logged once, not on every retry (nor again when its wording changed).
        #expect(instance.log().components(separatedBy: "cycle failed").count == 2, "\(instance.log())")
        kill(daemon.processIdentifier, SIGTERM)
        #expect(waitForExit(daemon) == 0)
        #expect(try instance.count("SELECT count(*) FROM messages") == 2)
    }

    @Test("the SMTP server down for a while: acknowledgements wait, and go out once, when it is back")
    func smtpDown() throws {
        let stack = try MailStack.startPrivate()
        defer { try? stack.control("stop") }
        let instance = try Instance(.init(pollInterval: "1s", ackExtra: "retry_delay = 1s"), stack: stack)
        try stack.control("stop-smtp")
        let daemon = try instance.start(["run"])
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        for number in 1...3 {
            let path = instance.folder + "/m\(number).eml"
            try Self.mail(number, tag: "smtp").write(toFile: path, atomically: true, encoding: .utf8)
            try instance.append([path])
        }
        #expect(waitUntil(20) { instance.inquiryCount() == 3 }, "\(instance.log())")
        #expect(waitUntil(20) { instance.log().contains("SMTP") })
        #expect(try instance.count("SELECT count(*) FROM outbox WHERE status = 'sent'") == 0)
        #expect(try instance.mailintake("status").stdout.contains("pending"))
        Thread.sleep(forTimeInterval: 3)
        try stack.control("start-smtp")
        #expect(waitUntil(60) { (try? instance.count("SELECT count(*) FROM outbox WHERE status = 'sent'")) == 3 }, "\(instance.log())")
        kill(daemon.processIdentifier, SIGTERM)
        #expect(waitForExit(daemon) == 0)
        let acks = try instance.acknowledgements()
        #expect(acks.count == 3)
        let replies = acks.compactMap { $0["in_reply_to"] as? String }
        #expect(Set(replies).count == 3, "an acknowledgement went out twice")
    }

    @Test("the mailbox recreated with a new UIDVALIDITY, holding the same mail and new mail: nothing filed twice, the new mail filed")
    func uidValidityChange() throws {
        let instance = try Instance(.init(mailbox: "Intake"))
        var files: [String] = []
        for number in 1...3 {
            let path = instance.folder + "/u\(number).eml"
            try Self.mail(number, tag: "uidv").write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        try instance.append(files)
        #expect(try instance.mailintake("run", "--once").status == 0)
        try instance.recreateMailbox()
        let fresh = instance.folder + "/u4.eml"
        try Self.mail(4, tag: "uidv").write(toFile: fresh, atomically: true, encoding: .utf8)
        try instance.append([fresh])
        let run = try instance.mailintake("run", "--once")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("UIDVALIDITY"))
        #expect(try instance.exported().count == 4)
        #expect(try instance.count("SELECT count(*) FROM messages WHERE disposition = 'duplicate'") == 3)
        #expect(try instance.acknowledgements().count == 4)
    }

    @Test("the database's disk full, then read-only: a clear error, nothing lost, and it carries on when the fault clears")
    func diskFullAndReadOnly() throws {
        guard getuid() == 0 else {
            print("ServiceTests.diskFullAndReadOnly: not run, it needs root to mount a small tmpfs (CI runs as root)")
            return
        }
        let instance = try Instance()
        let mount = instance.folder + "/small"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let mounted = try runCommand("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mount])
        guard mounted.status == 0 else {
            // A container without CAP_SYS_ADMIN cannot mount; that says nothing about mailintake.
            print("ServiceTests.diskFullAndReadOnly: not run, this machine does not let root mount a tmpfs: \(mounted.stderr)")
            return
        }
        defer { _ = try? runCommand("/bin/umount", ["-l", mount]) }
        let config = try String(contentsOfFile: instance.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "path = mailintake.sqlite", with: "path = small/mailintake.sqlite")
            .write(toFile: instance.configPath, atomically: true, encoding: .utf8)
        try instance.appendFixtures("01-sl-sport-club.eml")
        #expect(try instance.mailintake("run", "--once").status == 0)

        // Fill the disk, then let mail arrive.
        _ = try runCommand("/bin/dd", ["if=/dev/zero", "of=\(mount)/filler", "bs=64k", "count=100"])
        var files: [String] = []
        for number in 1...5 {
            let path = instance.folder + "/full-\(number).eml"
            try (Self.mail(number, tag: "full") + String(repeating: "\nVeliko besedila za poln disk.", count: 2000))
                .write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        try instance.append(files)
        let full = try instance.mailintake("run", "--once")
        #expect(full.status != 0)
        #expect(full.stderr.lowercased().contains("full"), "\(full.stderr)")
        // `status` says what went wrong, although the database could not record it.
        let fullStatus = try instance.mailintake("status")
        #expect(fullStatus.status == 1)
        #expect(!fullStatus.stdout.contains("last error:       none"), "\(fullStatus.stdout)")
        #expect(fullStatus.stdout.lowercased().contains("full"), "\(fullStatus.stdout)")
        try FileManager.default.removeItem(atPath: mount + "/filler")
        let recovered = try instance.mailintake("run", "--once")
        #expect(recovered.status == 0, "\(recovered.stderr)")
        #expect(try instance.exported().count == 6)

        // Read-only: the same.
        try instance.appendFixtures("02-en-school-exchange.eml")
        #expect(try runCommand("/bin/mount", ["-o", "remount,ro", mount]).status == 0)
        let readOnly = try instance.mailintake("run", "--once")
        #expect(readOnly.status != 0)
        #expect(readOnly.stderr.contains("Read-only file system"), "\(readOnly.stderr)")
        #expect(try runCommand("/bin/mount", ["-o", "remount,rw", mount]).status == 0)
        let writable = try instance.mailintake("run", "--once")
        #expect(writable.status == 0, "\(writable.stderr)")
        let records = try instance.exported()
        #expect(records.count == 7)
        #expect(Set(records.compactMap { $0["reference"] as? String }).count == 7)
        #expect(try instance.acknowledgements().count == 7)
    }
}

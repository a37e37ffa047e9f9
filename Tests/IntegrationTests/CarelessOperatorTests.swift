import Foundation
import MailStore
import Testing

/// What an administrator or a sender could do by accident or on purpose, against the real
/// Dovecot and aiosmtpd: a second daemon through a symlink, a lost database, a hostile subject
/// on staff's terminal, a closed pipe, an unknown option, a SIGABRT, a 1000-character subject.
@Suite("A careless operator, a hostile subject: against real servers", .enabled(if: MailStack.shouldRun))
struct CarelessOperatorTests {
    static func mail(_ number: Int, subject: String? = nil, tag: String = "op") -> String {
        """
        Return-Path: <ana\(number)@example.org>
        From: Ana \(number) <ana\(number)@example.org>
        To: mednarodno@maribor.example
        Subject: \(subject ?? "Vprašanje \(number)")
        Message-ID: <\(tag)-\(number)-\(UUID().uuidString)@example.org>
        Content-Type: text/plain; charset=utf-8

        Pozdravljeni, zanima me seznam pobratenih mest (\(number)).
        """
    }

    @Test("a second configuration reaching the same database through a symlink or a hard link is refused")
    func aliasesShareOneLock() throws {
        let instance = try Instance()
        try instance.appendText(Self.mail(1))
        #expect(try instance.mailintake("run", "--once").status == 0)
        let daemon = try instance.start(["run"])
        defer { daemon.terminate(); waitForExit(daemon) }
        #expect(waitUntil(20) { instance.log().contains("mailintake started") })
        let config = try String(contentsOfFile: instance.configPath, encoding: .utf8)
        let symlink = instance.folder + "/alias.sqlite"
        try FileManager.default.createSymbolicLink(atPath: symlink, withDestinationPath: instance.databasePath)
        let hardLinkFolder = instance.folder + "/elsewhere"
        try FileManager.default.createDirectory(atPath: hardLinkFolder, withIntermediateDirectories: true)
        try FileManager.default.linkItem(atPath: instance.databasePath, toPath: hardLinkFolder + "/mailintake.sqlite")
        for alias in [symlink, hardLinkFolder + "/mailintake.sqlite"] {
            let other = instance.folder + "/other-\(UUID().uuidString.prefix(6)).conf"
            try config.replacingOccurrences(of: "path = mailintake.sqlite", with: "path = \(alias)").write(toFile: other, atomically: true, encoding: .utf8)
            let second = try runCommand(Instance.binary, ["--config", other, "run", "--once"])
            #expect(second.status == 2, "\(alias): \(second.stderr)")
            #expect(second.stderr.contains("already runs on this database"), "\(second.stderr)")
        }
    }

    @Test("an emptied database beside mail already filed is refused (exit 2, nobody acknowledged twice); --adopt-filed files it silently")
    func emptiedDatabase() throws {
        let instance = try Instance()
        try instance.appendText(Self.mail(1))
        try instance.appendText(Self.mail(2))
        #expect(try instance.mailintake("run", "--once").status == 0)
        #expect(try instance.acknowledgements().count == 2)
        // A clean run leaves everything in the main file: a plain copy is a whole backup.
        #expect(!FileManager.default.fileExists(atPath: instance.databasePath + "-wal"))
        let copy = instance.folder + "/copy.sqlite"
        try FileManager.default.copyItem(atPath: instance.databasePath, toPath: copy)
        #expect(try MailRepository(path: copy).database.row("SELECT count(*) AS n FROM inquiries")?["n"].int == 2)

        for damage in ["truncate", "replace"] {
            if damage == "truncate" {
                #expect(truncate(instance.databasePath, 0) == 0)
            } else {
                try FileManager.default.removeItem(atPath: instance.databasePath)
            }
            let refused = try instance.mailintake("run", "--once")
            #expect(refused.status == 2, "\(damage): \(refused.stderr)")
            #expect(refused.stderr.contains("already flagged $Filed"), "\(refused.stderr)")
            #expect(refused.stderr.contains("--adopt-filed"))
            #expect(try instance.acknowledgements().count == 2, "\(damage): acknowledged again")
        }
        try instance.appendText(Self.mail(3))
        #expect(try instance.mailintake("run", "--adopt-filed").status == 2)  // only with --once
        let adopted = try instance.mailintake("run", "--once", "--adopt-filed")
        #expect(adopted.status == 0, "\(adopted.stderr)")
        let records = try instance.exported()
        #expect(records.count == 3)
        #expect(records.filter { ($0["ack_reason"] as? String)?.hasPrefix("adopted") == true }.count == 2)
        #expect(try instance.acknowledgements().count == 3, "only the new message is acknowledged")
    }

    @Test("a hostile subject and name cannot drive staff's terminal through list, show, outbox or export")
    func terminalInjection() throws {
        let instance = try Instance()
        let subject = "=?utf-8?B?" + Data("Hi\u{1B}]0;owned\u{07}\u{1B}[2J\r\nBcc: boss@x\u{202E}fdp.exe\u{9B}31m".utf8).base64EncodedString() + "?="
        try instance.appendText(Self.mail(1, subject: subject).replacingOccurrences(of: "From: Ana 1", with: "From: =?utf-8?Q?Ana=1B[31m?="))
        #expect(try instance.mailintake("run", "--once").status == 0)
        let reference = try #require(try instance.exported().first?["reference"] as? String)
        #expect(try instance.mailintake("reclassify", reference, "--field", "culture", "--note", "ok\u{1B}[5m", "--by", "x\u{7}").status == 0)
        for arguments in [["list"], ["show", reference], ["export", "--format", "csv"], ["outbox"], ["status"]] {
            let output = try runCommand(Instance.binary, ["--config", instance.configPath] + arguments)
            let text = output.stdout + output.stderr
            let bad = text.unicodeScalars.filter { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B || $0.value == 0x202E || ($0.value == 0x0D && arguments[0] != "export") }
            #expect(bad.isEmpty, "\(arguments): \(bad.map { String($0.value, radix: 16) })")
        }
        let csv = try instance.mailintake("export", "--format", "csv").stdout
        #expect(csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 2, "a forged row: \(csv)")
        let show = try instance.mailintake("show", reference).stdout
        #expect(show.contains("\u{241B}]0;owned"), "\(show)")
    }

    @Test("a reader that goes away ends export quietly; unknown options are usage errors")
    func pipesAndOptions() throws {
        let instance = try Instance()
        for number in 1...3 { try instance.appendText(Self.mail(number)) }
        #expect(try instance.mailintake("run", "--once").status == 0)
        for format in ["csv", "json"] {
            let process = Subprocess()
            process.executableURL = URL(fileURLWithPath: Instance.binary)
            process.arguments = ["--config", instance.configPath, "export", "--format", format]
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try out.fileHandleForReading.close()  // the reader is gone before the first byte
            try process.run()
            let status = waitForExit(process, timeout: 30)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(status == 0, "\(format): \(String(describing: status)) \(stderr)")
            #expect(stderr.isEmpty, "\(format): \(stderr)")
        }
        for arguments in [["list", "--overdoo"], ["list", "--status", "late"], ["list", "--limit"], ["run", "--twice"], ["show", "--json"], ["status", "--verbose"]] {
            let result = try runCommand(Instance.binary, ["--config", instance.configPath] + arguments)
            #expect(result.status == 2, "\(arguments): \(result.status) \(result.stdout)")
        }
    }

    @Test("SIGABRT ends the daemon (systemd's watchdog sends it), instead of a backtrace and a hung process")
    func abort() throws {
        let instance = try Instance()
        let daemon = try instance.start(["run"])
        #expect(waitUntil(20) { instance.log().contains("mailintake started") })
        kill(daemon.processIdentifier, SIGABRT)
        let status = waitForExit(daemon, timeout: 20)
        // Foundation reports a death by signal as the signal's number; the kernel's wait as 128 + it.
        #expect(status == SIGABRT || status == 128 + SIGABRT, "exit status \(String(describing: status))")
        // Gone, not hung. (Not `isRunning`: `waitForExit` may reap the process before Foundation's
        // own monitor sees it, and then `isRunning` stays true; that raced once in CI.)
        #expect(kill(daemon.processIdentifier, 0) != 0 && errno == ESRCH, "the daemon's process is still there")
        if status == nil { daemon.terminate() }
    }

    @Test("a 1000-character subject is folded: the real server takes the acknowledgement and the staff notification")
    func longSubject() throws {
        let instance = try Instance(.init(extraSections: "[routing]\ndefault = desk@maribor.example"))
        let subject = (0..<150).map { "beseda\($0)" }.joined(separator: " ")
        #expect(subject.count > 1000)
        try instance.appendText(Self.mail(1, subject: subject))
        let result = try instance.mailintake("run", "--once")
        #expect(result.status == 0, "\(result.stderr)")
        let sent = try instance.acknowledgements()
        #expect(sent.count == 2, "\(sent)")
        #expect(sent.allSatisfy { ($0["subject"] as? String)?.contains("beseda149") == true }, "\(sent.map { $0["subject"] ?? "" })")
        #expect(try instance.count("SELECT count(*) FROM outbox WHERE status = 'sent'") == 2)
    }

    @Test("reloading the daemon ten times leaves no database connection or descriptor behind")
    func reloadsLeakNothing() throws {
        let instance = try Instance(.init(pollInterval: "1h"))
        try instance.appendText(Self.mail(1))
        let daemon = try instance.start(["run"])
        defer { daemon.terminate(); waitForExit(daemon) }
        #expect(waitUntil(20) { instance.inquiryCount() == 1 })
        let descriptors = { ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(daemon.processIdentifier)/fd")) ?? []).count }
        let databaseFiles = {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(daemon.processIdentifier)/fd")) ?? []).filter {
                ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(daemon.processIdentifier)/fd/\($0)")) ?? "")
                    .hasSuffix("mailintake.sqlite")
            }.count
        }
        func reload(_ times: Int) {
            for _ in 0..<times {
                let done = instance.log().components(separatedBy: "configuration reloaded").count
                kill(daemon.processIdentifier, SIGHUP)
                #expect(waitUntil(15) { instance.log().components(separatedBy: "configuration reloaded").count == done + 1 }, "\(instance.log())")
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
        // SQLite keeps a closed connection's descriptor while another connection of the process
        // holds a lock on the file, and reuses it for the next open: a few stay, and must not grow.
        reload(3)
        let before = descriptors(), databaseBefore = databaseFiles()
        reload(10)
        #expect(descriptors() <= before, "descriptors: \(before) before ten reloads, \(descriptors()) after")
        #expect(databaseFiles() == databaseBefore, "database descriptors: \(databaseBefore) before, \(databaseFiles()) after")
    }
}

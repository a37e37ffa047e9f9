import Foundation
import Testing

/// Staff without root: the layout `scripts/install.sh` and the unit make — the service's user
/// and group `mailintake`, the state folder 2770 — with real Unix accounts: one member of staff
/// in the group, one person outside it. Creating accounts needs root, which CI has; elsewhere the
/// suite is skipped and says so.
@Suite("Staff in the mailintake group work without sudo; others are refused", .enabled(if: MailStack.shouldRun && getuid() == 0))
struct StaffAccessTests {
    static func run(_ command: String, _ arguments: [String]) throws -> CommandResult {
        try runCommand(command, arguments)
    }

    /// Runs the installed binary as `user` (runuser: root becomes them, with their groups).
    static func mailintake(as user: String, _ binary: String, _ config: String, _ arguments: [String]) throws -> CommandResult {
        try run("/usr/sbin/runuser", ["-u", user, "--", binary, "--config", config] + arguments)
    }

    @Test("install.sh's layout: a member of staff lists, searches, reclassifies and closes without sudo, recorded as themselves; an outsider is told to join the group; the service still writes")
    func staffAccess() throws {
        let instance = try Instance()
        let root = instance.folder + "/root"
        // The installer's files under a folder of our own (the binary too: the build folder may be root's alone).
        let install = try Self.run("/bin/bash", [MailStack.repositoryRoot + "/scripts/install.sh", "--root", root, "--binary", Instance.binary])
        try #require(install.status == 0, "install.sh failed: \(install.stdout)\(install.stderr)")
        let sysusers = root + "/etc/sysusers.d/mailintake.conf"
        #expect(FileManager.default.fileExists(atPath: sysusers))
        // The accounts, as the installer makes them on the machine itself.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-sysusers") {
            let made = try Self.run("/usr/bin/systemd-sysusers", [sysusers])
            try #require(made.status == 0, "systemd-sysusers: \(made.stderr)")
        } else if try Self.run("/usr/bin/getent", ["passwd", "mailintake"]).status != 0 {
            _ = try Self.run("/usr/sbin/useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "mailintake"])
        }
        let suffix = String(instance.user.suffix(6))
        let staff = "mist\(suffix)", outsider = "miout\(suffix)"
        for name in [staff, outsider] { _ = try Self.run("/usr/sbin/useradd", ["--no-create-home", "--shell", "/bin/sh", name]) }
        defer { for name in [staff, outsider] { _ = try? Self.run("/usr/sbin/userdel", [name]) } }
        try #require(try Self.run("/usr/sbin/usermod", ["-aG", "mailintake", staff]).status == 0)

        // The state folder as systemd keeps it (StateDirectoryMode=2770), and the configuration
        // pointing there; the passwords the service's own (by hand, systemd would pass credentials).
        let state = root + "/var/lib/mailintake"
        try #require(try Self.run("/usr/bin/install", ["-d", "-m", "2770", "-o", "mailintake", "-g", "mailintake", state]).status == 0)
        try FileManager.default.copyItem(atPath: instance.stack.caFile, toPath: instance.folder + "/ca.pem")
        var config = try String(contentsOfFile: instance.configPath, encoding: .utf8)
        config = config.replacingOccurrences(of: "path = mailintake.sqlite", with: "path = \(state)/mailintake.sqlite")
            .replacingOccurrences(of: instance.stack.caFile, with: instance.folder + "/ca.pem")
            .replacingOccurrences(of: "password_file = imap.password", with: "password_file = \(instance.folder)/imap.password")
            .replacingOccurrences(of: "password_file = smtp.password", with: "password_file = \(instance.folder)/smtp.password")
        let configPath = root + "/etc/mailintake/mailintake-test.conf"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: configPath)
        for name in ["imap.password", "smtp.password"] { _ = try Self.run("/bin/chown", ["mailintake", instance.folder + "/" + name]) }
        let binary = root + "/usr/local/bin/mailintake"

        try instance.appendText(AcknowledgementDeliveryTests.mail(from: "Ana Novak <ana@example.si>", subject: "Gostovanje pevskega zbora iz Gradca",
                                                                  body: "Spoštovani, naš zbor bi rad gostoval v Mariboru."))
        let service = try Self.mailintake(as: "mailintake", binary, configPath, ["run", "--once"])
        try #require(service.status == 0, "the service's run: \(service.stderr)")
        var info = stat()
        #expect(stat(state + "/mailintake.sqlite", &info) == 0 && info.st_mode & 0o777 == 0o660, "the database is the service's and the group's: \(String(info.st_mode & 0o777, radix: 8))")
        #expect(stat(state + "/mailintake.sqlite.health", &info) == 0 && info.st_mode & 0o777 == 0o640, "status's health file is readable by the group: \(String(info.st_mode & 0o777, radix: 8))")

        // A member of staff, without sudo.
        let listed = try Self.mailintake(as: staff, binary, configPath, ["list"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let reference = try #require(listed.stdout.split(separator: "\n").first { $0.hasPrefix("MB-") }.map { String($0.prefix { $0 != " " }) })
        #expect(try Self.mailintake(as: staff, binary, configPath, ["search", "zbor"]).stdout.contains(reference))
        let corrected = try Self.mailintake(as: staff, binary, configPath, ["reclassify", reference, "--field", "culture", "--note", "choir"])
        #expect(corrected.status == 0, "\(corrected.stderr)")
        #expect(try Self.mailintake(as: staff, binary, configPath, ["close", reference]).status == 0)
        let shown = try Self.mailintake(as: staff, binary, configPath, ["show", reference])
        #expect(shown.stdout.contains(" \(staff): "), "the correction names the Unix account: \(shown.stdout)")
        #expect(shown.stdout.contains("closed → closed by \(staff)"), "\(shown.stdout)")
        #expect(try Self.mailintake(as: staff, binary, configPath, ["status"]).stdout.contains("inquiries:        0 open, 0 answered, 1 closed"))

        // Someone outside the group is refused, and told what to ask for.
        for command in [["list"], ["reclassify", reference, "--field", "sport"]] {
            let refused = try Self.mailintake(as: outsider, binary, configPath, command)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("staff commands need membership in the group `mailintake`"), "\(refused.stderr)")
            #expect(refused.stderr.contains("sudo usermod -aG mailintake \(outsider)"), "\(refused.stderr)")
        }

        // Whatever staff created in the folder, the service can still write: it files the next message.
        try instance.appendText(AcknowledgementDeliveryTests.mail(from: "Bojan <bojan@example.si>", subject: "Druga prošnja", body: "Prosim za sestanek."))
        let again = try Self.mailintake(as: "mailintake", binary, configPath, ["run", "--once"])
        #expect(again.status == 0, "\(again.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: state)
        for file in files where file.hasPrefix("mailintake.sqlite") {
            #expect(stat(state + "/" + file, &info) == 0 && info.st_mode & 0o007 == 0, "\(file) is nobody else's")
            #expect(getgrgid(info.st_gid).map { String(cString: $0.pointee.gr_name) } == "mailintake", "\(file) is the group's")
        }
    }
}

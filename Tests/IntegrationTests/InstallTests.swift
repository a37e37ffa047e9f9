import Foundation
import Testing

/// What an administrator installs: the systemd units (verified, exposure at most 2.0) and
/// scripts/install.sh, which must never overwrite their configuration.
@Suite("Installation and systemd units",
       .enabled(if: FileManager.default.isExecutableFile(atPath: Instance.binary) || MailStack.environment["MAILINTAKE_REQUIRE_STACK"] != nil))
struct InstallTests {
    @Test("systemd-analyze verify passes and security --offline=true rates both units 2.0 or lower")
    func units() throws {
        let available = FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")
        guard available || MailStack.environment["MAILINTAKE_REQUIRE_STACK"] != nil else {
            print("InstallTests.units: systemd-analyze is not installed here (scripts/test.sh installs it); the units were not checked")
            return
        }
        let result = try runCommand(MailStack.repositoryRoot + "/scripts/check_unit.sh", [Instance.binary])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("systemd/mailintake.service: verify OK, exposure"))
        #expect(result.stdout.contains("systemd/mailintake@.service: verify OK, exposure"))
    }

    @Test("the binary loads no Foundation, CoreFoundation or ICU: FoundationEssentials alone (docs/PERFORMANCE.md)")
    func linkage() throws {
        // The debug build links the Swift libraries dynamically, so the loader's list shows them;
        // one `import Foundation` in a product module would put libFoundation and ICU back.
        let result = try runCommand("/usr/bin/ldd", [Instance.binary])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("libFoundationEssentials") || !result.stdout.contains("libswiftCore"), "\(result.stdout)")
        for library in ["libFoundation.so", "lib_FoundationICU", "libFoundationInternationalization", "libicu"] {
            #expect(!result.stdout.contains(library), "\(library) is loaded:\n\(result.stdout)")
        }
    }

    @Test("install.sh installs binary, configuration, templates, vocabulary, password files and units, and never overwrites")
    func install() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mi-install-\(UUID().uuidString.prefix(8))").path
        let script = MailStack.repositoryRoot + "/scripts/install.sh"
        let first = try runCommand(script, ["--binary", Instance.binary, "--root", root])
        #expect(first.status == 0, "\(first.stderr)")
        let fm = FileManager.default
        for path in ["/usr/local/bin/mailintake", "/etc/mailintake/mailintake.conf", "/etc/mailintake/templates/ack.sl.txt",
                     "/etc/mailintake/vocabulary/fields.txt", "/etc/systemd/system/mailintake.service", "/etc/systemd/system/mailintake@.service"] {
            #expect(fm.fileExists(atPath: root + path), "\(path) was not installed")
        }
        let secret = try fm.attributesOfItem(atPath: root + "/etc/mailintake/imap.password")
        #expect(secret[.posixPermissions] as? Int == 0o600)

        // The admin's edits survive a second install (an upgrade).
        let config = root + "/etc/mailintake/mailintake.conf"
        try (try String(contentsOfFile: config, encoding: .utf8) + "\n# edited by the admin\n").write(toFile: config, atomically: true, encoding: .utf8)
        let fields = root + "/etc/mailintake/vocabulary/fields.txt"
        try "[sport]\nšport*\n".write(toFile: fields, atomically: true, encoding: .utf8)
        try "hunter2\n".write(toFile: root + "/etc/mailintake/imap.password", atomically: true, encoding: .utf8)
        let second = try runCommand(script, ["--binary", Instance.binary, "--root", root])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try String(contentsOfFile: config, encoding: .utf8).hasSuffix("# edited by the admin\n"))
        #expect(try String(contentsOfFile: fields, encoding: .utf8) == "[sport]\nšport*\n")
        #expect(fm.fileExists(atPath: fields + ".dist"))
        #expect(fm.fileExists(atPath: config + ".dist"))
        #expect(try String(contentsOfFile: root + "/etc/mailintake/imap.password", encoding: .utf8) == "hunter2\n")
        try? fm.removeItem(atPath: root)
    }
}

import Foundation
import Testing

/// `mailintake run` as systemd runs it: in the foreground, polling on a timer, stopping on SIGTERM.
@Suite("The daemon against real servers", .enabled(if: MailStack.shouldRun))
struct DaemonTests {
    @Test("polls on its timer, files mail that arrives while it runs, refuses a second instance, and stops on SIGTERM with exit 0")
    func runAndStop() throws {
        let instance = try Instance()
        let daemon = try instance.start(["run"])
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }

        try instance.appendFixtures("02-en-school-exchange.eml")
        #expect(try waitUntil(20) { try instance.acknowledgements().count == 1 }, "the daemon did not file and acknowledge: \(instance.log())")
        try instance.appendFixtures("01-sl-sport-club.eml")
        #expect(try waitUntil(20) { try instance.acknowledgements().count == 2 }, "the second message was not picked up: \(instance.log())")

        let second = try instance.mailintake("run", "--once")
        #expect(second.status == 2)
        #expect(second.stderr.contains("PID \(daemon.processIdentifier)"), "\(second.stderr)")

        kill(daemon.processIdentifier, SIGTERM)
        #expect(waitForExit(daemon) == 0)
        #expect(instance.log().contains("stopped"))
        #expect(try instance.exported().count == 2)
    }
}

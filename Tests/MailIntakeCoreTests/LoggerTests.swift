import Testing
@testable import MailIntakeCore

@Suite("Logger")
struct LoggerTests {
    @Test("writes lines with journald priorities, filters by level, and sorts metadata")
    func levels() {
        let sink = InMemorySink()
        var logger = Logger(label: "mailintake", level: .info, sink: sink)
        logger.metadata["mailbox"] = "INBOX"
        logger.debug("hidden")
        logger.info("filed new inquiry", ["reference": "MB-2026-000001", "uid": "7"])
        logger.error("cycle failed: a b")
        #expect(sink.lines == [
            "<6>mailintake: filed new inquiry mailbox=INBOX reference=MB-2026-000001 uid=7",
            "<3>mailintake: cycle failed: a b mailbox=INBOX",
        ])
    }

    @Test("text from a message can never start a second log line")
    func noInjection() {
        let sink = InMemorySink()
        let logger = Logger(label: "mailintake", sink: sink)
        logger.warning("subject: x\r\n<3>mailintake: forged", ["reply": "250 ok\nforged"])
        #expect(sink.lines.count == 1)
        #expect(!sink.lines[0].contains("\n") && !sink.lines[0].contains("\r"))
        #expect(sink.lines[0].contains("x\\r\\n<3>mailintake: forged"))
    }

    @Test("e-mail addresses appear only at debug level")
    func addresses() {
        let sink = InMemorySink()
        let logger = Logger(label: "mailintake", level: .info, sink: sink)
        logger.error("SMTP: the server said: 550 5.1.1 <ana.novak+x@gmail.com>: no such user", ["to": "bor@example.org"])
        #expect(sink.lines == ["<3>mailintake: SMTP: the server said: 550 5.1.1 <…@gmail.com>: no such user to=…@example.org"])
        let debugSink = InMemorySink()
        Logger(label: "mailintake", level: .debug, sink: debugSink).error("to ana@gmail.com")
        #expect(debugSink.lines == ["<3>mailintake: to ana@gmail.com"])
    }
}

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
        logger.warning("subject: x\r\n<3>mailintake: forged \u{1B}]0;owned\u{07} \u{202E}fdp.exe", ["reply": "250 ok\nforged\u{2028}x"])
        #expect(sink.lines.count == 1)
        #expect(!sink.lines[0].unicodeScalars.contains { $0 == "\n" || $0 == "\r" || $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\u{202E}" || $0 == "\u{2028}" })
        #expect(sink.lines[0].contains("x\u{240D}\u{240A}<3>mailintake: forged \u{241B}]0;owned\u{2407} <U+202E>fdp.exe"))
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

import Foundation
import Testing
import MailIntakeCore
@testable import MailIntakeDaemon
import MailStore
import MailTransport

/// A mailbox in memory: the intake's rules (the cursor, flags, filing, delivery) run against it
/// and a store on a temporary file, with no server. `skip` holds UIDs it lists but never delivers.
final class MemoryMailbox: MailboxClient {
    var inbox: [UInt32: [UInt8]] = [:]
    /// The sent folder, opened with `examine`; the other calls then read it.
    var sent: [UInt32: [UInt8]] = [:]
    var examining = false
    var messages: [UInt32: [UInt8]] {
        get { examining ? sent : inbox }
        set { if examining { sent = newValue } else { inbox = newValue } }
    }
    var flags: [UInt32: Set<String>] = [:]
    var skip: Set<UInt32> = []
    var fetched: [[UInt32]] = []
    var uidValidity: UInt32 = 7

    func select(_ mailbox: String) throws -> MailboxStatus {
        examining = false
        return MailboxStatus(uidValidity: uidValidity, uidNext: (messages.keys.max() ?? 0) + 1, exists: messages.count)
    }
    func examine(_ mailbox: String) throws -> MailboxStatus {
        examining = true
        return MailboxStatus(uidValidity: 3, uidNext: (sent.keys.max() ?? 0) + 1, exists: sent.count)
    }
    func fetchHeaders(_ uids: [UInt32], _ body: (FetchedMessage) throws -> Void) throws {
        for uid in uids.sorted() {
            guard let raw = messages[uid] else { continue }
            try body(FetchedMessage(uid: uid, internalDate: nil, raw: Array(MIMEPart.splitHeader(raw[...]).0)))
        }
    }
    func uids(from first: UInt32) throws -> [UInt32] { messages.keys.filter { $0 >= first }.sorted() }
    func uids(withKeyword keyword: String) throws -> [UInt32] { flags.filter { $0.value.contains(keyword) }.map(\.key).sorted() }
    func sizes(from first: UInt32) throws -> [UInt32: Int] { messages.filter { $0.key >= first }.mapValues(\.count) }
    func fetch(_ uids: [UInt32], prefix: Int?, _ body: (FetchedMessage) throws -> Void) throws {
        fetched.append(uids)
        for uid in uids.sorted() where !skip.contains(uid) {
            guard let raw = messages[uid] else { continue }
            try body(FetchedMessage(uid: uid, internalDate: nil, raw: prefix.map { Array(raw.prefix($0)) } ?? raw))
        }
    }
    func addFlags(_ flags: [String], to uids: [UInt32]) throws {
        for uid in uids { self.flags[uid, default: []].formUnion(flags) }
    }
    func move(_ uids: [UInt32], to folder: String) throws {}
    /// Sessions logged out (each connection to this mailbox is logged out once).
    var logouts = 0
    func logout() { logouts += 1 }
    var ignoredResponses: Int { 0 }
}

/// Records what would be sent; `failure` makes every submission fail with it.
final class RecordingSubmitter: MailSubmitter {
    var sent: [(recipient: String, content: [UInt8])] = []
    var failure: TransportError?
    /// Called as each mail is submitted.
    var onSend: (() -> Void)?
    func send(content: [UInt8], sender: String, recipient: String, handingOver: () throws -> Void) throws(TransportError) -> String {
        onSend?()
        if let failure { throw failure }
        do { try handingOver() } catch { throw TransportError(.configuration, "\(error)") }
        sent.append((recipient, content))
        return "250 2.0.0 queued"
    }
}

@Suite("The intake without servers")
struct IntakeTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// An intake over `mailbox` and `submitter`, with its database in a new temporary folder.
    static func intake(_ mailbox: MemoryMailbox, _ submitter: RecordingSubmitter, extra: String = "",
                       connect: ((IMAPSettings) throws -> MailboxClient)? = nil) throws -> Intake {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mi-intake-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let text = """
            [imap]
            url = imaps://imap.example.org:993
            user = office@maribor.example
            batch_size = 2
            [smtp]
            url = smtps://smtp.example.org:465
            from = mednarodno@maribor.example
            [store]
            path = \(folder)/mailintake.sqlite
            [office]
            name = Urad za mednarodno sodelovanje
            email = mednarodno@maribor.example
            phone = 02/2201-219
            [ack]
            reference_prefix = MB
            templates = \(repository)/config/templates
            \(extra)
            [classifier]
            vocabulary = \(repository)/config/vocabulary
            """
        let configuration = try Configuration.parse(try INIFile(path: folder + "/mailintake.conf", text: text))
        return try Intake(configuration: configuration, logger: Logger(label: "test", level: .error, sink: InMemorySink()),
                          connector: MailConnector(mailbox: connect ?? { _ in mailbox }, submitter: { _, _ in submitter }))
    }

    static func mail(_ number: Int, subject: String? = nil) -> [UInt8] {
        Array("""
            Return-Path: <ana\(number)@example.org>\r
            From: Ana \(number) <ana\(number)@example.org>\r
            To: mednarodno@maribor.example\r
            Subject: \(subject ?? "Vprašanje \(number)")\r
            Message-ID: <m\(number)@example.org>\r
            \r
            Pozdravljeni, zanima me seznam pobratenih mest (\(number)).\r

            """.utf8)
    }

    /// The office's answer to `mail(2)`, as the sent folder keeps it.
    static let officeAnswerToAna2 = Array("""
        From: mednarodno@maribor.example\r
        To: Ana <ana2@example.org>\r
        Subject: Re: Vprašanje 2\r
        In-Reply-To: <m2@example.org>\r
        Message-ID: <answer2@maribor.example>\r
        Date: Tue, 01 Dec 2026 10:00:00 +0100\r
        \r
        Odgovor.\r

        """.utf8)

    @Test("files every message once, acknowledges it once, flags only what it filed, and a second poll adds nothing")
    func exactlyOnce() throws {
        let mailbox = MemoryMailbox(), submitter = RecordingSubmitter()
        for number in 1...5 { mailbox.messages[UInt32(number)] = Self.mail(number) }
        let intake = try Self.intake(mailbox, submitter)
        let report = try intake.poll()
        #expect(report.inquiries == 5 && report.backlog == 0)
        #expect(mailbox.fetched == [[1, 2], [3, 4], [5]], "one fetch per batch of two")
        #expect(mailbox.flags.filter { $0.value.contains("$Filed") }.count == 5)
        #expect(try intake.deliverOutbox().sent == 5)
        #expect(Set(submitter.sent.map(\.recipient)) == Set((1...5).map { "ana\($0)@example.org" }))
        #expect(try intake.poll().inquiries == 0)
        #expect(try intake.deliverOutbox().sent == 0)
        #expect(submitter.sent.count == 5)
    }

    @Test("messages are committed in groups, one transaction each: one that cannot be filed ends its group, those before it stay filed (whole: their inquiries, acknowledgements and search entries), none after it is filed; the next poll goes on from there",
          arguments: [12, 11])
    func groupCommit(refused: Int) throws {
        let mailbox = MemoryMailbox(), submitter = RecordingSubmitter()
        for number in 1...20 { mailbox.messages[UInt32(number)] = Self.mail(number) }
        let intake = try Self.intake(mailbox, submitter)
        // The refused message cannot be filed (as a broken row would be refused); the group is the
        // fetch batch of two, 11 and 12: 12 fails after 11 in the same transaction, 11 opens it.
        // The trigger fires on the message row, after the inquiry and its reference are written.
        try intake.store.sync { try $0.database.execute("CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN NEW.uid = \(refused) BEGIN SELECT RAISE(ABORT, 'refused'); END") }
        #expect(throws: (any Error).self) { try intake.poll() }
        func filed() throws -> [Int] {
            try intake.store.sync { try $0.database.rows("SELECT uid FROM messages ORDER BY uid").compactMap { $0["uid"].int } }
        }
        func count(_ sql: String) throws -> Int? { try intake.store.sync { try $0.database.row(sql)?["n"].int } }
        let before = refused - 1
        #expect(try filed() == Array(1...before))
        #expect(try intake.store.sync { try $0.cursor(mailbox: "INBOX")?.lastUID } == UInt32(before))
        #expect(try count("SELECT count(*) AS n FROM outbox WHERE kind = 'acknowledgement'") == before)
        #expect(try count("SELECT count(*) AS n FROM inquiries") == before, "the failed message's inquiry is undone with it")
        #expect(try count("SELECT count(*) AS n FROM inquiry_search") == before, "and so is its search entry")
        try intake.store.sync { try $0.database.execute("DROP TRIGGER refuse") }
        let report = try intake.poll()
        #expect(report.inquiries == 20 - before && report.backlog == 0)
        #expect(try filed() == Array(1...20))
        #expect(mailbox.flags.filter { $0.value.contains("$Filed") }.count == 20)
        #expect(try intake.deliverOutbox().sent == 20)
    }

    @Test("the sent folder's replies answer their inquiries, once; our own mail kept there answers nothing; each desk gets one digest a day")
    func sentFolderAndDigest() throws {
        let mailbox = MemoryMailbox(), submitter = RecordingSubmitter()
        for number in 1...3 { mailbox.inbox[UInt32(number)] = Self.mail(number) }
        let intake = try Self.intake(mailbox, submitter, extra: "[imap]\nsent_folder = Sent\n[routing]\ndefault = desk@maribor.example\n[deadlines]\ndigest_at = 00:00\n[ack]")
        #expect(try intake.poll().inquiries == 3)
        #expect(try intake.deliverOutbox().sent == 6, "three acknowledgements, three notifications")
        // The server keeps what we sent in the sent folder (Exchange does): an acknowledgement is no answer.
        mailbox.sent[1] = submitter.sent.first { $0.recipient == "ana1@example.org" }!.content
        mailbox.sent[2] = Self.officeAnswerToAna2
        #expect(try intake.pollSentFolder() == 1)
        #expect(try intake.pollSentFolder() == 0, "the folder's cursor moved past what was read")
        let statuses = try intake.store.sync { repository in try ["ana1", "ana2", "ana3"].map { name in
            try repository.database.row("SELECT status FROM inquiries WHERE from_address = ?", ["\(name)@example.org"])?["status"].string ?? "" } }
        #expect(statuses == ["open", "answered", "open"])

        // Overdue: the desk hears once today, and the digest goes out through the outbox.
        try intake.store.sync { try $0.database.run("UPDATE inquiries SET due_on = '2026-01-05'") }
        #expect(try intake.enqueueDigests() == 1)
        #expect(try intake.enqueueDigests() == 0)
        #expect(try intake.deliverOutbox().sent == 1)
        let digest = String(decoding: submitter.sent.last!.content, as: UTF8.self)
        #expect(submitter.sent.last!.recipient == "desk@maribor.example")
        #expect(digest.contains("2 overdue") && digest.contains("Auto-Submitted: auto-generated"))
    }

    @Test("a UID listed and not delivered keeps the cursor in front of it; it is asked for again and filed when it comes")
    func cursorWaits() throws {
        let mailbox = MemoryMailbox(), submitter = RecordingSubmitter()
        for number in 1...3 { mailbox.messages[UInt32(number)] = Self.mail(number) }
        mailbox.skip = [2]
        let intake = try Self.intake(mailbox, submitter)
        #expect(try intake.poll().inquiries == 2)
        #expect(try intake.store.sync { try $0.cursor(mailbox: "INBOX") }?.lastUID == 1)
        #expect(mailbox.flags[2] == nil, "a message never fetched is never flagged")
        mailbox.skip = []
        mailbox.fetched = []
        #expect(try intake.poll().inquiries == 1)
        #expect(mailbox.fetched == [[2]], "only the missing one is fetched again")
        #expect(try intake.store.sync { try $0.cursor(mailbox: "INBOX") }?.lastUID == 3)
    }

    @Test("the same message twice is a duplicate; a reply with the reference is a follow-up; neither is acknowledged")
    func duplicatesAndFollowUps() throws {
        let mailbox = MemoryMailbox(), submitter = RecordingSubmitter()
        mailbox.messages[1] = Self.mail(1)
        mailbox.messages[2] = Self.mail(1)
        let intake = try Self.intake(mailbox, submitter)
        let first = try intake.poll()
        #expect(first.inquiries == 1 && first.duplicates == 1)
        let reference = try #require(first.references.first)
        mailbox.messages[3] = Self.mail(3, subject: "Re: [\(reference)] Vprašanje 1")
        #expect(try intake.poll().followUps == 1)
        #expect(try intake.deliverOutbox().sent == 1)
    }

    @Test("a login refused keeps every acknowledgement pending and uncounted; no answer after the data is unconfirmed, never resent")
    func deliveryFailures() throws {
        let mailbox = MemoryMailbox(), submitter = RecordingSubmitter()
        for number in 1...3 { mailbox.messages[UInt32(number)] = Self.mail(number) }
        let intake = try Self.intake(mailbox, submitter)
        _ = try intake.poll()
        submitter.failure = TransportError(.authentication, "535 5.7.8 Authentication credentials invalid")
        let refused = try intake.deliverOutbox()
        #expect(refused.sent == 0 && refused.failed == 0)
        #expect(try intake.store.sync { try $0.database.row("SELECT count(*) AS n FROM outbox WHERE status = 'pending' AND attempts = 0") }?["n"].int == 3)
        submitter.failure = TransportError(.unconfirmed, "no answer after the final dot")
        let silent = try intake.deliverOutbox()
        #expect(silent.unconfirmed == 1, "the round stops at the first")
        submitter.failure = nil
        #expect(try intake.deliverOutbox().sent == 2)
        #expect(try intake.deliverOutbox().sent == 0, "the unconfirmed one is never sent again by itself")
        #expect(try intake.store.sync { try $0.outboxCounts() } == ["sent": 2, "unconfirmed": 1])
    }

    @Test("a correction rebuilds the learned model on the next learning step, once")
    func learnsAfterCorrection() throws {
        let mailbox = MemoryMailbox(), submitter = RecordingSubmitter()
        mailbox.messages[1] = Self.mail(1)
        let intake = try Self.intake(mailbox, submitter)
        let reference = try #require(try intake.poll().references.first)
        #expect(try intake.learnIfCorrected() == false)
        _ = try intake.store.sync { try $0.correct(reference: reference, by: "test", note: nil) { $0.field = "culture" } }
        #expect(try intake.learnIfCorrected() == true)
        #expect(try intake.learnIfCorrected() == false)
        #expect(FileManager.default.fileExists(atPath: intake.configuration.classifier.modelPath))
    }

    @Test("polling backs off by doubling up to fifteen minutes, and never below the interval")
    func backoff() {
        #expect(Daemon.backoff(interval: 60, failures: 0) == 60)
        #expect(Daemon.backoff(interval: 60, failures: 1) == 120)
        #expect(Daemon.backoff(interval: 60, failures: 3) == 480)
        #expect(Daemon.backoff(interval: 60, failures: 40) == 900)
        #expect(Daemon.backoff(interval: 3600, failures: 5) == 3600)
    }
    /// Counts the connections an intake makes, and on which thread, with what each ends in.
    final class Connections: @unchecked Sendable {
        private let lock = Lock()
        private var threads: [pthread_t] = []
        var failures: [TransportError] = []
        var count: Int { lock.withLock { threads.count } }
        var onOtherThread: Bool { lock.withLock { threads.contains { pthread_equal($0, pthread_self()) == 0 } } }
        func connect(_ mailbox: MemoryMailbox) throws -> MailboxClient {
            try lock.withLock {
                threads.append(pthread_self())
                if !failures.isEmpty { throw failures.removeFirst() }
            }
            return mailbox
        }
        /// Waits up to five seconds for `count` connections.
        func wait(for count: Int) -> Bool {
            for _ in 0..<500 where self.count < count { usleep(10_000) }
            return self.count >= count
        }
    }

    @Test("the first poll's connection is made on another thread while the intake starts, and that poll uses it; each later poll connects for itself, and every connection is logged out once")
    func earlyConnection() throws {
        let mailbox = MemoryMailbox(), submitter = RecordingSubmitter(), connections = Connections()
        for number in 1...3 { mailbox.messages[UInt32(number)] = Self.mail(number) }
        let intake = try Self.intake(mailbox, submitter, connect: { _ in try connections.connect(mailbox) })
        #expect(connections.wait(for: 1), "the intake connects before its first poll")
        #expect(connections.onOtherThread, "not on the thread that made the intake")
        #expect(try intake.poll().inquiries == 3)
        #expect(connections.count == 1, "the first poll used the connection made in advance")
        #expect(mailbox.logouts == 1)
        mailbox.messages[4] = Self.mail(4)
        #expect(try intake.poll().inquiries == 1)
        #expect(connections.count == 2 && mailbox.logouts == 2)
    }

    @Test("a connection made in advance that failed fails the first poll with its error, files nothing, and the next poll connects again")
    func earlyConnectionFails() throws {
        let mailbox = MemoryMailbox(), submitter = RecordingSubmitter(), connections = Connections()
        connections.failures = [TransportError(.connection, "connection refused by imap.example.org")]
        mailbox.messages[1] = Self.mail(1)
        let intake = try Self.intake(mailbox, submitter, connect: { _ in try connections.connect(mailbox) })
        #expect { try intake.poll() } throws: { "\($0)".contains("connection refused by imap.example.org") }
        #expect(try intake.store.sync { try $0.isEmpty() })
        #expect(try intake.poll().inquiries == 1)
        #expect(connections.count == 2 && mailbox.logouts == 1)
    }

    @Test("a cycle reads the inbox and then the sent folder over one connection, logged out before mail is sent; each cycle connects once")
    func oneConnectionPerCycle() throws {
        let mailbox = MemoryMailbox(), submitter = RecordingSubmitter(), connections = Connections()
        for number in 1...2 { mailbox.inbox[UInt32(number)] = Self.mail(number) }
        let intake = try Self.intake(mailbox, submitter, extra: "[imap]\nsent_folder = Sent\n[ack]",
                                     connect: { _ in try connections.connect(mailbox) })
        let logger = Logger(label: "test", level: .error, sink: InMemorySink())
        var logoutsAtSend: [Int] = []
        submitter.onSend = { logoutsAtSend.append(mailbox.logouts) }
        let first = Cycle.run(intake, logger: logger)
        #expect(logoutsAtSend == [1, 1], "the IMAP connection was closed before the acknowledgements went")
        #expect(first.failure == nil && first.poll?.inquiries == 2 && first.delivery?.sent == 2)
        #expect(connections.count == 1 && mailbox.logouts == 1)
        #expect(mailbox.examining, "the sent folder was read over the inbox's connection")
        mailbox.sent[1] = Self.officeAnswerToAna2
        let second = Cycle.run(intake, logger: logger)
        #expect(second.failure == nil && second.answered == 1)
        #expect(connections.count == 2 && mailbox.logouts == 2)
    }

    @Test("an intake released before its first poll logs out the connection it made in advance")
    func earlyConnectionReleased() throws {
        let mailbox = MemoryMailbox(), submitter = RecordingSubmitter(), connections = Connections()
        do {
            _ = try Self.intake(mailbox, submitter, connect: { _ in try connections.connect(mailbox) })
        }
        for _ in 0..<500 where mailbox.logouts == 0 { usleep(10_000) }
        #expect(connections.count == 1 && mailbox.logouts == 1)
    }
}

import Foundation
import Testing
import MailIntakeCore
@testable import MailIntakeDaemon
import MailStore
import MailTransport

/// A mailbox in memory: the intake's rules (the cursor, flags, filing, delivery) run against it
/// and a store on a temporary file, with no server. `skip` holds UIDs it lists but never delivers.
final class MemoryMailbox: MailboxClient {
    var messages: [UInt32: [UInt8]] = [:]
    var flags: [UInt32: Set<String>] = [:]
    var skip: Set<UInt32> = []
    var fetched: [[UInt32]] = []
    var uidValidity: UInt32 = 7

    func select(_ mailbox: String) throws -> MailboxStatus {
        MailboxStatus(uidValidity: uidValidity, uidNext: (messages.keys.max() ?? 0) + 1, exists: messages.count)
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
    func logout() {}
    var ignoredResponses: Int { 0 }
}

/// Records what would be sent; `failure` makes every submission fail with it.
final class RecordingSubmitter: MailSubmitter {
    var sent: [(recipient: String, content: [UInt8])] = []
    var failure: TransportError?
    func send(content: [UInt8], sender: String, recipient: String, handingOver: () throws -> Void) throws(TransportError) -> String {
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
    static func intake(_ mailbox: MemoryMailbox, _ submitter: RecordingSubmitter, extra: String = "") throws -> Intake {
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
                          connector: MailConnector(mailbox: { _ in mailbox }, submitter: { _, _ in submitter }))
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
}

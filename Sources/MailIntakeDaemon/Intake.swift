import FoundationEssentials
import MailIntakeCore
import MailStore
import MailTransport

/// One instance's work: poll the mailbox and file what is new, then deliver the outbox.
/// Not Sendable: the daemon runs it on one serial worker queue; commands run it on the main thread.
public final class Intake {
    /// What one poll did, for the log and for the demo.
    public struct PollReport: Sendable {
        public var inquiries = 0
        public var followUps = 0
        /// The office's replies copied to the mailbox: inquiries answered.
        public var answers = 0
        /// Bounces, delay notices, auto-replies and read receipts of our mail (or unmatched ones).
        public var reports = 0
        public var duplicates = 0
        public var markedOnServer = 0
        public var references: [String] = []
        public var uidValidityChanged = false
        /// Messages on the server not yet filed when the poll ended (0 after a complete poll).
        public var backlog = 0
    }

    /// What one outbox run did.
    public struct OutboxRun: Sendable {
        public var sent = 0
        public var retried = 0
        public var failed = 0
        /// Taken whole by the server and never confirmed: waiting for a person.
        public var unconfirmed = 0
        public var lastError: String?
    }

    public let configuration: Configuration
    /// The database, reached only through its queue.
    public let store: StoreQueue
    public let logger: Logger
    private var filer: Filer
    private let keyword: KeywordClassifier
    private let templates: AckTemplates
    /// The last correction the learned model knows of; a later one makes the next cycle rebuild it.
    private var modelThrough: Int64
    private let stop: StopSignal
    private var smtp: MailSubmitter
    /// How the servers are reached: the network, or memory in the daemon's tests.
    private let connector: MailConnector
    /// The first poll's connection, made while the rest of the intake starts (`EarlyConnection`).
    private var earlyConnection: EarlyConnection?
    /// Called after each message filed and each mail sent: proof of progress for the watchdog.
    public var onProgress: (@Sendable () -> Void)?
    /// The rate limits (`hour`, or a recipient) already reported, so each is logged once a day.
    private var loggedLimits = Set<String>()
    private var limitsLoggedSince = Date()
    /// The hourly cap's pacing has been logged for this episode.
    private var throttleLogged = false
    /// UIDs the server listed and did not deliver, already reported (each is logged once).
    private var reportedMissing = Set<UInt32>()
    /// The last inquiry the erasure journal was checked against (`replayErasures`).
    var erasuresCheckedThrough: Int64 = 0

    /// File messages the server already shows as filed, without acknowledging them (`run --adopt-filed`).
    public let adoptFiled: Bool

    /// The database is empty, yet the mailbox holds messages an earlier mailintake flagged as
    /// filed: the database was lost, emptied (a zero-length file, a deleted `-wal`) or replaced.
    /// Filing on would acknowledge every one of those people a second time, so nothing is done.
    public struct FreshDatabaseRefused: Error, CustomStringConvertible {
        public let databasePath: String
        public let mailbox: String
        public let flagged: Int
        public let keyword: String
        public var description: String {
            "the database \(databasePath) is empty, but \(flagged) message(s) in \(mailbox) are already flagged \(keyword) by an earlier mailintake: the database was lost, emptied or replaced. Restore it from a backup (docs/RELIABILITY.md); or, to file those messages again without acknowledging anyone, run `mailintake run --once --adopt-filed` once"
        }
    }

    public init(configuration: Configuration, logger: Logger, stop: StopSignal = StopSignal(), adoptFiled: Bool = false,
                connector: MailConnector = .network) throws {
        self.adoptFiled = adoptFiled
        self.connector = connector
        self.configuration = configuration
        self.logger = logger
        self.stop = stop
        // Token renewals and their failures go to the service's log.
        TokenSources.shared.logger = logger
        earlyConnection = EarlyConnection(connector, configuration.imap)
        store = try StoreQueue(path: configuration.storePath)
        HealthFile(databasePath: configuration.storePath).prepare()
        let templates = try AckTemplates(directory: configuration.ack.templatesDirectory)
        let vocabulary = try Vocabulary(directory: configuration.classifier.vocabularyDirectory)
        keyword = KeywordClassifier(vocabulary: vocabulary, webFormSenders: configuration.classifier.webFormSenders,
                                    webForm: configuration.classifier.webForm)
        self.templates = templates
        // A model that cannot be read must not stop the intake: the vocabulary classifies alone.
        var model: LearnedModel?
        do {
            model = try LearnedModel.load(path: configuration.classifier.modelPath)
        } catch {
            logger.warning("\(error); classifying with the vocabulary alone until it is rebuilt")
        }
        filer = Filer(configuration: configuration, templates: templates,
                      classifier: LearningClassifier(keyword: keyword, model: model))
        modelThrough = model?.correctionsThrough ?? 0
        smtp = connector.submitter(configuration.smtp, configuration.ack.messageIDDomain)
        // Callers hold the instance lock, so no other process is sending: a row still marked
        // 'sending' was interrupted by a crash.
        let interrupted = try store.sync { try $0.recoverInterruptedSends() }
        if interrupted > 0 {
            logger.warning("\(interrupted) acknowledgement(s) were interrupted while being sent by an earlier run; marked unconfirmed rather than risk sending them twice (`mailintake outbox` lists them)")
        }
        // A database restored from a backup older than an erasure holds that person's data again.
        do {
            for (erasure, references) in try replayErasures(full: true) {
                logger.notice("erasure \(erasure) carried out again on \(references.count) inquiry(ies) (a restored backup held them): \(references.joined(separator: ", "))")
            }
        } catch {
            // Not a reason to stop filing; each cycle tries again (and `status` tells).
            logger.error("could not replay the erasure journal: \(error); fix its permissions (`mailintake replay-erasures` tries by hand)")
        }
    }


    // MARK: learning

    /// Rebuilds the learned model when staff have corrected an inquiry since it was made: from
    /// every correction in the database and the `[classifier] training` folders, written to
    /// `[classifier] model`, and used from the next message on. Returns whether it did.
    @discardableResult
    public func learnIfCorrected() throws -> Bool {
        let (latest, stale) = try store.sync { (try $0.latestCorrection(), try $0.modelStaleSince()) }
        // An erasure or the purge may have removed mail the model learned from (its words are in it).
        guard latest > modelThrough || stale != nil else { return false }
        let settings = configuration.classifier
        let trained = try ModelTraining.train(keyword: keyword, folders: settings.trainingDirectories,
                                              corrections: { [store] in try store.sync { try $0.correctedExamples() } })
        try trained.model.save(path: settings.modelPath)
        filer = Filer(configuration: configuration, templates: templates,
                      classifier: LearningClassifier(keyword: keyword, model: trained.model))
        modelThrough = trained.model.correctionsThrough
        if let stale { try store.sync { try $0.modelRebuilt(staleSince: stale) } }
        logger.notice("learned model rebuilt from \(trained.examples) examples (\(trained.sources.joined(separator: ", ")))", ["model": settings.modelPath])
        return true
    }

    // MARK: polling

    /// A connection to the mailbox server for one cycle's inbox and sent folder (`MailboxVisit`).
    public func visit() -> MailboxVisit {
        MailboxVisit { [self] in
            guard let early = earlyConnection else { return try connector.mailbox(configuration.imap) }
            earlyConnection = nil
            let session = try early.take()
            // The handshake's temporaries were freed into the connecting thread's arena, which
            // nothing else uses yet: their pages go back before the backlog's memory grows.
            MemoryPolicy.trim()
            return session
        }
    }

    /// Files every message not yet filed (oldest first, one batch at a time) and marks them on
    /// the server after each commit, over `visit`'s connection; without one, over a connection
    /// of its own, logged out at the end.
    public func poll(in visit: MailboxVisit? = nil) throws -> PollReport {
        guard let visit else {
            let own = self.visit()
            defer { own.end() }
            return try poll(in: own)
        }
        let imap = configuration.imap
        let mailbox = imap.mailbox
        let session = try visit.client()
        let status = try session.select(mailbox)
        var report = PollReport()
        var cursor = try store.sync { try $0.cursor(mailbox: mailbox) } ?? MailboxCursor(mailbox: mailbox, uidValidity: status.uidValidity, lastUID: 0)
        if cursor.uidValidity != status.uidValidity {
            // The mailbox was recreated: every UID is new. Message-ID and SHA-256 keep what we
            // already have from being filed twice.
            logger.warning("UIDVALIDITY of \(mailbox) changed from \(cursor.uidValidity) to \(status.uidValidity); rescanning the mailbox, duplicates are recognised by content")
            cursor = MailboxCursor(mailbox: mailbox, uidValidity: status.uidValidity, lastUID: 0)
            report.uidValidityChanged = true
        }

        // An empty database next to a mailbox an earlier mailintake flagged: refuse, or adopt.
        var adopt = Set<UInt32>()
        if try adoptFiled || store.sync({ try $0.isEmpty() }) {
            let flagged = try session.uids(withKeyword: imap.keyword)
            if !flagged.isEmpty {
                guard adoptFiled else {
                    throw FreshDatabaseRefused(databasePath: configuration.storePath, mailbox: mailbox, flagged: flagged.count, keyword: imap.keyword)
                }
                adopt = Set(flagged)
                if adoptFiled { logger.notice("adopting \(flagged.count) message(s) already flagged \(imap.keyword): filed without acknowledgements or notifications") }
            }
        }

        // Messages filed in an earlier run whose flags did not reach the server (a crash between COMMIT and STORE).
        let unmarked = try store.sync { try $0.unmarkedUIDs(mailbox: mailbox, uidValidity: status.uidValidity) }
        if !unmarked.isEmpty { report.markedOnServer += try mark(unmarked, uidValidity: status.uidValidity, session: session) }

        // UIDs are 32-bit (RFC 3501 2.3.1.1): after the highest one nothing can follow.
        guard cursor.lastUID < UInt32.max else { return report }
        if let uidNext = status.uidNext, uidNext <= cursor.lastUID + 1 {
            logger.debug("nothing new in \(mailbox)")
            return report
        }
        let listed = try session.uids(from: cursor.lastUID + 1)
        guard !listed.isEmpty else { return report }
        var advance = CursorAdvance(start: cursor.lastUID, listed: listed,
                                    alreadyFiled: try store.sync { try $0.filedUIDs(mailbox: mailbox, uidValidity: status.uidValidity, from: listed[0]) })
        let pending = advance.toFetch
        report.backlog = pending.count
        guard !pending.isEmpty else { return report }
        let limit = imap.maxMessageSize
        let sizes = try session.sizes(from: pending[0])
        let classifier = filer.classifier
        for batch in Self.batches(pending, of: imap.batchSize) {
            let pipeline = FilingPipeline(filer: filer, store: store, mailbox: mailbox, uidValidity: status.uidValidity)
            var fetchError: Error?
            do {
                // Oversize messages are fetched truncated, in UID order with the rest, so the cursor
                // stays exact: one fetch per run of same-sized kind.
                for run in Self.runs(batch, isOversize: { (sizes[$0] ?? 0) > limit }) {
                    try session.fetch(run.uids, prefix: run.oversize ? limit : nil) { fetched in
                        var prepared = Filer.prepare(fetched.raw, classifier: classifier)
                        if run.oversize { prepared.markTruncated(originalSize: sizes[fetched.uid] ?? fetched.raw.count, limit: limit) }
                        prepared.adopted = adopt.contains(fetched.uid)
                        // Submitted in order to a serial queue, so each commit's cursor is the one computed here.
                        try pipeline.submit(prepared, uid: fetched.uid, cursor: advance.filed(fetched.uid), receivedAt: fetched.internalDate)
                        onProgress?()
                        if stop.isRequested { throw StopRequested() }
                    }
                }
            } catch {
                fetchError = error
            }
            // Whatever was read is filed (or its error reported) before anything else happens.
            let (filed, filingError) = pipeline.finish()
            for (uid, outcome) in filed { record(outcome, uid: uid, into: &report) }
            report.backlog -= filed.count
            if fetchError is StopRequested {
                logger.notice("stop requested: finished the messages in hand; the rest waits for the next start")
                return report  // the connection is dropped mid-FETCH; the filed messages are marked on the next start
            }
            if let filingError { throw filingError }
            if let fetchError { throw fetchError }
            report.markedOnServer += try mark(filed.map(\.uid), uidValidity: status.uidValidity, session: session)
        }
        if session.ignoredResponses > 0 {
            logger.warning("the IMAP server sent \(session.ignoredResponses) FETCH answer(s) for messages not asked for; they were ignored (a misbehaving server, or mail smuggling a response line)")
        }
        let missing = Set(advance.missing).intersection(pending)
        if !missing.isEmpty {
            let unseen = missing.subtracting(reportedMissing)
            reportedMissing.formUnion(missing)
            if !unseen.isEmpty {
                logger.warning("the IMAP server listed UID(s) \(UIDSet.format(Array(unseen))) but did not deliver them; the cursor stays before them and they are asked for again at every poll")
            }
        }
        return report
    }

    /// `uids` in order, `size` at a time: one FETCH each.
    static func batches(_ uids: [UInt32], of size: Int) -> [[UInt32]] {
        stride(from: 0, to: uids.count, by: size).map { Array(uids[$0..<min($0 + size, uids.count)]) }
    }

    /// Splits UIDs (ascending) into consecutive runs of normal and oversize messages.
    static func runs(_ uids: [UInt32], isOversize: (UInt32) -> Bool) -> [(uids: [UInt32], oversize: Bool)] {
        var runs: [(uids: [UInt32], oversize: Bool)] = []
        for uid in uids {
            let oversize = isOversize(uid)
            if let last = runs.last, last.oversize == oversize {
                runs[runs.count - 1].uids.append(uid)
            } else {
                runs.append(([uid], oversize))
            }
        }
        return runs
    }

    private func record(_ outcome: Filer.Outcome, uid: UInt32, into report: inout PollReport) {
        switch outcome {
        case let .inquiry(reference, acknowledgement):
            report.inquiries += 1
            report.references.append(reference)
            switch acknowledgement {
            case .queued:
                logger.info("filed new inquiry", ["reference": reference, "uid": "\(uid)", "ack": "queued"])
            case .suppressed(let reason):
                logger.info("filed new inquiry", ["reference": reference, "uid": "\(uid)", "ack": "suppressed", "reason": reason])
            case .held(let reason, let limit):
                logger.info("filed new inquiry", ["reference": reference, "uid": "\(uid)", "ack": "held"])
                // Once per limit, not once per message: a flood must not flood the journal too.
                if Date().timeIntervalSince(limitsLoggedSince) > 86_400 { loggedLimits.removeAll(); limitsLoggedSince = Date() }
                if loggedLimits.insert(limit).inserted {
                    logger.warning("acknowledgements are being held: \(reason); they wait in the outbox (`mailintake outbox`, `mailintake outbox retry REFERENCE`)")
                }
            }
        case let .followUp(reference):
            report.followUps += 1
            logger.info("filed follow-up", ["reference": reference, "uid": "\(uid)"])
        case let .answer(reference):
            report.answers += 1
            logger.info("filed the office's answer (copied to the mailbox); the inquiry is answered", ["reference": reference, "uid": "\(uid)"])
        case let .report(kind, reference):
            report.reports += 1
            if let reference {
                if kind == .bounce {
                    logger.warning("the mail of \(reference) bounced; the desk is told (`mailintake show \(reference)`)", ["uid": "\(uid)"])
                } else {
                    logger.info("filed a \(kind.rawValue.replacing("_", with: " ")) under its inquiry", ["reference": reference, "uid": "\(uid)"])
                }
            } else {
                logger.notice("filed a \(kind.rawValue.replacing("_", with: " ")) that matches no mail of ours as a system message (`mailintake list --system`)", ["uid": "\(uid)"])
            }
        case let .duplicate(original):
            report.duplicates += 1
            logger.info("message seen before; recorded as a duplicate", ["uid": "\(uid)", "original_message": "\(original)"])
        case .alreadyFiled:
            logger.debug("UID \(uid) already filed")
        }
    }

    /// Flags (or moves) filed messages on the server, then records that it did.
    private func mark(_ uids: [UInt32], uidValidity: UInt32, session: MailboxClient) throws -> Int {
        guard !uids.isEmpty else { return 0 }
        let imap = configuration.imap
        switch imap.afterFiling {
        case .keyword: try session.addFlags([imap.keyword], to: uids)
        case .seen: try session.addFlags([imap.keyword, "\\Seen"], to: uids)
        case .move:
            try session.addFlags([imap.keyword], to: uids)
            try session.move(uids, to: imap.moveTo ?? "Filed")
        }
        try store.sync { try $0.markedOnServer(mailbox: imap.mailbox, uidValidity: uidValidity, uids: uids) }
        return uids.count
    }

    // MARK: the sent folder

    /// Reads what is new in `[imap] sent_folder` (EXAMINE: read-only, nothing marked, headers
    /// only) and records every reply there that answers an inquiry (`OfficeReply`). The folder's
    /// cursor moves after each batch; reading a reply twice changes nothing. Returns how many
    /// inquiries became answered. Over `visit`'s connection (the inbox's, in a cycle), or one of
    /// its own.
    @discardableResult
    public func pollSentFolder(in visit: MailboxVisit? = nil) throws -> Int {
        guard let folder = configuration.imap.sentFolder else { return 0 }
        guard let visit else {
            let own = self.visit()
            defer { own.end() }
            return try pollSentFolder(in: own)
        }
        let session = try visit.client()
        let status: MailboxStatus
        do {
            status = try session.examine(folder)
        } catch let error as TransportError where error.kind == .rejected {
            throw TransportError(.configuration, "the server has no folder `\(folder)` to read answers from (\(error.message)); set [imap] sent_folder to the sent folder's name as the server lists it (Sent, Sent Items, [Gmail]/Sent Mail), or remove it")
        }
        let key = "sent:" + folder
        var cursor = try store.sync { try $0.cursor(mailbox: key) } ?? MailboxCursor(mailbox: key, uidValidity: status.uidValidity, lastUID: 0)
        if cursor.uidValidity != status.uidValidity { cursor = MailboxCursor(mailbox: key, uidValidity: status.uidValidity, lastUID: 0) }
        guard cursor.lastUID < UInt32.max else { return 0 }
        if let uidNext = status.uidNext, uidNext <= cursor.lastUID + 1 { return 0 }
        let uids = try session.uids(from: cursor.lastUID + 1)
        var answered = 0
        let prefix = configuration.ack.referencePrefix
        for batch in Self.batches(uids, of: configuration.imap.batchSize) {
            var replies: [(OfficeReply, Date?)] = []
            try session.fetchHeaders(batch) { fetched in
                if let reply = OfficeReply.read(MessageParser.parse(fetched.raw), referencePrefix: prefix) { replies.append((reply, fetched.internalDate)) }
                if stop.isRequested { throw StopRequested() }
            }
            answered += try store.sync { repository in
                try repository.transaction {
                    var count = 0
                    for (reply, internalDate) in replies {
                        if let own = reply.ownMessageID, try repository.isOurMail(messageID: own) { continue }
                        guard let inquiry = try repository.inquiry(threadedBy: reply.keys) else { continue }
                        if try repository.recordAnswer(reply, inquiryID: inquiry.id, via: "in the sent folder", received: internalDate ?? Date()) == true {
                            count += 1
                        }
                    }
                    try repository.saveCursor(MailboxCursor(mailbox: key, uidValidity: status.uidValidity, lastUID: batch.last ?? cursor.lastUID))
                    return count
                }
            }
            onProgress?()
        }
        if answered > 0 { logger.info("\(answered) inquiry(ies) answered from \(folder)") }
        return answered
    }

    // MARK: deadlines

    /// After `[deadlines] digest_at` each day, puts one digest in the outbox for every desk with
    /// inquiries overdue or due soon. The digest's Message-ID names the desk and the day, so
    /// later cycles of the same day add nothing. Returns how many were added.
    @discardableResult
    public func enqueueDigests(now: Date = Date()) throws -> Int {
        let settings = configuration.deadlines
        guard settings.digest, settings.isDigestTime(now) else { return 0 }
        let today = HolidayCalendar.Day(local: now)
        let planner = filer.planner
        return try store.sync { repository in
            try repository.transaction {
                let due = try repository.openInquiries(dueBy: today.adding(days: settings.dueSoon))
                var added = 0
                let byDesk = Dictionary(grouping: due.compactMap { entry in entry.desk.map { (desk: $0.lowercased(), item: entry.item) } }, by: \.desk)
                for (desk, entries) in byDesk.sorted(by: { $0.key < $1.key }) {
                    guard let mail = planner.digest(for: desk, items: entries.map(\.item), today: today, now: now) else { continue }
                    if try repository.enqueueDigest(recipient: mail.to.address, messageID: mail.messageID, content: mail.rendered(), now: now) { added += 1 }
                }
                return added
            }
        }
    }

    // MARK: delivering

    /// Sends every due acknowledgement; what becomes of a failed attempt, and when a round
    /// stops, is `DeliveryRound`'s (the core's) to say: a temporary refusal retries with
    /// exponential backoff, a permanent one fails with the server's reply, a failure of the server
    /// itself ends the round with the mail pending and uncounted, and a message the server took
    /// whole but never confirmed is `unconfirmed`, never sent again by itself.
    public func deliverOutbox(now: Date = Date()) throws -> OutboxRun {
        var report = OutboxRun()
        let from = configuration.smtp.from.address
        var round = DeliveryRound(settings: configuration.ack)
        let window = configuration.ack.rateWindow
        let counted = try store.sync { try $0.acknowledgementsSent(since: now.addingTimeInterval(-window)) }
        round.limitAcknowledgements(sentInWindow: counted.count)
        while !stop.isRequested {
            let due = try store.sync { try $0.dueOutbox(now: now, limit: 50, acknowledgements: round.mayAcknowledge) }
            if due.isEmpty { break }
            var progressed = false
            for entry in due {
                if stop.isRequested { break }
                if entry.kind == .acknowledgement, !round.mayAcknowledge { continue }
                progressed = true
                let reply: String
                do {
                    // `sending` is committed only when every byte is in libcurl's hands and the end
                    // of the data is next: a crash before that leaves the mail pending, sent once after
                    // the restart; only a crash between the final dot and `sent` leaves it unknown.
                    reply = try smtp.send(content: entry.content, sender: from, recipient: entry.recipient) { [store] in
                        try store.sync { try $0.markSending(id: entry.id) }
                    }
                } catch {
                    report.lastError = error.description
                    let attempts = entry.attempts + 1
                    let decision = round.failed(error.deliveryFailure, attempts: attempts, now: now)
                    let kind = entry.kind.rawValue, reference = ["reference": entry.reference]
                    switch decision.action {
                    case .unconfirmed:
                        try store.sync { try $0.markUnconfirmed(id: entry.id, error: error.description, serverReply: error.serverReply) }
                        report.unconfirmed += 1
                        logger.error("\(kind) unconfirmed: \(error)", reference)
                    case .release:
                        try store.sync { try $0.releaseSending(id: entry.id, error: error.description) }
                        report.retried += 1
                    case .retry(let at):
                        try store.sync { try $0.markAttemptFailed(id: entry.id, error: error.description, serverReply: error.serverReply, retryAt: at) }
                        report.retried += 1
                        logger.warning("\(kind) not sent; will retry in \(Int(at.timeIntervalSince(now)))s: \(error)", reference)
                    case .fail:
                        try store.sync {
                            try $0.markAttemptFailed(id: entry.id, error: error.description,
                                                     serverReply: error.serverReply ?? error.replyCode.map(String.init), retryAt: nil)
                        }
                        report.failed += 1
                        logger.error("\(kind) failed for good after \(attempts) attempt(s): \(error)", reference)
                        // Never silently: the desk that has the inquiry hears that its person was not acknowledged.
                        if entry.kind == .acknowledgement {
                            let filer = self.filer
                            try store.sync {
                                try filer.enqueueUndeliveredNotice(for: entry, recipient: entry.recipient, status: nil,
                                                                   diagnostic: PrintableText.safe(error.serverReply ?? error.message, limit: 300),
                                                                   bounced: false, in: $0, now: now)
                            }
                        }
                    }
                    if decision.stopsRound { return report }
                    continue
                }
                try store.sync { try $0.markSent(id: entry.id, serverReply: reply) }
                onProgress?()
                report.sent += 1
                round.sent(acknowledgement: entry.kind == .acknowledgement)
                logger.info("\(entry.kind.rawValue) sent", ["reference": entry.reference, "reply": String(reply.prefix(60))])
            }
            if !progressed { break }
        }
        // Once per episode, not per round: the log says the backlog is being paced, and until when.
        if round.mayAcknowledge {
            throttleLogged = false
        } else if !throttleLogged, case let waiting = try store.sync({ try $0.waitingAcknowledgements() }).count, waiting > 0 {
            throttleLogged = true
            let first = try store.sync { try $0.acknowledgementsSent(since: now.addingTimeInterval(-window)) }.first
            logger.notice("the hourly cap is reached ([ack] max_per_hour = \(configuration.ack.maxPerHour)): \(waiting) acknowledgement(s) wait in the outbox and go out oldest first as the window allows, the next at \(MailDate.iso8601(round.nextAcknowledgementAt(firstInWindow: first, now: now)))")
        }
        return report
    }
}

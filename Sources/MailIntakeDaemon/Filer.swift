import FoundationEssentials
import MailIntakeCore
import MailStore

/// Files one fetched message in a single transaction: the message with its raw bytes, its
/// inquiry (new, or the one it replies to), the acknowledgement in the outbox or the reason
/// none is due, and the mailbox cursor. Either all of it is in the database or none of it is.
public struct Filer {
    /// What became of a message.
    public enum Outcome: Equatable, Sendable {
        case inquiry(reference: String, acknowledgement: Acknowledgement)
        case followUp(reference: String)
        /// The office's reply to the person, copied to the mailbox: the inquiry is answered.
        case answer(reference: String)
        /// A bounce, delay notice, auto-reply or read receipt of our mail, filed under its inquiry
        /// (nil reference: it matched no mail of ours and is kept as a system message).
        case report(kind: DeliveryReport.Kind, reference: String?)
        case duplicate(ofMessage: Int64)
        case alreadyFiled
    }

    public let configuration: Configuration
    public let templates: AckTemplates
    public let classifier: InquiryClassifier
    /// Every decision about the mail a filed message causes; the filer only writes what it plans.
    public let planner: AcknowledgementPlanner

    /// What happened to a new inquiry's acknowledgement (decided by the planner).
    public typealias Acknowledgement = AcknowledgementPlanner.Acknowledgement

    public init(configuration: Configuration, templates: AckTemplates, classifier: InquiryClassifier) {
        self.configuration = configuration
        self.templates = templates
        self.classifier = classifier
        self.planner = AcknowledgementPlanner(configuration: configuration, templates: templates)
    }

    /// A message read and labelled, ready to be filed: the pure half of filing, which needs no
    /// database and so can run while the previous message is being written.
    public struct Prepared: Sendable {
        public let raw: [UInt8]
        public var parsed: ParsedMessage
        /// Whose inquiry it is: the sender, a forward's original author, or a web form's filler.
        public let author: InquiryText
        public let classification: Classification
        /// The size on the server, when only a prefix of the message was fetched.
        public var originalSize: Int?
        /// Filed again into a new database (`run --adopt-filed`): the server shows an earlier
        /// mailintake filed it, so nobody is acknowledged or notified a second time.
        public var adopted = false
        /// What it says about mail we sent, if it is a bounce, delay, auto-reply or read receipt:
        /// read here, off the database's thread, like everything else pure.
        public let report: DeliveryReport?

        /// The attachments' summaries (decoded, hashed) and the words for the search index. Worked
        /// out by `file`, before its transaction: on the database's thread in the FilingPipeline,
        /// where a profile of 2000 messages found time to spare while the reading thread (TLS,
        /// parsing, classifying) set the pace (docs/PERFORMANCE.md).
        func summarised() -> (attachments: [AttachmentSummary], searchDocument: SearchDocument) {
            let attachments = parsed.attachments.enumerated().map { $1.attachmentSummary(position: $0 + 1) }
            let document = SearchDocument(subject: parsed.subject, sender: [author.authorName ?? parsed.fromName, author.authorAddress?.address ?? parsed.from?.address],
                                          organisation: author.organisation, body: author.body, attachments: attachments.map(\.filename))
            return (attachments, document)
        }

        /// Records that only the first `limit` bytes of a larger message were fetched: filed anyway,
        /// flagged for review, never blocking the mailbox.
        public mutating func markTruncated(originalSize: Int, limit: Int) {
            self.originalSize = originalSize
            parsed.problems.append("message of \(originalSize) bytes is larger than [imap] max_message_size (\(limit) bytes); only its first \(raw.count) bytes were kept")
        }
    }

    public static func prepare(_ raw: [UInt8], classifier: InquiryClassifier) -> Prepared {
        let parsed = MessageParser.parse(raw)
        let author = classifier.author(of: parsed)
        return Prepared(raw: raw, parsed: parsed, author: author, classification: classifier.classify(author),
                        originalSize: nil, report: DeliveryReport.read(parsed))
    }

    /// Files `prepared` as message `uid`; `cursor` is where the mailbox cursor stands once it is
    /// filed (see `CursorAdvance`: never past a UID not yet filed).
    /// `repository` is the store as the StoreQueue hands it over: only what filing needs of it.
    /// All of it is one transaction, or with `inOpenTransaction` part of the caller's, which then
    /// undoes the whole of that transaction when this throws (no savepoint of its own: see
    /// FilingPipeline).
    public func file(_ prepared: Prepared, in repository: any FilingStore, mailbox: String, uidValidity: UInt32, uid: UInt32,
                     cursor: UInt32, receivedAt: Date?, now: Date = Date(), inOpenTransaction: Bool = false) throws -> Outcome {
        let raw = prepared.raw, parsed = prepared.parsed, classification = prepared.classification
        // Hashed here rather than in `prepare`: in the FilingPipeline this runs on the database's
        // thread, which balances the reading thread's TLS, parsing and classification.
        let sha256 = SHA256.hex(raw)
        let (attachments, searchDocument) = prepared.summarised()
        let body = MIMEPart.splitHeader(raw[...]).1
        let received = receivedAt ?? now

        func record() throws -> Outcome {
            if try repository.isFiled(mailbox: mailbox, uidValidity: uidValidity, uid: uid) { return .alreadyFiled }
            var message = NewMessage(mailbox: mailbox, uidValidity: uidValidity, uid: uid, messageID: parsed.messageID,
                                     sha256: sha256, raw: raw, size: prepared.originalSize ?? raw.count,
                                     disposition: .inquiry, inquiryID: nil, duplicateOf: nil, problems: parsed.problems)

            if let original = try repository.originalOf(sha256: sha256, messageID: parsed.messageID,
                                                        sameBody: { MIMEPart.splitHeader($0[...]).1.elementsEqual(body) }) {
                message.disposition = .duplicate
                message.duplicateOf = original
                message.raw = nil  // the original holds the same content
                _ = try repository.insertMessage(message)
                try repository.saveCursor(MailboxCursor(mailbox: mailbox, uidValidity: uidValidity, lastUID: cursor))
                return .duplicate(ofMessage: original)
            }

            let letter = AcknowledgementPlanner.Letter(parsed: parsed, author: prepared.author, classification: classification,
                                                       adopted: prepared.adopted)
            if !prepared.adopted, let report = prepared.report,
               let outcome = try fileReport(report, message: message, attachments: attachments, in: repository, now: now) {
                try repository.saveCursor(MailboxCursor(mailbox: mailbox, uidValidity: uidValidity, lastUID: cursor))
                return outcome
            }
            if let (inquiryID, reference) = try repository.inquiry(threadedBy: planner.threadKeys(of: parsed)) {
                message.inquiryID = inquiryID
                let fromStaff = configuration.staff.isStaff(parsed.from?.address)
                // A reply from the office, copied to the mailbox, to the person who wrote: the answer.
                if fromStaff, let reply = OfficeReply.read(parsed, referencePrefix: configuration.ack.referencePrefix),
                   try repository.recordAnswer(reply, inquiryID: inquiryID, via: "copied to the office mailbox", received: received) != nil {
                    message.disposition = .answer
                } else {
                    message.disposition = .followUp
                    // The person wrote again: an answered or closed inquiry is open again, due anew.
                    if !fromStaff {
                        try repository.apply(.followUp, inquiryID: inquiryID, at: received, by: parsed.from?.address, note: nil, via: nil,
                                             interimUntil: nil, deadlines: configuration.deadlines, holidays: configuration.holidays, strict: false)
                    }
                }
                try recordAttachments(attachments, in: repository, messageRowID: try repository.insertMessage(message))
                if message.disposition == .followUp {
                    // New mail from the person to an anonymised inquiry is theirs again to ask for,
                    // erase and expire: the inquiry takes the new author, and no longer counts as anonymised.
                    try repository.reviveIfAnonymised(inquiryID: inquiryID, author: prepared.author.authorAddress?.address ?? parsed.from?.address,
                                                      name: prepared.author.authorName ?? parsed.fromName)
                    try repository.indexFollowUp(inquiryID: inquiryID, searchDocument)
                    // The person who has the inquiry hears of the follow-up too.
                    let staff = try repository.routedTo(inquiryID: inquiryID).flatMap { MailAddress(validating: $0) }
                    if let mail = planner.followUpNotification(letter, reference: reference, staff: staff, received: received, now: now) {
                        try enqueue(.notification, mail, in: repository, inquiryID: inquiryID, now: now)
                    }
                }
                try repository.saveCursor(MailboxCursor(mailbox: mailbox, uidValidity: uidValidity, lastUID: cursor))
                return message.disposition == .answer ? .answer(reference: reference) : .followUp(reference: reference)
            }

            // The office's year, from the C library's local time (Foundation's Calendar would load ICU's time zones for it).
            let year = HolidayCalendar.Day(local: now).year
            let reference = try repository.nextReference(prefix: configuration.ack.referencePrefix, year: year)
            let counts = AcknowledgementPlanner.Counts(
                toRecipientToday: { try repository.acknowledgementCount(to: $0, since: now.addingTimeInterval(-86_400)) })
            let plan = try planner.plan(letter, reference: reference, received: received, now: now, counts: counts)
            let inquiryID = try repository.insertInquiry(NewInquiry(
                reference: reference, receivedAt: received, fromAddress: prepared.author.authorAddress?.address ?? parsed.from?.address,
                fromName: prepared.author.authorName ?? parsed.fromName,
                replyTo: parsed.replyTo?.address, subject: parsed.subject, language: classification.language,
                field: classification.field, secondaryFields: classification.secondaryFields, senderType: classification.senderType,
                legalKind: classification.legalKind, intent: classification.intent, confidence: classification.confidence,
                evidence: classification.evidence, needsReview: plan.needsReview, ackReason: plan.acknowledgement.reason,
                routedTo: plan.staff?.address,
                dueOn: configuration.deadlines.due(received: received, field: classification.field, holidays: configuration.holidays).description))
            message.inquiryID = inquiryID
            try recordAttachments(attachments, in: repository, messageRowID: try repository.insertMessage(message))
            try repository.indexInquiry(id: inquiryID, searchDocument)
            if let mail = plan.acknowledgementMail {
                var held: String?
                if case .held(let reason, _) = plan.acknowledgement { held = reason }
                try enqueue(.acknowledgement, mail, in: repository, inquiryID: inquiryID, heldBecause: held, now: now)
            }
            if let mail = plan.notification { try enqueue(.notification, mail, in: repository, inquiryID: inquiryID, now: now) }
            try repository.saveCursor(MailboxCursor(mailbox: mailbox, uidValidity: uidValidity, lastUID: cursor))
            return .inquiry(reference: reference, acknowledgement: plan.acknowledgement)
        }
        return inOpenTransaction ? try record() : try repository.transaction(record)
    }

    private func enqueue(_ kind: OutboxEntry.Kind, _ mail: OutgoingMail, in repository: any FilingStore, inquiryID: Int64,
                         heldBecause reason: String? = nil, now: Date) throws {
        try repository.enqueue(kind, inquiryID: inquiryID, recipient: mail.to.address, messageID: mail.messageID, content: mail.rendered(),
                               heldBecause: reason, now: now)
    }

    private func recordAttachments(_ summaries: [AttachmentSummary], in repository: any FilingStore, messageRowID: Int64) throws {
        for (offset, summary) in summaries.enumerated() {
            try repository.insertAttachment(messageRowID: messageRowID, position: offset + 1, filename: summary.filename,
                                            contentType: summary.contentType, size: summary.size, sha256: summary.sha256)
        }
    }

    /// Files a report on our own mail under the inquiry it concerns: a bounce marks that mail
    /// bounced and tells the desk once; a delay, an auto-reply or a read receipt is only kept.
    /// None becomes an inquiry, gets a reference or an acknowledgement. Returns nil for an
    /// auto-reply that answers no mail of ours: that is ordinary mail, filed as such.
    private func fileReport(_ report: DeliveryReport, message: NewMessage, attachments: [AttachmentSummary],
                            in repository: any FilingStore, now: Date) throws -> Outcome? {
        var concerned: OutboxEntry?
        for id in report.originalMessageIDs {
            if let entry = try repository.outboxEntry(messageID: id) { concerned = entry; break }
        }
        var inquiryID = concerned?.inquiryID
        var reference = concerned?.reference
        if inquiryID == nil {
            // No Message-ID of ours came back: our reference in the returned subject or the text.
            let prefix = configuration.ack.referencePrefix
            for text in report.searchText {
                if let found = ReferenceNumber.find(in: text, prefix: prefix)?.description, let id = try repository.inquiryID(reference: found) {
                    inquiryID = id
                    reference = found
                    concerned = try repository.acknowledgement(ofInquiry: id)
                    break
                }
            }
        }
        var filed = message
        filed.inquiryID = inquiryID
        switch report.kind {
        case .autoReply:
            guard inquiryID != nil else { return nil }
            filed.disposition = .autoReply
        case .readReceipt: filed.disposition = inquiryID == nil ? .system : .readReceipt
        case .bounce: filed.disposition = inquiryID == nil ? .system : .bounce
        case .delay: filed.disposition = inquiryID == nil ? .system : .delay
        }
        let rowID = try repository.insertMessage(filed)
        try recordAttachments(attachments, in: repository, messageRowID: rowID)
        try repository.recordDeliveryReport(messageRowID: rowID, outboxID: concerned?.id, kind: report.kind.rawValue, status: report.status,
                                            diagnostic: report.diagnostic, recipient: report.recipient, now: now)
        if report.kind == .bounce, let entry = concerned {
            let firstReport = entry.status != "bounced"
            try repository.markBounced(id: entry.id, status: report.status, diagnostic: report.diagnostic)
            // Once per bounced acknowledgement, to the desk that has the inquiry.
            if firstReport, entry.kind == .acknowledgement {
                try enqueueUndeliveredNotice(for: entry, recipient: report.recipient ?? entry.recipient, status: report.status,
                                             diagnostic: report.diagnostic, bounced: true, in: repository, now: now)
            }
        }
        return .report(kind: report.kind, reference: reference)
    }

    /// Tells the desk that has the inquiry that its acknowledgement `entry` bounced (`bounced`)
    /// or that our SMTP server refused it for good, with the telephone number from the person's
    /// own message when it has one. Nobody is told when the inquiry was routed to no one.
    public func enqueueUndeliveredNotice(for entry: OutboxEntry, recipient: String, status: String?, diagnostic: String?, bounced: Bool,
                                         in repository: any FilingStore, now: Date) throws {
        guard let inquiryID = entry.inquiryID else { return }
        let staff = try repository.routedTo(inquiryID: inquiryID).flatMap { MailAddress(validating: $0) }
        let text = try repository.firstMessageRaw(ofInquiry: inquiryID).map { MessageParser.parse($0).text }
        guard let mail = planner.undeliveredNotification(reference: entry.reference, staff: staff, recipient: recipient, status: status,
                                                         diagnostic: diagnostic, bounced: bounced, inquiryText: text,
                                                         inReplyTo: entry.messageID, now: now) else { return }
        try enqueue(.notification, mail, in: repository, inquiryID: inquiryID, now: now)
    }

}

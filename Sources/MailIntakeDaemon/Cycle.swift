import FoundationEssentials
import MailIntakeCore

/// One poll–file–acknowledge cycle: the same steps and the same rules for `run --once` and for
/// the daemon, which only schedules cycles. Learn from corrections made since the last cycle,
/// poll and file, deliver the outbox (a failed poll still lets waiting mail go out), checkpoint
/// the WAL, and record the cycle's health.
public enum Cycle {
    /// What one cycle did.
    public struct Outcome: Sendable {
        public var poll: Intake.PollReport?
        public var delivery: Intake.OutboxRun?
        /// nil when polling worked.
        public var pollError: String?
        /// nil when delivery worked (or had nothing to do). A round that sent something is working
        /// even if one mail was refused: that mail's fate is in the outbox, not the service's state.
        public var deliveryError: String?
        /// The database is empty beside mail already filed: nothing was done, and nothing may be.
        public var refused: Intake.FreshDatabaseRefused?
        /// Inquiries found answered in the sent folder.
        public var answered = 0
        /// Deadline digests put in the outbox.
        public var digests = 0
        /// Inquiries retention anonymised or deleted (the day's purge runs at its first cycle).
        public var purged = 0
        public var finishedAt: Date

        /// Messages filed this cycle.
        public var filed: Int { poll.map { $0.inquiries + $0.followUps + $0.duplicates } ?? 0 }

        /// Which side fails: "IMAP", "SMTP", "IMAP+SMTP", or "" when all worked. The state is the
        /// side, not the error's wording, which changes while a server goes down (reset, then refused).
        public var failingSide: String {
            [pollError.map { _ in "IMAP" }, deliveryError.map { _ in "SMTP" }].compactMap { $0 }.joined(separator: "+")
        }

        /// Both errors in one line, or nil.
        public var failure: String? {
            let summary = [pollError, deliveryError].compactMap { $0 }.joined(separator: "; ")
            return summary.isEmpty ? nil : summary
        }
    }

    public static func run(_ intake: Intake, logger: Logger) -> Outcome {
        let started = Date()
        var outcome = Outcome(finishedAt: started)
        do {
            // Staff's corrections since the last cycle teach the model before new mail is read.
            try intake.learnIfCorrected()
        } catch {
            logger.warning("could not rebuild the learned model: \(error); the previous one stays in use")
        }
        // One connection for the inbox and the sent folder; logged out before mail is sent.
        let mailbox = intake.visit()
        do {
            outcome.poll = try intake.poll(in: mailbox)
        } catch let refused as Intake.FreshDatabaseRefused {
            mailbox.end()
            outcome.refused = refused
            outcome.finishedAt = Date()
            return outcome
        } catch {
            outcome.pollError = "IMAP: \(error)"
        }
        // After every poll, even a failed one: groups it committed before failing count too, and
        // their acknowledgements must not leave before the journal has seen them.
        do {
            for (erasure, references) in try intake.replayErasures(full: false) {
                logger.notice("erasure \(erasure) carried out on \(references.count) inquiry(ies) filed again: \(references.joined(separator: ", "))")
            }
        } catch {
            logger.error("could not check new mail against the erasure journal: \(error); it is checked again next cycle (`mailintake replay-erasures` by hand)")
        }
        if outcome.pollError == nil {
            do {
                outcome.answered = try intake.pollSentFolder(in: mailbox)
            } catch {
                outcome.pollError = "IMAP (sent folder \(intake.configuration.imap.sentFolder ?? "")): \(error)"
            }
        }
        mailbox.end()
        do {
            outcome.digests = try intake.enqueueDigests()
        } catch {
            logger.warning("could not prepare the deadline digests: \(error); they are tried again next cycle")
        }
        do {
            if let purge = try intake.purgeIfDue() {
                outcome.purged = purge.expired.count
                if !purge.expired.isEmpty || !purge.held.isEmpty || purge.systemMessages > 0 {
                    logger.notice("retention: \(purge.expired.filter { $0.action == .anonymise }.count) inquiry(ies) anonymised, \(purge.expired.filter { $0.action == .delete }.count) deleted, \(purge.systemMessages) system message(s) deleted, \(purge.held.count) kept by a legal hold")
                }
            }
        } catch {
            logger.error("retention's purge failed: \(error); it is tried again next cycle (`mailintake purge --dry-run` shows the plan)")
        }
        do {
            let delivery = try intake.deliverOutbox()
            outcome.delivery = delivery
            if let lastError = delivery.lastError, delivery.sent == 0 { outcome.deliveryError = "SMTP: \(lastError)" }
        } catch {
            outcome.deliveryError = "outbox: \(error)"
        }
        outcome.finishedAt = Date()
        intake.store.sync { $0.checkpoint() }
        let record = CycleRecord(finishedAt: outcome.finishedAt, duration: outcome.finishedAt.timeIntervalSince(started),
                                 pollError: outcome.pollError, deliveryError: outcome.deliveryError, backlog: outcome.poll?.backlog)
        intake.store.sync { ServiceHealth.record(record, repository: $0, configuration: intake.configuration, logger: logger) }
        if let path = intake.configuration.reportFile {
            do {
                try ReportFile.write(path, data: try intake.store.sync { try ReportFile.data($0, intake.configuration) })
            } catch {
                logger.warning("could not write the report \(path): \(error); check that the folder exists and the service may write there")
            }
        }
        return outcome
    }
}

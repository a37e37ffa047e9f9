import FoundationEssentials
import MailIntakeCore
import MailStore

/// Retention's purge and the replay of erasures, for `purge` and `replay-erasures` and for the
/// service, which purges once a day and replays at start and after each poll that filed mail.
public enum DataProtection {
    /// What a purge found and did.
    public struct PurgeResult: Sendable {
        /// Expired and not held: what goes (or, in a dry run, would go).
        public var expired: [RetentionDecision]
        /// Expired, but kept by a legal hold.
        public var held: [RetentionDecision]
        /// Gone by the time its transaction ran (reopened, held, erased meanwhile).
        public var skipped: [String] = []
        /// System messages (reports matching no mail of ours) past the default period.
        public var systemMessages = 0
    }

    /// The plan for `today`, and, unless `dryRun`, carried out. A dry run and the real run on the
    /// same day list the same inquiries: both come from `RetentionPlan.decide` on the same rows.
    public static func purge(_ repository: MailRepository, settings: RetentionSettings, by person: String?, dryRun: Bool,
                             now: Date = Date()) throws -> PurgeResult {
        let today = HolidayCalendar.Day(local: now)
        let plan = RetentionPlan.decide(try repository.retentionCandidates(), settings: settings, today: today)
        var result = PurgeResult(expired: plan.expired, held: plan.held)
        // System messages belong to no inquiry: they go after the default period from their filing.
        let cutoff = settings.period(for: "default")?.before(today).localNoon
        if let cutoff { result.systemMessages = try repository.expiredSystemMessages(filedBefore: cutoff) }
        guard !dryRun else { return result }
        if !plan.expired.isEmpty {
            let outcome = try repository.purge(plan.expired, settings: settings, by: person, today: today, now: now)
            result.expired = outcome.done
            result.skipped = outcome.skipped
        }
        if let cutoff, result.systemMessages > 0 {
            result.systemMessages = try repository.deleteSystemMessages(filedBefore: cutoff, by: person, now: now)
            try repository.reclaimSpace()
        }
        return result
    }

    /// The Unix account this process runs as, for the audit trail (`sudo` shows who asked).
    public static func account(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        var account = String(getuid())
        if let entry = getpwuid(getuid()), let login = entry.pointee.pw_name { account = String(cString: login) }
        if getuid() == 0, let sudo = environment["SUDO_USER"], !sudo.isEmpty, sudo != "root" { account = "\(sudo) via sudo" }
        return account
    }
}

extension Intake {
    /// Once a local day (the first cycle of the day): retention's purge, when `[retention]` sets a period.
    func purgeIfDue(now: Date = Date()) throws -> DataProtection.PurgeResult? {
        let settings = configuration.retention
        guard settings.isConfigured else { return nil }
        let today = HolidayCalendar.Day(local: now).description
        return try store.sync { repository -> DataProtection.PurgeResult? in
            guard try repository.state()["retention.last_purge"] != today else { return nil }
            let result = try DataProtection.purge(repository, settings: settings, by: "mailintake service (retention)", dryRun: false, now: now)
            try repository.setState(["retention.last_purge": today], now: now)
            return result
        }
    }

    /// Carries out again the erasures of the journal that this database still holds data of:
    /// all of it at start (a restored backup), the inquiries filed since the last look afterwards.
    func replayErasures(full: Bool) throws -> [(erasure: String, references: [String])] {
        let records = try ErasureJournal(databasePath: configuration.storePath).records()
        guard !records.isEmpty else { return [] }
        return try store.sync { repository in
            let from = full ? 0 : erasuresCheckedThrough
            let replayed = try repository.replayErasures(records, afterInquiry: from, by: "mailintake service (replay)")
            erasuresCheckedThrough = try repository.lastInquiryID()
            return replayed
        }
    }
}

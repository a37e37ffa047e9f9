import FoundationEssentials
import MailIntakeCore
import MailStore

/// What one poll-and-deliver cycle did. Recorded in the database for `mailintake status`, and
/// written as Prometheus metrics for node_exporter's textfile collector.
public struct CycleRecord: Sendable {
    public var finishedAt: Date
    public var duration: TimeInterval
    /// nil when polling worked.
    public var pollError: String?
    public var deliveryError: String?
    /// Messages on the server still to be filed after this poll, when the poll knew.
    public var backlog: Int?

    public init(finishedAt: Date, duration: TimeInterval, pollError: String?, deliveryError: String?, backlog: Int?) {
        self.finishedAt = finishedAt
        self.duration = duration
        self.pollError = pollError
        self.deliveryError = deliveryError
        self.backlog = backlog
    }
}

public enum ServiceHealth {
    /// Stores the cycle in `service_state` and rewrites the metrics file, if one is configured.
    /// A failure here is logged, never fatal: health reporting must not stop the intake.
    public static func record(_ cycle: CycleRecord, repository: MailRepository, configuration: Configuration, logger: Logger) {
        var values = [
            "last_poll_at": MailDate.iso8601(cycle.finishedAt),
            "last_poll_ok": cycle.pollError == nil ? "1" : "0",
            "last_error": cycle.pollError ?? cycle.deliveryError ?? "",
            "poll_duration_seconds": Formatting.decimal(cycle.duration, digits: 3),
            "poll_interval_seconds": String(Int(configuration.imap.pollInterval)),
        ]
        if cycle.pollError == nil { values["last_success_at"] = MailDate.iso8601(cycle.finishedAt) }
        if let backlog = cycle.backlog { values["backlog"] = String(backlog) }
        var health = values
        do {
            // The last success stays what the database last knew, when this cycle did not succeed.
            if health["last_success_at"] == nil, let known = try? repository.state()["last_success_at"] { health["last_success_at"] = known }
            try repository.setState(values, now: cycle.finishedAt)
            health["recorded_in_database"] = "1"
            HealthFile(databasePath: configuration.storePath).write(health)
            if let path = configuration.metricsFile {
                try writeAtomically(metrics(state: try repository.state(), totals: try repository.totals(),
                                            tokens: OAuth2Health.check(configuration, now: cycle.finishedAt),
                                            waiting: try repository.waitingAcknowledgements(),
                                            deadlines: try deadlines(repository, configuration, now: cycle.finishedAt), now: cycle.finishedAt), to: path)
            }
        } catch {
            // The database refused (full, read-only): the health file, overwritten in place, still says why.
            if health["recorded_in_database"] == nil {
                health["last_error"] = (health["last_error"].map { $0.isEmpty ? "" : $0 + "; " } ?? "") + "recording the cycle: \(error)"
                HealthFile(databasePath: configuration.storePath).write(health)
            }
            logger.warning("could not record the service's health: \(error); check the database and [metrics] file")
        }
    }

    /// The Prometheus text exposition format.
    static func metrics(state: [String: String], totals: (messages: Int, inquiries: Int, followUps: Int, duplicates: Int, suppressed: Int,
                                                           outbox: [String: [String: Int]], dispositions: [String: Int]), tokens: [TokenHealth] = [],
                        waiting: (count: Int, oldest: Date?) = (0, nil), deadlines: Deadlines = Deadlines(), now: Date = Date()) -> String {
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for sample in samples { lines.append("\(name)\(sample.labels) \(sample.value)") }
        }
        func seconds(_ key: String) -> String {
            state[key].flatMap(MailDate.parseISO8601).map { String(Int($0.timeIntervalSince1970)) } ?? "0"
        }
        metric("mailintake_messages_filed_total", "counter", "Messages filed in the database.", [("", String(totals.messages))])
        metric("mailintake_inquiries_total", "counter", "Inquiries filed (new, not follow-ups or duplicates).", [("", String(totals.inquiries))])
        metric("mailintake_follow_ups_total", "counter", "Messages filed as follow-ups of an inquiry.", [("", String(totals.followUps))])
        metric("mailintake_duplicates_total", "counter", "Messages recognised as duplicates.", [("", String(totals.duplicates))])
        let acks = totals.outbox["acknowledgement"] ?? [:]
        metric("mailintake_acknowledgements_total", "counter", "Acknowledgements by outcome.", [
            ("{status=\"sent\"}", String(acks["sent"] ?? 0)), ("{status=\"failed\"}", String(acks["failed"] ?? 0)),
            ("{status=\"held\"}", String(acks["held"] ?? 0)), ("{status=\"pending\"}", String((acks["pending"] ?? 0) + (acks["sending"] ?? 0))),
            ("{status=\"unconfirmed\"}", String(acks["unconfirmed"] ?? 0)), ("{status=\"bounced\"}", String(acks["bounced"] ?? 0)),
            ("{status=\"suppressed\"}", String(totals.suppressed)),
        ])
        let notes = totals.outbox["notification"] ?? [:]
        metric("mailintake_notifications_total", "counter", "Staff notifications by outcome.", [
            ("{status=\"sent\"}", String(notes["sent"] ?? 0)), ("{status=\"failed\"}", String(notes["failed"] ?? 0)),
            ("{status=\"pending\"}", String((notes["pending"] ?? 0) + (notes["sending"] ?? 0))),
        ])
        metric("mailintake_reports_total", "counter", "Reports on our own mail filed under their inquiry, and unmatched ones (system).",
               ["bounce", "delay", "auto_reply", "read_receipt", "system"].map { ("{kind=\"\($0)\"}", String(totals.dispositions[$0] ?? 0)) })
        metric("mailintake_poll_duration_seconds", "gauge", "Duration of the last poll-and-deliver cycle.", [("", state["poll_duration_seconds"] ?? "0")])
        metric("mailintake_last_poll_timestamp_seconds", "gauge", "When the last cycle ended (Unix time).", [("", seconds("last_poll_at"))])
        metric("mailintake_last_success_timestamp_seconds", "gauge", "When polling last succeeded (Unix time).", [("", seconds("last_success_at"))])
        metric("mailintake_last_poll_ok", "gauge", "1 if the last poll succeeded.", [("", state["last_poll_ok"] ?? "0")])
        metric("mailintake_backlog_messages", "gauge", "Messages on the server still to be filed after the last poll.", [("", state["backlog"] ?? "0")])
        metric("mailintake_acknowledgements_waiting", "gauge", "Acknowledgements pending in the outbox (paced by the hourly cap, or retrying).", [("", String(waiting.count))])
        metric("mailintake_acknowledgement_oldest_wait_seconds", "gauge", "How long the oldest pending acknowledgement has waited (0 when none).",
               [("", String(Int(waiting.oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0)))])
        metric("mailintake_acknowledgements_held", "gauge", "Acknowledgements held for staff (per-sender limit, or too old an inquiry).", [("", String(acks["held"] ?? 0))])
        metric("mailintake_inquiries", "gauge", "Inquiries by status (open, answered, closed).",
               InquiryStatus.allCases.map { ("{status=\"\($0.rawValue)\"}", String(deadlines.byStatus[$0.rawValue] ?? 0)) })
        metric("mailintake_inquiries_overdue", "gauge", "Open inquiries whose answer is overdue (due before today).", [("", String(deadlines.overdue))])
        metric("mailintake_inquiries_due_soon", "gauge", "Open inquiries due today or within [deadlines] due_soon days.", [("", String(deadlines.dueSoon))])
        let digests = totals.outbox["digest"] ?? [:]
        metric("mailintake_digests_total", "counter", "Deadline digests to the desks by outcome.", [
            ("{status=\"sent\"}", String(digests["sent"] ?? 0)), ("{status=\"failed\"}", String(digests["failed"] ?? 0)),
            ("{status=\"pending\"}", String((digests["pending"] ?? 0) + (digests["sending"] ?? 0))),
        ])
        if !tokens.isEmpty {
            let labels = { (health: TokenHealth) in "{side=\"\(health.side)\"}" }
            metric("mailintake_oauth2_ok", "gauge", "1 when the side's OAuth2 tokens are usable and no token request is failing.",
                   tokens.map { (labels($0), $0.ok ? "1" : "0") })
            metric("mailintake_oauth2_access_token_expiry_timestamp_seconds", "gauge", "When the access token in hand expires (Unix time; 0 when none).",
                   tokens.map { (labels($0), String(Int($0.accessTokenExpiresAt?.timeIntervalSince1970 ?? 0))) })
            metric("mailintake_oauth2_refresh_token_age_seconds", "gauge", "Age of the refresh token in hand (absent with client_credentials).",
                   tokens.compactMap { health in health.refreshTokenAge.map { (labels(health), String(Int($0))) } })
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Write to a temporary file in the same folder, then rename: a reader sees the old file or
    /// the new one, never half of one.
    static func writeAtomically(_ text: String, to path: String, mode: Int = 0o644) throws {
        let temporary = path + ".tmp.\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw FileWriteFailure(path: temporary, reason: String(cString: strerror(errno)))
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw FileWriteFailure(path: path, reason: reason)
        }
    }

    /// A file the service could not write, and the system's reason (the folder's permissions, a full disk).
    struct FileWriteFailure: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "cannot write \(path) (\(reason)); check that the folder exists and the service may write to it" }
    }

    /// The inquiries' answers as `status` and the metrics count them.
    public struct Deadlines: Sendable {
        public var byStatus: [String: Int] = [:]
        public var overdue = 0
        public var dueSoon = 0
        public var oldestDue: String?
        public var dueSoonDays = 3
        public init() {}
    }

    /// `status`'s retention line; a problem when the service polls but its daily purge has not
    /// run for two days (it failed: the log says why).
    public static func retention(_ settings: RetentionSettings, lastPurge: String?, held: Int, anonymised: Int, servicePolling: Bool,
                                 now: Date) -> (line: String, problems: [String]) {
        let counts = "\(held) under a legal hold, \(anonymised) anonymised"
        guard let period = settings.periods["default"].map(\.description) ?? (settings.isConfigured ? "per field" : nil) else {
            return ("retention:        not configured: kept for good ([retention] default = 10y sets the plan's period); \(counts)", [])
        }
        let today = HolidayCalendar.Day(local: now)
        let line = "retention:        \(period), then \(settings.expiry(for: "default").rawValue); last purge \(lastPurge ?? "never"); \(counts)"
        guard servicePolling, let last = lastPurge.flatMap(HolidayCalendar.Day.init(iso:)) ?? Optional(today.adding(days: -3)), last.days(to: today) >= 2 else {
            return (line, [])
        }
        return (line, ["retention's daily purge has not run since \(lastPurge ?? "the service started"); the service log says why (`mailintake purge --dry-run` shows the plan)"])
    }

    public static func deadlines(_ repository: MailRepository, _ configuration: Configuration, now: Date) throws -> Deadlines {
        var result = Deadlines()
        let counts = try repository.deadlineCounts(today: HolidayCalendar.Day(local: now), soon: configuration.deadlines.dueSoon)
        result.byStatus = try repository.statusCounts()
        result.overdue = counts.overdue
        result.dueSoon = counts.dueSoon
        result.oldestDue = counts.oldestDue
        result.dueSoonDays = configuration.deadlines.dueSoon
        return result
    }

    /// What `mailintake status` reports: a line per fact and the problems that make it exit non-zero.
    public struct Report: Sendable {
        public var lines: [String]
        public var problems: [String]
    }

    /// Polling is stale when it last succeeded more than three poll intervals ago (at least five
    /// minutes: the daemon backs off while a server is down). Acknowledgements are failing when
    /// one failed for good in the last day or one has been retried three times.
    public static func evaluate(state: [String: String], outbox: [String: Int], failingAcknowledgements: Int,
                                waiting: (count: Int, oldest: Date?) = (0, nil), longWait: TimeInterval = 7200,
                                deadlines: Deadlines? = nil, pollInterval: TimeInterval, now: Date) -> Report {
        var lines: [String] = []
        var problems: [String] = []
        let lastPoll = state["last_poll_at"].flatMap(MailDate.parseISO8601)
        let lastSuccess = state["last_success_at"].flatMap(MailDate.parseISO8601)
        func ago(_ date: Date?) -> String {
            guard let date else { return "never" }
            let seconds = Int(now.timeIntervalSince(date))
            let span = seconds < 120 ? "\(seconds)s" : seconds < 7200 ? "\(seconds / 60)m" : "\(seconds / 3600)h"
            return "\(MailDate.iso8601(date)) (\(span) ago)"
        }
        lines.append("last poll:        \(ago(lastPoll))\(state["last_poll_ok"] == "0" ? " — failed" : "")")
        lines.append("last success:     \(ago(lastSuccess))")
        lines.append("messages waiting: \(state["backlog"] ?? "unknown") on the server, not yet filed")
        lines.append("outbox:           \(outbox["pending", default: 0]) pending, \(outbox["held", default: 0]) held, \(outbox["failed", default: 0]) failed, \(outbox["unconfirmed", default: 0]) unconfirmed")
        if waiting.count > 0, let oldest = waiting.oldest {
            lines.append("acks waiting:     \(waiting.count), the oldest since \(ago(oldest)) (paced by the hourly cap, oldest first, or waiting for a retry)")
            if now.timeIntervalSince(oldest) > longWait {
                problems.append("\(waiting.count) acknowledgement(s) waiting, the oldest for \(Int(now.timeIntervalSince(oldest) / 60)) minutes (more than \(Int(longWait / 60))): the SMTP server may be refusing them, or [ack] max_per_hour is too low for the mail coming in; `mailintake outbox` shows them")
            }
        }
        if let held = outbox["held"], held > 0 {
            problems.append("\(held) acknowledgement(s) held for staff (over max_per_sender_per_day, or received more than max_age before they were filed): `mailintake outbox` says why, `mailintake outbox retry REFERENCE` sends one")
        }
        if let deadlines {
            // The office's lateness, not the service's: a line, never a reason to exit 1.
            lines.append("inquiries:        \(deadlines.byStatus["open", default: 0]) open, \(deadlines.byStatus["answered", default: 0]) answered, \(deadlines.byStatus["closed", default: 0]) closed")
            lines.append("answers due:      \(deadlines.overdue) overdue\(deadlines.oldestDue.map { " (the oldest due \($0))" } ?? ""), \(deadlines.dueSoon) due within \(deadlines.dueSoonDays) days (`mailintake list --overdue`)")
        }
        let error = state["last_error"] ?? ""
        lines.append("last error:       \(error.isEmpty ? "none" : error)")
        let staleAfter = max(3 * pollInterval, 300)
        if let lastSuccess {
            if now.timeIntervalSince(lastSuccess) > staleAfter {
                problems.append("polling is stale: no successful poll for \(Int(now.timeIntervalSince(lastSuccess)))s (more than \(Int(staleAfter))s)")
            }
        } else {
            problems.append("polling has never succeeded")
        }
        if let unconfirmed = outbox["unconfirmed"], unconfirmed > 0 {
            problems.append("\(unconfirmed) mail(s) unconfirmed: handed to the SMTP server whole (or interrupted while being sent) with no answer, so they may or may not have arrived; check the server's log, then `mailintake outbox retry REFERENCE` for any that never did")
        }
        if failingAcknowledgements > 0 {
            problems.append("\(failingAcknowledgements) acknowledgement(s) failing; `mailintake outbox` shows why")
        }
        return Report(lines: lines, problems: problems)
    }
}

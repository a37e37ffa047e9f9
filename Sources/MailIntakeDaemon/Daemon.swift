import Dispatch
import FoundationEssentials
import MailIntakeCore

/// The long-running service, on Dispatch:
///
/// - a serial worker queue runs every blocking thing (libcurl, SQLite): one poll-and-deliver
///   cycle at a time, each scheduled when the previous one ends — after the poll interval with a
///   little jitter, or, while the IMAP server fails, after a backoff that doubles up to
///   `maximumBackoff`;
/// - signal sources on the main queue: SIGTERM/SIGINT stop after the message in hand, within a
///   deadline; SIGHUP reloads the configuration on the worker queue (between cycles), keeping the
///   old one if the new one is invalid;
/// - systemd's notification protocol (`SystemdNotifier`): READY once the configuration is loaded,
///   the database open and the lock held (a mail server that is down does not hold up the start:
///   it shows in STATUS), STATUS after each cycle, WATCHDOG pings while the worker makes progress,
///   RELOADING and STOPPING.
///
/// State changes are logged once (the first failure, the recovery), not on every retry.
///
/// `@unchecked Sendable`: the mutable state is confined — the intake, the logger and the failure
/// counters to the worker queue, the signal and watchdog sources to the main queue — and
/// `Progress`, the one thing both read, has its own lock.
public final class Daemon: @unchecked Sendable {
    private var intake: Intake
    private var logger: Logger
    /// The logger of the signal handlers on the main queue (`logger` belongs to the worker).
    private let signalLogger: Logger
    private let stop: StopSignal
    private let notifier: SystemdNotifier
    private let reloadConfiguration: () throws -> Configuration
    private let worker = DispatchQueue(label: "mailintake.worker")
    private var signalSources: [DispatchSourceSignal] = []
    private var watchdogTimer: DispatchSourceTimer?
    private let progress = Progress()
    // Worker-queue state.
    /// The failing side of the last cycle ("IMAP", "SMTP", "IMAP+SMTP"), nil when all worked.
    private var lastFailure: String?
    private var consecutivePollFailures = 0
    private var failingSince: Date?

    /// How long a stop may take before we exit anyway (the message in hand is in a transaction,
    /// so an exit mid-way loses nothing; it only skips the graceful logout).
    public var shutdownDeadline: TimeInterval = 30
    /// The longest wait between polls while the IMAP server keeps failing.
    public static let maximumBackoff: TimeInterval = 900

    /// `reloadConfiguration` reads the configuration file again (on SIGHUP).
    /// Held until the very end of a shutdown.
    private let lock: InstanceLock?

    public init(intake: Intake, logger: Logger, stop: StopSignal, notifier: SystemdNotifier = SystemdNotifier(), lock: InstanceLock? = nil,
                reloadConfiguration: @escaping () throws -> Configuration) {
        self.lock = lock
        self.intake = intake
        self.logger = logger
        self.signalLogger = logger
        self.stop = stop
        self.notifier = notifier
        self.reloadConfiguration = reloadConfiguration
    }

    /// Starts the signal sources, the watchdog and the first cycle, then parks the main thread in `dispatchMain()`.
    public func run() -> Never {
        // Signal sources first, before anything that could receive a signal.
        for signalNumber in [SIGTERM, SIGINT, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .main)
            source.setEventHandler { [unowned self] in
                if signalNumber == SIGHUP { self.worker.async { self.reload() } } else { self.beginShutdown(signal: signalNumber) }
            }
            source.resume()
            signalSources.append(source)
        }
        startWatchdog()
        let configuration = intake.configuration
        intake.onProgress = { [progress] in progress.beat() }
        logger.notice("mailintake started", ["mailbox": configuration.imap.mailbox, "poll_interval": "\(Int(configuration.imap.pollInterval))s"])
        notifier.ready(status: "started; first poll of \(configuration.imap.mailbox) now")
        worker.async { [self] in cycle() }
        dispatchMain()
    }

    // MARK: cycles

    /// One poll-file-acknowledge cycle, then the next one is scheduled.
    private func cycle() {
        guard !stop.isRequested else { return }
        progress.begin()
        defer { progress.end() }
        let outcome = Cycle.run(intake, logger: logger)
        if let refused = outcome.refused {
            // Not a failure to retry: running on would acknowledge everyone again. The unit's
            // RestartPreventExitStatus=2 keeps systemd from starting it over.
            logger.error("refusing to run: \(refused)")
            notifier.status("refused to run: empty database beside mail already filed; see the journal")
            intake.store.close()
            exit(2)
        }
        if let poll = outcome.poll, outcome.filed > 0 {
            logger.info("poll filed \(poll.inquiries) inquiries, \(poll.followUps) follow-ups, \(poll.duplicates) duplicates")
        }
        let now = outcome.finishedAt
        let failure = outcome.failure
        let state = outcome.failingSide
        if state != lastFailure ?? "" {
            if let failure {
                logger.error("cycle failed: \(failure); retrying with backoff, logged again only when this changes")
                failingSince = failingSince ?? now
            } else {
                logger.notice("recovered: polling and delivery work again")
                failingSince = nil
            }
            lastFailure = state.isEmpty ? nil : state
        } else if let failure {
            logger.debug("still failing: \(failure)")
        }
        // A backlog's messages were freed, but the allocator keeps their pages for the next
        // burst: between polls that is memory the idle service holds for nothing.
        MemoryPolicy.trim()
        // Only an IMAP failure slows polling; the outbox has its own backoff per mail.
        consecutivePollFailures = outcome.pollError == nil ? 0 : consecutivePollFailures + 1
        let delay = nextDelay()
        notifier.status(statusLine(now: now, filed: outcome.filed, failure: failure, nextIn: delay))
        guard !stop.isRequested else { return }
        worker.asyncAfter(deadline: .now() + delay) { [self] in cycle() }
    }

    /// The poll interval with up to 10 % jitter (instances restarted together do not poll in
    /// lockstep), doubled for each consecutive IMAP failure up to `maximumBackoff`.
    private func nextDelay() -> TimeInterval {
        let base = Self.backoff(interval: intake.configuration.imap.pollInterval, failures: consecutivePollFailures)
        return base + Double.random(in: 0...(base / 10))
    }

    /// The wait before the next poll, without jitter: the interval, doubled for each consecutive
    /// IMAP failure, up to `maximumBackoff` (or the interval, when that is longer).
    static func backoff(interval: TimeInterval, failures: Int) -> TimeInterval {
        guard failures > 0 else { return interval }
        return min(max(interval, maximumBackoff), interval * pow(2, Double(min(failures, 16))))
    }

    private func statusLine(now: Date, filed: Int, failure: String?, nextIn delay: TimeInterval) -> String {
        let counts = (try? intake.store.sync { try $0.outboxCounts() }) ?? [:]
        let outbox = "outbox \(counts["pending", default: 0]) pending, \(counts["failed", default: 0]) failed"
        let next = "next poll in \(Int(delay))s"
        if let failure {
            return "failing since \(MailDate.iso8601(failingSince ?? now)): \(failure.prefix(80)); \(next); \(outbox)"
        }
        return "last poll \(MailDate.iso8601(now)): \(filed) message(s) filed; \(outbox); \(next)"
    }

    // MARK: reload

    /// Reads the configuration again and builds a new intake from it. An invalid configuration
    /// (or one that moves the database, which the instance lock is for) is rejected with its
    /// error and the old one stays in force.
    private func reload() {
        guard !stop.isRequested else { return }
        notifier.reloading()
        logger.notice("SIGHUP: reloading the configuration")
        do {
            let configuration = try reloadConfiguration()
            guard configuration.storePath == intake.configuration.storePath else {
                throw ReloadRejected(reason: "[store] path changed from \(intake.configuration.storePath) to \(configuration.storePath); a new database needs a restart")
            }
            let newLogger = Logger(label: "mailintake", level: configuration.logLevel)
            let fresh = try Intake(configuration: configuration, logger: newLogger, stop: stop)
            fresh.onProgress = { [progress] in progress.beat() }
            intake = fresh
            logger = newLogger
            logger.notice("configuration reloaded", ["poll_interval": "\(Int(configuration.imap.pollInterval))s"])
            notifier.ready(status: "configuration reloaded")
        } catch {
            logger.error("reload rejected, the previous configuration stays in force: \(error)")
            notifier.ready(status: "reload rejected (\(String(describing: error).prefix(100))); previous configuration in force")
        }
    }

    struct ReloadRejected: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    // MARK: watchdog

    /// Pings systemd's watchdog at half its interval, but only while the worker is alive: idle
    /// between cycles, or busy and still making progress. A worker stuck beyond the watchdog
    /// interval (every libcurl call has a timeout well below it) stops the pings, and systemd
    /// restarts the service.
    private func startWatchdog() {
        guard let interval = notifier.watchdogInterval else { return }
        let timer = DispatchSource.makeTimerSource(queue: .main)
        timer.schedule(deadline: .now(), repeating: interval)
        timer.setEventHandler { [progress, notifier] in
            if progress.isAlive(within: interval * 2) { notifier.watchdog() }
        }
        timer.resume()
        watchdogTimer = timer
    }

    /// Whether the worker is in a cycle, and when it last showed progress. Written by the worker,
    /// read by the watchdog on the main queue.
    final class Progress: @unchecked Sendable {
        // @unchecked: all state is guarded by the lock.
        private let lock = Lock()
        private var busy = false
        private var last = Date()

        func begin() { lock.lock(); busy = true; last = Date(); lock.unlock() }
        func end() { lock.lock(); busy = false; last = Date(); lock.unlock() }
        func beat() { lock.lock(); last = Date(); lock.unlock() }

        func isAlive(within limit: TimeInterval) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            return !busy || Date().timeIntervalSince(last) < limit
        }
    }

    // MARK: stop

    private func beginShutdown(signal signalNumber: Int32) {
        guard !stop.isRequested else { return }
        let logger = signalLogger
        logger.notice("received \(signalNumber == SIGTERM ? "SIGTERM" : "SIGINT"); stopping after the message in hand")
        notifier.stopping()
        stop.request()
        let deadline = shutdownDeadline
        DispatchQueue.main.asyncAfter(deadline: .now() + deadline) { [logger] in
            logger.error("stop took longer than \(Int(deadline))s; exiting now (nothing is lost: unfinished work was not committed)")
            exit(1)
        }
        // The worker queue is serial: this runs once the current cycle has returned.
        // In reverse order of start-up: the worker finishes its cycle (the queue is serial, so
        // this runs after it; its IMAP session is logged out and released as the cycle returns),
        // then the database is checkpointed and closed, then the lock is given up.
        worker.async { [self, logger] in
            intake.store.close()
            lock?.release()
            logger.notice("stopped")
            exit(0)
        }
    }
}

import Dispatch
import Foundation
import MailIntakeCore

/// The long-running service: a poll timer (with a little jitter) on a serial worker queue, and
/// SIGTERM/SIGINT sources on the main queue that stop it gracefully. Blocking libcurl and SQLite
/// calls run only on the worker queue, never on the main one.
public final class Daemon {
    private let intake: Intake
    private let logger: Logger
    private let stop: StopSignal
    private let worker = DispatchQueue(label: "mailintake.worker")
    private var timer: DispatchSourceTimer?
    private var signalSources: [DispatchSourceSignal] = []
    private var lastFailure: String?
    /// How long a stop may take before we exit anyway (the message in hand is in a transaction,
    /// so an exit mid-way loses nothing; it only skips the graceful logout).
    public var shutdownDeadline: TimeInterval = 30

    public init(intake: Intake, logger: Logger, stop: StopSignal) {
        self.intake = intake
        self.logger = logger
        self.stop = stop
    }

    /// Starts the timer and the signal sources, then parks the main thread in `dispatchMain()`.
    public func run() -> Never {
        // Signal sources first, before anything that could receive a signal.
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .main)
            source.setEventHandler { [unowned self] in self.beginShutdown(signal: signalNumber) }
            source.resume()
            signalSources.append(source)
        }
        let interval = intake.configuration.imap.pollInterval
        let timer = DispatchSource.makeTimerSource(queue: worker)
        timer.schedule(deadline: .now(), repeating: interval, leeway: .milliseconds(Int(min(interval * 100, 5000))))
        timer.setEventHandler { [unowned self] in
            // Jitter: many instances restarted together should not poll in lockstep.
            let jitter = Double.random(in: 0...min(1.0, interval / 10))
            if jitter > 0 { Thread.sleep(forTimeInterval: jitter) }
            self.cycle()
        }
        self.timer = timer
        logger.notice("mailintake started", ["mailbox": intake.configuration.imap.mailbox, "poll_interval": "\(Int(interval))s"])
        timer.resume()
        dispatchMain()
    }

    /// One poll-file-acknowledge cycle. Errors are logged once per change of state, not on every retry.
    private func cycle() {
        guard !stop.isRequested else { return }
        var failures: [String] = []
        do {
            let report = try intake.poll()
            if report.inquiries + report.followUps + report.duplicates > 0 {
                logger.info("poll filed \(report.inquiries) inquiries, \(report.followUps) follow-ups, \(report.duplicates) duplicates")
            }
        } catch {
            failures.append("IMAP: \(error)")
        }
        do {
            let delivery = try intake.deliverOutbox()
            if let lastError = delivery.lastError, delivery.sent == 0 { failures.append("SMTP: \(lastError)") }
        } catch {
            failures.append("outbox: \(error)")
        }
        let summary = failures.isEmpty ? nil : failures.joined(separator: "; ")
        if summary != lastFailure {
            if let summary { logger.error("cycle failed: \(summary); retrying every poll interval") } else if lastFailure != nil { logger.notice("recovered: polling and delivery work again") }
            lastFailure = summary
        }
    }

    private func beginShutdown(signal signalNumber: Int32) {
        guard !stop.isRequested else { return }
        logger.notice("received \(signalNumber == SIGTERM ? "SIGTERM" : "SIGINT"); stopping after the message in hand")
        stop.request()
        timer?.cancel()
        let deadline = shutdownDeadline
        DispatchQueue.main.asyncAfter(deadline: .now() + deadline) { [logger] in
            logger.error("stop took longer than \(Int(deadline))s; exiting now (nothing is lost: unfinished work was not committed)")
            exit(1)
        }
        // The worker queue is serial: this runs once the current cycle has returned.
        worker.async { [logger] in
            logger.notice("stopped")
            exit(0)
        }
    }
}

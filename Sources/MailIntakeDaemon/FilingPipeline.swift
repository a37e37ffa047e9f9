import Dispatch
import Foundation
import MailIntakeCore
import MailStore

/// Overlaps the two halves of filing: the caller reads and prepares message N+1 (receive, parse,
/// hash, classify) while a serial queue writes message N to SQLite. At most `window` prepared
/// messages wait, so memory stays bounded however large the backlog. Order is kept: the queue is
/// serial, so the cursor only ever moves forward one filed UID at a time.
///
/// Measured on 2000 messages (docs/PERFORMANCE.md): about 2.0 s → 1.65 s for the ingest, since
/// SQLite's writes no longer wait for the parser, nor the parser for SQLite.
final class FilingPipeline: @unchecked Sendable {
    // @unchecked: the database is reached only through the StoreQueue, on its serial queue;
    // `failure` and `filed` are guarded by `lock`.
    private let filer: Filer
    private let store: StoreQueue
    private let window: DispatchSemaphore
    private let lock = NSLock()
    private var failure: Error?
    private var filed: [(uid: UInt32, outcome: Filer.Outcome)] = []
    private let mailbox: String
    private let uidValidity: UInt32

    init(filer: Filer, store: StoreQueue, mailbox: String, uidValidity: UInt32, window: Int = 8) {
        self.filer = filer
        self.store = store
        self.mailbox = mailbox
        self.uidValidity = uidValidity
        self.window = DispatchSemaphore(value: window)
    }

    /// Queues one prepared message for filing; throws the first filing error, so the caller stops reading.
    func submit(_ prepared: Filer.Prepared, uid: UInt32, cursor: UInt32, receivedAt: Date?) throws {
        if let failure = currentFailure { throw failure }
        window.wait()
        store.async { [self] repository in
            defer { window.signal() }
            guard currentFailure == nil else { return }  // after a failure nothing more is filed, so the cursor stays exact
            do {
                let outcome = try filer.file(prepared, in: repository, mailbox: mailbox, uidValidity: uidValidity, uid: uid, cursor: cursor,
                                             receivedAt: receivedAt)
                lock.withLock { filed.append((uid, outcome)) }
            } catch {
                lock.withLock { if failure == nil { failure = error } }
            }
        }
    }

    /// Waits until everything submitted is filed; returns what was filed, in order, then throws the first error, if any.
    func finish() -> (filed: [(uid: UInt32, outcome: Filer.Outcome)], failure: Error?) {
        store.sync { _ in }
        return lock.withLock { (filed, failure) }
    }

    private var currentFailure: Error? { lock.withLock { failure } }
}

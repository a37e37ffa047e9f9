import Dispatch
import FoundationEssentials
import MailIntakeCore
import MailStore

/// Overlaps the two halves of filing: the caller reads and prepares the next messages (receive,
/// parse, classify) while a serial queue writes the last ones to SQLite; and commits them in
/// groups. Each message is filed in its own savepoint, and up to `groupSize` of them (or what the
/// batch has left) share one transaction: one message per transaction rewrote the same dozen
/// index, search and cursor pages into the WAL for every 35 KB message — three times the mail's
/// own bytes (docs/PERFORMANCE.md). Exactly once still holds: each commit holds its messages and
/// the cursor after the last of them; a crash loses only an uncommitted group, whose messages are
/// neither flagged nor behind the cursor, so they are fetched and filed again.
///
/// A group ends at `groupSize` messages or `groupBytes` of mail, and at most `groupsInFlight` groups
/// wait besides the one being gathered, so memory stays bounded however large the backlog. Order
/// is kept: the queue is serial, so the cursor only moves forward. A message that fails to file
/// ends its group: the ones before it commit, none after it is filed, and the error is reported.
final class FilingPipeline: @unchecked Sendable {
    // @unchecked: the database is reached only through the StoreQueue, on its serial queue;
    // `failure` and `filed` are guarded by `lock`; `group` belongs to the submitting thread.
    private let filer: Filer
    private let store: StoreQueue
    private let inFlight: DispatchSemaphore
    private let groupSize: Int
    private let groupBytes: Int
    private var gatheredBytes = 0
    private let lock = Lock()
    private var failure: Error?
    private var filed: [(uid: UInt32, outcome: Filer.Outcome)] = []
    private var group: [Item] = []
    private let mailbox: String
    private let uidValidity: UInt32

    private struct Item {
        var prepared: Filer.Prepared
        var uid: UInt32
        var cursor: UInt32
        var receivedAt: Date?
    }

    init(filer: Filer, store: StoreQueue, mailbox: String, uidValidity: UInt32, groupSize: Int = 8, groupBytes: Int = 4 << 20,
         groupsInFlight: Int = 2) {
        self.filer = filer
        self.store = store
        self.mailbox = mailbox
        self.uidValidity = uidValidity
        self.groupSize = max(1, groupSize)
        self.groupBytes = max(1, groupBytes)
        self.inFlight = DispatchSemaphore(value: max(1, groupsInFlight))
    }

    /// Queues one prepared message for filing; throws the first filing error, so the caller stops reading.
    func submit(_ prepared: Filer.Prepared, uid: UInt32, cursor: UInt32, receivedAt: Date?) throws {
        if let failure = currentFailure { throw failure }
        group.append(Item(prepared: prepared, uid: uid, cursor: cursor, receivedAt: receivedAt))
        gatheredBytes += prepared.raw.count
        if group.count >= groupSize || gatheredBytes >= groupBytes { commitGroup() }
    }

    /// Hands the group to the store's queue, to be filed in one transaction.
    private func commitGroup() {
        guard !group.isEmpty else { return }
        let items = group
        group = []
        gatheredBytes = 0
        inFlight.wait()
        store.async { [self] repository in
            defer { inFlight.signal() }
            guard currentFailure == nil else { return }  // after a failure nothing more is filed, so the cursor stays exact
            var committed: [(uid: UInt32, outcome: Filer.Outcome)] = []
            var itemFailure: Error?
            do {
                try repository.transaction {
                    for item in items {
                        do {
                            // Its own savepoint (`Database.transaction` nests): a failure undoes this message alone.
                            committed.append((item.uid, try filer.file(item.prepared, in: repository, mailbox: mailbox, uidValidity: uidValidity,
                                                                       uid: item.uid, cursor: item.cursor, receivedAt: item.receivedAt)))
                        } catch {
                            itemFailure = error
                            break
                        }
                    }
                }
                lock.withLock {
                    filed += committed
                    if let itemFailure, failure == nil { failure = itemFailure }
                }
            } catch {
                // The commit itself failed (a full disk): nothing of the group is filed.
                lock.withLock { if failure == nil { failure = error } }
            }
        }
    }

    /// Files what is still gathered, waits until everything submitted is filed, and returns what
    /// was filed, in order, with the first error, if any.
    func finish() -> (filed: [(uid: UInt32, outcome: Filer.Outcome)], failure: Error?) {
        commitGroup()
        store.sync { _ in }
        return lock.withLock { (filed, failure) }
    }

    private var currentFailure: Error? { lock.withLock { failure } }
}

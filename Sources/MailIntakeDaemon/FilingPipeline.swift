import Dispatch
import FoundationEssentials
import MailIntakeCore
import MailStore

/// Overlaps the two halves of filing: the caller reads and prepares the next messages (receive,
/// parse, classify) while a serial queue writes the last ones to SQLite; and commits them in
/// groups. Up to `groupSize` messages (or what the batch has left) share one transaction: one
/// message per transaction rewrote the same dozen
/// index, search and cursor pages into the WAL for every 35 KB message — three times the mail's
/// own bytes (docs/PERFORMANCE.md). Exactly once still holds: each commit holds its messages and
/// the cursor after the last of them; a crash loses only an uncommitted group, whose messages are
/// neither flagged nor behind the cursor, so they are fetched and filed again.
///
/// A group ends at `groupSize` messages or `groupBytes` of mail, and at most `groupsInFlight` groups
/// wait besides the one being gathered, so memory stays bounded however large the backlog. Order
/// is kept: the queue is serial, so the cursor only moves forward. A message that fails to file
/// ends its group: the ones before it commit, none after it is filed, and the error is reported.
/// That is done without a savepoint per message: the group's transaction is undone whole and the
/// messages before the failed one are filed again. A savepoint per message cost more than its
/// SAVEPOINT and RELEASE: FTS5 writes its pending terms to a new index segment at every savepoint,
/// so each message became a segment to merge (docs/PERFORMANCE.md). Failures are rare; the
/// replay, of what just succeeded on the same database, costs only then.
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
            var failedAt: Int?
            var groupFailure: Error?
            do {
                committed = try fileInOneTransaction(items[...], in: repository, failedAt: &failedAt)
            } catch {
                groupFailure = error
                // A message failed and the transaction was undone whole: the ones before it again,
                // alone. Should that fail too, nothing of the group is filed and the first error is
                // the one reported.
                if let failedAt, failedAt > 0 {
                    var again: Int?
                    committed = (try? fileInOneTransaction(items[..<failedAt], in: repository, failedAt: &again)) ?? []
                }
            }
            lock.withLock {
                filed += committed
                if let groupFailure, failure == nil { failure = groupFailure }
            }
        }
    }

    /// Files `items` in one transaction and returns their outcomes once it has committed. Throws
    /// the first message's error (its index in `failedAt`) or the commit's, with nothing filed.
    private func fileInOneTransaction(_ items: ArraySlice<Item>, in repository: any FilingStore,
                                      failedAt: inout Int?) throws -> [(uid: UInt32, outcome: Filer.Outcome)] {
        var outcomes: [(uid: UInt32, outcome: Filer.Outcome)] = []
        try repository.transaction {
            for (index, item) in zip(items.indices, items) {
                do {
                    outcomes.append((item.uid, try filer.file(item.prepared, in: repository, mailbox: mailbox, uidValidity: uidValidity,
                                                              uid: item.uid, cursor: item.cursor, receivedAt: item.receivedAt,
                                                              inOpenTransaction: true)))
                } catch {
                    failedAt = index - items.startIndex
                    throw error
                }
            }
        }
        return outcomes
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

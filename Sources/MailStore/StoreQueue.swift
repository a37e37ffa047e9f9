import Dispatch
import FoundationEssentials

/// The database connection together with the one serial queue it is used on, as GRDB's
/// DatabaseQueue: every use of the repository runs as a closure on the queue, so the connection
/// never crosses threads unsynchronised — the filing pipeline writes on it while the reading
/// thread parses the next message, and both go through here. `sync` is re-entrant: called from a
/// closure already on the queue, it runs inline rather than deadlocking.
public final class StoreQueue: @unchecked Sendable {
    // @unchecked: `repository` is only ever touched on `queue` (or inline while already on it).
    private let repository: MailRepository
    private let queue = DispatchQueue(label: "mailintake.store")
    private let key = DispatchSpecificKey<UInt8>()

    public init(path: String, readOnly: Bool = false) throws {
        repository = try MailRepository(path: path, readOnly: readOnly)
        queue.setSpecific(key: key, value: 1)
    }

    /// Runs `body` on the queue and returns its result.
    public func sync<T>(_ body: (MailRepository) throws -> T) rethrows -> T {
        if DispatchQueue.getSpecific(key: key) != nil { return try body(repository) }
        return try queue.sync { try body(repository) }
    }

    /// Queues `body`; work queued earlier runs first.
    public func async(_ body: @escaping @Sendable (MailRepository) -> Void) {
        queue.async { [self] in body(repository) }
    }

    /// Checkpoints and closes the connection (see `Database.close`), after everything queued.
    public func close() {
        sync { $0.close() }
    }
}

import FoundationEssentials
import MailIntakeCore

/// A thread-safe "please stop" flag: set from the signal handler's queue, read by the worker
/// between messages so a stop never leaves a message half-filed.
public final class StopSignal: @unchecked Sendable {
    // @unchecked: the only state is guarded by the lock.
    private let lock = Lock()
    private var requested = false

    public init() {}

    public func request() {
        lock.lock()
        requested = true
        lock.unlock()
    }

    public var isRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }
}

/// Thrown inside a poll when a stop was requested; the poll ends after the message in hand.
struct StopRequested: Error {}

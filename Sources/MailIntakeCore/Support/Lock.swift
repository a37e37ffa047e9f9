/// A mutual-exclusion lock over a pthread mutex, for the few values two queues share (the log's
/// line, the pipeline's counters, a token cache). `NSLock` is Foundation's, which the product does
/// not link (docs/PERFORMANCE.md); `Synchronization.Mutex` would need macOS 15 in the manifest.
public final class Lock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    public func withLock<Value>(_ body: () throws -> Value) rethrows -> Value {
        lock()
        defer { unlock() }
        return try body()
    }
}

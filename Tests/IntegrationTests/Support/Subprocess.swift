import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, for the tests: the part of Foundation's `Process`
/// they use, without it. Foundation's `Process.run()` in Swift 6.3.1 on Linux copies the whole
/// 256-byte `d_name` of each `/proc/self/fd` entry and now and then reads past glibc's buffer
/// (swiftlang/swift-corelibs-foundation#5472): a fresh-clone run of the suite died of it once with
/// SIGSEGV. The product itself never starts processes.
///
/// The child gets default signal dispositions and an empty signal mask (a test's thread may have
/// signals blocked, and the daemon must see SIGTERM), and no descriptor but 0, 1 and 2: another
/// test's pipe inherited by a long-running child would keep that test's reader waiting for EOF.
final class Subprocess: @unchecked Sendable {
    // @unchecked: configured and started by one test; `status` is guarded by `lock`.
    var executableURL: URL?
    var arguments: [String] = []
    /// nil: the test process's own environment.
    var environment: [String: String]?
    /// A `FileHandle` (its descriptor is given to the child), a `Pipe` (the child's end is given
    /// and this process's copy of it closed), or nil (the test process's own).
    var standardInput: Any?
    var standardOutput: Any?
    var standardError: Any?

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which its module does
    /// not export without _GNU_SOURCE: found at run time.
    private static let addCloseFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            fatalError("the tests need glibc 2.34 or later (posix_spawn_file_actions_addclosefrom_np)")
        }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    private(set) var processIdentifier: Int32 = 0
    private let lock = NSLock()
    private var status: Int32?

    struct SpawnError: Error, CustomStringConvertible {
        let executable: String
        let code: Int32
        var description: String { "posix_spawn \(executable): \(String(cString: strerror(code)))" }
    }

    func run() throws {
        let executable = executableURL?.path ?? ""
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var parentsCopies: [FileHandle] = []
        for (target, stream) in [(Int32(0), standardInput), (1, standardOutput), (2, standardError)] {
            switch stream {
            case let pipe as Pipe:
                let childEnd = target == 0 ? pipe.fileHandleForReading : pipe.fileHandleForWriting
                posix_spawn_file_actions_adddup2(&actions, childEnd.fileDescriptor, target)
                parentsCopies.append(childEnd)
            case let handle as FileHandle where handle.fileDescriptor >= 0:
                posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, target)
            case is FileHandle:
                // `FileHandle.nullDevice` has no descriptor of its own.
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_RDWR, 0)
            default:
                break
            }
        }
        _ = Self.addCloseFrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let environment = (self.environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard code == 0 else { throw SpawnError(executable: executable, code: code) }
        processIdentifier = pid
        // The child has its copies: without closing ours, a reader of the other end never sees EOF.
        for handle in parentsCopies { try? handle.close() }
    }

    /// Whether the child is still running (reaping it once it is not).
    var isRunning: Bool { exitStatus() == nil }

    /// The exit status, or 128 + the signal that ended it.
    var terminationStatus: Int32 { exitStatus() ?? -1 }

    func terminate() { if isRunning { kill(processIdentifier, SIGTERM) } }

    /// The status once the child has ended (reaped here, once), nil while it runs.
    private func exitStatus() -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let status { return status }
        guard processIdentifier > 0 else { return nil }
        var raw: Int32 = 0
        let reaped = waitpid(processIdentifier, &raw, WNOHANG)
        guard reaped == processIdentifier else { return nil }
        let signal = raw & 0x7F
        status = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
        return status
    }
}

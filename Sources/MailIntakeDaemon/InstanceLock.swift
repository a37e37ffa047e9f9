import Foundation

/// One instance per database: an exclusive flock on `<database>.lock`, which holds the PID of
/// its owner so a second instance can say who is running. The kernel drops the lock when the
/// process dies, however it dies.
public final class InstanceLock {
    private let descriptor: Int32
    public let path: String

    /// The lock file cannot be opened: the database's folder is not writable (read-only, full,
    /// or owned by someone else).
    public struct Unavailable: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String {
            "cannot open the lock file \(path): \(reason); the database's folder must be writable by the service (check the disk, its mount and the [store] path)"
        }
    }

    public struct Held: Error, CustomStringConvertible {
        public let path: String
        public let owner: String
        public var description: String {
            "another mailintake (PID \(owner)) already runs on this database (lock \(path)); stop it first, or point this one at another [store] path"
        }
    }

    public init(databasePath: String) throws {
        path = databasePath + ".lock"
        let previousMask = umask(0o077)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        umask(previousMask)
        guard descriptor >= 0 else {
            throw Unavailable(path: path, reason: String(cString: strerror(errno)))
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &buffer, 32, 0)
            close(descriptor)
            let owner = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw Held(path: path, owner: owner.isEmpty ? "unknown" : owner)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

import FoundationEssentials
import MailIntakeCore

/// One instance per database, however the database is reached. Two locks, both exclusive
/// `flock`s that the kernel drops when the process dies, however it dies:
///
/// - on `<real path>.lock`, the database's path with every symlink resolved, which holds the
///   PID of its owner so a second instance can say who is running;
/// - on the database file itself: a hard link, a bind mount or any other alias of the same file
///   is the same inode, and so the same lock. (SQLite locks with POSIX `fcntl` locks, which
///   `flock` does not touch on Linux; but closing *any* descriptor of the file would drop
///   SQLite's fcntl locks, so this one stays open until the process exits.)
///
/// A textual `<path>.lock` alone let a second configuration that reached the same database
/// through a symlink run beside the first, and both sent the same acknowledgements.
public final class InstanceLock {
    private let descriptor: Int32
    public let path: String
    /// The database as the kernel knows it, symlinks resolved.
    public let databasePath: String

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
        let real = Self.resolve(databasePath)
        self.databasePath = real
        path = real + ".lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw Unavailable(path: path, reason: String(cString: strerror(errno)))
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let owner = Self.owner(descriptor)
            close(descriptor)
            throw Held(path: path, owner: owner)
        }
        // The database file itself, created empty if it is new (SQLite takes an empty file as a new database).
        let database = open(real, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard database >= 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw Unavailable(path: real, reason: reason)
        }
        if flock(database, LOCK_EX | LOCK_NB) != 0 {
            close(database)
            close(descriptor)
            throw Held(path: real, owner: "unknown, reaching the same database by another path")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
    }

    private var released = false

    /// Gives the lock up: the last step of a shutdown, after the database is closed.
    public func release() {
        guard !released else { return }
        released = true
        // The database file's descriptor is deliberately not closed: see the type's comment.
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    deinit {
        release()
    }

    /// `path` with every symlink resolved: the file's own real path when it exists, else its
    /// folder's real path and its name.
    static func resolve(_ path: String) -> String {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let folder = Path.folder(of: path)
        let name = Path.name(of: path)
        guard let real = realpath(folder.isEmpty ? "." : folder, nil) else { return path }
        defer { free(real) }
        return Path.join(String(cString: real), name)
    }

    private static func owner(_ descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(descriptor, &buffer, 32, 0)
        let owner = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).trimmed()
        return owner.isEmpty ? "unknown" : owner
    }
}

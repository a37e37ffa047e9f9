import FoundationEssentials
import MailIntakeCore

/// The token file, kept as a refresh token must be: mode 600, replaced atomically and durably
/// (temporary file, fsync, rename, fsync of the folder), so a crash or power loss leaves the old
/// file or the new one, never half of one and never none. A lock file beside it keeps `oauth
/// login` and the daemon from interleaving a refresh and a sign-in.
public struct TokenFile: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// What identifies the file's current content cheaply: a new sign-in by another process shows here.
    public struct Stamp: Equatable, Sendable {
        var inode: UInt64 = 0
        var modified: Int = 0
        var modifiedNanoseconds: Int = 0
        var size: Int64 = -1
    }

    public func stamp() -> Stamp {
        var info = stat()
        guard lstat(path, &info) == 0 else { return Stamp() }
        return Stamp(inode: UInt64(info.st_ino), modified: info.st_mtim.tv_sec, modifiedNanoseconds: info.st_mtim.tv_nsec, size: Int64(info.st_size))
    }

    /// The saved state, or nil when there is no file yet.
    public func read() throws(Failure) -> TokenState? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw Failure(description: "cannot read \(path): \(String(cString: strerror(errno))); check that the service's user may read it")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw Failure(description: "\(path) is not a regular file (a symbolic link?); remove it and sign in again with `mailintake oauth login`")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw Failure(description: "\(path) may be read by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); run `chmod 600 \(path)`, and consider the tokens in it exposed: sign in again")
        }
        guard info.st_size <= 1 << 20, let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "cannot read \(path); check that the service's user may read it (`mailintake oauth login` run as root gives the file to the owner of its folder)")
        }
        do {
            return try TokenState.decode(data)
        } catch {
            throw Failure(description: "\(path) is not a token file mailintake can read (\(error)); move it away and sign in again with `mailintake oauth login`")
        }
    }

    /// Replaces the file with `state`, durably, before anyone uses what is in it.
    public func write(_ state: TokenState) throws(Failure) {
        let data: Data
        do { data = try state.encoded() } catch { throw Failure(description: "cannot encode the tokens: \(error)") }
        let folder = Path.folder(of: path)
        let temporary = path + ".tmp.\(getpid())"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)") }
        var closed = false
        defer { if !closed { close(descriptor); unlink(temporary) } }
        giveToFolderOwner(descriptor)
        let written = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count else { throw failure("cannot write \(temporary)") }
        guard fsync(descriptor) == 0 else { throw failure("cannot flush \(temporary) to disk") }
        closed = true
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let error = failure("cannot replace \(path)")
            unlink(temporary)
            throw error
        }
        // The rename itself is durable only once the folder is.
        let directory = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// Runs `body` holding an exclusive lock on `<path>.lock`.
    public func locked<T>(_ body: () throws -> T) throws -> T {
        let descriptor = open(path + ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot open the lock file \(path).lock") }
        defer { close(descriptor) }
        giveToFolderOwner(descriptor)
        while flock(descriptor, LOCK_EX) != 0 {
            if errno != EINTR { throw failure("cannot lock \(path).lock") }
        }
        return try body()
    }

    /// Written by root (`sudo mailintake oauth login`) into the service's folder, a file goes to
    /// the folder's owner, or the service could not read its own tokens afterwards.
    private func giveToFolderOwner(_ descriptor: Int32) {
        guard geteuid() == 0 else { return }
        let folder = Path.folder(of: path)
        var owner = stat()
        if stat(folder.isEmpty ? "." : folder, &owner) == 0, owner.st_uid != 0 { _ = fchown(descriptor, owner.st_uid, owner.st_gid) }
    }

    private func failure(_ what: String) -> Failure {
        Failure(description: "\(what): \(String(cString: strerror(errno))); check that the folder exists, is the service's, and has space")
    }
}

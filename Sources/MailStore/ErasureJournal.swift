import FoundationEssentials
import MailIntakeCore

/// One erasure, as the journal keeps it: when, the keyed hashes of the person's addresses and the
/// inquiries erased and kept, each by its reference and its receipt (a reference alone is not an
/// identity: a restored database gives the next references again, to other people's mail).
/// No address, no name.
public struct ErasureRecord: Sendable, Codable, Equatable {
    public struct Inquiry: Sendable, Codable, Equatable, Hashable {
        public var reference: String
        public var received: String

        public init(reference: String, received: String) {
            self.reference = reference
            self.received = received
        }
    }

    public var id: String
    public var at: String
    public var subjects: [String]
    public var erased: [Inquiry]
    /// The person's inquiries the erasure left alone (held, or open): a replay leaves them too,
    /// also when they are filed again under another reference (the same receipt).
    public var kept: [Inquiry]

    public init(id: String = UUID().uuidString.lowercased(), at: String, subjects: [String], erased: [Inquiry], kept: [Inquiry] = []) {
        self.id = id
        self.at = at
        self.subjects = subjects
        self.erased = erased
        self.kept = kept
    }

    public var references: [String] { erased.map(\.reference) }
}

/// The erasures, outside the database (`<database>.erasures`, one JSON object a line, appended
/// and synced before the database is changed). A backup restored from before an erasure would
/// bring the person's data back; the journal is not in the backup, so the service replays it at
/// start and after each poll (`MailRepository.replayErasures`). Keep it when restoring a backup.
public struct ErasureJournal: Sendable {
    public let path: String

    public init(databasePath: String) { path = databasePath + ".erasures" }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Appends `record` durably: written with O_APPEND and fsync'd, so a crash after this call
    /// leaves an erasure the next start replays, and one before it leaves nothing half done.
    public func append(_ record: ErasureRecord) throws {
        var line = try JSONEncoder.sorted.encode(record)
        line.append(0x0A)
        var existing = stat()
        let isNew = lstat(path, &existing) != 0
        let fd = Glibc.open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, FileModes.personalData(besides: path))
        guard fd >= 0 else {
            throw Failure(description: "cannot write the erasure journal \(path): \(String(cString: strerror(errno))); check that the folder is the service's and you are in its group")
        }
        defer { Glibc.close(fd) }
        // The service must read what staff write: the mode is set, not left to the umask.
        var info = stat()
        if fstat(fd, &info) == 0 {
            if info.st_uid == geteuid() { fchmod(fd, FileModes.personalData(besides: path)) }
            // A line cut short by a crash must not swallow this one: start on a line of its own.
            var last: UInt8 = 0x0A
            if info.st_size > 0, pread(fd, &last, 1, info.st_size - 1) == 1, last != 0x0A { line.insert(0x0A, at: 0) }
        }
        let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else {
            throw Failure(description: "cannot write the erasure journal \(path): \(String(cString: strerror(errno))); nothing was erased")
        }
        // A new file's name is durable only once its folder is synced too.
        if isNew {
            let parent = Path.folder(of: path)
            let folder = Glibc.open(parent.isEmpty ? "." : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if folder >= 0 { fsync(folder); Glibc.close(folder) }
        }
    }

    /// Every erasure recorded, oldest first; none when the file does not exist. A line that is
    /// not a record (a torn last line after a crash during `append`, which then erased nothing)
    /// is skipped.
    public func records() throws -> [ErasureRecord] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "cannot read the erasure journal \(path); check that this user is in the service's group")
        }
        return data.split(separator: 0x0A).compactMap { try? JSONDecoder().decode(ErasureRecord.self, from: Data($0)) }
    }
}

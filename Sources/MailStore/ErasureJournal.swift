import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One erasure, as the journal keeps it: when, the keyed hashes of the person's addresses and the
/// references erased and kept. No address, no name.
public struct ErasureRecord: Sendable, Codable, Equatable {
    public var id: String
    public var at: String
    public var subjects: [String]
    public var references: [String]
    /// The person's inquiries the erasure left alone (held, or open): a replay leaves them too.
    public var kept: [String]

    public init(id: String = UUID().uuidString.lowercased(), at: String, subjects: [String], references: [String], kept: [String] = []) {
        self.id = id
        self.at = at
        self.subjects = subjects
        self.references = references
        self.kept = kept
    }
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
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, FileModes.personalData(besides: path))
        guard fd >= 0 else {
            throw Failure(description: "cannot write the erasure journal \(path): \(String(cString: strerror(errno))); check that the folder is the service's and you are in its group")
        }
        defer { Glibc.close(fd) }
        let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else {
            throw Failure(description: "cannot write the erasure journal \(path): \(String(cString: strerror(errno))); nothing was erased")
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

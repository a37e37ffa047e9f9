import FoundationEssentials
import MailIntakeCore

/// The mailintake database: messages, inquiries, the outbox and the mailbox cursors, behind
/// methods named for what the pipeline and staff do. Every statement binds its arguments. The
/// methods stand in one file per thing stored: MailRepository+Messages (messages, the cursor,
/// the server's flags), +Inquiries (staff's views, corrections), +Outbox, +State (the service's
/// health, totals, backups).
public final class MailRepository {
    public let database: Database
    /// Whether the last `reclaimSpace` emptied the WAL too (false: a reader held it).
    public internal(set) var lastReclaimComplete = true

    /// Opens the database at `path` and brings its schema up to date; with `readOnly`, opens it
    /// for reading only (`list`, `show`, `export`, `status`) and migrates nothing: a staff
    /// member's look must never change the file, nor wait for the service's write lock.
    public init(path: String, readOnly: Bool = false) throws {
        database = try Database(path: path, readOnly: readOnly)
        if readOnly {
            try Schema.migrator.requireCurrent(database)
        } else {
            try Schema.migrator.migrate(database)
            FileModes.protectDatabase(at: path)
        }
    }

    public func transaction<T>(_ body: () throws -> T) throws -> T { try database.transaction(body) }

    static func now() -> String { MailDate.iso8601(Date()) }
    /// A JSON array of strings, as the evidence and attachment columns hold them. Written by
    /// `JSONValue`: a JSONEncoder per filed message was 1.5 % of an ingest's CPU (docs/PERFORMANCE.md).
    static func json(_ strings: [String]) -> String {
        String(decoding: JSONValue.array(strings.map { .string($0) }).serialized(), as: UTF8.self)
    }
    static func strings(_ json: String?) -> [String] {
        guard let json, let data = json.data(using: .utf8) else { return [] }
        return (try? JSONDecoder().decode([String].self, from: data)) ?? []
    }
}

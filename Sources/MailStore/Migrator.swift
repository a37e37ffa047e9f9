import FoundationEssentials
import MailIntakeCore

/// Named, ordered schema migrations, each applied once in its own transaction and recorded in
/// `schema_migrations`. A shipped migration is never edited: a change is a new migration.
public struct Migrator: Sendable {
    public struct Migration: Sendable {
        public let name: String
        public let sql: String
        /// Work SQL cannot do (folding text in Swift), run after `sql` in the same transaction.
        public var after: (@Sendable (Database) throws -> Void)?

        public init(name: String, sql: String, after: (@Sendable (Database) throws -> Void)? = nil) {
            self.name = name
            self.sql = sql
            self.after = after
        }
    }

    public let migrations: [Migration]

    public init(_ migrations: [Migration]) { self.migrations = migrations }

    /// Applies every migration not yet recorded, in order. Each runs with foreign keys off (a
    /// migration that rebuilds a table drops and renames it, which enforced keys would refuse or
    /// cascade), then `PRAGMA foreign_key_check` must find nothing before it commits.
    public func migrate(_ database: Database) throws {
        try database.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        let applied = try appliedNames(database)
        if let unknown = applied.subtracting(Set(migrations.map(\.name))).sorted().first {
            throw DatabaseError(code: 1, message: "the database was written by a newer mailintake (migration \(unknown)); upgrade this binary or restore a matching backup")
        }
        for migration in migrations where !applied.contains(migration.name) {
            try database.execute("PRAGMA foreign_keys = OFF")
            defer { try? database.execute("PRAGMA foreign_keys = ON") }
            try database.transaction {
                try database.execute(migration.sql)
                try migration.after?(database)
                if let violation = try database.rows("PRAGMA foreign_key_check").first {
                    throw DatabaseError(code: 19, message: "migration \(migration.name) would break a foreign key (table \(violation["table"].string ?? "?"), row \(violation["rowid"].int64 ?? 0)); the database is left as it was — report this")
                }
                try database.run("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                                 [migration.name, MailDate.iso8601(Date())])
            }
        }
    }

    /// For a read-only open: the database must be exactly this binary's schema, neither older
    /// (the service migrates it when it next starts) nor newer.
    public func requireCurrent(_ database: Database) throws {
        let applied = try appliedNames(database)
        let known = Set(migrations.map(\.name))
        if let unknown = applied.subtracting(known).sorted().first {
            throw DatabaseError(code: 1, message: "the database was written by a newer mailintake (migration \(unknown)); upgrade this binary")
        }
        if let missing = migrations.first(where: { !applied.contains($0.name) }) {
            throw DatabaseError(code: 1, message: "the database is older than this mailintake (migration \(missing.name) not applied); start the service (or run `mailintake run --once`) once to bring it up to date")
        }
    }

    private func appliedNames(_ database: Database) throws -> Set<String> {
        let exists = try database.row("SELECT 1 AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") != nil
        guard exists else { return [] }
        return Set(try database.rows("SELECT name FROM schema_migrations").compactMap { $0["name"].string })
    }
}

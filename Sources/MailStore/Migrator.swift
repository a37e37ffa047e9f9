import Foundation
import MailIntakeCore

/// Named, ordered schema migrations, each applied once in its own transaction and recorded in
/// `schema_migrations`. A shipped migration is never edited: a change is a new migration.
public struct Migrator: Sendable {
    public struct Migration: Sendable {
        public let name: String
        public let sql: String
    }

    public let migrations: [Migration]

    public init(_ migrations: [Migration]) { self.migrations = migrations }

    /// Applies every migration not yet recorded, in order.
    public func migrate(_ database: Database) throws {
        try database.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        let applied = Set(try database.rows("SELECT name FROM schema_migrations").compactMap { $0["name"].string })
        let known = Set(migrations.map(\.name))
        if let unknown = applied.subtracting(known).sorted().first {
            throw DatabaseError(code: 1, message: "the database was written by a newer mailintake (migration \(unknown)); upgrade this binary or restore a matching backup")
        }
        for migration in migrations where !applied.contains(migration.name) {
            try database.transaction {
                try database.execute(migration.sql)
                try database.run("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                                 [migration.name, MailDate.iso8601(Date())])
            }
        }
    }
}

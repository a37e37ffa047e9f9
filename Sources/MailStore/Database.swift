import CSQLite
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// One SQLite connection. It owns the C handle and closes it in `deinit`; it is deliberately
/// not Sendable: one queue (or one thread) uses a connection at a time.
public final class Database {
    private var handle: OpaquePointer?
    public let path: String
    /// Prepared statements by SQL text: the repository runs the same dozen statements for every
    /// message, and compiling them each time was a tenth of the ingest's cost.
    private var statementCache: [String: Statement] = [:]

    /// Opens (creating if needed) the database at `path`, with WAL, foreign keys and a busy timeout.
    /// A new file is created readable by its owner only: it holds citizens' mail.
    public init(path: String, busyTimeout: Int32 = 5000, readOnly: Bool = false) throws(DatabaseError) {
        self.path = path
        if readOnly {
            handle = try Self.open(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, busyTimeout: busyTimeout,
                                   hint: "check that the file exists and this user may read it")
            return
        }
        // A new file is made here with its mode, rather than by narrowing the umask (which is
        // process-wide, and this process has other threads); SQLite gives its -wal and -shm the
        // database file's mode.
        let created = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if created >= 0 { Glibc.close(created) }
        handle = try Self.open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, busyTimeout: busyTimeout,
                               hint: "check that the folder exists and the service may write to it")
        // Erased and expired personal data must leave the file, not linger in free pages: freed
        // pages are zeroed, and a new database keeps its free pages apart so that
        // `PRAGMA incremental_vacuum` can give them back (it must be chosen before the first table).
        try execute("PRAGMA secure_delete = ON")
        // Statement journals (each savepoint's record of the pages it changed) in memory, not in
        // unlinked files under /var/tmp: there they were citizens' mail written outside the
        // state folder, and 115 MB of extra writes for an ingest of 70 MB (docs/PERFORMANCE.md).
        // A group of filings (FilingPipeline) bounds what they hold.
        try execute("PRAGMA temp_store = MEMORY")
        if created >= 0 { try execute("PRAGMA auto_vacuum = INCREMENTAL") }
        try execute("PRAGMA journal_mode = WAL")
        // NORMAL in WAL mode: a process crash loses nothing; a power cut may lose the last
        // commits, and then the mailbox cursor rolls back with them, so those messages are
        // fetched and filed again rather than lost.
        try execute("PRAGMA synchronous = NORMAL")
        try execute("PRAGMA foreign_keys = ON")
        // The service's connection writes mail once and rarely reads it back: 512 KiB of page cache
        // (SQLite's default is 2 MB) keeps the indexes' pages and cost no time in the benchmark,
        // and the peak RSS of an ingest is 1.2 MB lower (docs/PERFORMANCE.md).
        try execute("PRAGMA cache_size = -512")
    }

    deinit {
        close()
    }

    /// One connection with extended result codes and a busy timeout; an error says what to check.
    private static func open(_ path: String, _ flags: Int32, busyTimeout: Int32, hint: String) throws(DatabaseError) -> OpaquePointer {
        var db: OpaquePointer?
        let status = sqlite3_open_v2(path, &db, flags, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw DatabaseError(code: status, message: "\(message) (\(path)); \(hint)")
        }
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeout)
        return db
    }

    /// Checkpoints the WAL into the database file and closes the connection: after this the
    /// main file alone holds everything, so a plain copy of it is a whole backup. Idempotent;
    /// the connection is unusable afterwards.
    public func close() {
        guard let handle else { return }
        statementCache.removeAll()  // finalize the statements before closing the connection
        if !isReadOnly { sqlite3_exec(handle, "PRAGMA wal_checkpoint(TRUNCATE)", nil, nil, nil) }
        sqlite3_close_v2(handle)
        self.handle = nil
    }

    /// Copies what the WAL holds into the main file, without waiting for readers (a PASSIVE
    /// checkpoint): run after each cycle, so the main file is never far behind.
    public func checkpoint() {
        guard let handle, !isReadOnly else { return }
        sqlite3_exec(handle, "PRAGMA wal_checkpoint(PASSIVE)", nil, nil, nil)
    }

    /// Copies the whole WAL into the database file and truncates the WAL to nothing, so that what
    /// was overwritten in the database is in no WAL frame either. False when a reader kept it from
    /// finishing (it waits for readers up to the busy timeout).
    @discardableResult
    public func checkpointTruncating() throws(DatabaseError) -> Bool {
        try row("PRAGMA wal_checkpoint(TRUNCATE)")?["busy"].int == 0
    }

    private var isReadOnly: Bool { handle.map { sqlite3_db_readonly($0, "main") == 1 } ?? true }

    /// A prepared statement for `sql`, from the cache when it was prepared before. Its users reset
    /// it when they are done (`defer`), so a cached one is always ready.
    private func statement(_ sql: String) throws(DatabaseError) -> Statement {
        try requireOpen(sql)
        if let cached = statementCache[sql] { return cached }
        let statement = try Statement(database: self, sql: sql)
        statementCache[sql] = statement
        return statement
    }

    // MARK: statements

    /// Runs one or more statements that take no arguments and return no rows.
    public func execute(_ sql: String) throws(DatabaseError) {
        try requireOpen(sql)
        var errorMessage: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if status != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(errorMessage)
            throw DatabaseError(code: sqlite3_extended_errcode(handle), message: message, sql: sql)
        }
    }

    /// Runs one statement with bound arguments, returning no rows.
    public func run(_ sql: String, _ arguments: [SQLConvertible?] = []) throws(DatabaseError) {
        let statement = try statement(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        while try statement.step() {}
    }

    /// Runs a query with bound arguments and returns every row.
    public func rows(_ sql: String, _ arguments: [SQLConvertible?] = []) throws(DatabaseError) -> [Row] {
        let statement = try statement(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        var result: [Row] = []
        while try statement.step() { result.append(statement.row()) }
        return result
    }

    /// Runs a query and calls `body` for each row as it is read, so large results never sit in memory at once.
    public func forEachRow(_ sql: String, _ arguments: [SQLConvertible?] = [], _ body: (Row) throws -> Void) throws {
        try requireOpen(sql)
        let statement = try Statement(database: self, sql: sql)
        try statement.bind(arguments)
        while try statement.step() { try body(statement.row()) }
    }

    public func row(_ sql: String, _ arguments: [SQLConvertible?] = []) throws(DatabaseError) -> Row? {
        try rows(sql, arguments).first
    }

    /// Writes `bytes` into the blob at `column` of row `rowID`, which must already hold a blob of
    /// their length (`zeroblob(N)`). SQLite then copies them straight into its pages: bound as a
    /// value, a blob is first copied whole into the record SQLite builds, a second copy of a large
    /// mail in memory at once (docs/PERFORMANCE.md).
    public func writeBlob(table: String, column: String, rowID: Int64, _ bytes: [UInt8]) throws(DatabaseError) {
        try requireOpen("writing \(table).\(column)")
        var blob: OpaquePointer?
        var status = sqlite3_blob_open(handle, "main", table, column, rowID, 1, &blob)
        if status == SQLITE_OK, !bytes.isEmpty {
            status = bytes.withUnsafeBytes { sqlite3_blob_write(blob, $0.baseAddress, Int32($0.count), 0) }
        }
        let message = status == SQLITE_OK ? "" : lastMessage
        let closed = sqlite3_blob_close(blob)
        if status == SQLITE_OK { status = closed }
        guard status == SQLITE_OK else {
            throw DatabaseError(code: sqlite3_extended_errcode(handle), message: message.isEmpty ? lastMessage : message,
                                sql: "writing \(bytes.count) bytes into \(table).\(column) of row \(rowID)")
        }
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// Runs `body` in a transaction that commits when it returns and rolls back when it throws,
    /// rethrowing the first error. BEGIN IMMEDIATE takes the write lock up front, so a busy
    /// database fails before any work is done rather than at COMMIT.
    /// Inside a transaction already, it nests as a savepoint: the inner part rolls back alone.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if let handle, sqlite3_get_autocommit(handle) == 0 {
            savepoints += 1
            let name = "nested\(savepoints)"
            defer { savepoints -= 1 }
            try execute("SAVEPOINT \(name)")
            do {
                let result = try body()
                try execute("RELEASE \(name)")
                return result
            } catch {
                try? execute("ROLLBACK TO \(name)")
                try? execute("RELEASE \(name)")
                throw error
            }
        }
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private var savepoints = 0

    /// Copies the whole database into a new file at `destination` while it stays in use (SQLite's
    /// online backup API). The file is created exclusively, readable by its owner only, and never
    /// through a symlink: a backup must not overwrite anything, nor be steered into another file.
    public func backup(to destination: String) throws(DatabaseError) {
        let created = Glibc.open(destination, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard created >= 0 else {
            let reason = errno == EEXIST ? "it already exists (a backup never overwrites; choose a new name)" : String(cString: strerror(errno))
            throw DatabaseError(code: SQLITE_CANTOPEN, message: "cannot create the backup file \(destination): \(reason)")
        }
        Glibc.close(created)
        var target: OpaquePointer?
        var completed = false
        let status = sqlite3_open_v2(destination, &target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, nil)
        defer {
            sqlite3_close_v2(target)
            if !completed { unlink(destination) }  // ours, made above: a half backup is no backup
        }
        guard status == SQLITE_OK, let target else {
            throw DatabaseError(code: status, message: "cannot open the backup file \(destination)")
        }
        guard let backup = sqlite3_backup_init(target, "main", handle, "main") else {
            throw DatabaseError(code: sqlite3_extended_errcode(target), message: String(cString: sqlite3_errmsg(target)))
        }
        var step: Int32
        repeat {
            step = sqlite3_backup_step(backup, 256)
            if step == SQLITE_BUSY || step == SQLITE_LOCKED { sqlite3_sleep(50) }
        } while step == SQLITE_OK || step == SQLITE_BUSY || step == SQLITE_LOCKED
        let finish = sqlite3_backup_finish(backup)
        guard step == SQLITE_DONE, finish == SQLITE_OK else {
            throw DatabaseError(code: finish, message: String(cString: sqlite3_errmsg(target)))
        }
        completed = true
    }

    /// A closed connection says so, rather than SQLite's misuse code.
    private func requireOpen(_ sql: String) throws(DatabaseError) {
        guard handle != nil else { throw DatabaseError(code: SQLITE_MISUSE, message: "the database connection is closed", sql: sql) }
    }

    var rawHandle: OpaquePointer? { handle }
    var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }
    var lastCode: Int32 { sqlite3_extended_errcode(handle) }
}

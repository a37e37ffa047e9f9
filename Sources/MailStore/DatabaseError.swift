import CSQLite

/// A failure reported by SQLite: the extended result code, SQLite's message, and the SQL that
/// failed (never its arguments, which may hold personal data).
public struct DatabaseError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public let sql: String?

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code (the low byte of the extended one).
    public var primaryCode: Int32 { code & 0xff }

    public var isConstraintViolation: Bool { primaryCode == SQLITE_CONSTRAINT }
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }
    public var isReadOnly: Bool { primaryCode == SQLITE_READONLY }
    public var isDiskFull: Bool { primaryCode == SQLITE_FULL }
    /// SQLITE_IOERR: the file system failed a read, a write or the growth of the WAL's shared
    /// memory file (which a full disk refuses, before any write of the database itself).
    public var isIOError: Bool { primaryCode == SQLITE_IOERR }

    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if isReadOnly { text += " — the database is read-only: check the file's owner and permissions, and the file system" }
        if isDiskFull { text += " — the disk is full: free space; nothing is lost, the message is filed once space returns" }
        if isIOError { text += " — the file system refused it: the disk may be full, read-only or failing; check `df -h` and the kernel log. Nothing is lost: what was not written is read from the mailbox again" }
        if isBusy { text += " — another process holds the database; is a second mailintake or a backup running?" }
        if let sql { text += " (SQL: \(sql.prefix(120)))" }
        return text
    }
}

import CSQLite

/// A prepared statement, finalized in `deinit`. Arguments are always bound, never spliced into SQL.
final class Statement {
    private var handle: OpaquePointer?
    /// Unowned: the database caches its statements, so a strong reference back would keep
    /// every connection open for ever (one leaked per SIGHUP reload). A statement never
    /// outlives its database: the cache is emptied before the connection closes.
    private unowned let database: Database
    let sql: String

    // SQLITE_TRANSIENT is a macro Swift cannot import: a destructor of -1 tells SQLite to copy.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// The blobs bound without a copy (SQLITE_STATIC: SQLite reads them while it steps), kept
    /// alive here until the next `bind` or `reset`. A message's raw bytes are the blob: SQLite's
    /// copy of a 1.7 MB message was a third of the ingest's peak memory (docs/PERFORMANCE.md).
    private var pinned: [[UInt8]] = []

    init(database: Database, sql: String) throws(DatabaseError) {
        self.database = database
        self.sql = sql
        let status = sqlite3_prepare_v2(database.rawHandle, sql, -1, &handle, nil)
        guard status == SQLITE_OK else {
            throw DatabaseError(code: database.lastCode, message: database.lastMessage, sql: sql)
        }
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Makes the statement ready to run again: no pending rows (which would hold a read lock),
    /// no arguments left from the last run (which could hold large blobs in memory).
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        pinned.removeAll()
    }

    func bind(_ arguments: [SQLConvertible?]) throws(DatabaseError) {
        pinned.removeAll(keepingCapacity: true)
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch argument?.sqlValue ?? .null {
            case .null: status = sqlite3_bind_null(handle, index)
            case let .integer(value): status = sqlite3_bind_int64(handle, index, value)
            case let .real(value): status = sqlite3_bind_double(handle, index, value)
            // With its length, not -1: text from mail may hold a NUL, which must not cut it short.
            case let .text(value):
                var text = value
                status = text.withUTF8 { bytes in
                    sqlite3_bind_text64(handle, index, UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                        .assumingMemoryBound(to: CChar.self), sqlite3_uint64(bytes.count), Self.transient, UInt8(SQLITE_UTF8))
                }
            case let .blob(value):
                // The pointer is the array's own storage, which `pinned` keeps alive and unchanged.
                pinned.append(value)
                status = value.withUnsafeBytes { sqlite3_bind_blob64(handle, index, $0.baseAddress, sqlite3_uint64($0.count), nil) }
            }
            guard status == SQLITE_OK else { throw DatabaseError(code: status, message: database.lastMessage, sql: sql) }
        }
    }

    /// Advances; true when a row is available.
    func step() throws(DatabaseError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw DatabaseError(code: database.lastCode, message: database.lastMessage, sql: sql)
        }
    }

    func row() -> Row {
        let count = sqlite3_column_count(handle)
        var columns: [String: Int] = [:]
        var values: [SQLValue] = []
        values.reserveCapacity(Int(count))
        for index in 0..<count {
            columns[String(cString: sqlite3_column_name(handle, index))] = Int(index)
            switch sqlite3_column_type(handle, index) {
            case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(handle, index)))
            case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(handle, index)))
            case SQLITE_TEXT:
                let length = Int(sqlite3_column_bytes(handle, index))
                let text = sqlite3_column_text(handle, index).map { String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self) }
                values.append(.text(text ?? ""))
            case SQLITE_BLOB:
                let length = Int(sqlite3_column_bytes(handle, index))
                if length == 0 {
                    values.append(.blob([]))
                } else if let pointer = sqlite3_column_blob(handle, index) {
                    values.append(.blob(Array(UnsafeRawBufferPointer(start: pointer, count: length))))
                } else {
                    values.append(.blob([]))
                }
            default: values.append(.null)
            }
        }
        return Row(columns: columns, values: values)
    }
}

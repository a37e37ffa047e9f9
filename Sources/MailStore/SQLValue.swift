import CSQLite

/// A value bound into or read out of SQLite.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var int: Int? { if case let .integer(value) = self { return Int(value) }; return nil }
    public var int64: Int64? { if case let .integer(value) = self { return value }; return nil }
    public var double: Double? {
        switch self {
        case let .real(value): return value
        case let .integer(value): return Double(value)
        default: return nil
        }
    }
    public var string: String? { if case let .text(value) = self { return value }; return nil }
    public var bytes: [UInt8]? {
        switch self {
        case let .blob(value): return value
        case let .text(value): return Array(value.utf8)
        default: return nil
        }
    }
    public var isNull: Bool { self == .null }
}

/// Lets call sites write `["a", 1, nil]` for arguments.
public protocol SQLConvertible {
    var sqlValue: SQLValue { get }
}

extension String: SQLConvertible { public var sqlValue: SQLValue { .text(self) } }
extension Int: SQLConvertible { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLConvertible { public var sqlValue: SQLValue { .integer(self) } }
extension Double: SQLConvertible { public var sqlValue: SQLValue { .real(self) } }
extension Bool: SQLConvertible { public var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension Array: SQLConvertible where Element == UInt8 { public var sqlValue: SQLValue { .blob(self) } }
extension SQLValue: SQLConvertible { public var sqlValue: SQLValue { self } }
extension Optional: SQLConvertible where Wrapped: SQLConvertible {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// One result row, read by column name.
public struct Row: Sendable {
    let columns: [String: Int]
    public let values: [SQLValue]

    public subscript(_ name: String) -> SQLValue {
        guard let index = columns[name] else { return .null }
        return values[index]
    }

    /// A column the query must have returned: a missing one, or NULL where the schema forbids it,
    /// is an error naming the column, never a silent `""` or `0`.
    public func required<T>(_ name: String, _ value: (SQLValue) -> T?) throws(DatabaseError) -> T {
        guard let index = columns[name] else {
            throw DatabaseError(code: SQLITE_ERROR, message: "the query returned no column `\(name)`")
        }
        guard let converted = value(values[index]) else {
            throw DatabaseError(code: SQLITE_MISMATCH, message: "column `\(name)` holds \(values[index]), not the value its schema says")
        }
        return converted
    }

    public func text(_ name: String) throws(DatabaseError) -> String { try required(name) { $0.string } }
    public func integer(_ name: String) throws(DatabaseError) -> Int64 { try required(name) { $0.int64 } }
}

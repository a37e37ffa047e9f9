import FoundationEssentials

/// A JSON document as a value: read from OAuth2 servers' replies and written by the commands that
/// print JSON, the subject-access export and the health file. Foundation's `JSONSerialization`
/// is not linked (docs/PERFORMANCE.md); reading goes through FoundationEssentials' `JSONDecoder`,
/// writing is done here — keys in byte order, so the output is the same on every machine (the
/// sorted keys of `JSONSerialization` compared with a locale, and loaded ICU's collation tables).
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses `bytes` (RFC 8259), or nil when they are not JSON.
    public init?(parsing bytes: some Sequence<UInt8>) {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) else { return nil }
        self = value
    }

    /// The JSON form of a value made of dictionaries, arrays, strings, numbers, booleans and
    /// optionals (nil is null), as the commands assemble their output. Anything else is written
    /// as its description, a string, rather than failing the command.
    public init(_ any: Any?) {
        switch any {
        case nil: self = .null
        case let value as JSONValue: self = value
        case let value as Bool: self = .bool(value)
        case let value as Int: self = .integer(value)
        case let value as any BinaryInteger: self = Int(exactly: value).map { .integer($0) } ?? .number(Double(value))
        case let value as Double: self = .number(value)
        case let value as any BinaryFloatingPoint: self = .number(Double(value))
        case let value as String: self = .string(value)
        case let value as Substring: self = .string(String(value))
        // `[String: Any]` and `[Any]` are cast to these too (each value made optional).
        case let value as [String: Any?]: self = .object(value.mapValues { JSONValue($0) })
        case let value as [Any?]: self = .array(value.map { JSONValue($0) })
        case let value?:
            // `Optional<T>` boxed in `Any` is not nil to the first case.
            if let optional = value as? OptionalValue { self = optional.wrapped.map { JSONValue($0) } ?? .null } else { self = .string("\(value)") }
        }
    }

    /// The value of `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var string: String? { if case .string(let text) = self { return text } else { return nil } }
    public var bool: Bool? { if case .bool(let value) = self { return value } else { return nil } }
    public var object: [String: JSONValue]? { if case .object(let members) = self { return members } else { return nil } }

    /// A number, whether written as an integer or not.
    public var double: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .number(let value): return value
        default: return nil
        }
    }

    /// The text: compact, or indented by two spaces as `JSONSerialization`'s `.prettyPrinted` wrote it.
    public func serialized(pretty: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = []
        write(to: &bytes, pretty: pretty, depth: 0)
        return bytes
    }

    private func write(to bytes: inout [UInt8], pretty: Bool, depth: Int) {
        func newline(_ level: Int) {
            guard pretty else { return }
            bytes.append(0x0A)
            bytes += [UInt8](repeating: 0x20, count: 2 * level)
        }
        switch self {
        case .null: bytes += Array("null".utf8)
        case .bool(let value): bytes += Array((value ? "true" : "false").utf8)
        case .integer(let value): bytes += Array(String(value).utf8)
        case .number(let value):
            if !value.isFinite { bytes += Array("null".utf8) }
            else if value == value.rounded(), abs(value) < 1e15 { bytes += Array(String(Int(value)).utf8) }
            else { bytes += Array(String(value).utf8) }
        case .string(let text): Self.appendString(text, to: &bytes)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                element.write(to: &bytes, pretty: pretty, depth: depth + 1)
            }
            if !elements.isEmpty { newline(depth) }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            // Byte order of the UTF-8 keys, not `String`'s (Unicode) order: the same on every system.
            for (index, key) in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                Self.appendString(key, to: &bytes)
                bytes += pretty ? Array(" : ".utf8) : [UInt8(ascii: ":")]
                members[key]!.write(to: &bytes, pretty: pretty, depth: depth + 1)
            }
            if !members.isEmpty { newline(depth) }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string (RFC 8259): quote, backslash and control characters escaped, the rest as UTF-8.
    private static func appendString(_ text: String, to bytes: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
            case 0x0A: bytes += Array("\\n".utf8)
            case 0x0D: bytes += Array("\\r".utf8)
            case 0x09: bytes += Array("\\t".utf8)
            case ..<0x20: bytes += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The JSON form of any `Encodable`, to add members to before writing it.
    public init(encoding value: some Encodable) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }
}

/// Lets `JSONValue.init(_:)` see through an optional that was boxed in `Any`.
private protocol OptionalValue { var wrapped: Any? { get } }
extension Optional: OptionalValue {
    var wrapped: Any? { self.map { $0 as Any } }
}

/// A parsed Content-Type (or Content-Disposition) value: `type/subtype; key=value; ...`.
public struct ContentType: Sendable, Equatable {
    public var type: String
    public var subtype: String
    public var parameters: [String: String]

    public static let textPlain = ContentType(type: "text", subtype: "plain", parameters: ["charset": "us-ascii"])

    public var mimeType: String { "\(type)/\(subtype)" }
    public var isMultipart: Bool { type == "multipart" }

    /// Parses a Content-Type; nil when the value has no `type/subtype`.
    public init?(parsing value: String) {
        let (main, parameters) = Self.splitParameters(value)
        let pieces = main.split(separator: "/", maxSplits: 1)
        guard pieces.count == 2 else { return nil }
        type = pieces[0].trimmingWhitespace().lowercased()
        subtype = pieces[1].trimmingWhitespace().lowercased()
        guard !type.isEmpty, !subtype.isEmpty else { return nil }
        self.parameters = parameters
    }

    public init(type: String, subtype: String, parameters: [String: String]) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
    }

    /// Splits `main; a=b; c="d; e"` into the main token and lower-cased parameter names.
    /// RFC 2231 `name*=charset''percent-encoded` values are decoded.
    public static func splitParameters(_ value: String) -> (String, [String: String]) {
        var pieces: [String] = []
        var current = ""
        var inQuotes = false, escaped = false
        for ch in value {
            if escaped { current.append(ch); escaped = false; continue }
            if ch == "\\" && inQuotes { escaped = true; continue }
            if ch == "\"" { inQuotes.toggle(); continue }
            if ch == ";" && !inQuotes { pieces.append(current); current = ""; continue }
            current.append(ch)
        }
        pieces.append(current)
        var parameters: [String: String] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            var name = piece[..<equals].trimmingWhitespace().lowercased()
            var value = piece[piece.index(after: equals)...].trimmingWhitespace()
            if name.hasSuffix("*") {
                name.removeLast()
                value = decodeExtended(value)
            }
            parameters[name] = value
        }
        return (pieces[0].trimmingWhitespace(), parameters)
    }

    /// `utf-8'sl'%C5%A1ola` -> `šola`.
    private static func decodeExtended(_ value: String) -> String {
        let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return value }
        var bytes: [UInt8] = []
        let raw = Array(parts[2].utf8)
        var i = 0
        while i < raw.count {
            if raw[i] == UInt8(ascii: "%"), i + 2 < raw.count,
               let high = TransferEncoding.hexValue(raw[i + 1]), let low = TransferEncoding.hexValue(raw[i + 2]) {
                bytes.append(high << 4 | low)
                i += 3
            } else {
                bytes.append(raw[i])
                i += 1
            }
        }
        return Charset.decode(bytes, charset: String(parts[0])).text
    }
}

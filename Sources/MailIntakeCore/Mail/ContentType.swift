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
        type = pieces[0].trimmed().lowercased()
        subtype = pieces[1].trimmed().lowercased()
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
        // Cut at each `;` outside quotes, scanning the UTF-8 bytes (the delimiters are ASCII, so a
        // cut never falls inside a character). Quotes stay in the pieces, so that white space
        // inside a quoted value survives trimming.
        var pieces: [Substring] = []
        var inQuotes = false, escaped = false
        let utf8 = value.utf8
        var start = utf8.startIndex
        var index = start
        while index < utf8.endIndex {
            let byte = utf8[index]
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") && inQuotes {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if byte == UInt8(ascii: ";") && !inQuotes {
                pieces.append(value[start..<index])
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        pieces.append(value[start..<utf8.endIndex])
        var parameters: [String: String] = [:]
        // RFC 2231 continuations: name*0*=utf-8''%C5%A1, name*1*=ola.pdf (or name*0="a", name*1="b").
        var sections: [String: [(index: Int, value: String, extended: Bool)]] = [:]
        var rfc2231 = Set<String>()
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            var name = piece[..<equals].trimmed().lowercased()
            let value = unquote(piece[piece.index(after: equals)...].trimmed())
            let extended = name.hasSuffix("*")
            if extended { name.removeLast() }
            if let star = name.lastIndex(of: "*"), let index = Int(name[name.index(after: star)...]) {
                sections[String(name[..<star]), default: []].append((index, value, extended))
                continue
            }
            // RFC 2231 4: a `name*` beside a plain `name` (as mail programs send both, for old
            // readers) is the one that counts, in whichever order they stand.
            if extended {
                parameters[name] = decodeExtended(value)
                rfc2231.insert(name)
            } else if !rfc2231.contains(name) {
                parameters[name] = value
            }
        }
        for (name, parts) in sections where !rfc2231.contains(name) {
            let ordered = parts.sorted { $0.index < $1.index }
            guard let first = ordered.first else { continue }
            if first.extended {
                // The charset stands only in the first section; later extended sections are bare percent-encoding.
                let prefix = first.value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                let charset = prefix.count == 3 ? String(prefix[0]) : "us-ascii"
                var bytes = percentDecoded(prefix.count == 3 ? String(prefix[2]) : first.value)
                for part in ordered.dropFirst() { bytes += part.extended ? percentDecoded(part.value) : Array(part.value.utf8) }
                parameters[name] = Charset.decode(bytes, charset: charset).text
            } else {
                parameters[name] = ordered.map(\.value).joined()
            }
        }
        return (pieces[0].trimmed(), parameters)
    }

    /// `"a \"b\""` -> `a "b"`; an unquoted value is returned as it is.
    private static func unquote(_ value: String) -> String {
        guard value.utf8.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else {
            return value.utf8.contains(UInt8(ascii: "\"")) ? String(value.filter { $0 != "\"" }) : value
        }
        var output = ""
        var escaped = false
        for ch in value.dropFirst().dropLast() {
            if escaped { output.append(ch); escaped = false } else if ch == "\\" { escaped = true } else { output.append(ch) }
        }
        return output
    }

    /// `utf-8'sl'%C5%A1ola` -> `šola`.
    private static func decodeExtended(_ value: String) -> String {
        let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return value }
        return Charset.decode(percentDecoded(String(parts[2])), charset: String(parts[0])).text
    }

    private static func percentDecoded(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        let raw = Array(text.utf8)
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
        return bytes
    }
}

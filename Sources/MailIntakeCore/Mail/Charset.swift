/// Turns bytes in a declared charset into a String, through iconv for everything but UTF-8.
///
/// Decoding never fails: bytes that are invalid in the declared charset become U+FFFD, an
/// unknown charset falls back to UTF-8 and then Latin-1, and the result says which happened
/// so the message can be flagged rather than silently misread.
public enum Charset {
    /// The outcome of decoding: the text, and what (if anything) went wrong.
    public struct Decoded: Sendable, Equatable {
        public var text: String
        public var problem: String?
    }

    public static func decode<C: Collection>(_ bytes: C, charset declared: String?) -> Decoded where C.Element == UInt8 {
        let name = normalize(declared ?? "us-ascii")
        if name == "UTF-8" || name == "US-ASCII" {
            if let text = validUTF8(bytes) { return Decoded(text: text, problem: nil) }
            // Mail that says ASCII/UTF-8 but is not: most often windows-1250 from old software here.
            let fallback = iconvDecode(Array(bytes), from: "WINDOWS-1250") ?? String(decoding: bytes, as: UTF8.self)
            return Decoded(text: fallback, problem: "declared \(declared ?? "us-ascii") but the bytes are not valid UTF-8; read as windows-1250")
        }
        if let text = iconvDecode(Array(bytes), from: name) {
            return Decoded(text: text, problem: nil)
        }
        if let text = validUTF8(bytes) {
            return Decoded(text: text, problem: "unknown charset \(declared ?? "") (read as UTF-8)")
        }
        return Decoded(text: String(decoding: bytes.map { $0 }, as: UTF8.self),
                       problem: "unknown charset \(declared ?? "") and not UTF-8; invalid bytes replaced")
    }

    /// Canonical iconv names for the spellings seen in real mail.
    static func normalize(_ name: String) -> String {
        var value = name.trimmed().uppercased()
        if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
        switch value {
        case "", "ASCII", "US-ASCII", "ANSI_X3.4-1968", "DEFAULT": return "US-ASCII"
        case "UTF8", "UTF-8", "UNICODE-1-1-UTF-8": return "UTF-8"
        case "CP1250", "WIN-1250", "X-CP1250", "WINDOWS1250": return "WINDOWS-1250"
        case "CP1252", "WIN-1252", "WINDOWS1252": return "WINDOWS-1252"
        case "LATIN1", "LATIN-1", "ISO8859-1", "ISO_8859-1": return "ISO-8859-1"
        case "LATIN2", "LATIN-2", "ISO8859-2", "ISO_8859-2": return "ISO-8859-2"
        case "KS_C_5601-1987": return "CP949"
        default: return value
        }
    }

    private static func validUTF8<C: Collection>(_ bytes: C) -> String? where C.Element == UInt8 {
        let decoded: String?? = bytes.withContiguousStorageIfAvailable { String(validating: $0, as: UTF8.self) }
        if let decoded { return decoded }
        return String(validating: Array(bytes), as: UTF8.self)
    }

    /// Converts with iconv, replacing each invalid byte with U+FFFD. Returns nil when iconv does not know the charset.
    private static func iconvDecode(_ input: [UInt8], from charset: String) -> String? {
        let converter = iconv_open("UTF-8", charset)
        guard let converter, converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 2)
        var chunk = [CChar](repeating: 0, count: 4096)
        var inputCopy = input.map { CChar(bitPattern: $0) }
        inputCopy.withUnsafeMutableBufferPointer { inBuffer in
            var inPointer: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress
            var inLeft = inBuffer.count
            while inLeft > 0 {
                let status: Int = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    var outPointer: UnsafeMutablePointer<CChar>? = outBuffer.baseAddress
                    var outLeft = outBuffer.count
                    let result = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
                    let produced = outBuffer.count - outLeft
                    output.append(contentsOf: outBuffer[0..<produced].map { UInt8(bitPattern: $0) })
                    return result == -1 ? Int(errno) : 0
                }
                if status == 0 || status == E2BIG { continue }
                // EILSEQ or EINVAL: one bad (or truncated) byte; replace it and go on.
                output.append(contentsOf: [0xEF, 0xBF, 0xBD])
                inPointer = inPointer.map { $0 + 1 }
                inLeft -= 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// RFC 2047 encoded words in header text (`=?charset?B?...?=` and `=?charset?Q?...?=`).
public enum EncodedWord {
    /// Decodes every well-formed encoded word in `text`. Whitespace between two adjacent
    /// encoded words is dropped (RFC 2047 6.2); a malformed word is left exactly as written.
    public static func decode(_ text: String) -> String {
        guard text.contains("=?") else { return text }
        var output = ""
        var pendingSpace = ""
        var lastWasEncoded = false
        var rest = Substring(text)
        while !rest.isEmpty {
            if rest.hasPrefix("=?"), let (decoded, length) = decodeWord(rest) {
                if !lastWasEncoded { output += pendingSpace }
                pendingSpace = ""
                output += decoded
                lastWasEncoded = true
                rest = rest.dropFirst(length)
                continue
            }
            let ch = rest.first!
            rest = rest.dropFirst()
            if ch == " " || ch == "\t" {
                pendingSpace.append(ch)
                continue
            }
            output += pendingSpace
            pendingSpace = ""
            output.append(ch)
            lastWasEncoded = false
        }
        return output + pendingSpace
    }

    /// Decodes one encoded word at the start of `text`, returning the text and how many characters it used.
    private static func decodeWord(_ text: Substring) -> (String, Int)? {
        // =?charset?enc?payload?=  — the payload has no spaces and no "?=".
        let body = text.dropFirst(2)
        guard let q1 = body.firstIndex(of: "?") else { return nil }
        var charset = String(body[..<q1])
        let afterCharset = body[body.index(after: q1)...]
        guard let q2 = afterCharset.firstIndex(of: "?"), afterCharset.distance(from: afterCharset.startIndex, to: q2) == 1 else { return nil }
        let encoding = afterCharset[afterCharset.startIndex].uppercased()
        let payloadStart = afterCharset.index(after: q2)
        guard let close = afterCharset[payloadStart...].range(of: "?=") else { return nil }
        let payload = afterCharset[payloadStart..<close.lowerBound]
        guard !charset.isEmpty, !payload.contains(" ") else { return nil }
        if let star = charset.firstIndex(of: "*") { charset = String(charset[..<star]) }  // RFC 2231 language suffix
        let bytes: [UInt8]
        switch encoding {
        case "B": bytes = TransferEncoding.base64(Array(payload.utf8))
        case "Q": bytes = TransferEncoding.quotedPrintable(Array(payload.utf8).map { $0 == UInt8(ascii: "_") ? 0x20 : $0 })
        default: return nil
        }
        let length = text.distance(from: text.startIndex, to: close.upperBound)
        return (Charset.decode(bytes, charset: charset).text, length)
    }

    /// Encodes `text` for a header as UTF-8 B-words when it is not plain printable ASCII,
    /// each word short enough for RFC 2047's 75-character limit, words joined by folding white space.
    /// Never emits CR or LF of its own, and CR/LF in the input only ever end up base64-encoded.
    public static func encodeIfNeeded(_ text: String) -> String {
        let plain = text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
        if plain && !text.contains("=?") { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 {  // 45 bytes -> 60 base64 chars + 12 of framing
                words.append(word(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(word(chunk)) }
        return words.joined(separator: "\r\n ")
    }

    private static func word(_ bytes: [UInt8]) -> String { "=?UTF-8?B?\(Base64.encode(bytes))?=" }
}

/// Plain base64 encoding (RFC 4648), for headers and bodies we write.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let b0 = iterator.next() {
            let b1 = iterator.next(), b2 = iterator.next()
            let n = UInt32(b0) << 16 | UInt32(b1 ?? 0) << 8 | UInt32(b2 ?? 0)
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(b1 == nil ? UInt8(ascii: "=") : alphabet[Int(n >> 6 & 63)])
            out.append(b2 == nil ? UInt8(ascii: "=") : alphabet[Int(n & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

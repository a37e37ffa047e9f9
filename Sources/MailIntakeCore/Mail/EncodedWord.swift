/// RFC 2047 encoded words in header text (`=?charset?B?...?=` and `=?charset?Q?...?=`).
///
/// Header text comes from strangers, so decoding is one pass over the bytes: a candidate word
/// that turns out malformed costs at most its charset's length, because where the next white
/// space or `?=` stands is remembered rather than searched for again (a subject of a megabyte
/// of unclosed `=?u?B?x` words once took minutes here).
public enum EncodedWord {
    /// The longest charset name (with an RFC 2231 language suffix) taken as one.
    static let maximumCharsetLength = 64

    /// Decodes every well-formed encoded word in `text`. Whitespace between two adjacent
    /// encoded words is dropped (RFC 2047 6.2); adjacent words in one charset are decoded
    /// together, so a character split across two words survives; a malformed word is left
    /// exactly as written.
    public static func decode(_ text: String) -> String {
        var budget = Int.max
        return decode(text, wordBudget: &budget)
    }

    /// As `decode(_:)`, decoding at most `wordBudget` words (and lowering it by as many); once it
    /// is spent the remaining words are left as written, and the caller records the cut.
    public static func decode(_ text: String, wordBudget: inout Int) -> String {
        var decoder = Decoder(Array(text.utf8))
        guard decoder.mayContainWords else { return text }
        return decoder.run(wordBudget: &wordBudget)
    }

    /// How many byte examinations decoding `text` costs: the tests' proof that it is linear.
    static func work(decoding text: String) -> Int {
        var decoder = Decoder(Array(text.utf8))
        var budget = Int.max
        _ = decoder.run(wordBudget: &budget)
        return decoder.work
    }

    private struct Decoder {
        let bytes: [UInt8]
        var output: [UInt8] = []
        /// Bytes of consecutive encoded words in one charset, decoded together when something else follows.
        var pendingWord: [UInt8] = []
        var pendingCharset = ""
        /// Where the white space after the last token starts, while it may still be dropped.
        var spaceStart: Int?
        var lastWasEncoded = false
        /// No white space and no `?=` stands in `stopFrom..<stopAt`; `stopAt` is one (or the end).
        var stopFrom = 0, stopAt = -1
        /// Bytes examined so far (see `EncodedWord.work`).
        var work = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var mayContainWords: Bool {
            var index = 0
            while index + 1 < bytes.count {
                if bytes[index] == UInt8(ascii: "="), bytes[index + 1] == UInt8(ascii: "?") { return true }
                index += 1
            }
            return false
        }

        mutating func run(wordBudget: inout Int) -> String {
            output.reserveCapacity(bytes.count)
            var index = 0
            while index < bytes.count {
                work += 1
                let byte = bytes[index]
                if byte == UInt8(ascii: "="), wordBudget > 0, let word = word(at: index) {
                    if !lastWasEncoded { flushSpace() }
                    spaceStart = nil
                    if word.charset != pendingCharset { flushWord() }
                    pendingCharset = word.charset
                    pendingWord += word.bytes
                    lastWasEncoded = true
                    wordBudget -= 1
                    index = word.end
                    continue
                }
                if byte == 0x20 || byte == 0x09 {
                    if spaceStart == nil { spaceStart = index }
                    index += 1
                    continue
                }
                flushWord()
                flushSpace()
                output.append(byte)
                lastWasEncoded = false
                index += 1
            }
            flushWord()
            flushSpace()
            return String(decoding: output, as: UTF8.self)
        }

        /// Writes the pending white space. Callers flush a pending word first: the space follows it.
        private mutating func flushSpace() {
            if let start = spaceStart {
                var end = start
                while end < bytes.count, bytes[end] == 0x20 || bytes[end] == 0x09 { end += 1 }
                output += bytes[start..<end]
            }
            spaceStart = nil
        }

        private mutating func flushWord() {
            guard !pendingWord.isEmpty || !pendingCharset.isEmpty else { return }
            output += Array(Charset.decode(pendingWord, charset: pendingCharset).text.utf8)
            pendingWord = []
            pendingCharset = ""
        }

        /// The encoded word starting at `start` (which holds `=`), if one does.
        private mutating func word(at start: Int) -> (charset: String, bytes: [UInt8], end: Int)? {
            guard start + 1 < bytes.count, bytes[start + 1] == UInt8(ascii: "?") else { return nil }
            let charsetStart = start + 2
            var index = charsetStart
            while index < bytes.count, index - charsetStart <= EncodedWord.maximumCharsetLength {
                work += 1
                let byte = bytes[index]
                if byte == UInt8(ascii: "?") || byte <= 0x20 || byte >= 0x7F { break }
                index += 1
            }
            guard index > charsetStart, index + 2 < bytes.count, bytes[index] == UInt8(ascii: "?"),
                  bytes[index + 2] == UInt8(ascii: "?") else { return nil }
            let encoding = bytes[index + 1] | 0x20  // lower case
            guard encoding == UInt8(ascii: "b") || encoding == UInt8(ascii: "q") else { return nil }
            let payloadStart = index + 3
            let stop = nextStop(from: payloadStart)
            guard stop < bytes.count, bytes[stop] == UInt8(ascii: "?") else { return nil }
            let payload = bytes[payloadStart..<stop]
            var charset = String(decoding: bytes[charsetStart..<index], as: UTF8.self)
            if let star = charset.firstIndex(of: "*") { charset = String(charset[..<star]) }  // RFC 2231 language suffix
            guard !charset.isEmpty else { return nil }
            let decoded = encoding == UInt8(ascii: "b")
                ? TransferEncoding.base64(payload)
                : TransferEncoding.quotedPrintable(payload.map { $0 == UInt8(ascii: "_") ? 0x20 : $0 })
            return (charset.lowercased(), decoded, stop + 2)
        }

        /// The first index at or after `position` holding white space or the `?` of `?=`, or the end.
        private mutating func nextStop(from position: Int) -> Int {
            if position >= stopFrom, position <= stopAt { return stopAt }
            // Searching backwards of what is known stops where the known stretch begins.
            let limit = position < stopFrom && stopAt >= 0 ? stopFrom : bytes.count
            var index = position
            while index < limit {
                work += 1
                let byte = bytes[index]
                if byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A { break }
                if byte == UInt8(ascii: "?"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "=") { break }
                index += 1
            }
            let result = index == limit && limit == stopFrom && limit < bytes.count ? stopAt : index
            stopFrom = position
            stopAt = result
            return result
        }
    }

    /// Encodes `text` for a header as UTF-8 B-words when it is not plain printable ASCII,
    /// each word short enough for RFC 2047's 75-character limit, words joined by folding white space.
    /// Never emits CR or LF of its own, and CR/LF in the input only ever end up base64-encoded.
    public static func encodeIfNeeded(_ text: String) -> String {
        var previous: UInt8 = 0
        var plain = true
        for byte in text.utf8 {
            // Not printable ASCII, or what would read as the start of an encoded word.
            if byte < 0x20 || byte >= 0x7F || (previous == UInt8(ascii: "=") && byte == UInt8(ascii: "?")) { plain = false; break }
            previous = byte
        }
        if plain { return text }
        return encode(text)
    }

    /// Encodes `text` as UTF-8 B-words whatever it holds, joined by folding white space.
    public static func encode(_ text: String) -> String {
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

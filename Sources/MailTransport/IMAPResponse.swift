import FoundationEssentials
import MailIntakeCore

/// One IMAP response as it came off the wire: its text in segments, with a literal between
/// each two (`segments.count == literals.count + 1`). A FETCH of a message body arrives as one
/// response whose literal is the raw message.
struct IMAPResponse: Sendable, Equatable {
    var segments: [[UInt8]]
    var literals: [[UInt8]]

    init(segments: [[UInt8]] = [[]], literals: [[UInt8]] = []) {
        self.segments = segments
        self.literals = literals
    }

    /// The text with each literal shown as `{N}`: for status lines, errors and logs.
    var line: String {
        var text = String(decoding: segments[0], as: UTF8.self)
        for (index, literal) in literals.enumerated() {
            text += "{\(literal.count)}" + String(decoding: segments[index + 1], as: UTF8.self)
        }
        return text
    }

    var isUntagged: Bool { segments[0].starts(with: [UInt8(ascii: "*"), 0x20]) }
    var isContinuation: Bool { segments[0].first == UInt8(ascii: "+") }

    func isCompletion(of tag: String) -> Bool {
        segments[0].starts(with: Array((tag + " ").utf8))
    }

    /// For a completion: OK, NO or BAD, and the rest of the line.
    var status: (String, String) {
        let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
        return (parts.count > 1 ? parts[1].uppercased() : "", parts.count > 2 ? parts[2] : "")
    }

    /// `* BYE …`: the server is closing the session.
    var isBye: Bool { line.uppercased().hasPrefix("* BYE") }

    /// The number after `[NAME ` in a response code, such as `[UIDVALIDITY 42]`.
    func responseCode(_ name: String) -> UInt32? {
        guard let range = line.firstRange(of: "[\(name) ") else { return nil }
        return UInt32(line[range.upperBound...].prefix(while: { $0.isASCII && $0.isNumber }))
    }
}

/// A framing error: the server sent something that is not IMAP, or more than we take. After
/// one, the connection's byte stream can no longer be trusted, so the session is given up.
struct IMAPFramingError: Error, Equatable, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}

/// Splits the bytes an IMAP server sends into responses (RFC 3501 §7 and §4.3 literals), as a
/// pure type: bytes go in with `append`, whole responses come out of `next()`. It knows nothing
/// of sockets, so it is tested on hostile transcripts without a server, and fuzzed.
///
/// Everything a server could use to make us spend without end is bounded: the length of a line,
/// the size of a literal (`{1099511627776}` is a literal we refuse, never text we read on), the
/// literals in one response, and the bytes of the response being assembled. Each response must
/// start the way IMAP responses do (`* `, `+`, or a tag), so bytes left over from a literal
/// that lied about its size are caught rather than read as responses of their own.
struct IMAPFramer {
    struct Limits: Sendable {
        /// The longest line (between literals), CRLF excluded.
        var maximumLine = 16 << 20
        /// The largest literal: a message of `[imap] max_message_size` plus room for its framing.
        var maximumLiteral = 64 << 20
        /// Literals in one response: a body FETCH has one; we ask for nothing with more.
        var maximumLiterals = 16
        /// Bytes of one response, literals included.
        var maximumResponse = 80 << 20
    }

    let limits: Limits
    /// Received and not yet consumed: `buffer[start...]`.
    private var buffer: [UInt8] = []
    private var start = 0
    /// How far the current line has been searched for LF already (an index into `buffer`).
    private var scanned = 0
    private var response = IMAPResponse()
    private var responseBytes = 0
    /// Bytes still owed to the literal being read, and the literal so far.
    private var literalRemaining: Int?
    private var literal: [UInt8] = []
    private var failed: IMAPFramingError?

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Bytes waiting in the buffer, for tests and for compaction.
    var buffered: Int { buffer.count - start }

    mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        // Consumed bytes are dropped before the buffer grows, so it holds one line or chunk at a time.
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            scanned -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete response, or nil when more bytes are needed. After an error every call throws it again.
    mutating func next() throws(IMAPFramingError) -> IMAPResponse? {
        if let failed { throw failed }
        do {
            return try step()
        } catch {
            failed = error
            throw error
        }
    }

    private mutating func step() throws(IMAPFramingError) -> IMAPResponse? {
        while true {
            if let remaining = literalRemaining {
                let take = min(remaining, buffer.count - start)
                if take > 0 {
                    literal += buffer[start..<(start + take)]
                    start += take
                    scanned = start
                }
                if take < remaining {
                    literalRemaining = remaining - take
                    return nil
                }
                response.literals.append(literal)
                response.segments.append([])
                literal = []
                literalRemaining = nil
                continue
            }
            // A line: up to LF. The search resumes where it stopped, so a slow line costs once.
            scanned = max(scanned, start)
            guard let newline = buffer[scanned...].firstIndex(of: 0x0A) else {
                scanned = buffer.count
                if buffer.count - start > limits.maximumLine {
                    throw IMAPFramingError(reason: "the IMAP server sent a line longer than \(limits.maximumLine) bytes")
                }
                return nil
            }
            var lineEnd = newline
            if lineEnd > start, buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = buffer[start..<lineEnd]
            guard line.count <= limits.maximumLine else {
                throw IMAPFramingError(reason: "the IMAP server sent a line longer than \(limits.maximumLine) bytes")
            }
            start = newline + 1
            scanned = start
            responseBytes += line.count + 2
            response.segments[response.segments.count - 1] += line
            if response.literals.isEmpty && response.segments[0].count == line.count {
                try Self.checkStart(line)
            }
            if let size = try literalSize(line) {
                guard response.literals.count < limits.maximumLiterals else {
                    throw IMAPFramingError(reason: "the IMAP server sent more than \(limits.maximumLiterals) literals in one response")
                }
                guard size <= limits.maximumLiteral else {
                    throw IMAPFramingError(reason: "the IMAP server announced a literal of \(size) bytes, above the limit of \(limits.maximumLiteral) bytes ([imap] max_message_size)")
                }
                responseBytes += size
                guard responseBytes <= limits.maximumResponse else {
                    throw IMAPFramingError(reason: "the IMAP server sent a response larger than \(limits.maximumResponse) bytes")
                }
                // The `{N}` marker is not part of the text: `line` shows it again from the literal's size.
                let segment = response.segments.count - 1
                let marker = response.segments[segment].lastIndex(of: UInt8(ascii: "{"))!
                response.segments[segment].removeSubrange(marker...)
                literalRemaining = size
                literal = []
                literal.reserveCapacity(size)
                continue
            }
            guard responseBytes <= limits.maximumResponse else {
                throw IMAPFramingError(reason: "the IMAP server sent a response larger than \(limits.maximumResponse) bytes")
            }
            let complete = response
            response = IMAPResponse()
            responseBytes = 0
            return complete
        }
    }

    /// A response starts with `* `, `+`, or one of our tags (`M` and a number, as `IMAPSession`
    /// writes them) and a space. Being strict here is what catches a literal that lied about its
    /// size: the message lines after it (`From: …`) are none of these.
    private static func checkStart(_ line: ArraySlice<UInt8>) throws(IMAPFramingError) {
        guard let first = line.first else {
            throw IMAPFramingError(reason: "the IMAP server sent an empty line where a response should start")
        }
        if first == UInt8(ascii: "+") { return }
        if first == UInt8(ascii: "*"), line.dropFirst().first == 0x20 { return }
        let tag = line.prefix { $0 != 0x20 }
        let digits = tag.dropFirst()
        guard first == UInt8(ascii: "M"), !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              tag.count < line.count else {
            throw IMAPFramingError(reason: "the IMAP server sent a line that is not an IMAP response: `\(Self.preview(line))`")
        }
    }

    /// `{123}` or `{123+}` at the end of a line announces a literal. Anything of that shape is a
    /// literal, however large its number: a size we would not take is an error, never text.
    private func literalSize(_ line: ArraySlice<UInt8>) throws(IMAPFramingError) -> Int? {
        guard line.last == UInt8(ascii: "}"), let open = line.lastIndex(of: UInt8(ascii: "{")) else { return nil }
        var digits = line[(open + 1)..<(line.endIndex - 1)]
        if digits.last == UInt8(ascii: "+") { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        guard digits.count <= 10, let size = Int(String(decoding: digits, as: UTF8.self)), size <= Int(UInt32.max) else {
            throw IMAPFramingError(reason: "the IMAP server announced a literal of \(String(decoding: digits.prefix(24), as: UTF8.self)) bytes, which no message can be")
        }
        return size
    }

    static func preview<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(decoding: bytes.prefix(60), as: UTF8.self).unicodeScalars
            .map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }.joined()
    }
}

/// One FETCH response read strictly: `* N FETCH (NAME value NAME value …)`, the values being
/// numbers, quoted strings, literals, NIL or parenthesised lists. A response that does not
/// parse is a protocol error, not something to guess at: a lying server is how mail gets lost.
struct FetchResponse: Equatable {
    var sequenceNumber: UInt32
    var uid: UInt32?
    var size: Int?
    var internalDate: Date?
    /// `BODY[]` or `BODY[]<0>`: the message, or its first bytes.
    var body: [UInt8]?

    /// Nil when the response is not a FETCH; throws when it claims to be one and is malformed.
    init?(_ response: IMAPResponse) throws(IMAPFramingError) {
        var scanner = Scanner(response)
        guard scanner.take("* "), let number = scanner.number(), scanner.take(" "), scanner.takeWord("FETCH") else { return nil }
        guard number <= UInt64(UInt32.max) else { throw scanner.error("a message number out of range") }
        sequenceNumber = UInt32(number)
        guard scanner.take(" "), scanner.take("(") else { throw scanner.error("no attribute list") }
        var first = true
        while !scanner.take(")") {
            if !first { guard scanner.take(" ") else { throw scanner.error("attributes not separated by a space") } }
            first = false
            let name = scanner.attributeName().uppercased()
            guard !name.isEmpty, scanner.take(" ") else { throw scanner.error("an attribute without a value") }
            switch name {
            case "UID":
                guard let value = scanner.number(), value > 0, value <= UInt64(UInt32.max) else { throw scanner.error("a UID that is not a number from 1 to 4294967295") }
                uid = UInt32(value)
            case "RFC822.SIZE":
                guard let value = scanner.number(), value <= UInt64(UInt32.max) else { throw scanner.error("a size that is not a number") }
                size = Int(value)
            case "INTERNALDATE":
                guard let text = try scanner.string() else { throw scanner.error("INTERNALDATE without a date") }
                internalDate = MailDate.parseInternalDate(String(decoding: text, as: UTF8.self).trimmed())
            default:
                if name.hasPrefix("BODY[") || name.hasPrefix("RFC822") && name != "RFC822.SIZE" {
                    body = try scanner.string()
                } else {
                    try scanner.skipValue()
                }
            }
        }
        guard scanner.atEnd else { throw scanner.error("text after the attribute list") }
    }

    /// Reads the tokens of a response's segments; reaching a segment's end steps onto its literal.
    private struct Scanner {
        let response: IMAPResponse
        var segment = 0
        var index = 0

        init(_ response: IMAPResponse) { self.response = response }

        private var bytes: [UInt8] { response.segments[segment] }
        var atEnd: Bool { segment == response.segments.count - 1 && index == bytes.count }
        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        func error(_ what: String) -> IMAPFramingError {
            IMAPFramingError(reason: "the IMAP server sent a malformed FETCH response (\(what)): `\(IMAPFramer.preview(Array(response.line.utf8)))`")
        }

        mutating func take(_ text: String) -> Bool {
            let wanted = Array(text.utf8)
            guard bytes.count - index >= wanted.count, Array(bytes[index..<(index + wanted.count)]) == wanted else { return false }
            index += wanted.count
            return true
        }

        mutating func takeWord(_ word: String) -> Bool {
            let wanted = Array(word.utf8)
            guard bytes.count - index >= wanted.count,
                  bytes[index..<(index + wanted.count)].map({ $0 & 0xDF }) == wanted.map({ $0 & 0xDF }) else { return false }
            index += wanted.count
            return true
        }

        mutating func number() -> UInt64? {
            let digits = bytes[index...].prefix { $0 >= 48 && $0 <= 57 }
            guard !digits.isEmpty, digits.count <= 19 else { return nil }
            index += digits.count
            return UInt64(String(decoding: digits, as: UTF8.self))
        }

        /// An attribute name, `[section]` and `<partial>` included (`BODY[HEADER.FIELDS (A B)]<0>`).
        mutating func attributeName() -> String {
            var depth = 0
            let begin = index
            while let byte = peek {
                if byte == UInt8(ascii: "[") { depth += 1 } else if byte == UInt8(ascii: "]") { depth -= 1 }
                if depth == 0 && (byte == 0x20 || byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")")) { break }
                index += 1
            }
            return String(decoding: bytes[begin..<index], as: UTF8.self)
        }

        /// A literal (when the segment ends here), a quoted string, or NIL (nil).
        mutating func string() throws(IMAPFramingError) -> [UInt8]? {
            if index == bytes.count, segment < response.literals.count {
                let literal = response.literals[segment]
                segment += 1
                index = 0
                return literal
            }
            if takeWord("NIL") { return nil }
            guard take("\"") else { throw error("a value that is neither a literal, a quoted string nor NIL") }
            var value: [UInt8] = []
            while let byte = peek {
                index += 1
                if byte == UInt8(ascii: "\"") { return value }
                if byte == UInt8(ascii: "\\"), let escaped = peek { value.append(escaped); index += 1; continue }
                value.append(byte)
            }
            throw error("an unterminated quoted string")
        }

        /// Any value we do not need: a number, atom, string, literal or (nested) list.
        mutating func skipValue() throws(IMAPFramingError) {
            if take("(") {
                var first = true
                while !take(")") {
                    if !first { guard take(" ") else { throw error("an unterminated list") } }
                    first = false
                    guard !(index == bytes.count && segment == response.literals.count) else { throw error("an unterminated list") }
                    try skipValue()
                }
                return
            }
            if peek == UInt8(ascii: "\"") || (index == bytes.count && segment < response.literals.count) {
                _ = try string()
                return
            }
            let begin = index
            while let byte = peek, byte != 0x20, byte != UInt8(ascii: "("), byte != UInt8(ascii: ")") { index += 1 }
            guard index > begin else { throw error("an empty value") }
        }
    }
}

import Foundation
import MailIntakeCore

/// One IMAP response: its text with each literal replaced by `{N}`, and the literals in order.
/// A FETCH of a message body arrives as one response whose literal is the raw message.
struct IMAPResponse {
    var text: [UInt8]
    var literals: [[UInt8]]

    var line: String { String(decoding: text, as: UTF8.self) }

    /// `* 3 FETCH ...` → true for untagged, and `tag` for tagged completions.
    var isUntagged: Bool { text.first == UInt8(ascii: "*") }

    func isCompletion(of tag: String) -> Bool {
        text.starts(with: Array((tag + " ").utf8))
    }

    /// For a completion: OK, NO or BAD, and the rest of the line.
    var status: (String, String) {
        let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
        return (parts.count > 1 ? parts[1].uppercased() : "", parts.count > 2 ? parts[2] : "")
    }

    /// The number after `[NAME ` in a response code, such as `[UIDVALIDITY 42]`.
    func responseCode(_ name: String) -> UInt32? {
        guard let range = line.range(of: "[\(name) ") else { return nil }
        return UInt32(line[range.upperBound...].prefix(while: { $0.isNumber }))
    }

    /// INTERNALDATE "28-Nov-2026 14:02:48 +0000" of a FETCH response.
    var internalDate: Date? {
        guard let range = line.range(of: "INTERNALDATE \""), let end = line[range.upperBound...].firstIndex(of: "\"") else { return nil }
        return MailDate.parseInternalDate(line[range.upperBound..<end].trimmingCharacters(in: .whitespaces))
    }

    /// The number after `NAME ` inside a FETCH response's attribute list, such as `UID 17`.
    func fetchAttribute(_ name: String) -> UInt32? {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "(" || $0 == ")" })
        guard let index = words.firstIndex(where: { $0.uppercased() == name }), index + 1 < words.count else { return nil }
        return UInt32(words[index + 1])
    }
}

/// Reads IMAP responses from a connection, literals included, through one reusable buffer.
struct IMAPResponseReader {
    /// Bytes received; `start..<end` is what has not been consumed yet.
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private static let chunkSize = 256 * 1024
    /// A literal larger than this is refused: it would have to sit in memory whole.
    let maximumLiteral: Int

    init(maximumLiteral: Int) {
        self.maximumLiteral = maximumLiteral
        buffer = [UInt8](repeating: 0, count: Self.chunkSize)
    }

    mutating func next(from connection: IMAPConnection) throws(TransportError) -> IMAPResponse {
        var response = IMAPResponse(text: [], literals: [])
        while true {
            let line = try readLine(from: connection)
            response.text += line
            guard let size = Self.literalSize(line) else { return response }
            guard size <= maximumLiteral else {
                throw TransportError(.protocolError, "the server sent a \(size)-byte literal, above the limit of \(maximumLiteral) bytes")
            }
            response.literals.append(try readBytes(size, from: connection))
        }
    }

    /// `... {123}` or `{123+}` at the end of a line announces a literal of that many bytes.
    static func literalSize(_ line: [UInt8]) -> Int? {
        guard line.last == UInt8(ascii: "}"), let open = line.lastIndex(of: UInt8(ascii: "{")) else { return nil }
        var digits = line[(open + 1)..<(line.count - 1)]
        if digits.last == UInt8(ascii: "+") { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.count < 12, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int(String(decoding: digits, as: UTF8.self))
    }

    /// One line without its CRLF.
    private mutating func readLine(from connection: IMAPConnection) throws(TransportError) -> [UInt8] {
        var scanned = 0  // bytes after `start` already searched; `fill` may move `start`
        while true {
            if let newline = buffer[(start + scanned)..<end].firstIndex(of: 0x0A) {
                var lineEnd = newline
                if lineEnd > start, buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = Array(buffer[start..<lineEnd])
                start = newline + 1
                return line
            }
            scanned = end - start
            try fill(from: connection)
        }
    }

    private mutating func readBytes(_ count: Int, from connection: IMAPConnection) throws(TransportError) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        while result.count < count {
            if start == end { try fill(from: connection) }
            let take = min(count - result.count, end - start)
            result += buffer[start..<(start + take)]
            start += take
        }
        return result
    }

    /// Receives more bytes after `end`, first moving unconsumed bytes to the front (or growing the
    /// buffer for a line longer than it), so the buffer stays one chunk in the common case.
    private mutating func fill(from connection: IMAPConnection) throws(TransportError) {
        if start > 0 {
            let pending = end - start
            if pending > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    raw.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: pending)
                }
            }
            start = 0
            end = pending
        }
        if end == buffer.count { buffer += [UInt8](repeating: 0, count: Self.chunkSize) }
        let offset = end
        var received = 0
        var failure: TransportError?
        buffer.withUnsafeMutableBytes { raw in
            do throws(TransportError) {
                received = try connection.receive(into: UnsafeMutableRawBufferPointer(rebasing: raw[offset...]))
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        if received == 0 { throw TransportError(.connection, "the IMAP server closed the connection") }
        end += received
    }
}

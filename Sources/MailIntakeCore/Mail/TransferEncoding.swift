/// Content-Transfer-Encoding decoders, lenient the way real mail needs them to be.
public enum TransferEncoding {
    /// Decodes `body` per the header value (7bit, 8bit, binary, quoted-printable, base64).
    public static func decode(_ body: ArraySlice<UInt8>, encoding: String?) -> [UInt8] {
        switch encoding?.trimmed().lowercased() {
        case "quoted-printable": return quotedPrintable(body)
        case "base64": return base64(body)
        default: return Array(body)
        }
    }

    /// Quoted-printable (RFC 2045 6.7): soft line breaks removed, upper- or lower-case hex
    /// decoded, and a broken escape kept as it stands rather than dropped.
    public static func quotedPrintable<C: Collection>(_ input: C) -> [UInt8] where C.Element == UInt8, C.Index == Int {
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var i = input.startIndex
        let end = input.endIndex
        while i < end {
            let byte = input[i]
            guard byte == UInt8(ascii: "=") else { out.append(byte); i += 1; continue }
            // Soft line break: "=" then optional trailing whitespace, then CRLF or LF.
            var j = i + 1
            while j < end, input[j] == 0x20 || input[j] == 0x09 { j += 1 }
            if j < end, input[j] == 0x0A { i = j + 1; continue }
            if j + 1 < end, input[j] == 0x0D, input[j + 1] == 0x0A { i = j + 2; continue }
            if j == end { i = j; continue }
            if i + 2 < end, let high = hexValue(input[i + 1]), let low = hexValue(input[i + 2]) {
                out.append(high << 4 | low)
                i += 3
                continue
            }
            out.append(byte)
            i += 1
        }
        return out
    }

    /// Base64, ignoring line breaks and stray characters and tolerating missing padding.
    /// Table-driven over a raw buffer: attachments make base64 the bulk of what mail carries.
    public static func base64<C: Collection>(_ input: C) -> [UInt8] where C.Element == UInt8 {
        if let decoded = input.withContiguousStorageIfAvailable({ base64(buffer: $0) }) { return decoded }
        return Array(input).withUnsafeBufferPointer { base64(buffer: $0) }
    }

    private static func base64(buffer: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: buffer.count / 4 * 3 + 3)
        let count = out.withUnsafeMutableBufferPointer { output in
            // Room for all of it: the output never fills, so `flush` is never called.
            base64(buffer, into: output) { _ in }
        }
        out.removeLast(out.count - count)
        return out
    }

    /// Decodes `body` per the header value a piece at a time into `sink`, never holding the whole
    /// decoded content: what hashing an attachment needs (a 1.2 MB PDF decoded at once was a
    /// fifth of the ingest's peak memory, docs/PERFORMANCE.md). The pieces are valid only during
    /// the call; together they are exactly what `decode` returns.
    public static func decode(_ body: ArraySlice<UInt8>, encoding: String?, into sink: (UnsafeBufferPointer<UInt8>) -> Void) {
        switch encoding?.trimmed().lowercased() {
        case "base64":
            body.withUnsafeBufferPointer { input in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64 << 10) { scratch in
                    let count = base64(input, into: scratch) { full in sink(UnsafeBufferPointer(rebasing: scratch[0..<full])) }
                    if count > 0 { sink(UnsafeBufferPointer(rebasing: scratch[0..<count])) }
                }
            }
        case "quoted-printable": quotedPrintable(body).withUnsafeBufferPointer(sink)
        default: body.withUnsafeBufferPointer(sink)
        }
    }

    /// The decoder itself, writing into `output` and handing it to `flush` (with how much it holds)
    /// whenever it is full; returns how much the last, unflushed piece holds.
    private static func base64(_ buffer: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>, flush: (Int) -> Void) -> Int {
        // Through a pointer: a byte always indexes the 256 entries, so the array's bounds check on
        // each of the four look-ups per quantum is waste (a tenth of the decoder's samples).
        base64Table.withUnsafeBufferPointer { base64($0, buffer, into: output, flush: flush) }
    }

    private static func base64(_ table: UnsafeBufferPointer<UInt8>, _ buffer: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>,
                               flush: (Int) -> Void) -> Int {
        var count = 0
        var accumulator: UInt32 = 0
        var bits: UInt32 = 0
        var position = 0
        let end = buffer.count
        while position < end {
            // Whole quanta of four valid characters, at a quantum's start: three bytes at once
            // (a line of 76 characters is 19 of them); anything else goes one at a time below.
            if bits == 0, position + 4 <= end {
                let a = table[Int(buffer[position])], b = table[Int(buffer[position + 1])]
                let c = table[Int(buffer[position + 2])], d = table[Int(buffer[position + 3])]
                if (a | b | c | d) < 64 {
                    if count + 3 > output.count { flush(count); count = 0 }
                    let quantum = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    output[count] = UInt8(truncatingIfNeeded: quantum >> 16)
                    output[count + 1] = UInt8(truncatingIfNeeded: quantum >> 8)
                    output[count + 2] = UInt8(truncatingIfNeeded: quantum)
                    count += 3
                    position += 4
                    continue
                }
            }
            let value = table[Int(buffer[position])]
            position += 1
            if value < 64 {
                accumulator = accumulator << 6 | UInt32(value)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    if count == output.count { flush(count); count = 0 }
                    output[count] = UInt8(truncatingIfNeeded: accumulator >> bits)
                    count += 1
                    accumulator &= (1 << bits) - 1
                }
            } else if value == padding {
                bits = 0  // "=" ends a quantum; a following chunk starts afresh
                accumulator = 0
            }
        }
        return count
    }

    private static let padding: UInt8 = 0xFE
    /// Sextet per byte: 0...63, `padding` for "=", 0xFF for everything that is skipped. Accepts the
    /// URL-safe alphabet too (`-` and `_`), which some web forms send.
    private static let base64Table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { table[Int(byte)] = UInt8(index) }
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        table[Int(UInt8(ascii: "="))] = padding
        return table
    }()

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}

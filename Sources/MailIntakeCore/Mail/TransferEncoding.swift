/// Content-Transfer-Encoding decoders, lenient the way real mail needs them to be.
public enum TransferEncoding {
    /// Decodes `body` per the header value (7bit, 8bit, binary, quoted-printable, base64).
    public static func decode(_ body: ArraySlice<UInt8>, encoding: String?) -> [UInt8] {
        switch encoding?.trimmingWhitespace().lowercased() {
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
    public static func base64<C: Collection>(_ input: C) -> [UInt8] where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in input {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"), UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): value = 63
            case UInt8(ascii: "="): bits = 0; accumulator = 0; continue
            default: continue
            }
            accumulator = accumulator << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        return out
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}

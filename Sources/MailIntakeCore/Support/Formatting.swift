/// Numbers as text, the few ways the product writes them, without Foundation's
/// `String(format:)` (which the product does not link: docs/PERFORMANCE.md). `vsnprintf` is the
/// C library's own printf, so the digits are exactly those `String(format:)` gave.
public enum Formatting {
    /// `value` with `digits` decimals ("%.Nf"), or in exponent form ("%.Ne") when `exponent`.
    public static func decimal(_ value: Double, digits: Int, exponent: Bool = false) -> String {
        printf("%.\(max(0, min(digits, 17)))\(exponent ? "e" : "f")", value)
    }

    /// `value` in decimal, zero-padded to `width` digits ("%0Nd").
    public static func padded(_ value: Int, width: Int) -> String {
        let digits = String(value.magnitude)
        let padding = String(repeating: "0", count: max(0, width - digits.count - (value < 0 ? 1 : 0)))
        return (value < 0 ? "-" : "") + padding + digits
    }

    /// Two upper-case hexadecimal digits ("%02X").
    public static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
    }

    private static func printf(_ format: String, _ value: Double) -> String {
        // Room for the longest there is: "%.17f" of -Double.greatestFiniteMagnitude is 328 bytes.
        var buffer = [CChar](repeating: 0, count: 512)
        _ = withVaList([value]) { arguments in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, format, arguments) }
        }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

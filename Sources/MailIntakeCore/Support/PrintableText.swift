/// Text from outside (a subject, a name, a body line, a server's reply, a staff note) made safe
/// to print on a terminal or write into a log line or a CSV cell: nothing in it can move the
/// cursor, change colours or a window title (ESC, CSI, OSC), ring the bell, start a new line or
/// overwrite one (CR, LF, U+2028/U+2029, U+0085), end the string (NUL), or turn the text
/// around (the bidirectional overrides and isolates that make `exe.pdf` of `fdp.exe`).
///
/// C0 controls become their visible pictures (ESC → ␛, NUL → ␀, LF → ␊), the rest `<U+XXXX>`,
/// so staff see that something was there and what it was. Tab stays a tab.
public enum PrintableText {
    public static func safe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var output = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isUnsafe(scalar) else { output.append(scalar); continue }
            switch scalar.value {
            case 0x00..<0x20: output.append(Unicode.Scalar(0x2400 + scalar.value)!)  // ␀ … ␟
            case 0x7F: output.append("\u{2421}")  // ␡
            default: output.append(contentsOf: "<U+\(String(scalar.value, radix: 16, uppercase: true))>".unicodeScalars)
            }
        }
        return String(output)
    }

    /// `safe`, cut to `limit` characters (with an ellipsis): for what a remote server says, which
    /// may be of any length.
    public static func safe(_ text: String, limit: Int) -> String {
        let cut = text.count > limit ? String(text.prefix(limit)) + "…" : text
        return safe(cut)
    }

    /// True for what `safe` replaces.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09: return false
        case 0x00..<0x20, 0x7F...0x9F: return true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true  // bidirectional controls
        case 0x2028, 0x2029: return true  // line and paragraph separators
        default: return false
        }
    }
}

/// Parses RFC 5322 address lists as real mail carries them: display names, quoted strings,
/// comments, groups (`Team: a@x, b@y;`), and bare addresses. What cannot be read as an
/// address is skipped; the caller sees fewer addresses, never a crash.
public enum AddressList {
    public static func parse(_ text: String) -> [MailAddress] {
        var result: [MailAddress] = []
        for item in splitTopLevel(text) {
            if let address = parseOne(item) { result.append(address) }
        }
        return result
    }

    /// Splits at commas (and group delimiters `:` `;`) that stand outside quotes, comments and angle brackets.
    private static func splitTopLevel(_ text: String) -> [String] {
        var items: [String] = []
        var current = ""
        var inQuotes = false, inAngle = false, commentDepth = 0, escaped = false
        for ch in text {
            if escaped { current.append(ch); escaped = false; continue }
            switch ch {
            case "\\" where inQuotes || commentDepth > 0:
                current.append(ch); escaped = true
            case "\"" where commentDepth == 0:
                inQuotes.toggle(); current.append(ch)
            case "(" where !inQuotes:
                commentDepth += 1; current.append(ch)
            case ")" where !inQuotes && commentDepth > 0:
                commentDepth -= 1; current.append(ch)
            case "<" where !inQuotes && commentDepth == 0:
                inAngle = true; current.append(ch)
            case ">" where !inQuotes && commentDepth == 0:
                inAngle = false; current.append(ch)
            case "," where !inQuotes && !inAngle && commentDepth == 0, ";" where !inQuotes && !inAngle && commentDepth == 0:
                items.append(current); current = ""
            case ":" where !inQuotes && !inAngle && commentDepth == 0:
                current = ""  // a group's display name is not an address
            default:
                current.append(ch)
            }
        }
        items.append(current)
        return items.map { $0.trimmed() }.filter { !$0.isEmpty }
    }

    private static func parseOne(_ item: String) -> MailAddress? {
        // The angle-addr is the last `<…>` outside quotes and comments: in
        // `alice@example.org (Bob <victim@evil.test>)` the brackets are part of a comment,
        // and a comment is never an address.
        if let (open, close) = angleAddress(in: item) {
            let spec = String(item[item.index(after: open)..<close])
            let name = unquote(stripComments(String(item[..<open])))
            return MailAddress(validating: spec, displayName: name)
        }
        // A bare addr-spec, perhaps with a comment that old mailers used for the name (unless
        // the comment looks like an address itself: then it names nobody we could trust).
        var comment: String?
        if let open = item.firstIndex(of: "("), let close = item.lastIndex(of: ")"), open < close {
            let text = String(item[item.index(after: open)..<close])
            if !text.contains(where: { $0 == "@" || $0 == "<" || $0 == ">" }) { comment = text }
        }
        return MailAddress(validating: stripComments(item), displayName: comment.map(unquote))
    }

    /// The positions of `<` and `>` of the last angle-addr outside quoted strings and comments.
    private static func angleAddress(in item: String) -> (String.Index, String.Index)? {
        var found: (String.Index, String.Index)?
        var open: String.Index?
        var inQuotes = false, escaped = false, depth = 0
        var index = item.startIndex
        while index < item.endIndex {
            let ch = item[index]
            if escaped {
                escaped = false
            } else if ch == "\\" && (inQuotes || depth > 0) {
                escaped = true
            } else if ch == "\"" && depth == 0 {
                inQuotes.toggle()
            } else if !inQuotes && ch == "(" {
                depth += 1
            } else if !inQuotes && ch == ")" && depth > 0 {
                depth -= 1
            } else if !inQuotes && depth == 0 && ch == "<" {
                open = index
            } else if !inQuotes && depth == 0 && ch == ">", let start = open {
                found = (start, index)
                open = nil
            }
            index = item.index(after: index)
        }
        return found
    }

    private static func stripComments(_ text: String) -> String {
        var out = ""
        var depth = 0, inQuotes = false
        for ch in text {
            if ch == "\"" && depth == 0 { inQuotes.toggle() }
            if !inQuotes && ch == "(" { depth += 1; continue }
            if !inQuotes && ch == ")" && depth > 0 { depth -= 1; continue }
            if depth == 0 { out.append(ch) }
        }
        return out.trimmed()
    }

    private static func unquote(_ text: String) -> String {
        var value = text.trimmed()
        guard value.count >= 2, value.first == "\"", value.last == "\"" else { return value }
        value = String(value.dropFirst().dropLast())
        var out = ""
        var escaped = false
        for ch in value {
            if escaped { out.append(ch); escaped = false } else if ch == "\\" { escaped = true } else { out.append(ch) }
        }
        return out
    }
}

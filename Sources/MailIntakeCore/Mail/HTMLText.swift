/// Renders HTML as readable plain text: script and style dropped, block elements to line
/// breaks, tags removed, entities decoded. Enough to classify and to show staff; not a browser.
public enum HTMLText {
    public static func render(_ html: String) -> String {
        var output = ""
        var rest = Substring(html)
        // A link keeps its address as text: "the programme (https://…)", unless the text already shows it.
        var openLink: (href: String, start: Int)?
        while let open = rest.firstIndex(of: "<") {
            output += rest[..<open]
            guard let close = rest[open...].firstIndex(of: ">") else { rest = rest[open...]; break }
            let rawTag = rest[rest.index(after: open)..<close]
            let tag = rawTag.lowercased()
            let name = tag.split(whereSeparator: { $0 == " " || $0 == "/" || $0 == "\t" || $0 == "\n" }).first.map(String.init) ?? ""
            rest = rest[rest.index(after: close)...]
            if name == "a", let href = Self.attribute("href", in: String(rawTag)), href.hasPrefix("http") || href.hasPrefix("mailto:") {
                openLink = (href, output.count)
            } else if tag.hasPrefix("/a"), tag.count == 2 || tag.dropFirst(2).first == " ", let link = openLink {
                let shown = String(output.dropFirst(link.start))
                let address = link.href.hasPrefix("mailto:") ? String(link.href.dropFirst(7)) : link.href
                if !shown.contains(address) { output += " (\(address))" }
                openLink = nil
            }
            if name == "script" || name == "style" {
                if let end = rest.firstRange(ofIgnoringASCIICase: "</\(name)") {
                    rest = rest[end.upperBound...]
                    if let gt = rest.firstIndex(of: ">") { rest = rest[rest.index(after: gt)...] }
                }
                continue
            }
            if blockTags.contains(name) || blockTags.contains(String(name.dropFirst())) { output += "\n" }
        }
        output += rest
        let decoded = decodeEntities(output)
        // Collapse the runs of blank lines that nested blocks leave behind.
        var lines: [String] = []
        for line in decoded.lines() {
            let trimmed = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
            if trimmed.isEmpty, lines.last?.isEmpty ?? true { continue }
            lines.append(trimmed)
        }
        return lines.joined(separator: "\n").trimmed()
    }

    /// The value of `name="…"` (or '…', or unquoted) in a tag's text, entities decoded.
    static func attribute(_ name: String, in tag: String) -> String? {
        guard let range = tag.firstRange(ofIgnoringASCIICase: name + "=") else { return nil }
        var value = tag[range.upperBound...]
        if let quote = value.first, quote == "\"" || quote == "'" {
            value = value.dropFirst()
            guard let end = value.firstIndex(of: quote) else { return nil }
            return decodeEntities(String(value[..<end]))
        }
        return decodeEntities(String(value.prefix(while: { $0 != " " && $0 != ">" })))
    }

    private static let blockTags: Set<String> = ["br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "hr"]

    private static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ",
        "scaron": "š", "Scaron": "Š", "ccaron": "č", "Ccaron": "Č", "zcaron": "ž", "Zcaron": "Ž",
        "auml": "ä", "ouml": "ö", "uuml": "ü", "Auml": "Ä", "Ouml": "Ö", "Uuml": "Ü", "szlig": "ß",
        "eacute": "é", "egrave": "è", "aacute": "á", "agrave": "à", "oacute": "ó", "iacute": "í", "uacute": "ú",
        "ndash": "–", "mdash": "—", "hellip": "…", "euro": "€", "copy": "©", "bdquo": "„", "ldquo": "“", "rdquo": "”",
    ]

    /// Decodes `&name;`, `&#NNN;` and `&#xHH;`; an unknown entity stays as written.
    public static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var output = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            output += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semi = after.prefix(10).firstIndex(of: ";") {
                let entity = String(after[..<semi])
                if let value = decodeEntity(entity) {
                    output += value
                    rest = after[after.index(after: semi)...]
                    continue
                }
            }
            output += "&"
            rest = after
        }
        return output + rest
    }

    private static func decodeEntity(_ entity: String) -> String? {
        if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
            return UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
        }
        if entity.hasPrefix("#") {
            return UInt32(entity.dropFirst()).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
        }
        return named[entity]
    }
}

/// Lower-cases text and folds the diacritics of the languages we read (šport = sport,
/// Städte = stadte, čšž, ćđ, áéíóöőúüű, àèìòù, ß = ss), as UTF-8 bytes ready for word matching.
/// Non-ASCII characters that are not letters (dashes, typographic quotes) become spaces; ASCII
/// punctuation stays, since legal-form markers such as `d.o.o.` need it.
/// Written out rather than Foundation's `folding(options:)`, which costs more than the whole
/// rest of classification.
enum TextFolding {
    private static let table: [UInt32: [UInt8]] = {
        var table: [UInt32: [UInt8]] = [:]
        let groups: [(String, String)] = [
            ("àáâãäåāăą", "a"), ("çćĉċč", "c"), ("ďđ", "d"), ("èéêëēĕėęě", "e"), ("ĝğġģ", "g"), ("ĥħ", "h"),
            ("ìíîïĩīĭįı", "i"), ("ĵ", "j"), ("ķ", "k"), ("ĺļľŀł", "l"), ("ñńņňŉ", "n"), ("òóôõöøōŏő", "o"),
            ("ŕŗř", "r"), ("śŝşšș", "s"), ("ţťŧț", "t"), ("ùúûüũūŭůűų", "u"), ("ŵ", "w"), ("ýÿŷ", "y"), ("źżž", "z"),
        ]
        for (letters, base) in groups {
            for scalar in letters.unicodeScalars { table[scalar.value] = Array(base.utf8) }
            for scalar in letters.uppercased().unicodeScalars where table[scalar.value] == nil { table[scalar.value] = Array(base.utf8) }
        }
        table[0xDF] = Array("ss".utf8)
        table[0x1E9E] = Array("ss".utf8)
        return table
    }()

    /// Folds at most `limit` bytes of `text`.
    static func fold(_ text: String, limit: Int = .max) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(min(text.utf8.count, limit))
        for scalar in text.unicodeScalars {
            if output.count >= limit { break }
            let value = scalar.value
            if value < 0x80 {
                output.append(UInt8(value).asciiLowercased)
            } else if let replacement = table[value] {
                output.append(contentsOf: replacement)
            } else if scalar.properties.generalCategory == .nonspacingMark {
                continue  // a combining accent (decomposed text)
            } else if scalar.properties.isAlphabetic {
                output.append(contentsOf: scalar.properties.isUppercase ? Array(scalar.properties.lowercaseMapping.utf8) : Array(String(scalar).utf8))
            } else {
                output.append(0x20)
            }
        }
        return output
    }

    /// Whether a folded byte belongs to a word: ASCII letters and every byte of a non-ASCII letter.
    @inline(__always)
    static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || byte >= 0x80
    }
}

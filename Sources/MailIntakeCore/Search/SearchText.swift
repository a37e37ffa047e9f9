/// What the search index holds and how a query is read, in one place so the two always agree.
/// Text is folded as the classifier folds it (lower case, diacritics off: č→c, š→s, ž→z, ß→ss),
/// and words that some people spell another way are indexed in both forms: đ as d and dj, ä/ö/ü
/// as a/o/u and ae/oe/ue, so `dordevic`, `djordjevic`, `munchen` and `muenchen` all find them.
public enum SearchText {
    /// The letters with a second spelling, composed (a decomposed ä, ö or ü is its base letter
    /// and U+0308, handled where the words are cut).
    private static let alternatives: [Unicode.Scalar: String] = ["đ": "dj", "Đ": "dj", "ä": "ae", "Ä": "ae", "ö": "oe", "Ö": "oe", "ü": "ue", "Ü": "ue"]

    /// The text as indexed: its folded words, then the second spelling of those that have one.
    public static func indexed(_ text: String) -> String {
        // Most texts have none of those letters: then the words need not be looked at one by one.
        guard hasAlternative(text) else { return folded(text) }
        // Words are runs of letters and digits, with the marks that follow them (as Characters
        // would group them), cut on Unicode scalars: splitting 16 KB into Characters and asking
        // each `isLetter` was 4 % of an ingest's CPU (docs/PERFORMANCE.md).
        var second: [String] = []
        var spelled = String.UnicodeScalarView()  // the word so far, spelled the second way; empty between words
        var hasAlternative = false
        func endWord() {
            guard !spelled.isEmpty else { return }
            if hasAlternative { second.append(folded(String(spelled))) }
            spelled = String.UnicodeScalarView()
            hasAlternative = false
        }
        for scalar in text.unicodeScalars {
            if isWordScalar(scalar) {
                if let other = alternatives[scalar] {
                    spelled.append(contentsOf: other.unicodeScalars)
                    hasAlternative = true
                } else {
                    spelled.append(scalar)
                }
            } else if !spelled.isEmpty, isMark(scalar) {
                if scalar == "\u{308}", let base = spelled.last, "aouAOU".unicodeScalars.contains(base) {
                    spelled.append("e")  // u + U+0308 is ü: "ue"
                    hasAlternative = true
                } else {
                    spelled.append(scalar)
                }
            } else {
                endWord()
            }
        }
        endWord()
        let primary = folded(text)
        return second.isEmpty ? primary : primary + " " + second.joined(separator: " ")
    }

    /// A letter or a digit, as `Character.isLetter` and `isNumber` ask of a Character's first scalar.
    @inline(__always)
    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let value = scalar.value
            return (value >= 0x61 && value <= 0x7A) || (value >= 0x41 && value <= 0x5A) || (value >= 0x30 && value <= 0x39)
        }
        let properties = scalar.properties
        return properties.isAlphabetic || properties.numericType != nil
    }

    private static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        guard !scalar.isASCII else { return false }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// Whether `text` may hold đ, Đ, ä, Ä, ö, Ö, ü or Ü, read from its UTF-8 (C4 90/91, C3 84/96/9C/A4/B6/BC),
    /// or a combining diaeresis (CC 88: a decomposed ü is the same Character, and has the second spelling too).
    static func hasAlternative(_ text: String) -> Bool {
        var lead: UInt8 = 0
        for byte in text.utf8 {
            switch (lead, byte) {
            case (0xC4, 0x90), (0xC4, 0x91), (0xC3, 0x84), (0xC3, 0x96), (0xC3, 0x9C), (0xC3, 0xA4), (0xC3, 0xB6), (0xC3, 0xBC), (0xCC, 0x88): return true
            default: lead = byte
            }
        }
        return false
    }

    /// An FTS5 MATCH expression for what a person typed: words and "quoted phrases", all
    /// required. Each word is cut to its stem and matched as a prefix, so the cases and numbers of
    /// Slovenian, Croatian and Serbian (and German plurals) find each other: `pobratena` finds
    /// `pobratenih`, `mesta` finds `mest` and `mestih`. A phrase's words must stand next to each
    /// other. Only letters and digits reach FTS5, so nothing typed can become query syntax. Nil
    /// when nothing searchable is left.
    public static func query(_ input: String) -> String? {
        var terms: [String] = []
        for (index, piece) in input.split(separator: "\"", omittingEmptySubsequences: false).enumerated() {
            let words = folded(String(piece)).split(whereSeparator: { !isWordCharacter($0) }).map { "\"\(stem(String($0)))\"*" }
            guard !words.isEmpty else { continue }
            if index % 2 == 1, words.count > 1 {
                terms.append("NEAR(\(words.joined(separator: " ")), \(words.count - 1))")
            } else {
                terms += words
            }
        }
        return terms.isEmpty ? nil : terms.joined(separator: " AND ")
    }

    /// The word without one inflectional ending, when at least four letters remain.
    static func stem(_ word: String) -> String {
        for ending in endings where word.hasSuffix(ending) && word.count - ending.count >= 4 {
            return String(word.dropLast(ending.count))
        }
        return word
    }

    /// Longest first: the endings of the South Slavic cases and numbers, and German's -en/-e.
    private static let endings = ["ega", "emu", "ami", "ima", "ih", "im", "om", "em", "ov", "ev", "ah", "en", "a", "e", "i", "o", "u"]

    static func folded(_ text: String) -> String {
        String(decoding: TextFolding.fold(text), as: UTF8.self)
    }

    private static func isWordCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber
    }
}

/// One message's contribution to the search index, already folded: made in `Filer.prepare`,
/// off the database's thread, so the filing transaction only writes it.
public struct SearchDocument: Sendable, Equatable {
    public var subject: String
    public var sender: String
    public var organisation: String
    public var body: String
    public var attachments: String

    /// The most text of one message that is indexed: a long letter is 5–10 KB; more is a pasted
    /// document, whose first pages are what anyone searches for. (At 64 KiB, filing the
    /// benchmark's 35 KB messages took 27 % longer than without the index; see docs/PERFORMANCE.md.)
    public static let textLimit = 16 << 10

    public init(subject: String, sender: [String?], organisation: String?, body: String, attachments: [String]) {
        self.subject = SearchText.indexed(subject)
        self.sender = SearchText.indexed(sender.compactMap { $0 }.joined(separator: " "))
        self.organisation = SearchText.indexed(organisation ?? "")
        // Cut by Unicode scalars, not Characters: the same text, without walking grapheme clusters.
        self.body = SearchText.indexed(body.utf8.count <= Self.textLimit ? body : String(body.unicodeScalars.prefix(Self.textLimit)))
        self.attachments = SearchText.indexed(attachments.joined(separator: " "))
    }
}

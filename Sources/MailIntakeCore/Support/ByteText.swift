/// Plain replacements over a string's UTF-8, for the code that renders every outgoing mail:
/// Foundation's `replacingOccurrences` bridges each call through NSString (and was most of the
/// acknowledgements' rendering cost in a profile, docs/PERFORMANCE.md). Exact byte sequences, no
/// locale, no case folding — what mail rendering means by "replace".
extension String {
    /// Every occurrence of `target` replaced with `replacement`; `self` unchanged (not copied)
    /// when there is none.
    func replacingAll(_ target: String, with replacement: String) -> String {
        let needle = Array(target.utf8)
        guard let first = needle.first else { return self }
        var result: [UInt8] = []
        var found = false
        let utf8 = Array(self.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == first, index + needle.count <= utf8.count, utf8[index..<index + needle.count].elementsEqual(needle) {
                if !found {
                    found = true
                    result.reserveCapacity(utf8.count)
                    result.append(contentsOf: utf8[0..<index])
                }
                result.append(contentsOf: replacement.utf8)
                index += needle.count
            } else {
                if found { result.append(utf8[index]) }
                index += 1
            }
        }
        guard found else { return self }
        return String(decoding: result, as: UTF8.self)
    }

    /// Whether the string holds a CR or an LF.
    var hasLineBreak: Bool { utf8.contains { $0 == 0x0D || $0 == 0x0A } }
}

extension StringProtocol {
    /// The first range of `needle`, ASCII letters compared without case (what HTML tag and
    /// attribute names need); Foundation's `range(of:options: .caseInsensitive)` is not linked.
    func firstRange(ofIgnoringASCIICase needle: String) -> Range<Index>? { firstRange(ofUTF8: needle, foldingCase: true) }

    /// Whether the two are the same bytes, ASCII letters compared without case (header field
    /// names, which are ASCII): no lower-cased copy of either is made.
    func equalsIgnoringASCIICase<Other: StringProtocol>(_ other: Other) -> Bool {
        utf8.count == other.utf8.count && zip(utf8, other.utf8).allSatisfy { $0.asciiLowercased == $1.asciiLowercased }
    }

    /// The first range of exactly `needle`'s bytes: what `firstRange(of:)` finds in text whose
    /// needle starts and ends on whole characters (markers such as `{{#meeting}}`), without the
    /// string-processing searcher's Character walk (a tenth of a start's CPU, for the templates).
    func firstRange(ofUTF8 needle: String) -> Range<Index>? { firstRange(ofUTF8: needle, foldingCase: false) }

    private func firstRange(ofUTF8 needle: String, foldingCase: Bool) -> Range<Index>? {
        let fold: (UInt8) -> UInt8 = foldingCase ? { $0.asciiLowercased } : { $0 }
        let wanted = Array(needle.utf8).map(fold)
        guard let first = wanted.first else { return startIndex..<startIndex }
        let view = utf8
        var start = view.startIndex
        while start != view.endIndex {
            if fold(view[start]) == first {
                var position = view.index(after: start)
                var matched = 1
                while matched < wanted.count, position != view.endIndex, fold(view[position]) == wanted[matched] {
                    position = view.index(after: position)
                    matched += 1
                }
                // A match starts and ends on characters, since the needle is whole UTF-8.
                if matched == wanted.count { return start..<position }
            }
            start = view.index(after: start)
        }
        return nil
    }

}

extension UInt8 {
    /// An ASCII capital as its small letter; every other byte as it is.
    var asciiLowercased: UInt8 { (0x41...0x5A).contains(self) ? self | 0x20 : self }
    /// Space, tab, LF, VT, FF or CR: the ASCII white space `trimmed()` removes.
    var isASCIIWhitespace: Bool { self == 0x20 || (0x09...0x0D).contains(self) }
}

extension StringProtocol {
    /// The text's lines, cut at each LF: what `split(separator: "\n", omittingEmptySubsequences:
    /// false)` gives (an LF always ends a Character, so the cuts are the same), found on the UTF-8
    /// bytes instead of Character by Character — that walk was half the quote splitter's time.
    /// A CR before the LF stays on its line.
    func lines() -> [SubSequence] {
        var lines: [SubSequence] = []
        let bytes = utf8
        var start = bytes.startIndex
        var index = start
        while index != bytes.endIndex {
            if bytes[index] == 0x0A {
                lines.append(self[start..<index])
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        lines.append(self[start..<bytes.endIndex])
        return lines
    }
}

extension Character {
    /// `[0-9]` in a regular expression: ASCII digits only.
    var isASCIIDigit: Bool { isASCII && isNumber }
    /// `\w` in a regular expression: a letter, a digit of any script, or "_". For the patterns
    /// the core once ran through NSRegularExpression (phone numbers, SMTP reply codes).
    var isRegexWordCharacter: Bool { isLetter || isNumber || self == "_" }
}

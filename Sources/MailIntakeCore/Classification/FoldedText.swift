/// A text made ready for matching vocabulary: folded (lower case, diacritics removed) and cut
/// into words and sentences. Words are runs of letters and digits; a dot between two letters
/// stays inside the word, so legal forms such as `d.o.o.` or `e.V.` are one word (`d.o.o`, `e.v`).
/// Sentences end at `.`, `!` or `?` before white space, at a blank line, and at the end of a
/// short line (a signature line, a form field), so "both terms in one sentence" means what it says.
public struct FoldedText: Sendable {
    /// The folded UTF-8 bytes.
    let bytes: [UInt8]
    /// Each word as a byte range in `bytes`.
    let words: [Range<Int>]
    /// The sentence of each word, counting from 0.
    let sentenceOfWord: [Int]
    /// The line of each word, counting from 0.
    let lineOfWord: [Int]
    let sentenceCount: Int

    /// A line shorter than this ends a sentence at its line break (a wrapped paragraph does not).
    static let shortLine = 60

    public init(_ text: String, limit: Int = .max) {
        self.init(folded: TextFolding.fold(text, limit: limit))
    }

    init(folded bytes: [UInt8]) {
        self.bytes = bytes
        var words: [Range<Int>] = []
        var sentences: [Int] = []
        var lines: [Int] = []
        var sentence = 0, line = 0, lineStart = 0
        var wordsInSentence = 0
        var index = 0
        let count = bytes.count
        func endSentence() {
            if wordsInSentence > 0 { sentence += 1; wordsInSentence = 0 }
        }
        while index < count {
            let byte = bytes[index]
            if Self.isWordByte(byte) {
                let start = index
                while index < count {
                    if Self.isWordByte(bytes[index]) { index += 1; continue }
                    // d.o.o, e.v, s.r.l: a dot with a letter on both sides joins.
                    if bytes[index] == 0x2E, index > start, index + 1 < count,
                       Self.isLetterByte(bytes[index - 1]), Self.isLetterByte(bytes[index + 1]) { index += 1; continue }
                    break
                }
                words.append(start..<index)
                sentences.append(sentence)
                lines.append(line)
                wordsInSentence += 1
                continue
            }
            switch byte {
            case 0x21, 0x3F:  // ! ?
                if index + 1 >= count || bytes[index + 1] == 0x20 || bytes[index + 1] == 0x0A || bytes[index + 1] == 0x09 { endSentence() }
            case 0x2E:  // . ends a sentence, but not after an abbreviation (Sp., dr.), an ordinal (20.) or d.o.o.
                if index + 1 >= count || bytes[index + 1] == 0x20 || bytes[index + 1] == 0x0A || bytes[index + 1] == 0x09,
                   !Self.isAbbreviation(before: index, in: bytes, words: words) { endSentence() }
            case 0x0A:
                let blank = index + 1 < count && bytes[index + 1] == 0x0A
                if blank || index - lineStart < Self.shortLine { endSentence() }
                line += 1
                lineStart = index + 1
            default:
                break
            }
            index += 1
        }
        self.words = words
        self.sentenceOfWord = sentences
        self.lineOfWord = lines
        self.sentenceCount = wordsInSentence > 0 ? sentence + 1 : sentence
    }

    /// Whether the word just before a dot at `dot` reads as an abbreviation rather than a sentence's end.
    static func isAbbreviation(before dot: Int, in bytes: [UInt8], words: [Range<Int>]) -> Bool {
        guard let last = words.last, last.upperBound == dot else { return false }
        let word = bytes[last]
        return word.count <= 2 || word.contains(0x2E) || word.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    subscript(word index: Int) -> ArraySlice<UInt8> { bytes[words[index]] }

    @inline(__always)
    static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte >= 0x80
    }

    @inline(__always)
    static func isLetterByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || byte >= 0x80
    }
}

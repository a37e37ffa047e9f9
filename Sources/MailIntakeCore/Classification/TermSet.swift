import FoundationEssentials

/// The terms of one vocabulary file, by label, compiled for matching against a `FoldedText`.
///
/// The file format, meant for office staff to edit:
///
///     # a comment
///     [sport]
///     šport*              a word ending in * matches every word it starts: šport, športni, sportnega
///     tek                 a word without * matches only itself
///     prošnja za sestanek three words in a row
///     prosi* & sestan*    both in one sentence, in any order
///     turnir* = 2         a weight (default 1; negative weights count against the label)
///     *turnier*           inside a word too: German compounds (Jugendfußballturnier)
///
/// Case and diacritics never matter: terms and text are folded alike (šport = sport = ŠPORT).
public struct TermSet: Sendable {
    public let labels: [String]
    let terms: [Term]
    /// Every word and stem of the file, each a pattern id.
    private let trie: WordTrie
    /// Stems that may stand inside a word (`*turnier*`), with their pattern ids: few, checked by search.
    private let infixes: [(bytes: [UInt8], pattern: Int)]
    /// Each phrase as a sequence of pattern ids.
    private let phrases: FlatLists
    /// The phrases that begin with each pattern, by pattern id.
    private let phrasesByFirstPattern: FlatLists
    /// The terms whose first phrase is each phrase, by phrase id.
    private let termsByFirstPhrase: FlatLists
    /// Each term's label, weight and number of phrases, apart from `terms` so that matching reads
    /// numbers, never a `Term` (whose strings and array it would retain and release per hit).
    private let termLabels: [Int32]
    private let termWeights: [Double]
    private let termPhraseCounts: [Int32]

    struct Term: Sendable {
        /// As written in the file, for evidence that staff can find again.
        let text: String
        let label: Int
        let weight: Double
        /// One phrase, or several that must share a sentence (`A & B`).
        let phrases: [Int]
    }

    /// One place a term matched: its first and last word.
    public struct Hit: Sendable {
        let term: Int
        let firstWord: Int
        let lastWord: Int
        let sentence: Int
    }

    /// Reads `path`; `allowed` lists the labels it may use (nil: any label).
    public init(path: String, allowed: [String]?) throws(ConfigurationError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, line: 0, key: nil,
                                     message: "cannot read this vocabulary file; check that it exists and the service may read it")
        }
        try self.init(text: String(decoding: data, as: UTF8.self), path: path, allowed: allowed)
    }

    public init(text: String, path: String, allowed: [String]?) throws(ConfigurationError) {
        var labels: [String] = allowed ?? []
        var terms: [Term] = []
        var infixIDs: [[UInt8]: Int] = [:]   // the few *stems* inside words; words and stems are numbered by the trie
        var trie = WordTrie.Builder()
        var infixes: [(bytes: [UInt8], pattern: Int)] = []
        var phraseIDs: [[Int]: Int] = [:]
        var phrases: [[Int]] = []
        var byFirst: [[Int]] = []  // by pattern id (so also how many there are): the phrases that begin with it
        var label: Int?
        var lineNumber = 0
        var seen: [[Int]: Int] = [:]  // label, then phrases → line, to catch a term listed twice

        /// The next pattern id, with its (so far empty) list of the phrases that begin with it.
        func numberPattern() -> Int {
            byFirst.append([])
            return byFirst.count - 1
        }

        func fail(_ message: String) -> ConfigurationError {
            ConfigurationError(file: path, line: lineNumber, key: label.map { labels[$0] }, message: message)
        }

        for rawLine in text.lines() {
            lineNumber += 1
            let line = rawLine.trimmed()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw fail("a section header must look like [label]") }
                let name = line.dropFirst().dropLast().trimmed().lowercased()
                if let index = labels.firstIndex(of: name) {
                    label = index
                } else if allowed == nil {
                    labels.append(name)
                    label = labels.count - 1
                } else {
                    throw ConfigurationError(file: path, line: lineNumber, key: nil,
                                             message: "unknown label [\(name)]; this file takes \(labels.map { "[\($0)]" }.joined(separator: ", "))")
                }
                continue
            }
            guard let current = label else { throw fail("this term stands before any [label]; put it under the label it points to") }
            // The term is taken apart on its UTF-8 bytes: its delimiters (= & * space tab) are
            // ASCII, and Substring's split, prefix and suffix tests walking Characters were a
            // third of loading the vocabulary, the larger part of a start's CPU.
            let bytes = Array(line.utf8)
            var bodyEnd = bytes.count
            var weight = 1.0
            if let equals = bytes.lastIndex(of: UInt8(ascii: "=")) {
                let number = String(decoding: bytes[(equals + 1)...], as: UTF8.self).trimmed()
                guard let value = Double(number), value.isFinite, value != 0 else {
                    throw fail("the weight after `=` must be a number other than 0, such as 2 or -1.5 (found \"\(number)\")")
                }
                weight = value
                bodyEnd = equals
            }
            let body = bytes[..<bodyEnd]
            var termPhrases: [Int] = []
            for part in body.split(separator: UInt8(ascii: "&")) {
                var sequence: [Int] = []
                for chunk in part.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 }) {
                    let isPrefix = chunk.last == UInt8(ascii: "*")
                    let isInfix = isPrefix && chunk.count > 2 && chunk.first == UInt8(ascii: "*")
                    let written = { String(decoding: chunk, as: UTF8.self) }
                    let tokens = Self.folded(isPrefix ? chunk.dropLast() : chunk)
                    guard !tokens.words.isEmpty else { throw fail("\"\(written())\" has no letters or digits to match") }
                    if isInfix {
                        guard tokens.words.count == 1, tokens.words[0].count >= 4 else {
                            throw fail("\"\(written())\": a stem inside words (*stem*) must be one word of at least four letters")
                        }
                        let word = Array(tokens.bytes[tokens.words[0]])
                        if let known = infixIDs[word] {
                            sequence.append(known)
                        } else {
                            let pattern = numberPattern()
                            infixIDs[word] = pattern
                            infixes.append((word, pattern))
                            sequence.append(pattern)
                        }
                        continue
                    }
                    if chunk.first == UInt8(ascii: "*") { throw fail("\"\(written())\": a leading * needs a trailing one too (*stem*)") }
                    for (position, range) in tokens.words.enumerated() {
                        let word = Array(tokens.bytes[range])
                        let wordIsPrefix = isPrefix && position == tokens.words.count - 1
                        if wordIsPrefix && word.count < 2 { throw fail("\"\(written())\": a stem needs at least two letters before *") }
                        sequence.append(trie.intern(word, stem: wordIsPrefix, number: numberPattern))
                    }
                }
                guard !sequence.isEmpty else { throw fail("an empty term; write a word, a phrase or `A & B`") }
                termPhrases.append(Self.intern(sequence, in: &phraseIDs) { id in
                    phrases.append(sequence)
                    byFirst[sequence[0]].append(id)
                })
            }
            guard !termPhrases.isEmpty else { throw fail("an empty term") }
            let identity = [current] + termPhrases
            if let earlier = seen[identity] {
                throw fail("this term is already listed under [\(labels[current])] on line \(earlier) (the same after folding); keep one")
            }
            seen[identity] = lineNumber
            terms.append(Term(text: String(decoding: body, as: UTF8.self).trimmed(), label: current, weight: weight, phrases: termPhrases))
        }
        self.labels = labels
        self.terms = terms
        self.trie = trie.build()
        self.infixes = infixes
        self.phrases = FlatLists(phrases)
        phrasesByFirstPattern = FlatLists(byFirst)
        var termsByPhrase = [[Int]](repeating: [], count: phrases.count)
        for (index, term) in terms.enumerated() { termsByPhrase[term.phrases[0]].append(index) }
        termsByFirstPhrase = FlatLists(termsByPhrase)
        termLabels = terms.map { Int32($0.label) }
        termWeights = terms.map(\.weight)
        termPhraseCounts = terms.map { Int32($0.phrases.count) }
    }

    /// Lists of small numbers, all in one array: list i is values[starts[i]..<starts[i + 1]]. An
    /// array of arrays cost a retain and a release of the inner array at every look-up.
    struct FlatLists: Sendable {
        private let starts: [Int32]
        let values: [Int32]

        init(_ lists: [[Int]]) {
            var starts: [Int32] = [0]
            var values: [Int32] = []
            for list in lists {
                values += list.map { Int32($0) }
                starts.append(Int32(values.count))
            }
            self.starts = starts
            self.values = values
        }

        /// Where list `index` lies in `values`.
        @inline(__always)
        func range(_ index: Int) -> Range<Int> { Int(starts[index])..<Int(starts[index + 1]) }
    }

    /// A term's words folded as text is: ASCII (nearly every line of the shipped vocabulary) only
    /// lower-cased, anything else through `TextFolding` as a string.
    private static func folded(_ chunk: ArraySlice<UInt8>) -> FoldedText {
        guard chunk.allSatisfy({ $0 < 0x80 }) else { return FoldedText(String(decoding: chunk, as: UTF8.self)) }
        return FoldedText(folded: chunk.map(\.asciiLowercased))
    }

    static func contains(_ word: UnsafeBufferPointer<UInt8>, _ part: [UInt8]) -> Bool {
        guard word.count >= part.count, let first = part.first else { return false }
        var start = 0
        let last = word.count - part.count
        while start <= last {
            if word[start] == first, part.indices.allSatisfy({ word[start + $0] == part[$0] }) { return true }
            start += 1
        }
        return false
    }

    /// The id of `key`, numbering it (and telling `register`) the first time it is seen.
    private static func intern<Key: Hashable>(_ key: Key, in ids: inout [Key: Int], register: (Int) -> Void) -> Int {
        if let known = ids[key] { return known }
        let id = ids.count
        ids[key] = id
        register(id)
        return id
    }

    public func label(of hit: Hit) -> String { labels[Int(termLabels[hit.term])] }
    public func text(of hit: Hit) -> String { terms[hit.term].text }
    func text(ofTerm index: Int) -> String { terms[index].text }
    public func weight(of hit: Hit) -> Double { termWeights[hit.term] }
    public func labelIndex(of hit: Hit) -> Int { Int(termLabels[hit.term]) }
    /// How many terms the file has: term ids run from 0 to this.
    var termCount: Int { terms.count }

    /// Every place a term matches in `text`. A combination (`A & B`) is reported once per
    /// sentence that holds all its parts, at the first word of its first part there.
    public func hits(in text: FoldedText) -> [Hit] {
        let wordCount = text.words.count
        // Which patterns each word matches: word i's are matched[starts[i]..<starts[i + 1]], in
        // one array (an array per word was an allocation per word of every text classified).
        var matched: [Int32] = []
        var starts = [Int32](repeating: 0, count: wordCount + 1)
        text.bytes.withUnsafeBufferPointer { bytes in
            for index in 0..<wordCount {
                starts[index] = Int32(matched.count)
                let word = UnsafeBufferPointer(rebasing: bytes[text.words[index]])
                trie.forEachMatch(word) { matched.append(Int32($0)) }
                for infix in infixes where Self.contains(word, infix.bytes) { matched.append(Int32(infix.pattern)) }
            }
        }
        starts[wordCount] = Int32(matched.count)
        guard !matched.isEmpty else { return [] }

        // Every phrase that matches, where: in the order of the phrases, then of the words, which
        // is the order the hits are reported in (a dictionary of arrays by phrase, before: a hash
        // and often an allocation for each of the many words the language vocabulary matches).
        var found: [(phrase: Int32, first: Int32, last: Int32, sentence: Int32)] = []
        let sentenceOfWord = text.sentenceOfWord
        func wordMatches(_ index: Int, _ pattern: Int32) -> Bool {
            for position in Int(starts[index])..<Int(starts[index + 1]) where matched[position] == pattern { return true }
            return false
        }
        for index in 0..<wordCount {
            for position in Int(starts[index])..<Int(starts[index + 1]) {
                for entry in phrasesByFirstPattern.range(Int(matched[position])) {
                    let phrase = phrasesByFirstPattern.values[entry]
                    let sequence = phrases.range(Int(phrase))
                    let last = index + sequence.count - 1
                    guard last < wordCount, sentenceOfWord[last] == sentenceOfWord[index] else { continue }
                    var matches = true
                    for offset in 1..<max(1, sequence.count) where !wordMatches(index + offset, phrases.values[sequence.lowerBound + offset]) {
                        matches = false
                        break
                    }
                    if matches { found.append((phrase, Int32(index), Int32(last), Int32(sentenceOfWord[index]))) }
                }
            }
        }
        guard !found.isEmpty else { return [] }
        // A phrase matches at most once at a word, so this order is total.
        found.sort { $0.phrase != $1.phrase ? $0.phrase < $1.phrase : $0.first < $1.first }
        /// Where `phrase`'s places lie in `found`.
        func places(of phrase: Int32) -> Range<Int> {
            var low = 0, high = found.count
            while low < high { let middle = (low + high) / 2; if found[middle].phrase < phrase { low = middle + 1 } else { high = middle } }
            var end = low
            while end < found.count, found[end].phrase == phrase { end += 1 }
            return low..<end
        }

        var hits: [Hit] = []
        var group = 0
        while group < found.count {
            let phrase = found[group].phrase
            var groupEnd = group + 1
            while groupEnd < found.count, found[groupEnd].phrase == phrase { groupEnd += 1 }
            for entry in termsByFirstPhrase.range(Int(phrase)) {
                let termIndex = Int(termsByFirstPhrase.values[entry])
                if termPhraseCounts[termIndex] == 1 {
                    for place in found[group..<groupEnd] {
                        hits.append(Hit(term: termIndex, firstWord: Int(place.first), lastWord: Int(place.last), sentence: Int(place.sentence)))
                    }
                    continue
                }
                let others = terms[termIndex].phrases.dropFirst().map { Set(found[places(of: Int32($0))].map(\.sentence)) }
                var reported = Set<Int32>()
                for place in found[group..<groupEnd] where others.allSatisfy({ $0.contains(place.sentence) }) && reported.insert(place.sentence).inserted {
                    hits.append(Hit(term: termIndex, firstWord: Int(place.first), lastWord: Int(place.last), sentence: Int(place.sentence)))
                }
            }
            group = groupEnd
        }
        // Two terms of one label on the same words (univerz* and univerzitet* on "univerzitetni")
        // are one piece of evidence: keep the stronger. The hits kept that start at a word are a
        // chain from that word (few: most words start one hit or none).
        var kept: [Hit] = []
        var chainNext: [Int32] = []
        var chainStart = [Int32](repeating: -1, count: wordCount)
        for hit in hits {
            let label = termLabels[hit.term]
            var index = Int(chainStart[hit.firstWord])
            while index >= 0, termLabels[kept[index].term] != label || kept[index].lastWord != hit.lastWord { index = Int(chainNext[index]) }
            if index >= 0 {
                if abs(termWeights[hit.term]) > abs(termWeights[kept[index].term]) { kept[index] = hit }
            } else {
                chainNext.append(chainStart[hit.firstWord])
                chainStart[hit.firstWord] = Int32(kept.count)
                kept.append(hit)
            }
        }
        return kept
    }
}

/// A plain list file: one entry per line, `#` comments (the free-mail domains).
public enum ListFile {
    public static func read(path: String) throws(ConfigurationError) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, line: 0, key: nil,
                                     message: "cannot read this list file; check that it exists and the service may read it")
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            let entry = line.trimmed().lowercased()
            return entry.isEmpty || entry.hasPrefix("#") ? nil : entry
        }
    }
}

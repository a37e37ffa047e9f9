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
    private let phrases: [[Int]]
    /// The phrases that begin with each pattern, by pattern id.
    private let phrasesByFirstPattern: [[Int]]
    /// The terms whose first phrase is each phrase, by phrase id.
    private let termsByFirstPhrase: [[Int]]

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
        var patternIDs: [[UInt8]: Int] = [:]   // (folded word + "*" when prefix) → id
        var trie = WordTrie.Builder()
        var infixes: [(bytes: [UInt8], pattern: Int)] = []
        var phraseIDs: [[Int]: Int] = [:]
        var phrases: [[Int]] = []
        var byFirst: [Int: [Int]] = [:]
        var label: Int?
        var lineNumber = 0
        var seen: [String: Int] = [:]  // label + phrases → line, to catch a term listed twice

        func fail(_ message: String) -> ConfigurationError {
            ConfigurationError(file: path, line: lineNumber, key: label.map { labels[$0] }, message: message)
        }

        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
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
            var body = Substring(line)
            var weight = 1.0
            if let equals = line.lastIndex(of: "=") {
                let number = line[line.index(after: equals)...].trimmed()
                guard let value = Double(number), value.isFinite, value != 0 else {
                    throw fail("the weight after `=` must be a number other than 0, such as 2 or -1.5 (found \"\(number)\")")
                }
                weight = value
                body = line[..<equals]
            }
            var termPhrases: [Int] = []
            for part in body.split(separator: "&") {
                var sequence: [Int] = []
                for chunk in part.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                    let isPrefix = chunk.hasSuffix("*")
                    let isInfix = isPrefix && chunk.count > 2 && chunk.hasPrefix("*")
                    let tokens = FoldedText(String(isPrefix ? chunk.dropLast() : chunk))
                    guard !tokens.words.isEmpty else { throw fail("\"\(chunk)\" has no letters or digits to match") }
                    if isInfix {
                        guard tokens.words.count == 1, tokens.words[0].count >= 4 else {
                            throw fail("\"\(chunk)\": a stem inside words (*stem*) must be one word of at least four letters")
                        }
                        let word = Array(tokens.bytes[tokens.words[0]])
                        sequence.append(Self.intern([0x2A] + word + [0x2A], in: &patternIDs) { id in infixes.append((word, id)) })
                        continue
                    }
                    if chunk.hasPrefix("*") { throw fail("\"\(chunk)\": a leading * needs a trailing one too (*stem*)") }
                    for (position, range) in tokens.words.enumerated() {
                        let word = Array(tokens.bytes[range])
                        let wordIsPrefix = isPrefix && position == tokens.words.count - 1
                        if wordIsPrefix && word.count < 2 { throw fail("\"\(chunk)\": a stem needs at least two letters before *") }
                        sequence.append(Self.intern(wordIsPrefix ? word + [0x2A] : word, in: &patternIDs) { id in
                            trie.insert(word, stem: wordIsPrefix, pattern: id)
                        })
                    }
                }
                guard !sequence.isEmpty else { throw fail("an empty term; write a word, a phrase or `A & B`") }
                termPhrases.append(Self.intern(sequence, in: &phraseIDs) { id in
                    phrases.append(sequence)
                    byFirst[sequence[0], default: []].append(id)
                })
            }
            guard !termPhrases.isEmpty else { throw fail("an empty term") }
            let identity = "\(current):" + termPhrases.map(String.init).joined(separator: "&")
            if let earlier = seen[identity] {
                throw fail("this term is already listed under [\(labels[current])] on line \(earlier) (the same after folding); keep one")
            }
            seen[identity] = lineNumber
            let written = body.trimmed()
            terms.append(Term(text: written, label: current, weight: weight, phrases: termPhrases))
        }
        self.labels = labels
        self.terms = terms
        self.trie = trie.build()
        self.infixes = infixes
        self.phrases = phrases
        phrasesByFirstPattern = (0..<patternIDs.count).map { byFirst[$0] ?? [] }
        var termsByPhrase = [[Int]](repeating: [], count: phrases.count)
        for (index, term) in terms.enumerated() { termsByPhrase[term.phrases[0]].append(index) }
        termsByFirstPhrase = termsByPhrase
    }

    static func contains(_ word: ArraySlice<UInt8>, _ part: [UInt8]) -> Bool {
        let last = word.endIndex - part.count
        var start = word.startIndex
        while start <= last {
            if word[start] == part[0], word[start..<(start + part.count)].elementsEqual(part) { return true }
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

    public func label(of hit: Hit) -> String { labels[terms[hit.term].label] }
    public func text(of hit: Hit) -> String { terms[hit.term].text }
    func text(ofTerm index: Int) -> String { terms[index].text }
    public func weight(of hit: Hit) -> Double { terms[hit.term].weight }
    public func labelIndex(of hit: Hit) -> Int { terms[hit.term].label }

    /// Every place a term matches in `text`. A combination (`A & B`) is reported once per
    /// sentence that holds all its parts, at the first word of its first part there.
    public func hits(in text: FoldedText) -> [Hit] {
        // Which patterns each word matches: word i's are matched[starts[i]..<starts[i + 1]], in
        // one array (an array per word was an allocation per word of every text classified).
        var phraseHits: [Int: [(first: Int, last: Int, sentence: Int)]] = [:]
        var matched: [Int] = []
        var starts = [Int](repeating: 0, count: text.words.count + 1)
        for index in text.words.indices {
            starts[index] = matched.count
            let word = text[word: index]
            trie.forEachMatch(word) { matched.append($0) }
            for infix in infixes where word.count >= infix.bytes.count && Self.contains(word, infix.bytes) { matched.append(infix.pattern) }
        }
        starts[text.words.count] = matched.count
        func patternsOfWord(_ index: Int) -> ArraySlice<Int> { matched[starts[index]..<starts[index + 1]] }
        for index in text.words.indices {
            for pattern in patternsOfWord(index) {
                for phrase in phrasesByFirstPattern[pattern] {
                    let sequence = phrases[phrase]
                    let last = index + sequence.count - 1
                    guard last < text.words.count, text.sentenceOfWord[last] == text.sentenceOfWord[index] else { continue }
                    var matches = true
                    for offset in 1..<max(1, sequence.count) where !patternsOfWord(index + offset).contains(sequence[offset]) {
                        matches = false
                        break
                    }
                    if matches { phraseHits[phrase, default: []].append((index, last, text.sentenceOfWord[index])) }
                }
            }
        }
        guard !phraseHits.isEmpty else { return [] }
        var hits: [Hit] = []
        for phrase in phraseHits.keys.sorted() {
            for termIndex in termsByFirstPhrase[phrase] {
                let term = terms[termIndex]
                let first = phraseHits[phrase]!
                if term.phrases.count == 1 {
                    for hit in first { hits.append(Hit(term: termIndex, firstWord: hit.first, lastWord: hit.last, sentence: hit.sentence)) }
                    continue
                }
                let others = term.phrases.dropFirst().map { Set((phraseHits[$0] ?? []).map(\.sentence)) }
                var reported = Set<Int>()
                for hit in first where others.allSatisfy({ $0.contains(hit.sentence) }) && reported.insert(hit.sentence).inserted {
                    hits.append(Hit(term: termIndex, firstWord: hit.first, lastWord: hit.last, sentence: hit.sentence))
                }
            }
        }
        // Two terms of one label on the same words (univerz* and univerzitet* on "univerzitetni")
        // are one piece of evidence: keep the stronger.
        var strongest: [Int: Int] = [:]  // (label, first, last) key → index in `kept`
        var kept: [Hit] = []
        for hit in hits {
            let key = (terms[hit.term].label &* 1_000_003 &+ hit.firstWord) &* 1_000_003 &+ hit.lastWord
            if let index = strongest[key] {
                if abs(terms[hit.term].weight) > abs(terms[kept[index].term].weight) { kept[index] = hit }
            } else {
                strongest[key] = kept.count
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

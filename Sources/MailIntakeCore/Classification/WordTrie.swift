/// The words and stems of a vocabulary as a byte trie, frozen into flat arrays: one walk over a
/// word's bytes finds every stem that starts it and the whole word, where hashing each of the
/// word's prefixes would cost a lookup per length.
struct WordTrie: Sendable {
    /// Children of node n: edgeBytes/edgeTargets[edgeStart[n]..<edgeStart[n + 1]].
    private let edgeStart: [Int32]
    private let edgeBytes: [UInt8]
    private let edgeTargets: [Int32]
    /// Patterns that end at node n as a stem (matching longer words too) or as a whole word.
    private let stemStart: [Int32]
    private let stemPatterns: [Int32]
    private let wordStart: [Int32]
    private let wordPatterns: [Int32]
    /// The root's child for each first byte (-1: none): the root has the most children by far.
    private let rootChildren: [Int32]

    /// Collects (word, isStem, pattern id) entries and freezes them.
    struct Builder {
        private var children: [[UInt8: Int]] = [[:]]
        private var stems: [[Int]] = [[]]
        private var words: [[Int]] = [[]]

        mutating func insert(_ word: [UInt8], stem: Bool, pattern: Int) {
            var node = 0
            for byte in word {
                if let next = children[node][byte] {
                    node = next
                } else {
                    children.append([:])
                    stems.append([])
                    words.append([])
                    children[node][byte] = children.count - 1
                    node = children.count - 1
                }
            }
            if stem { stems[node].append(pattern) } else { words[node].append(pattern) }
        }

        func build() -> WordTrie {
            var edgeStart: [Int32] = [0], edgeBytes: [UInt8] = [], edgeTargets: [Int32] = []
            var stemStart: [Int32] = [0], stemPatterns: [Int32] = []
            var wordStart: [Int32] = [0], wordPatterns: [Int32] = []
            for node in children.indices {
                for (byte, target) in children[node].sorted(by: { $0.key < $1.key }) {
                    edgeBytes.append(byte)
                    edgeTargets.append(Int32(target))
                }
                edgeStart.append(Int32(edgeBytes.count))
                stemPatterns += stems[node].map { Int32($0) }
                stemStart.append(Int32(stemPatterns.count))
                wordPatterns += words[node].map { Int32($0) }
                wordStart.append(Int32(wordPatterns.count))
            }
            var root = [Int32](repeating: -1, count: 256)
            for (byte, target) in children[0] { root[Int(byte)] = Int32(target) }
            return WordTrie(edgeStart: edgeStart, edgeBytes: edgeBytes, edgeTargets: edgeTargets, stemStart: stemStart,
                            stemPatterns: stemPatterns, wordStart: wordStart, wordPatterns: wordPatterns, rootChildren: root)
        }
    }

    /// Calls `found` with every pattern that matches `word`: each stem on the way, then the whole word.
    @inline(__always)
    func forEachMatch(_ word: UnsafeBufferPointer<UInt8>, _ found: (Int) -> Void) {
        guard let first = word.first else { return }
        var node = Int(rootChildren[Int(first)])
        guard node >= 0 else { return }
        for index in Int(stemStart[node])..<Int(stemStart[node + 1]) { found(Int(stemPatterns[index])) }
        for byte in word.dropFirst() {
            var next = -1
            var edge = Int(edgeStart[node])
            let end = Int(edgeStart[node + 1])
            while edge < end {
                if edgeBytes[edge] == byte { next = Int(edgeTargets[edge]); break }
                edge += 1
            }
            guard next >= 0 else { return }
            node = next
            for index in Int(stemStart[node])..<Int(stemStart[node + 1]) { found(Int(stemPatterns[index])) }
        }
        for index in Int(wordStart[node])..<Int(wordStart[node + 1]) { found(Int(wordPatterns[index])) }
    }
}

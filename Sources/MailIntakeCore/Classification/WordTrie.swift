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
        /// Every edge, keyed by its node and byte (node << 8 | byte): one dictionary for the
        /// whole trie, where a dictionary per node made loading the vocabularies the larger part
        /// of a start's CPU.
        private var edges: [Int: Int] = [:]
        private var nodeCount = 1
        private var stems: [(node: Int, pattern: Int)] = []
        private var words: [(node: Int, pattern: Int)] = []

        mutating func insert(_ word: [UInt8], stem: Bool, pattern: Int) {
            var node = 0
            for byte in word {
                let key = node << 8 | Int(byte)
                if let next = edges[key] {
                    node = next
                } else {
                    edges[key] = nodeCount
                    node = nodeCount
                    nodeCount += 1
                }
            }
            if stem { stems.append((node, pattern)) } else { words.append((node, pattern)) }
        }

        func build() -> WordTrie {
            // Edges in node order, each node's by byte: the keys' own order.
            let sortedEdges = edges.sorted { $0.key < $1.key }
            var edgeStart = [Int32](repeating: 0, count: nodeCount + 1)
            for edge in sortedEdges { edgeStart[(edge.key >> 8) + 1] += 1 }
            for node in 0..<nodeCount { edgeStart[node + 1] += edgeStart[node] }
            let edgeBytes = sortedEdges.map { UInt8(truncatingIfNeeded: $0.key) }
            let edgeTargets = sortedEdges.map { Int32($0.value) }
            var root = [Int32](repeating: -1, count: 256)
            for edge in sortedEdges where edge.key >> 8 == 0 { root[edge.key & 0xFF] = Int32(edge.value) }
            let (stemStart, stemPatterns) = Self.lists(stems, nodes: nodeCount)
            let (wordStart, wordPatterns) = Self.lists(words, nodes: nodeCount)
            return WordTrie(edgeStart: edgeStart, edgeBytes: edgeBytes, edgeTargets: edgeTargets, stemStart: stemStart,
                            stemPatterns: stemPatterns, wordStart: wordStart, wordPatterns: wordPatterns, rootChildren: root)
        }

        /// The patterns of each node, in the order they were inserted, as starts and values.
        private static func lists(_ entries: [(node: Int, pattern: Int)], nodes: Int) -> ([Int32], [Int32]) {
            var starts = [Int32](repeating: 0, count: nodes + 1)
            for entry in entries { starts[entry.node + 1] += 1 }
            for node in 0..<nodes { starts[node + 1] += starts[node] }
            var next = starts
            var values = [Int32](repeating: 0, count: entries.count)
            for entry in entries {
                values[Int(next[entry.node])] = Int32(entry.pattern)
                next[entry.node] += 1
            }
            return (starts, values)
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

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

    /// Collects the words and stems, numbering each pattern the first time it is seen, and
    /// freezes them. The trie under construction is its own index of the patterns: each node has
    /// at most one word pattern and one stem pattern, so a pattern is found by walking its bytes,
    /// with no hashing (a dictionary keyed by the pattern's bytes, and one of edges, made loading
    /// the vocabulary the larger part of a start's CPU).
    struct Builder {
        /// Each node's children as a list: its first edge, each edge's next sibling (-1 ends).
        private var firstEdge: [Int32] = [-1]
        private var edgeBytes: [UInt8] = []
        private var edgeTargets: [Int32] = []
        private var nextEdge: [Int32] = []
        /// The root's child for each byte: it has the most children by far.
        private var rootChildren = [Int32](repeating: -1, count: 256)
        private var stemPattern: [Int32] = [-1]
        private var wordPattern: [Int32] = [-1]

        /// The id of `word` as a stem or a whole word: a known one's, or for a new one what
        /// `number()` gives it.
        mutating func intern(_ word: [UInt8], stem: Bool, number: () -> Int) -> Int {
            var node = 0
            for byte in word { node = child(of: node, byte) }
            let known = stem ? stemPattern[node] : wordPattern[node]
            if known >= 0 { return Int(known) }
            let pattern = number()
            if stem { stemPattern[node] = Int32(pattern) } else { wordPattern[node] = Int32(pattern) }
            return pattern
        }

        /// `node`'s child on `byte`, made when it has none.
        private mutating func child(of node: Int, _ byte: UInt8) -> Int {
            if node == 0, rootChildren[Int(byte)] >= 0 { return Int(rootChildren[Int(byte)]) }
            if node != 0 {
                var edge = Int(firstEdge[node])
                while edge >= 0 {
                    if edgeBytes[edge] == byte { return Int(edgeTargets[edge]) }
                    edge = Int(nextEdge[edge])
                }
            }
            let target = firstEdge.count
            firstEdge.append(-1)
            stemPattern.append(-1)
            wordPattern.append(-1)
            edgeBytes.append(byte)
            edgeTargets.append(Int32(target))
            nextEdge.append(firstEdge[node])
            firstEdge[node] = Int32(edgeBytes.count - 1)
            if node == 0 { rootChildren[Int(byte)] = Int32(target) }
            return target
        }

        func build() -> WordTrie {
            let nodes = firstEdge.count
            var edgeStart: [Int32] = [0], bytes: [UInt8] = [], targets: [Int32] = []
            edgeStart.reserveCapacity(nodes + 1)
            bytes.reserveCapacity(edgeBytes.count)
            targets.reserveCapacity(edgeBytes.count)
            var children: [(byte: UInt8, target: Int32)] = []
            for node in 0..<nodes {
                // Each node's children by byte, as the walk searches them.
                children.removeAll(keepingCapacity: true)
                var edge = Int(firstEdge[node])
                while edge >= 0 {
                    children.append((edgeBytes[edge], edgeTargets[edge]))
                    edge = Int(nextEdge[edge])
                }
                children.sort { $0.byte < $1.byte }
                for child in children {
                    bytes.append(child.byte)
                    targets.append(child.target)
                }
                edgeStart.append(Int32(bytes.count))
            }
            let (stemStart, stemPatterns) = Self.lists(stemPattern)
            let (wordStart, wordPatterns) = Self.lists(wordPattern)
            return WordTrie(edgeStart: edgeStart, edgeBytes: bytes, edgeTargets: targets, stemStart: stemStart,
                            stemPatterns: stemPatterns, wordStart: wordStart, wordPatterns: wordPatterns, rootChildren: rootChildren)
        }

        /// Each node's pattern (none, or one) as starts and values.
        private static func lists(_ patterns: [Int32]) -> ([Int32], [Int32]) {
            var starts: [Int32] = [0], values: [Int32] = []
            starts.reserveCapacity(patterns.count + 1)
            for pattern in patterns {
                if pattern >= 0 { values.append(pattern) }
                starts.append(Int32(values.count))
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

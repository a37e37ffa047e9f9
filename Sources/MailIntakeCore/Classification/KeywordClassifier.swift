import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A first, deliberately simple classifier: stems per label, diacritics folded, the subject
/// weighted above the body, legal-form markers for the sender. Every label it gives comes with
/// the terms that decided it; where nothing matched it says so and answers `other`,
/// `complaint_or_other`, `natural` or `und` with a low confidence rather than guessing.
public struct KeywordClassifier: InquiryClassifier {
    /// How much of a body is read: enough for any letter, and a bound on the cost of a huge one.
    static let maximumTextLength = 32 * 1024

    private let languages: StemIndex
    private let fields: StemIndex
    private let intents: StemIndex

    public init() {
        languages = StemIndex(Lexicon.languages)
        fields = StemIndex(Lexicon.fields)
        intents = StemIndex(Lexicon.intents)
    }

    public func classify(_ message: ParsedMessage) -> Classification {
        let subject = WordCounts(TextFolding.fold(message.subject, limit: 1024)[...])
        let body = WordCounts(TextFolding.fold(message.split.newText, limit: Self.maximumTextLength)[...])
        // Who wrote it shows in the new text ("v imenu društva"), the signature and the display name, not in quoted mail.
        let folded = TextFolding.fold(message.split.newText + "\n" + message.split.signature, limit: Self.maximumTextLength)
        let none = WordCounts([][...])
        var evidence: [String] = []

        let language = languages.best(subject: none, body: body)
        evidence.append(language.explain("language", fallback: "und"))
        let field = fields.best(subject: subject, body: body)
        evidence.append(field.explain("field", fallback: "other"))
        let intent = intents.best(subject: subject, body: body)
        evidence.append(intent.explain("intent", fallback: "complaint_or_other"))
        let sender = Self.sender(message, foldedText: folded)
        evidence.append(sender.evidence)

        let secondary = field.runnersUp.filter { $0 != (field.label ?? "other") }
        let confidence = [language.confidence, field.confidence, intent.confidence, sender.confidence].min() ?? 0
        return Classification(
            language: language.label ?? "und",
            field: field.label ?? "other",
            secondaryFields: secondary,
            senderType: sender.kind == nil ? "natural" : "legal",
            legalKind: sender.kind,
            intent: intent.label ?? "complaint_or_other",
            confidence: (confidence * 100).rounded() / 100,
            evidence: evidence
        )
    }

    // MARK: scoring

    struct Scored {
        var label: String?
        var terms: [String]
        var confidence: Double
        var runnersUp: [String]

        func explain(_ name: String, fallback: String) -> String {
            guard let label else { return "\(name)=\(fallback): no matching terms" }
            return "\(name)=\(label): \(terms.prefix(6).joined(separator: ", "))"
        }
    }

    /// Each distinct word of a folded text with how often it occurs.
    struct WordCounts {
        var counts: [ArraySlice<UInt8>: Int] = [:]

        init(_ folded: ArraySlice<UInt8>) {
            var index = folded.startIndex
            while index < folded.endIndex {
                guard TextFolding.isWordByte(folded[index]) else { index += 1; continue }
                let start = index
                while index < folded.endIndex, TextFolding.isWordByte(folded[index]) { index += 1 }
                counts[folded[start..<index], default: 0] += 1
            }
        }
    }

    /// Stems by label, looked up by word prefix: each distinct word is checked against the stems
    /// that could start it, rather than every stem against every word.
    struct StemIndex {
        let labels: [String]
        /// stem (folded UTF-8) → (label index, whole word only)
        let stems: [ArraySlice<UInt8>: [(label: Int, exact: Bool)]]
        let lengths: ClosedRange<Int>

        init(_ lexicon: [(String, [String])]) {
            labels = lexicon.map(\.0)
            var stems: [ArraySlice<UInt8>: [(Int, Bool)]] = [:]
            var shortest = Int.max, longest = 0
            for (index, (_, words)) in lexicon.enumerated() {
                for stem in words {
                    let exact = stem.hasSuffix("$")
                    let key = TextFolding.fold(exact ? String(stem.dropLast()) : stem)[...]
                    stems[key, default: []].append((index, exact))
                    shortest = min(shortest, key.count)
                    longest = max(longest, key.count)
                }
            }
            self.stems = stems
            lengths = shortest...max(shortest, longest)
        }

        /// Scores each label: a subject hit counts 3, a body hit 1. The winner's confidence grows
        /// with its margin over the second.
        func best(subject: WordCounts, body: WordCounts) -> Scored {
            var scores = [Double](repeating: 0, count: labels.count)
            var terms = [[String]](repeating: [], count: labels.count)
            for (counts, weight, place) in [(subject, 3.0, "subject "), (body, 1.0, "")] {
                for (word, count) in counts.counts {
                    let upper = min(lengths.upperBound, word.count)
                    guard upper >= lengths.lowerBound else { continue }
                    for length in lengths.lowerBound...upper {
                        let prefix = word[word.startIndex..<(word.startIndex + length)]
                        guard let hits = stems[prefix] else { continue }
                        for hit in hits where !hit.exact || length == word.count {
                            scores[hit.label] += weight * Double(count)
                            terms[hit.label].append("\(place)\"\(String(decoding: prefix, as: UTF8.self))\"\(count > 1 ? "×\(count)" : "")")
                        }
                    }
                }
            }
            let ranked = scores.indices.filter { scores[$0] > 0 }.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            guard let top = ranked.first else { return Scored(label: nil, terms: [], confidence: 0.2, runnersUp: []) }
            let second = ranked.dropFirst().first.map { scores[$0] } ?? 0
            let confidence = min(0.95, 0.4 + 0.55 * (scores[top] - second) / scores[top])
            let runnersUp = ranked.dropFirst().filter { scores[$0] >= scores[top] * 0.5 && scores[$0] >= 2 }.map { labels[$0] }
            return Scored(label: labels[top], terms: terms[top].sorted(), confidence: confidence, runnersUp: Array(runnersUp.prefix(2)))
        }
    }

    static func sender(_ message: ParsedMessage, foldedText: [UInt8]) -> (kind: String?, confidence: Double, evidence: String) {
        let haystack = [0x20] + TextFolding.fold(message.fromName ?? "") + [0x20, 0x0A, 0x20] + foldedText + [0x20]
        for (kind, markers) in Lexicon.legalMarkers {
            for marker in markers where Self.contains(haystack, Array(marker.utf8)) {
                return (kind, 0.7, "sender_type=legal (\(kind)): marker \"\(marker.trimmingWhitespace())\"")
            }
        }
        if let domain = message.from?.domain, !Lexicon.freeMailDomains.contains(domain) {
            return (nil, 0.4, "sender_type=natural: no legal-form marker (own domain \(domain) is weak evidence)")
        }
        return (nil, 0.6, "sender_type=natural: no legal-form marker, free-mail or no domain")
    }

    /// Byte search with memchr and memcmp, many times faster than String.contains (which goes through CFString).
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first else { return true }
        guard needle.count <= haystack.count else { return false }
        return haystack.withUnsafeBytes { h in
            needle.withUnsafeBytes { n in
                let base = h.baseAddress!
                let last = h.count - n.count
                var offset = 0
                while offset <= last {
                    guard let found = memchr(base + offset, Int32(first), last - offset + 1) else { return false }
                    if memcmp(found, n.baseAddress!, n.count) == 0 { return true }
                    offset = base.distance(to: UnsafeRawPointer(found)) + 1
                }
                return false
            }
        }
    }

}

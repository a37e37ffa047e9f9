import Foundation

/// A first, deliberately simple classifier: stems per label, diacritics folded, the subject
/// weighted above the body, legal-form markers for the sender. Every label it gives comes with
/// the terms that decided it; where nothing matched it says so and answers `other`,
/// `complaint_or_other`, `natural` or `und` with a low confidence rather than guessing.
public struct KeywordClassifier: InquiryClassifier {
    public init() {}

    public func classify(_ message: ParsedMessage) -> Classification {
        let subject = Self.fold(message.subject)
        let body = Self.fold(Self.newText(message.text))
        let subjectWords = Self.words(subject)
        let bodyWords = Self.words(body)
        var evidence: [String] = []

        let language = Self.best(Lexicon.languages, subjectWords: [], bodyWords: bodyWords)
        evidence.append(language.explain("language", fallback: "und"))
        let field = Self.best(Lexicon.fields, subjectWords: subjectWords, bodyWords: bodyWords)
        evidence.append(field.explain("field", fallback: "other"))
        let intent = Self.best(Lexicon.intents, subjectWords: subjectWords, bodyWords: bodyWords)
        evidence.append(intent.explain("intent", fallback: "complaint_or_other"))
        let sender = Self.sender(message, foldedText: Self.fold(message.text))
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

    /// Scores each label by its stems: a subject hit counts 3, a body hit 1. The winner's
    /// confidence grows with its margin over the second.
    static func best(_ lexicon: [(String, [String])], subjectWords: [String], bodyWords: [String]) -> Scored {
        var scores: [(label: String, score: Double, terms: [String])] = []
        for (label, stems) in lexicon {
            var score = 0.0
            var terms: [String] = []
            for stem in stems {
                let inSubject = subjectWords.filter { Self.matches($0, stem) }.count
                let inBody = bodyWords.filter { Self.matches($0, stem) }.count
                guard inSubject + inBody > 0 else { continue }
                score += Double(inSubject) * 3 + Double(inBody)
                terms.append(inSubject > 0 ? "subject \"\(stem)\"" : "\"\(stem)\"×\(inBody)")
            }
            if score > 0 { scores.append((label, score, terms)) }
        }
        scores.sort { $0.score > $1.score }
        guard let top = scores.first else { return Scored(label: nil, terms: [], confidence: 0.2, runnersUp: []) }
        let second = scores.dropFirst().first?.score ?? 0
        let confidence = min(0.95, 0.4 + 0.55 * (top.score - second) / top.score)
        let runnersUp = scores.dropFirst().filter { $0.score >= top.score * 0.5 && $0.score >= 2 }.map(\.label)
        return Scored(label: top.label, terms: top.terms, confidence: confidence, runnersUp: Array(runnersUp.prefix(2)))
    }

    /// A stem ending in `$` must match the whole word; others match a word's beginning.
    static func matches(_ word: String, _ stem: String) -> Bool {
        stem.hasSuffix("$") ? word == String(stem.dropLast()) : word.hasPrefix(stem)
    }

    static func sender(_ message: ParsedMessage, foldedText: String) -> (kind: String?, confidence: Double, evidence: String) {
        let name = Self.fold(message.fromName ?? "")
        let haystack = " " + name + " \n " + foldedText + " "
        for (kind, markers) in Lexicon.legalMarkers {
            for marker in markers where haystack.contains(marker) {
                return (kind, 0.7, "sender_type=legal (\(kind)): marker \"\(marker.trimmingWhitespace())\"")
            }
        }
        if let domain = message.from?.domain, !Lexicon.freeMailDomains.contains(domain) {
            return (nil, 0.4, "sender_type=natural: no legal-form marker (own domain \(domain) is weak evidence)")
        }
        return (nil, 0.6, "sender_type=natural: no legal-form marker, free-mail or no domain")
    }

    // MARK: text helpers

    /// Lower-cased, diacritics folded: `Šport` and `sport` are the same word.
    static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
    }

    static func words(_ text: String) -> [String] {
        text.split(whereSeparator: { !$0.isLetter }).map(String.init)
    }

    /// The text above the first quoted line or signature marker: what the sender wrote now.
    static func newText(_ text: String) -> String {
        var kept: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingWhitespace()
            if trimmed == "--" || trimmed.hasPrefix("-----") || trimmed.hasPrefix(">") { break }
            kept.append(line)
        }
        return kept.joined(separator: "\n")
    }
}

/// The office's classifier: weighted vocabulary (see `Vocabulary`) matched on folded text, the
/// subject weighted above the body, sender evidence weighed by where it stands. Every label comes
/// with the terms that decided it and a confidence; where nothing matched it says so and answers
/// `other`, `complaint_or_other` or `und` with a low confidence instead of guessing.
public struct KeywordClassifier: InquiryClassifier {
    /// How much of a body is read: enough for any letter, and a bound on the cost of a huge one.
    static let maximumTextLength = 32 * 1024

    public let vocabulary: Vocabulary
    public let webFormSenders: Set<String>
    public let webForm: WebFormSubmission.Layout

    public init(vocabulary: Vocabulary, webFormSenders: Set<String> = [], webForm: WebFormSubmission.Layout = .init()) {
        self.vocabulary = vocabulary
        self.webFormSenders = Set(webFormSenders.map { $0.lowercased() })
        self.webForm = webForm
    }

    public func author(of message: ParsedMessage) -> InquiryText {
        InquiryText(message, webFormSenders: webFormSenders, webForm: webForm)
    }

    public func classify(_ inquiry: InquiryText) -> Classification { analyse(inquiry).classification }

    /// Everything the vocabulary found in one inquiry: the scores behind each label (which the
    /// learned model takes as its prior and its features), the folded text, and the labels.
    public struct Analysis: Sendable {
        let subject: FoldedText
        let body: FoldedText
        let field: Scored
        let intent: Scored
        let sender: SenderEvidence.Decision
        let questions: Int
        public let classification: Classification
    }

    public func analyse(_ inquiry: InquiryText) -> Analysis {
        let bareSubject = InquiryText.strippingReplyPrefixes(inquiry.subject)
        let subject = FoldedText(bareSubject, limit: 1024)
        let body = FoldedText(inquiry.body, limit: Self.maximumTextLength)
        var evidence: [String] = []
        if inquiry.origin != .direct {
            evidence.append("author: \(inquiry.origin.rawValue) (\(inquiry.authorAddress.map { "<\($0.address)>" } ?? "address unknown"))")
        }

        // Language: the body decides; a very short body borrows the subject.
        var languageRegions = [Region(text: body, weight: 1, place: "")]
        if body.words.count < 8 { languageRegions.append(Region(text: subject, weight: 1, place: "subject ")) }
        let language = Scorer(vocabulary.languages, repeats: .linear).score(languageRegions)
        evidence.append(language.explain("language", fallback: "und"))

        // Field: subject above body.
        var extra: [Region] = []
        if let type = inquiry.requestType { extra.append(Region(text: FoldedText(type), weight: 1.5, place: "form ")) }
        let field = Scorer(vocabulary.fields, repeats: .diminishing).score([Region(text: subject, weight: 3, place: "subject "), Region(text: body, weight: 1, place: "")])
        evidence.append(field.explain("field", fallback: "other"))
        // A reply's subject names the thread, not what this message asks.
        let subjectWeight = bareSubject.utf8.count == inquiry.subject.trimmed().utf8.count ? 2.0 : 1.0
        let questions = min(Self.questionLimit, Self.questionCount(inquiry.body))
        let intent = Scorer(vocabulary.intents, repeats: .diminishing).score(
            [Region(text: subject, weight: subjectWeight, place: "subject "), Region(text: body, weight: 1, place: "")] + extra,
            bonus: questions > 0 ? [("information_request", Double(questions) * Self.questionWeight, "questions×\(questions)")] : [])
        evidence.append(intent.explain("intent", fallback: "complaint_or_other"))

        let sender = SenderEvidence(vocabulary: vocabulary, inquiry: inquiry, body: body).decide()
        evidence.append(sender.evidence)

        let primary = field.label ?? "other"
        let secondary = field.ranked.dropFirst().filter { $0.label != primary && $0.label != "other" && $0.score >= max(2, field.topScore * 0.4) }.prefix(2).map(\.label)
        let confidence = [language.confidence, field.confidence, intent.confidence, sender.confidence].min() ?? 0
        let classification = Classification(
            language: language.label ?? "und",
            field: primary,
            secondaryFields: Array(secondary),
            senderType: sender.legalKind == nil ? "natural" : "legal",
            legalKind: sender.legalKind,
            intent: intent.label ?? "complaint_or_other",
            confidence: (confidence * 100).rounded() / 100,
            evidence: evidence
        )
        return Analysis(subject: subject, body: body, field: field, intent: intent, sender: sender, questions: questions,
                        classification: classification)
    }

    /// Each question the sender asks adds this much to information_request, for up to `questionLimit` questions.
    static let questionWeight = 0.5
    static let questionLimit = 3

    /// Sentences that end in a question mark.
    static func questionCount(_ text: String) -> Int {
        var count = 0
        var previousWasQuestion = false
        for scalar in text.unicodeScalars {
            if previousWasQuestion, scalar == " " || scalar == "\n" { count += 1 }
            previousWasQuestion = scalar == "?"
        }
        return count + (previousWasQuestion ? 1 : 0)
    }

    // MARK: scoring

    /// A text and how much a match in it counts.
    struct Region {
        let text: FoldedText
        let weight: Double
        let place: String
    }

    /// Sums term weights per label over regions and ranks the labels.
    struct Scorer {
        enum Repeats {
            /// Every occurrence counts fully (function words for language).
            case linear
            /// The second occurrence of a term counts half, later ones a quarter, up to five.
            case diminishing
        }

        let terms: TermSet
        let repeats: Repeats

        init(_ terms: TermSet, repeats: Repeats) {
            self.terms = terms
            self.repeats = repeats
        }

        func score(_ regions: [Region], bonus: [(label: String, amount: Double, evidence: String)] = []) -> Scored {
            var scores = [Double](repeating: 0, count: terms.labels.count)
            var bonusEvidence = [[String]](repeating: [], count: terms.labels.count)
            for item in bonus {
                guard let label = terms.labels.firstIndex(of: item.label) else { continue }
                scores[label] += item.amount
                bonusEvidence[label].append(item.evidence)
            }
            // Occurrences per (region, term); the evidence strings are built for the winner only.
            var counts: [(region: Int, term: Int, label: Int, count: Int)] = []
            for (regionIndex, region) in regions.enumerated() {
                var seen: [Int32] = []  // term → index in `counts`, -1 before its first hit
                for hit in terms.hits(in: region.text) {
                    if seen.isEmpty { seen = [Int32](repeating: -1, count: terms.termCount) }
                    let label = terms.labelIndex(of: hit)
                    let occurrence: Int
                    if seen[hit.term] >= 0 {
                        let index = Int(seen[hit.term])
                        occurrence = counts[index].count
                        counts[index].count += 1
                    } else {
                        occurrence = 0
                        seen[hit.term] = Int32(counts.count)
                        counts.append((regionIndex, hit.term, label, 1))
                    }
                    let factor: Double
                    switch repeats {
                    case .linear: factor = 1
                    case .diminishing: factor = occurrence == 0 ? 1 : occurrence == 1 ? 0.5 : occurrence < 5 ? 0.25 : 0
                    }
                    scores[label] += terms.weight(of: hit) * region.weight * factor
                }
            }
            let order = scores.indices.filter { scores[$0] > 0 }.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            var evidence: [String] = []
            if let top = order.first {
                let found = counts.filter { $0.label == top }.map { (text: regions[$0.region].place + "\"" + terms.text(ofTerm: $0.term) + "\"", count: $0.count) }
                evidence = found.sorted { $0.count > $1.count || ($0.count == $1.count && $0.text < $1.text) }
                    .map { $0.count > 1 ? "\($0.text)×\($0.count)" : $0.text } + bonusEvidence[top]
            }
            return Scored(ranked: order.map { Scored.Entry(label: terms.labels[$0], score: scores[$0]) }, terms: evidence)
        }
    }

    struct Scored: Sendable {
        struct Entry: Sendable {
            let label: String
            let score: Double
        }
        let ranked: [Entry]
        let terms: [String]

        var label: String? { ranked.first?.label }
        var topScore: Double { ranked.first?.score ?? 0 }

        /// From the margin over the runner-up, damped when the winner rests on little evidence.
        var confidence: Double {
            guard let top = ranked.first else { return 0.2 }
            let second = ranked.dropFirst().first?.score ?? 0
            return Self.confidence(top: top.score, second: second)
        }

        static func confidence(top: Double, second: Double) -> Double {
            guard top > 0 else { return 0.2 }
            let margin = (top - max(0, second)) / top
            let support = min(1, top / 4)
            return min(0.99, (0.45 + 0.55 * margin) * (0.6 + 0.4 * support))
        }

        func explain(_ name: String, fallback: String) -> String {
            guard let top = ranked.first else { return "\(name)=\(fallback): no matching terms" }
            var line = "\(name)=\(top.label) (score \(Self.format(top.score))"
            let others = ranked.dropFirst().prefix(4).map { "\($0.label) \(Self.format($0.score))" }
            if !others.isEmpty { line += "; " + others.joined(separator: ", ") }
            return line + "): " + terms.prefix(8).joined(separator: ", ")
        }

        static func format(_ value: Double) -> String {
            let rounded = (value * 10).rounded() / 10
            return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
        }
    }
}

extension InquiryText {
    static let replyPrefixes = ["re:", "aw:", "odg:", "odg.:", "sv:", "vs:", "r:", "rif:", "válasz:", "antw:"]
    static let allPrefixes = replyPrefixes + forwardPrefixes

    /// The subject without reply and forward prefixes, which say nothing about the content.
    static func strippingReplyPrefixes(_ subject: String) -> String {
        strippingPrefixes(allPrefixes, from: subject)
    }
}

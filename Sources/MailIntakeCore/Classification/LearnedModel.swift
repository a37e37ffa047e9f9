import FoundationEssentials

/// What the office's corrections teach: a multinomial logistic regression per label (field,
/// intent, and the sender — natural, or legal of one kind), over the folded words and word pairs
/// of the subject and the new text and the vocabulary's own scores, in plain Swift.
///
/// It learns the vocabulary's *mistakes*, not everything from scratch: each class starts from a
/// prior, `prior` for the label the vocabulary chose and 0 for the rest, and the weights are what
/// the examples add to that (a residual). So with no examples the model says what the vocabulary
/// says; ten corrections move only what they show; and a label comes with the learned terms that
/// moved it ("learned: 'dijakinja' → natural +1.4"). Training is deterministic: the same examples
/// in the same order give the same model.
public struct LearnedModel: Codable, Sendable, Equatable {
    /// One label's classifier.
    public struct Head: Codable, Sendable, Equatable {
        public let name: String
        public let classes: [String]
        var bias: [Double]
        /// Feature → one weight per class.
        var weights: [String: [Double]]
    }

    public var heads: [Head]
    /// How many labelled examples it learned from.
    public var examples: Int
    /// Where they came from: labelled folders, and `corrections` for the database's.
    public var sources: [String]
    /// The highest correction id among them: a later correction means the model is out of date.
    public var correctionsThrough: Int64
    /// The vocabulary's head start for the label it chose.
    public var prior: Double
    /// The training examples' mean of each dense feature (the vocabulary's scores, the voice, the
    /// address's kind): subtracted before weighing, so a feature nearly every letter has cannot
    /// act as a bias, and ten corrections cannot tilt every later letter towards their classes.
    public var means: [String: Double]
    public var createdAt: String

    /// Settings of training, fixed: chosen once on the cross-validation, never per message.
    public struct Training: Sendable {
        public var prior = 1.5
        public var epochs = 25
        public var rate = 0.3
        public var l2 = 0.0005
        /// The L2 penalty of the whole training set, spread over its examples: a handful of
        /// corrections move the weights little, hundreds as far as they agree.
        public var regularisation = 1.0
        public init() {}
    }

    // MARK: features

    /// The features of one inquiry: word and word-pair presence (each group scaled to unit
    /// length, so a long letter does not outvote a short one), and the vocabulary's scores.
    /// In the order of their names: sums over them come out the same in every process (a
    /// dictionary's order changes with the hash seed), so training is exactly repeatable.
    static func features(_ analysis: KeywordClassifier.Analysis, _ inquiry: InquiryText, vocabulary: Vocabulary) -> [(String, Double)] {
        featureMap(analysis, inquiry, vocabulary: vocabulary).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    static func featureMap(_ analysis: KeywordClassifier.Analysis, _ inquiry: InquiryText, vocabulary: Vocabulary) -> [String: Double] {
        var features: [String: Double] = [:]
        func group(_ prefix: String, _ keys: Set<String>) {
            guard !keys.isEmpty else { return }
            let value = 1 / Double(keys.count).squareRoot()
            for key in keys { features[prefix + key] = value }
        }
        let body = analysis.body.words.prefix(Self.maximumWords).map { String(decoding: analysis.body.bytes[$0], as: UTF8.self) }
        let subject = analysis.subject.words.prefix(40).map { String(decoding: analysis.subject.bytes[$0], as: UTF8.self) }
        group("w:", Set(body.filter { $0.utf8.count > 1 }))
        group("b:", Set(zip(body, body.dropFirst()).map { $0 + " " + $1 }))
        group("s:", Set(subject.filter { $0.utf8.count > 1 }))
        // Who speaks: the signature's words and shape, the display name, the mailbox's local part.
        let signature = FoldedText(inquiry.signature, limit: 4096)
        let signatureWords = signature.words.map { String(decoding: signature.bytes[$0], as: UTF8.self) }
        group("g:", Set(signatureWords.filter { $0.utf8.count > 1 && !$0.allSatisfy(\.isNumber) }))
        if !signatureWords.isEmpty {
            let lines = Set(signature.lineOfWord).count
            features["sig:lines" + String(min(lines, 6))] = 1
            if signatureWords.contains(where: { $0.contains(where: \.isNumber) }) { features["sig:digits"] = 1 }
        }
        if let name = inquiry.authorName {
            let folded = FoldedText(name, limit: 256)
            group("n:", Set(folded.words.map { String(decoding: folded.bytes[$0], as: UTF8.self) }))
        }
        if let local = inquiry.authorAddress?.localPart.lowercased() {
            features["l:" + (local.contains(".") || local.contains("_") ? "first.last" : local.count <= 12 ? local : "long")] = 1
        }
        for entry in analysis.field.ranked { features["vf:" + entry.label] = log1p(entry.score) }
        for entry in analysis.intent.ranked { features["vi:" + entry.label] = log1p(entry.score) }
        features["vs:legal"] = log1p(analysis.sender.legal)
        features["vs:natural"] = log1p(analysis.sender.natural)
        for (kind, score) in analysis.sender.kindScores { features["vk:" + kind] = log1p(score) }
        features["q"] = Double(analysis.questions) / 3
        features["origin:" + inquiry.origin.rawValue] = 1
        if let domain = inquiry.authorAddress?.domain.lowercased() {
            features[vocabulary.freeMailDomains.contains(domain) ? "domain:free" : "domain:own"] = 1
        }
        if let declared = inquiry.declaredSenderType { features["form:" + declared] = 1 }
        // The voice: how much of the letter speaks as "I" and how much as "we".
        if let voice = vocabulary.voice {
            var singular = 0.0, plural = 0.0
            for hit in voice.hits(in: analysis.body) {
                if voice.label(of: hit) == "singular" { singular += 1 } else { plural += 1 }
            }
            features["voice:singular"] = log1p(singular)
            features["voice:plural"] = log1p(plural)
            features["voice:balance"] = (singular - plural) / (singular + plural + 1)
        }
        return features
    }

    /// Whether a feature is dense (most letters have it) rather than a word or word pair.
    static func isDense(_ feature: String) -> Bool {
        switch feature.prefix(while: { $0 != ":" }) {
        case "w", "b", "s", "g", "n": return false
        default: return true
        }
    }

    /// The features with the dense ones centred on `means`: every dense feature the training saw
    /// is present, at its value minus its mean (absent counts as 0).
    static func centred(_ features: [(String, Double)], means: [String: Double]) -> [(String, Double)] {
        guard !means.isEmpty else { return features }
        var dense = means.mapValues { -$0 }
        var result: [(String, Double)] = []
        result.reserveCapacity(features.count + means.count)
        for (feature, value) in features {
            if isDense(feature) {
                dense[feature, default: 0] += value
            } else {
                result.append((feature, value))
            }
        }
        result += dense.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return result
    }

    /// Words of the new text taken into account: a letter's opening says who writes and why.
    static let maximumWords = 400

    /// The sender as one class: `natural`, or `legal/KIND`.
    static func senderClass(_ labels: Labels) -> String {
        labels.senderType == SenderType.legal.rawValue ? "legal/" + (labels.legalKind ?? LegalKind.other.rawValue) : SenderType.natural.rawValue
    }

    static let senderClasses = [SenderType.natural.rawValue] + LegalKind.names.map { "legal/" + $0 }

    /// The class each head's vocabulary chose for this inquiry.
    static func vocabularyChoice(_ analysis: KeywordClassifier.Analysis) -> [String: String] {
        let labels = analysis.classification.labels
        return ["field": labels.field, "intent": labels.intent, "sender": senderClass(labels)]
    }

    // MARK: training

    /// Learns from `examples` (an inquiry and its right labels) on top of `keyword`'s vocabulary.
    public static func train(_ examples: [(inquiry: InquiryText, labels: Labels)], keyword: KeywordClassifier,
                             sources: [String], correctionsThrough: Int64 = 0, settings: Training = Training()) -> LearnedModel {
        let prepared = examples.map { example -> (features: [(String, Double)], choice: [String: String], labels: Labels) in
            let analysis = keyword.analyse(example.inquiry)
            return (features(analysis, example.inquiry, vocabulary: keyword.vocabulary), vocabularyChoice(analysis), example.labels)
        }
        var sums: [String: Double] = [:]
        for item in prepared {
            for (feature, value) in item.features where isDense(feature) { sums[feature, default: 0] += value }
        }
        let means = prepared.isEmpty ? [:] : sums.mapValues { $0 / Double(prepared.count) }
        let specs: [(name: String, classes: [String], truth: (Labels) -> String)] = [
            ("field", Field.names, { $0.field }),
            ("intent", Intent.names, { $0.intent }),
            ("sender", senderClasses, senderClass),
        ]
        var heads: [Head] = []
        for spec in specs {
            var head = Head(name: spec.name, classes: spec.classes, bias: [Double](repeating: 0, count: spec.classes.count), weights: [:])
            let rows = prepared.compactMap { item -> (features: [(String, Double)], prior: Int?, truth: Int)? in
                guard let truth = spec.classes.firstIndex(of: spec.truth(item.labels)) else { return nil }
                return (centred(item.features, means: means), item.choice[spec.name].flatMap { spec.classes.firstIndex(of: $0) }, truth)
            }
            let l2 = max(settings.l2, settings.regularisation / Double(max(rows.count, 1)))
            for epoch in 0..<settings.epochs {
                let rate = settings.rate / (1 + Double(epoch) * 0.2)
                for row in rows {
                    let probabilities = head.probabilities(row.features, prior: row.prior, strength: settings.prior)
                    let gradient = probabilities.enumerated().map { $0.element - ($0.offset == row.truth ? 1 : 0) }
                    for c in gradient.indices { head.bias[c] -= rate * 0.1 * gradient[c] }
                    for (feature, value) in row.features where head.uses(feature) {
                        var weights = head.weights[feature] ?? [Double](repeating: 0, count: spec.classes.count)
                        for c in weights.indices { weights[c] -= rate * (gradient[c] * value + l2 * weights[c]) }
                        head.weights[feature] = weights
                    }
                }
            }
            // What rounds to nothing says nothing: dropped, so the file stays small.
            head.weights = head.weights.filter { $0.value.contains { abs($0) >= 0.001 } }
            heads.append(head)
        }
        return LearnedModel(heads: heads, examples: prepared.count, sources: sources, correctionsThrough: correctionsThrough,
                            prior: settings.prior, means: means, createdAt: MailDate.iso8601(Date()))
    }

    // MARK: classifying

    /// The labels of an inquiry the vocabulary has analysed: the language and secondary fields as
    /// the vocabulary found them, field, intent and sender as the model decides, with evidence.
    func classify(_ analysis: KeywordClassifier.Analysis, _ inquiry: InquiryText, vocabulary: Vocabulary) -> Classification {
        let features = Self.centred(Self.features(analysis, inquiry, vocabulary: vocabulary), means: means)
        let choice = Self.vocabularyChoice(analysis)
        var labels = analysis.classification.labels
        var evidence = analysis.classification.evidence
        var confidences = [analysis.classification.confidence]
        for head in heads {
            let prior = choice[head.name].flatMap { head.classes.firstIndex(of: $0) }
            let probabilities = head.probabilities(features, prior: prior, strength: self.prior)
            let order = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] || (probabilities[$0] == probabilities[$1] && $0 < $1) }
            let best = order[0], runnerUp = order.count > 1 ? order[1] : order[0]
            let chosen = head.classes[best]
            confidences.append(probabilities[best])
            switch head.name {
            case "field":
                labels.field = chosen
                labels.secondaryFields.removeAll { $0 == chosen }
            case "intent": labels.intent = chosen
            default:
                if chosen.hasPrefix("legal/") {
                    labels.senderType = SenderType.legal.rawValue
                    labels.legalKind = String(chosen.dropFirst(6))
                } else {
                    labels.senderType = SenderType.natural.rawValue
                    labels.legalKind = nil
                }
            }
            evidence.append(head.explain(chosen: best, over: runnerUp, probability: probabilities[best], features: features,
                                         vocabulary: choice[head.name]))
        }
        // The weakest label's probability, kept on the classifier's own scale (the language's and
        // the vocabulary's confidence still count: a message nothing matched stays unsure).
        let confidence = min(confidences.dropFirst().min() ?? 0, max(confidences[0], 0.5))
        return Classification(labels: labels, confidence: (confidence * 100).rounded() / 100, evidence: evidence)
    }
}

extension LearnedModel.Head {
    /// Whether a feature speaks to this label: the words to every one, the vocabulary's scores
    /// only to their own (the intent's scores say nothing about who the sender is).
    func uses(_ feature: String) -> Bool {
        switch feature.prefix(while: { $0 != ":" }) {
        case "w", "b", "s": return true
        case "vf": return name == "field"
        // What is asked says something of the field too: a twinning proposal, a vendor's pitch
        // or a complaint is `other` whatever subject it touches.
        case "vi": return name == "intent" || name == "field"
        case "q": return name == "intent"
        case "vs", "vk", "domain", "form", "origin", "g", "sig", "n", "l", "voice": return name == "sender"
        default: return true
        }
    }

    func probabilities(_ features: [(String, Double)], prior: Int?, strength: Double) -> [Double] {
        var logits = bias
        if let prior { logits[prior] += strength }
        for (feature, value) in features where uses(feature) {
            guard let weights = weights[feature] else { continue }
            for c in logits.indices { logits[c] += weights[c] * value }
        }
        let top = logits.max() ?? 0
        let exponentials = logits.map { exp($0 - top) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { $0 / total }
    }

    /// `learned field=culture (p 0.82; vocabulary said education): 'koncert' +1.1, 'zbor' +0.6`
    func explain(chosen: Int, over runnerUp: Int, probability: Double, features: [(String, Double)], vocabulary: String?) -> String {
        var contributions: [(String, Double)] = []
        for (feature, value) in features where uses(feature) {
            guard let weights = weights[feature] else { continue }
            let amount = (weights[chosen] - weights[runnerUp]) * value
            // A dense feature is centred: below its usual value it speaks by its absence.
            if amount > 0.05 { contributions.append((value < 0 ? Self.describe(feature) + " (less than usual)" : Self.describe(feature), amount)) }
        }
        contributions.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        let terms = contributions.prefix(5).map { "\($0.0) +\(Formatting.decimal($0.1, digits: 1))" }
        let label = name == "sender" ? "sender" : name
        var line = "learned \(label)=\(classes[chosen]) (p \(Formatting.decimal(probability, digits: 2))"
        if let vocabulary, vocabulary != classes[chosen] { line += "; the vocabulary said \(vocabulary)" }
        line += ")"
        return terms.isEmpty ? line + ": the vocabulary's choice, nothing learned against it" : line + ": " + terms.joined(separator: ", ")
    }

    /// A feature as staff read it: `'dijakinja'`, `subject 'turnir'`, `'sem dijak'`, `vocabulary sport`.
    static func describe(_ feature: String) -> String {
        guard let colon = feature.firstIndex(of: ":") else { return feature }
        let kind = feature[..<colon], value = feature[feature.index(after: colon)...]
        switch kind {
        case "w", "b": return "'\(value)'"
        case "s": return "subject '\(value)'"
        case "g": return "signature '\(value)'"
        case "n": return "name '\(value)'"
        case "l": return "mailbox '\(value)@'"
        case "sig": return "signature shape \(value)"
        case "voice": return "\(value) voice"
        case "vf", "vi", "vk": return "vocabulary \(value)"
        case "vs": return "vocabulary \(value) evidence"
        case "domain": return value == "free" ? "free-mail address" : "organisation's address"
        case "form": return "form answer \(value)"
        case "origin": return "\(value) message"
        default: return feature
        }
    }
}

/// The classifier the daemon and `classify` use: the vocabulary, and the learned model on top of
/// it when there is one.
public struct LearningClassifier: InquiryClassifier {
    public let keyword: KeywordClassifier
    public let model: LearnedModel?

    public init(keyword: KeywordClassifier, model: LearnedModel?) {
        self.keyword = keyword
        self.model = model
    }

    public func author(of message: ParsedMessage) -> InquiryText { keyword.author(of: message) }

    public func classify(_ inquiry: InquiryText) -> Classification {
        let analysis = keyword.analyse(inquiry)
        guard let model else { return analysis.classification }
        return model.classify(analysis, inquiry, vocabulary: keyword.vocabulary)
    }
}

extension LearnedModel {
    /// Reads a model file; nil when there is none.
    public static func load(path: String) throws -> LearnedModel? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(LearnedModel.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ModelError(path: path, reason: "it is not a model mailintake wrote (\(error)); run `mailintake learn` to rebuild it")
        }
    }

    /// Writes the model beside `path` and renames it into place: a reader sees the old model or the new one.
    public func save(path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(self)
        let temporary = path + ".tmp.\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ModelError(path: path, reason: "cannot write \(temporary); check that the folder exists and is writable")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ModelError(path: path, reason: "cannot rename it into place: \(reason)")
        }
    }
}

public struct ModelError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "learned model \(path): \(reason)" }
}

/// A folder of labelled messages: `.eml` files and a `labels.json` mapping each file name to its
/// labels (the format of the office's taxonomy), for `learn --from DIR` and the evaluation.
public enum LabelledFolder {
    public struct Example: Sendable {
        public let name: String
        public let raw: [UInt8]
        public let labels: Labels
    }

    public static func load(_ directory: String) throws -> [Example] {
        let labelsPath = Path.join(directory, "labels.json")
        guard let data = FileManager.default.contents(atPath: labelsPath) else {
            throw ModelError(path: directory, reason: "no labels.json in it; a labelled folder holds .eml files and a labels.json naming their labels")
        }
        let records: [String: Labels]
        do {
            records = try JSONDecoder().decode([String: Labels].self, from: data)
        } catch {
            throw ModelError(path: labelsPath, reason: "not a map of file names to labels (\(error))")
        }
        return try records.keys.sorted().map { name in
            guard let labels = records[name] else { throw ModelError(path: labelsPath, reason: "\(name) has no labels") }
            if let problem = labels.problem { throw ModelError(path: labelsPath, reason: "\(name): \(problem)") }
            guard let raw = FileManager.default.contents(atPath: Path.join(directory, name)) else {
                throw ModelError(path: directory, reason: "\(name) is named in labels.json but cannot be read")
            }
            return Example(name: name, raw: Array(raw), labels: labels)
        }
    }
}

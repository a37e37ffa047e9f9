/// Weighs who wrote an inquiry: a private person (natural) or someone writing for an
/// organisation (legal), and which kind of organisation.
///
/// Each piece of evidence can be wrong on its own (a club secretary writes from gmail.com, an
/// employee asks a private question from the company address, the web form's answer is
/// mis-clicked), so each adds weight rather than deciding. Where a marker stands matters: in the
/// display name, the signature or the closing lines it names the sender; in a sentence where the
/// sender introduces themselves ("v imenu …", "on behalf of …") nearly as much; in the opening
/// sentences somewhat; anywhere else (the partner in Graz, the mayor being invited) little.
/// Mentions of the office's own organisation (`[own]`) are ignored.
struct SenderEvidence {
    let vocabulary: Vocabulary
    let inquiry: InquiryText
    let body: FoldedText

    /// How much a marker counts by where it stands.
    enum Place: Double {
        case organisationField = 4
        case displayName = 3
        case closing = 2.5
        case selfIntroduction = 2
        case opening = 1
        case elsewhere = 0.3
    }

    /// The closing block: up to this many short lines at the end of the body (the signature
    /// that mail clients did not mark as one).
    static let closingLines = 7
    static let shortLine = 70
    /// A line at least this long that ends a sentence is prose, even if short.
    static let proseLine = 40
    /// The first sentences, where a sender usually says who they are.
    static let openingSentences = 3

    /// Weights of the evidence that is not vocabulary.
    static let naturalPrior = 1.0
    static let freeMail = 1.0
    static let organisationDomain = 1.0
    static let declaredLegal = 2.0
    static let declaredNatural = 1.5
    static let vatNumber = 2.0

    /// The EU VAT prefixes of the countries the office hears from most, then 8 to 12 digits
    /// (Austria writes ATU and 8 digits).
    static let vatPrefixes: [[UInt8]] = ["si", "hr", "at", "atu", "de", "it", "hu", "rs", "ba", "mk", "cz", "sk", "pl", "lt"].map { Array($0.utf8) }

    static func isVATNumber(_ word: ArraySlice<UInt8>) -> Bool {
        guard (10...15).contains(word.count) else { return false }
        for prefix in vatPrefixes where word.starts(with: prefix) {
            let digits = word.dropFirst(prefix.count)
            if (8...12).contains(digits.count), digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return true }
        }
        return false
    }

    struct Decision: Sendable {
        let legalKind: String?
        let confidence: Double
        let evidence: String
        /// The weighed evidence behind the decision, for the learned model.
        var legal = 0.0
        var natural = 0.0
        var kindScores: [String: Double] = [:]
    }

    func decide() -> Decision {
        let terms = vocabulary.senders
        var kindScores: [String: Double] = [:]
        var legal = 0.0
        var natural = Self.naturalPrior
        var reasons: [String] = []

        func add(_ hits: [TermSet.Hit], place: (TermSet.Hit) -> Place, excluded: Set<Int>) {
            for hit in hits {
                let label = terms.label(of: hit)
                guard label != "self" && label != "own" else { continue }
                if (hit.firstWord...hit.lastWord).contains(where: excluded.contains) { continue }
                let where_ = place(hit)
                let weight = terms.weight(of: hit)
                switch label {
                case "natural":
                    // A sender's own statement about themselves counts wherever it stands.
                    natural += weight
                    reasons.append("natural \"\(terms.text(of: hit))\"")
                case "legal":
                    legal += weight * where_.rawValue
                    reasons.append("role \"\(terms.text(of: hit))\" (\(where_))")
                default:
                    let amount = weight * where_.rawValue
                    kindScores[label, default: 0] += amount
                    legal += amount
                    reasons.append("\(label) \"\(terms.text(of: hit))\" (\(where_))")
                }
            }
        }

        // The body: find the closing block, the self-introductions and the office's own name.
        let bodyHits = terms.hits(in: body)
        var excluded = Set<Int>()
        var selfSentences = Set<Int>()
        for hit in bodyHits {
            switch terms.label(of: hit) {
            case "own": excluded.formUnion(hit.firstWord...hit.lastWord)
            case "self": selfSentences.insert(hit.sentence)
            default: break
            }
        }
        let closingStart = closingStartLine()
        add(bodyHits, place: { hit in
            if body.lineOfWord[hit.firstWord] >= closingStart { return .closing }
            if selfSentences.contains(hit.sentence) { return .selfIntroduction }
            if hit.sentence < Self.openingSentences { return .opening }
            return .elsewhere
        }, excluded: excluded)

        let signature = FoldedText(inquiry.signature, limit: 4096)
        for (text, place) in [(inquiry.authorName, Place.displayName), (inquiry.signature, .closing), (inquiry.organisation, .organisationField)] {
            guard let text, !text.isEmpty else { continue }
            let folded = place == .closing ? signature : FoldedText(text, limit: 4096)
            let hits = terms.hits(in: folded)
            let own = Set(hits.filter { terms.label(of: $0) == "own" }.flatMap { $0.firstWord...$0.lastWord })
            add(hits, place: { _ in place }, excluded: own)
        }

        // A VAT number by its shape (SI12345678, ATU12345678, DE123456789 …): a business or body.
        for text in [body, signature] {
            if let number = text.words.lazy.map({ text.bytes[$0] }).first(where: Self.isVATNumber) {
                legal += Self.vatNumber
                reasons.append("VAT number \(String(decoding: number.prefix(2), as: UTF8.self).uppercased())…")
                break
            }
        }

        if let declared = inquiry.declaredSenderType {
            if declared == "legal" { legal += Self.declaredLegal } else { natural += Self.declaredNatural }
            reasons.append("form answer \(declared)")
        }
        if let organisation = inquiry.organisation, !organisation.isEmpty {
            legal += Self.declaredLegal
            reasons.append("form organisation")
        }
        if let domain = inquiry.authorAddress?.domain.lowercased() {
            if vocabulary.freeMailDomains.contains(domain) {
                natural += Self.freeMail
                reasons.append("free-mail domain")
            } else {
                legal += Self.organisationDomain
                reasons.append("own domain")
            }
        }

        let isLegal = legal > natural
        let confidence = KeywordClassifier.Scored.confidence(top: max(legal, natural), second: min(legal, natural))
        let summary = "(legal \(KeywordClassifier.Scored.format(legal)) vs natural \(KeywordClassifier.Scored.format(natural))): "
            + reasons.prefix(8).joined(separator: ", ")
        guard isLegal else {
            return Decision(legalKind: nil, confidence: confidence, evidence: "sender_type=natural " + summary,
                            legal: legal, natural: natural, kindScores: kindScores)
        }
        let ranked = kindScores.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
        guard let kind = ranked.first else {
            // Legal by role or voice, but no marker says what kind of body: say so.
            return Decision(legalKind: "other", confidence: min(confidence, 0.4),
                            evidence: "sender_type=legal (other: no legal-form marker) " + summary,
                            legal: legal, natural: natural, kindScores: kindScores)
        }
        let kindConfidence = KeywordClassifier.Scored.confidence(top: kind.value, second: ranked.dropFirst().first?.value ?? 0)
        return Decision(legalKind: kind.key, confidence: min(confidence, kindConfidence),
                        evidence: "sender_type=legal (\(kind.key)) " + summary,
                        legal: legal, natural: natural, kindScores: kindScores)
    }

    /// The first line of the closing block: walking back from the end, short lines (a name, a
    /// role, an organisation, an address) up to `closingLines` of them.
    func closingStartLine() -> Int {
        guard let lastLine = body.lineOfWord.last else { return 0 }
        // Line lengths and whether a line ends a sentence, from the folded bytes.
        var lengths: [Int] = []
        var sentenceEnds: [Bool] = []
        var start = 0
        func endLine(_ end: Int) {
            lengths.append(end - start)
            var last = end - 1
            while last >= start, body.bytes[last] == 0x20 { last -= 1 }
            sentenceEnds.append(last >= start && [0x2E, 0x3F, 0x21].contains(body.bytes[last]))
        }
        for (index, byte) in body.bytes.enumerated() where byte == 0x0A {
            endLine(index)
            start = index + 1
        }
        endLine(body.bytes.count)
        var line = lastLine
        var taken = 0
        while line >= 0, taken < Self.closingLines {
            let length = line < lengths.count ? lengths[line] : 0
            // A long line, or a sentence of prose, is the letter, not the signature.
            if length >= Self.shortLine || (length >= Self.proseLine && sentenceEnds[line]) { break }
            if length > 0 { taken += 1 }
            line -= 1
        }
        return line + 1
    }
}

extension SenderEvidence.Place: CustomStringConvertible {
    var description: String {
        switch self {
        case .organisationField: return "form"
        case .displayName: return "name"
        case .closing: return "signature"
        case .selfIntroduction: return "self-introduction"
        case .opening: return "opening"
        case .elsewhere: return "body"
        }
    }
}

/// Splits a message's text into what the sender wrote now, their signature, and the earlier mail
/// they quoted, by the markers that mail clients write in the languages the office receives:
/// `>` lines; "-----Original Message-----" and its translations; "On … wrote:", "Dne … je …
/// napisal(a):", "Am … schrieb …:", "… je napisao/la:", "Il giorno … ha scritto:", "… írta:";
/// Outlook's From:/Sent:/To:/Subject: header blocks in each language; and `-- ` signatures or the
/// "Sent from my phone" lines that stand in for one. Staff still see the whole text; classification
/// reads the new text.
public enum QuoteSplitter {
    /// The three parts; each keeps its lines as written (joined with LF).
    public struct Split: Sendable, Equatable {
        public var newText: String
        public var signature: String
        public var quotedText: String
    }

    public static func split(_ text: String) -> Split {
        let lines = text.lines().map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        // Most lines are prose: only one that starts with `>`, `-` or `_`, or has a colon, can start a quote.
        let quoteStart = lines.indices.first { index in
            let utf8 = lines[index].utf8
            guard let first = utf8.first(where: { $0 != 0x20 && $0 != 0x09 }) else { return false }
            guard first == UInt8(ascii: ">") || first == UInt8(ascii: "-") || first == UInt8(ascii: "_") || utf8.contains(UInt8(ascii: ":")) else { return false }
            return isQuoteStart(lines, at: index)
        } ?? lines.count
        let signatureStart = lines[..<quoteStart].indices.first { isSignatureStart(lines[$0]) } ?? quoteStart
        func join(_ range: Range<Int>) -> String {
            guard let first = range.first else { return "" }
            // The lines of a range stand in `text` one LF apart: unless a CR was taken off one
            // of them, their join is that stretch of `text` as it is, with no line copied.
            let stretch = text[lines[first].startIndex..<lines[range.last!].endIndex]
            if !stretch.utf8.contains(0x0D) { return stretch.trimmed() }
            return lines[range].joined(separator: "\n").trimmed()
        }
        return Split(newText: join(0..<signatureStart), signature: join(signatureStart..<quoteStart), quotedText: join(quoteStart..<lines.count))
    }

    // MARK: markers

    private static let separatorWords = [
        "original message", "izvirno sporočilo", "izvirno sporocilo", "ursprüngliche nachricht", "originalnachricht",
        "originalna poruka", "izvorna poruka", "originalna poruka", "оригинална порука", "messaggio originale",
        "eredeti üzenet", "forwarded message", "posredovano sporočilo", "posredovano sporocilo", "weitergeleitete nachricht",
        "proslijeđena poruka", "prosleđena poruka", "messaggio inoltrato", "továbbított üzenet", "message d'origine",
    ]
    static let fromLabels = ["from:", "od:", "von:", "da:", "feladó:", "šalje:", "salje:", "pošiljatelj:", "de:"]
    static let sentLabels = ["sent:", "date:", "poslano:", "gesendet:", "datum:", "inviato:", "data:", "elküldve:", "dátum:", "poslato:", "envoyé:"]
    static let subjectLabels = ["subject:", "zadeva:", "betreff:", "predmet:", "oggetto:", "tárgy:", "objet:", "tema:"]
    static let toLabels = ["to:", "za:", "an:", "a:", "prima:", "címzett:", "à:", "cc:", "kp:", "kopija:"]

    static func isQuoteStart(_ lines: [Substring], at index: Int) -> Bool {
        let line = lines[index].trimmed()
        if line.hasPrefix(">") { return true }
        let lower = line.lowercased()
        // -----Original Message----- and friends; Outlook's long underscore rule.
        if lower.hasPrefix("-----") || lower.hasPrefix("-------- ") || lower.hasPrefix("---------- ") {
            let words = lower.trimmed(of: "- ")
            if separatorWords.contains(where: { words.contains($0) }) { return true }
        }
        if line.count >= 20, line.allSatisfy({ $0 == "_" }) { return index + 1 < lines.count && startsHeaderBlock(lines, at: index + 1) }
        if isAttributionLine(lower) { return true }
        // Gmail wraps a long attribution: "On Tue, 3 Nov 2026 at 10:00, Ana Novak <ana@…>" / "wrote:".
        if index + 1 < lines.count, lower.hasPrefix("on ") || lower.hasPrefix("dne ") || lower.hasPrefix("am ") || lower.hasPrefix("il giorno ") {
            let next = lines[index + 1].trimmed().lowercased()
            if isAttributionLine(lower + " " + next) && !next.isEmpty { return true }
        }
        return startsHeaderBlock(lines, at: index)
    }

    /// "On … wrote:", "Dne … je … napisal(a):", "Am … schrieb …:", "… je napisao:", "Il giorno … ha scritto:", "… írta:", "Le … a écrit :".
    static func isAttributionLine(_ lower: String) -> Bool {
        guard lower.hasSuffix(":") else { return false }
        if lower.hasPrefix("on ") && lower.hasSuffix("wrote:") { return true }
        if lower.hasPrefix("dne ") && (lower.contains("napisal") || lower.contains("pisal")) { return true }
        if lower.hasPrefix("am ") && lower.contains("schrieb") { return true }
        if lower.contains(" je napisao") || lower.contains(" je napisala") || lower.contains(" je napisal") || lower.contains(" је написао") { return true }
        if lower.hasPrefix("il giorno") && lower.contains("ha scritto") { return true }
        if lower.hasSuffix(" ha scritto:") { return true }
        if lower.contains(" írta:") || lower.contains(" írta (") || lower.hasSuffix("irta:") { return true }
        if lower.hasPrefix("le ") && lower.contains("a écrit") { return true }
        return false
    }

    /// Outlook's reply header: a From line followed within a few lines by a date and a subject line.
    static func startsHeaderBlock(_ lines: [Substring], at index: Int) -> Bool {
        let first = lines[index].trimmed().lowercased()
        guard fromLabels.contains(where: { first.hasPrefix($0) }) else { return false }
        let following = lines[(index + 1)..<min(lines.count, index + 6)].map { $0.trimmed().lowercased() }
        let hasDate = following.contains { line in sentLabels.contains { line.hasPrefix($0) } }
        let hasSubject = following.contains { line in subjectLabels.contains { line.hasPrefix($0) } }
        return hasDate && hasSubject
    }

    static let signaturePhrases = ["sent from my ", "poslano iz mojega ", "poslano z mojega ", "von meinem ", "inviato da ", "poslano sa mog",
                                   "poslano s mog", "küldve az én", "get outlook for "]
    /// The first letters of `signaturePhrases`, upper and lower case.
    private static let signatureInitials: Set<UInt8> = Set(signaturePhrases.flatMap { phrase in
        phrase.utf8.first.map { [$0, $0 & ~0x20] } ?? []
    })

    static func isSignatureStart(_ line: Substring) -> Bool {
        if line == "-- " || line == "--" { return true }
        // Asked of every line of every body (a paragraph is one line): a line that starts with an
        // ASCII character no phrase starts with is done at once, and only the start of the others
        // is lower-cased (every phrase is shorter than 32 characters; lower-casing whole
        // paragraphs was most of the quote splitter's time).
        if let first = line.utf8.first(where: { !$0.isASCIIWhitespace }), first < 0x80,
           !signatureInitials.contains(first) { return false }
        let start = String(line.trimmed().prefix(32)).lowercased()
        return signaturePhrases.contains { start.hasPrefix($0) }
    }
}

import Testing
@testable import MailIntakeCore

@Suite("Search: folding, second spellings, stems and safe queries")
struct SearchTextTests {
    @Test("the index holds folded words and the second spelling of đ, ä, ö, ü")
    func indexed() {
        let text = SearchText.indexed("Marko Đorđević, Städtepartnerschaft München")
        #expect(text.contains("marko dordevic"))
        #expect(text.contains("djordjevic"))
        #expect(text.contains("stadtepartnerschaft") && text.contains("staedtepartnerschaft"))
        #expect(text.contains("munchen") && text.contains("muenchen"))
        #expect(SearchText.indexed("Šolski ŽUPAN čaka") == "solski zupan caka")
    }

    @Test("a query: words as stems and prefixes, phrases as neighbours, nothing that is FTS5 syntax")
    func query() {
        #expect(SearchText.query("muzej Gradec") == #""muzej"* AND "gradec"*"#)
        #expect(SearchText.query("\"pobratena mesta\"") == #"NEAR("pobraten"* "mest"*, 1)"#)
        #expect(SearchText.query("Đorđević") == #""dordevic"*"#)
        // Quotes, operators and column filters typed by someone are only words.
        #expect(SearchText.query("a OR b* NEAR(x) subject:y ^z -w") == #""a"* AND "or"* AND "b"* AND "near"* AND "x"* AND "subject"* AND "y"* AND "z"* AND "w"*"#)
        #expect(SearchText.query("  \"\" ;:*  ") == nil)
        #expect(SearchText.stem("pobratenih") == "pobraten")
        #expect(SearchText.stem("mesta") == "mest")
        #expect(SearchText.stem("muzej") == "muzej")
        #expect(SearchText.stem("ura") == "ura", "too short to cut")
    }
}

@Suite("Search text: the quick path")
struct SearchTextQuickPathTests {
    @Test("text without a letter of two spellings is only folded; with one, composed or decomposed, it gets both")
    func quickPath() {
        #expect(SearchText.indexed("Pobratena mesta Maribor") == SearchText.folded("Pobratena mesta Maribor"))
        #expect(!SearchText.hasAlternative("Čšž ćĆ é ß"))
        for text in ["München", "Mu\u{308}nchen", "Đorđević", "Hämeenlinna", "Ölsnitz"] {
            #expect(SearchText.hasAlternative(text), "\(text)")
        }
        #expect(SearchText.indexed("Mu\u{308}nchen").contains("muenchen"))
        #expect(SearchText.indexed("Pozdrav iz Münchna") .contains("muenchna"))
        // The words are cut on scalars; Characters, as they were cut before, give the same index.
        for text in ["Marko Đorđević, Städtepartnerschaft München", "Mu\u{308}nchen und Ko\u{308}ln, 2026", "ĐAK, đak—Đurđevdan… ülő",
                     "Grüße aus Wien: Größe 3½, Ünal & Öztürk", "e\u{301}cole, naïve", "日本語 Köln 12ä", "\u{308}ü"] {
            #expect(SearchText.indexed(text) == Self.indexedByCharacters(text), "\(text)")
        }
        // Where they differ, on purpose: a ü with a further mark is still a ü (no Character equals it).
        #expect(SearchText.indexed("ü\u{301}ber") == "uber ueber")
        let long = String(repeating: "ž", count: 20_000)
        #expect(SearchDocument(subject: "", sender: [], organisation: nil, body: long, attachments: []).body.count == SearchDocument.textLimit)
    }

    /// The index as it was made from Characters (the reference the scalar version is held to).
    static func indexedByCharacters(_ text: String) -> String {
        let alternatives: [Character: String] = ["đ": "dj", "Đ": "dj", "ä": "ae", "Ä": "ae", "ö": "oe", "Ö": "oe", "ü": "ue", "Ü": "ue"]
        var second: [String] = []
        for word in text.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) where word.contains(where: { alternatives[$0] != nil }) {
            var spelled = ""
            for character in word { spelled += alternatives[character] ?? String(character) }
            second.append(SearchText.folded(spelled))
        }
        let primary = SearchText.folded(text)
        return second.isEmpty ? primary : primary + " " + second.joined(separator: " ")
    }
}

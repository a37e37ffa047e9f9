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
        let long = String(repeating: "ž", count: 20_000)
        #expect(SearchDocument(subject: "", sender: [], organisation: nil, body: long, attachments: []).body.count == SearchDocument.textLimit)
    }
}

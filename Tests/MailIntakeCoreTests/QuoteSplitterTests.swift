import Testing
@testable import MailIntakeCore

@Suite("New text, signature and quoted mail")
struct QuoteSplitterTests {
    @Test("finds where quoted mail starts in every language the office receives", arguments: [
        ("> Spoštovani,\n> vabimo vas", "en/sl > lines"),
        ("-----Original Message-----\nFrom: a@b.si", "Outlook en"),
        ("-----Izvirno sporočilo-----\nOd: a@b.si", "Outlook sl"),
        ("-----Ursprüngliche Nachricht-----\nVon: a@b.de", "Outlook de"),
        ("-----Originalna poruka-----\nOd: a@b.hr", "Outlook hr"),
        ("-----Messaggio originale-----\nDa: a@b.it", "Outlook it"),
        ("-----Eredeti üzenet-----\nFeladó: a@b.hu", "Outlook hu"),
        ("On Tue, 3 Nov 2026 at 10:00, Ana Novak <ana@example.si> wrote:\n> text", "Gmail en"),
        ("On Tue, 3 Nov 2026 at 10:00, Ana Novak <ana@example.si>\nwrote:\n> text", "Gmail en wrapped"),
        ("Dne tor., 3. nov. 2026 ob 10:00 je Ana Novak <ana@example.si> napisal(a):\n> text", "Gmail sl"),
        ("Am Di., 3. Nov. 2026 um 10:00 Uhr schrieb Ana Novak <ana@example.de>:\n> text", "Gmail de"),
        ("uto, 3. stu 2026. u 10:00 Ana Novak <ana@example.hr> je napisala:\n> text", "Gmail hr"),
        ("Il giorno mar 3 nov 2026 alle ore 10:00 Ana <ana@example.it> ha scritto:\n> text", "Gmail it"),
        ("Ana Novak <ana@example.hu> ezt írta (időpont: 2026. nov. 3., K, 10:00):\n> text", "Gmail hu"),
        ("From: Ana Novak <ana@example.si>\nSent: Tuesday, November 3, 2026 10:00 AM\nTo: Office\nSubject: Vabilo", "Outlook header en"),
        ("Od: Ana Novak <ana@example.si>\nPoslano: torek, 3. november 2026 10:00\nZa: Urad\nZadeva: Vabilo", "Outlook header sl"),
        ("Von: Ana Novak <ana@example.de>\nGesendet: Dienstag, 3. November 2026 10:00\nAn: Büro\nBetreff: Einladung", "Outlook header de"),
        ("________________________________\nFrom: Ana Novak <ana@example.si>\nSent: Tuesday\nSubject: x", "Outlook web rule"),
    ])
    func quoteMarkers(quote: String, client: String) {
        let split = QuoteSplitter.split("Pozdravljeni,\nprosim za sestanek.\n\n" + quote)
        #expect(split.newText == "Pozdravljeni,\nprosim za sestanek.", "\(client)")
        #expect(!split.quotedText.isEmpty, "\(client)")
    }

    @Test("separates a -- signature and a phone's sign-off from the new text")
    func signatures() {
        let split = QuoteSplitter.split("Hello,\nplease send the list.\n-- \nJane Walker\nSt Mary's School\n\n> old mail")
        #expect(split.newText == "Hello,\nplease send the list.")
        #expect(split.signature == "-- \nJane Walker\nSt Mary's School")
        #expect(split.quotedText == "> old mail")
        let phone = QuoteSplitter.split("Kratko vprašanje o razpisu.\n\nPoslano iz mojega iPhona")
        #expect(phone.newText == "Kratko vprašanje o razpisu.")
        #expect(phone.signature == "Poslano iz mojega iPhona")
    }

    @Test("a phone's sign-off is found as the trimmed, lower-cased line's prefix, whatever the line starts with and however long")
    func signatureShortcut() {
        // What isSignatureStart's first-byte shortcut must agree with: the whole test on every line.
        func reference(_ line: Substring) -> Bool {
            if line == "-- " || line == "--" { return true }
            let lower = line.trimmed().lowercased()
            return QuoteSplitter.signaturePhrases.contains { lower.hasPrefix($0) }
        }
        var lines: [String] = ["-- ", "--", "", " ", "\t", "\u{A0}Sent from my phone", "Sent from my iPad", "  SENT FROM MY PHONE",
                               "\tVon meinem iPhone gesendet", "Küldve az én iPhone-omról", "get Outlook for Android", "Poslano s mog mobitela",
                               "sent", "Sentence of prose", "Inviato da iPhone", "\u{2003}poslano iz mojega telefona", "Ś", "s\u{301}ent from my "]
        var generator = SystemRandomNumberGenerator()
        let pieces = ["sent from my ", "Sent From My ", "von meinem ", " ", "\t", "\u{A0}", "x", "K", "ü", "-", "p", "Poslano z mojega ",
                      "a long paragraph that goes on well past the first thirty-two characters"]
        for _ in 0..<2000 {
            lines.append((0..<Int.random(in: 1...3, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined())
        }
        for line in lines {
            #expect(QuoteSplitter.isSignatureStart(Substring(line)) == reference(Substring(line)), "\(line.debugDescription)")
        }
    }

    @Test("each part is its lines joined by LF and trimmed, whether the text's lines end in LF, CRLF or a mix, with quotes, sign-offs and stray CRs anywhere")
    func partsAreTheirLinesJoined() {
        let pieces = ["Pozdravljeni,", "we would like to visit Maribor", "", " ", "\t", "-- ", "Sent from my iPhone", "> quoted", ">> deeper",
                      "On Mon, 1 Dec 2026, Ana wrote:", "-----Original Message-----", "Od: Ana", "Lp, Ana", "\r", "a\rb", "ü ž đ",
                      "\u{A0}", "x\r\r"]
        var generator = SystemRandomNumberGenerator()
        for round in 0..<1500 {
            let count = Int.random(in: 0...12, using: &generator)
            let lines = (0..<count).map { _ in pieces.randomElement(using: &generator)! }
            let ending = ["\n", "\r\n"][round % 2]
            let text = lines.enumerated().map { index, line in
                line + (index == count - 1 && Bool.random(using: &generator) ? "" : (round % 3 == 0 && Bool.random(using: &generator) ? "\n" : ending))
            }.joined()
            let split = QuoteSplitter.split(text)
            // Each part must be a run of the text's lines as `split` joined them before it took a
            // part as a stretch of the text: each line's one trailing CR dropped, the lines
            // joined with LF, the whole trimmed. The three runs follow one another and cover
            // every line.
            let cut = text.lines().map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
            func join(_ range: Range<Int>) -> String { cut[range].joined(separator: "\n").trimmed() }
            var found = false
            search: for signature in 0...cut.count {
                guard join(0..<signature) == split.newText else { continue }
                for quote in signature...cut.count where join(signature..<quote) == split.signature && join(quote..<cut.count) == split.quotedText {
                    found = true
                    break search
                }
            }
            #expect(found, "\(text.debugDescription) → \(split)")
        }
    }

    @Test("leaves ordinary text alone: a From: line in prose, a dashed rule, an ordinary colon")
    func noFalsePositives() {
        let text = "From: our side, we agree.\nThe date: next week.\n---------\nOn Monday we start:\nmore text"
        let split = QuoteSplitter.split(text)
        #expect(split.newText == text)
        #expect(split.quotedText.isEmpty)
    }

    @Test("classification reads the new text, not the quoted mail")
    func classifierIgnoresQuotes() {
        let message = MessageParser.parse(Fixtures.mail("""
            From: a@gmail.com
            Subject: Re: vprašanje

            Hvala, zanima me še šport za mlade.

            Dne tor., 3. nov. 2026 ob 10:00 je Urad <urad@maribor.example> napisal(a):
            > kultura kultura kultura festival koncert razstava muzej
            """))
        #expect(message.split.newText == "Hvala, zanima me še šport za mlade.")
        #expect(Fixtures.classifier.classify(message).field == "sport")
    }
}

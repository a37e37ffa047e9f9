import Testing
@testable import MailIntakeCore

@Suite("First keyword classifier")
struct ClassifierTests {
    let classifier = KeywordClassifier()

    @Test("labels the sample inquiries by their content, with evidence", arguments: [
        ("01-sl-sport-club.eml", "sl", "sport", "legal"),
        ("02-en-school-exchange.eml", "en", "education", "natural"),
        ("04-sl-cp1250-company.eml", "sl", "economy", "legal"),
    ])
    func samples(file: String, language: String, field: String, senderType: String) throws {
        let labels = classifier.classify(MessageParser.parse(try Fixtures.bytes(file)))
        #expect(labels.language == language)
        #expect(labels.field == field)
        #expect(labels.senderType == senderType)
        #expect(labels.evidence.count == 4)
        #expect(labels.evidence.contains { $0.hasPrefix("field=\(field):") })
    }

    @Test("matches Slovenian written without diacritics and ignores quoted text")
    func foldingAndQuotes() {
        let labels = classifier.classify(MessageParser.parse(Fixtures.mail("""
            From: a@gmail.com
            Subject: vprasanje

            Pozdravljeni, zanima me sodelovanje v sportu za mladino in ali je mozno.
            > Stara sporočila o kulturi, kulturi, kulturi, festivalu in glasbi.
            """)))
        #expect(labels.field == "sport")
        #expect(labels.language == "sl")
    }

    @Test("says so when nothing matched, with a low confidence")
    func nothing() {
        let labels = classifier.classify(MessageParser.parse(Fixtures.mail("From: a@b.si\nSubject: x\n\nqwerty zxcv\n")))
        #expect(labels.field == "other")
        #expect(labels.language == "und")
        #expect(labels.confidence < 0.5)
    }
}

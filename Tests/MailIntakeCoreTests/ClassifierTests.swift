import Foundation
import Testing
@testable import MailIntakeCore

/// The shipped vocabulary (config/vocabulary) on messages written for these tests: every
/// language, every label, the hard cases of the taxonomy. None is taken from the office's samples.
@Suite("Classifier")
struct ClassifierTests {
    let classifier = Fixtures.classifier

    func classify(from: String = "Ana Novak <ana.novak@gmail.com>", subject: String, _ body: String, headers: String = "") -> Classification {
        classifier.classify(MessageParser.parse(Fixtures.mail("From: \(from)\nSubject: \(subject)\n\(headers)Content-Type: text/plain; charset=utf-8\n\n\(body)\n")))
    }

    // MARK: language

    @Test("tells the languages apart, short messages included", arguments: [
        ("sl", "Pozdravljeni, ali lahko dobim seznam prireditev za mlade? Hvala in lep pozdrav."),
        ("sl", "pozdravljeni, zanima me ce bo letos tudi kaksen tabor za otroke. hvala, lp"),
        ("en", "Hello, could you tell me whether the city offers any grants for youth clubs? Thank you."),
        ("de", "Sehr geehrte Damen und Herren, wir würden uns über eine Antwort sehr freuen. Mit freundlichen Grüßen"),
        ("hr", "Poštovani, tko je zadužen za suradnju s gradovima prijateljima? Javite nam se ovaj tjedan. Lijep pozdrav"),
        ("sr", "Poštovani, da li je moguće da nam pošaljete podatke o saradnji? Bilo bi lepo da se vidimo sledeće nedelje. Srdačan pozdrav"),
        ("sr", "Поштовани, молимо Вас за информације о сарадњи између наших градова. Срдачан поздрав"),
        ("bs", "Poštovani, naša porodica bi željela posjetiti Maribor naredne sedmice. Da li postoji vodič kroz historiju grada? Hvala"),
        ("it", "Buongiorno, vorrei sapere se il Comune organizza visite guidate per le scuole. Cordiali saluti"),
        ("hu", "Tisztelt Hölgyem/Uram! Szeretnénk érdeklődni, hogy a város támogatja-e a diákcserét. Üdvözlettel"),
        ("mk", "Почитувани, Ве молиме за информации за соработка меѓу нашите градови. Со почит"),
        ("hr", "Bila sam na koncertu i organizacija je bila loša. Nije bilo dovoljno sjedala, a ulaz je kasnio sat vremena."),
        ("sr", "Moja ćerka bi želela da upiše fakultet. Gde mogu da nađem informacije? Hvala unapred."),
    ])
    func language(expected: String, body: String) {
        #expect(classify(subject: "Vprašanje", body).language == expected)
    }

    // MARK: field

    @Test("finds each field, subject above body, inflected and diacritic-free forms alike", arguments: [
        ("economy", "Poslovna delegacija", "Naše podjetje išče dobavitelje in investitorje za izvoz na avstrijski trg."),
        ("culture", "Gostovanje pevskega zbora", "Radi bi pripravili koncert in razstavo slik v galeriji ob dnevu kulture."),
        ("sport", "Mladinski turnir", "Organiziramo nogometni turnir za mlajše selekcije, tekme bodo na stadionu."),
        ("sport", "sportni tabor", "nas klub bi rad organiziral tekmovanje v kosarki in odbojki za mlade sportnike."),
        ("education", "Izmenjava učencev", "Naša osnovna šola bi rada vzpostavila izmenjavo učencev in učiteljev."),
        ("tourism", "Turistična ponudba", "Pripravljamo izlete in vodene oglede za obiskovalce iz tujine, z nočitvami v hotelih."),
        ("humanitarian", "Zbiranje pomoči", "Po potresu in poplavah zbiramo humanitarno pomoč: hrano, odeje in higienske pripomočke."),
        ("social", "Starejši in prostovoljci", "Program za vključevanje starejših in oseb z invalidnostjo s pomočjo prostovoljcev."),
        ("other", "Parkirišče in promet", "Opozarjam na promet in parkiranje v okolici, ki ogroža okolje."),
        ("other", "Več zelenja", "Radi bi zasadili drevored in uredili javne površine; kdo je pristojen za to?"),
        ("sport", "Einladung zum Jugendfußballturnier", "Der Sportverein lädt eine Mannschaft aus der Partnerstadt zu unserem Jugendfußballturnier ein."),
    ])
    func field(expected: String, subject: String, body: String) {
        let labels = classify(subject: subject, body)
        #expect(labels.field == expected)
        #expect(labels.evidence.contains { $0.hasPrefix("field=\(expected) (score") })
    }

    @Test("names a real second field as secondary, never the primary")
    func secondary() {
        let labels = classify(subject: "Dobrodelni koncert za žrtve poplav",
                              "Pripravljamo dobrodelni koncert orkestra in zbora; izkupiček gre družinam, ki so jih prizadele poplave. Humanitarna pomoč bo razdeljena prek Rdečega križa.")
        #expect(labels.field == "humanitarian")
        #expect(labels.secondaryFields == ["culture"])
    }

    @Test("reads only the new text: quoted mail and signatures do not count")
    func quotedMailIgnored() {
        let labels = classify(subject: "Re: termin", """
            Hvala, zanima me še šport za mlade.

            Dne tor., 3. nov. 2026 ob 10:00 je Urad <urad@maribor.example> napisal(a):
            > kultura kultura kultura festival koncert razstava muzej
            """)
        #expect(labels.field == "sport")
    }

    // MARK: intent

    @Test("finds each intent", arguments: [
        ("twinning_proposal", "Pobratenje mest", "Mestni svet je sprejel sklep, da predlagamo pobratenje naših mest in podpis listine o pobratenju."),
        ("twinning_proposal", "Städtepartnerschaft", "Der Gemeinderat hat beschlossen, eine Städtepartnerschaft mit Maribor einzugehen."),
        ("partnership_proposal", "Skupni projekt", "Predlagamo skupni projekt v okviru programa Interreg; iščemo partnerja iz Maribora, ki bi sodeloval pri izvedbi."),
        ("meeting_request", "Prošnja za sestanek", "Prosimo za kratek sestanek v prihodnjem tednu, kjer bi vam predstavili našo pobudo."),
        ("meeting_request", "Visit", "I will be in Maribor next month and would like to meet with someone from your office. Would Tuesday suit you?"),
        ("information_request", "Vprašanje", "Zanima me, kje lahko dobim kontakt mestne uprave v Gradcu? Ali obstaja seznam društev?"),
        ("event_invitation", "Vabilo na slovesnost", "Vljudno vabimo predstavnika mesta na slovesno otvoritev razstave. Prosimo za potrditev udeležbe."),
        ("aid_request", "Prošnja za sponzorstvo", "Prosimo za finančno podporo v višini 800 EUR za prevoz ekipe na tekmovanje."),
        ("complaint_or_other", "Pritožba", "To je nesprejemljivo. Vložil sem pritožbo že dvakrat, a odgovora ni."),
        ("complaint_or_other", "Zahvala", "Iskreno se vam zahvaljujem za pomoč pri organizaciji obiska. Vse je potekalo odlično."),
    ])
    func intent(expected: String, subject: String, body: String) {
        let labels = classify(subject: subject, body)
        #expect(labels.intent == expected)
        #expect(labels.evidence.contains { $0.hasPrefix("intent=\(expected) (score") })
    }

    @Test("a twin city named in passing is not a twinning proposal")
    func twinCityInPassing() {
        let labels = classify(subject: "Kontakti v pobratenih mestih", "Ali nam lahko posredujete kontakte šol v pobratenih mestih? Zanima nas tudi postopek.")
        #expect(labels.intent == "information_request")
    }

    @Test("an invitation to co-operate is not an event invitation")
    func invitationToCooperate() {
        let labels = classify(subject: "Vabilo k sodelovanju", "Predlagamo skupni projekt z vašim mestom; naše društvo bi prevzelo organizacijo delavnic.")
        #expect(labels.intent == "partnership_proposal")
    }

    // MARK: sender

    @Test("finds each legal kind from the signature", arguments: [
        ("company", "Marko Kos\ndirektor\nKovinar d.o.o."),
        ("public_institution", "Maja Vidmar\nravnateljica\nOsnovna šola Tabor, javni zavod"),
        ("association", "Peter Horvat\npredsednik\nPlaninsko društvo Pohorje"),
        ("municipality", "Hans Maier\nStadtgemeinde Leibnitz\nBürgermeisteramt"),
        ("state_body", "John Smith\nSecond Secretary\nEmbassy of Canada"),
        ("other", "Eva Kralj\nGospodarska zbornica Podravja"),
    ])
    func legalKinds(kind: String, signature: String) {
        let labels = classify(from: "Someone <someone@example.org>", subject: "Sodelovanje",
                              "Spoštovani,\n\nradi bi sodelovali z vašim uradom.\n\nLep pozdrav,\n\(signature)")
        #expect(labels.senderType == "legal")
        #expect(labels.legalKind == kind)
    }

    @Test("a private person with a free-mail address is natural, with no legal kind")
    func naturalPerson() {
        let labels = classify(subject: "Počitnice", "Z družino bi radi poleti obiskali Maribor. Kje dobimo informacije o prireditvah?\n\nLp, Ana")
        #expect(labels.senderType == "natural")
        #expect(labels.legalKind == nil)
    }

    @Test("a short letter's last sentences are not a signature, and a common word is not a legal marker")
    func shortLetter() {
        let labels = classify(subject: "Vprašanje", "Pozdravljeni,\n\nzanima me, kje najdem seznam pobratenih mest.\nPotujem v Graz in bi rada obiskala kakšen dogodek.\n\nHvala in lep pozdrav,\nAna")
        #expect(labels.senderType == "natural")
    }

    @Test("a VAT or registration number in the signature speaks for a business")
    func vatNumber() {
        #expect(SenderEvidence.isVATNumber(Array("si12345678".utf8)[...]))
        #expect(SenderEvidence.isVATNumber(Array("atu12345678".utf8)[...]))
        #expect(!SenderEvidence.isVATNumber(Array("si1234".utf8)[...]))
        #expect(!SenderEvidence.isVATNumber(Array("2026".utf8)[...]))
        let labels = classify(from: "Janez Kovač <janez.kovac@gmail.com>", subject: "Ponudba",
                              "Pozdravljeni, zanima nas sodelovanje na sejmu.\n\nJanez Kovač\nKovaštvo Kovač\nID za DDV: SI12345678")
        #expect(labels.senderType == "legal")
        #expect(labels.evidence.last?.contains("VAT number SI…") == true)
    }

    @Test("weighs conflicting evidence: a club secretary on gmail is legal")
    func clubOnFreeMail() {
        let labels = classify(subject: "Turnir", "Pišem v imenu Košarkarskega kluba Rudar, kjer sem tajnica. Prosimo za podporo.\n\nLep pozdrav,\nNina\ntajnica KK Rudar")
        #expect(labels.senderType == "legal")
        #expect(labels.legalKind == "association")
    }

    @Test("weighs conflicting evidence: a private question from a company address is natural")
    func privateQuestionFromWork() {
        let labels = classify(from: "Tina Zorko <tina.zorko@elektro-podjetje.example>", subject: "Osebno vprašanje",
                              "Gre za osebno vprašanje, zato se opravičujem za službeni naslov. Moj sin bi rad študiral v Gradcu; kje dobim informacije o štipendijah?\n\nTina Zorko\nElektro podjetje d.d.")
        #expect(labels.senderType == "natural")
    }

    @Test("the office's own organisation named in the text says nothing about the sender")
    func ownOrganisationIgnored() {
        let labels = classify(subject: "Predlog", "Predlagam, da Mestna občina Maribor in župan razmislita o pobratenju z mestom mojih staršev.\n\nLep pozdrav, Janez")
        #expect(labels.senderType == "natural")
    }

    // MARK: forwards and web forms

    @Test("classifies an inline forward by the original sender and text")
    func inlineForward() {
        let labels = classify(from: "Sodelavka <kultura@maribor.example>", subject: "Fwd: Poziv na festival", """
            V vednost in pristojno obravnavo.

            ---------- Forwarded message ---------
            From: Ivana Kovač <ivana@kud-zagreb.example>
            Date: Mon, 2 Mar 2026 at 10:00
            Subject: Poziv na festival
            To: kultura@maribor.example

            Poštovani, srdačno pozivamo folklornu skupinu iz Maribora na naš festival koji će se održati u srpnju. Molimo potvrdu dolaska do kraja travnja.

            Srdačan pozdrav,
            Ivana Kovač
            tajnica KUD-a Zagreb
            """)
        #expect(labels.language == "hr")
        #expect(labels.intent == "event_invitation")
        #expect(labels.field == "culture")
        #expect(labels.legalKind == "association")
        #expect(labels.evidence.first?.hasPrefix("author: forwarded_inline (<ivana@kud-zagreb.example>)") == true)
    }

    @Test("classifies a forward attached as message/rfc822 by the attached message")
    func attachedForward() {
        let raw = Fixtures.mail("""
            From: Sodelavec <info@maribor.example>
            Subject: FW: Anfrage
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="b"

            --b
            Content-Type: text/plain; charset=utf-8

            Posredujem v obravnavo.
            --b
            Content-Type: message/rfc822

            From: Karl Huber <k.huber@huber-bau.example>
            Subject: Anfrage Gewerbeflächen
            Content-Type: text/plain; charset=utf-8

            Sehr geehrte Damen und Herren, die Huber Bau GmbH sucht Gewerbeflächen für einen neuen Standort. Könnten Sie uns bitte Informationen und einen Ansprechpartner nennen?

            Mit freundlichen Grüßen
            Karl Huber, Geschäftsführer
            Huber Bau GmbH
            --b--
            """)
        let labels = classifier.classify(MessageParser.parse(raw))
        #expect(labels.language == "de")
        #expect(labels.field == "economy")
        #expect(labels.intent == "information_request")
        #expect(labels.legalKind == "company")
    }

    @Test("classifies a web-form message by the person who filled it in, the form's answer being evidence only")
    func webForm() {
        let body = """
            Nov vnos iz spletnega obrazca
            ------------------------------
            Ime in priimek: Borut Lah
            E-pošta: borut.lah@gmail.com
            Ste fizična ali pravna oseba?: Fizična oseba
            Naziv pravne osebe:
            Vrsta zahteve: Splošno vprašanje
            ------------------------------
            Sporočilo:
            Pozdravljeni, kot predsednik Turističnega društva Kungota vas prosim za podporo pri izdaji zloženke. Lep pozdrav, Borut Lah, predsednik TD Kungota
            ------------------------------
            """
        let labels = classify(from: "Spletni obrazec <form@maribor.example>", subject: "Spletni obrazec", body)
        #expect(labels.senderType == "legal")
        #expect(labels.legalKind == "association")
        #expect(labels.intent == "aid_request")
        #expect(labels.evidence.first == "author: web_form (<borut.lah@gmail.com>)")
        // The same text from a sender that is not the form is read as it stands.
        let direct = classify(from: "Spletni obrazec <other@maribor.example>", subject: "Spletni obrazec", body)
        #expect(direct.evidence.first?.hasPrefix("author:") == false)
    }

    // MARK: evidence, confidence

    @Test("says so when nothing matched, with a low confidence")
    func nothing() {
        let labels = classifier.classify(MessageParser.parse(Fixtures.mail("From: a@b.si\nSubject: x\n\nqwerty zxcv\n")))
        #expect(labels.field == "other")
        #expect(labels.language == "und")
        #expect(labels.intent == "complaint_or_other")
        #expect(labels.confidence < 0.5)
        #expect(labels.evidence.contains("field=other: no matching terms"))
    }

    @Test("is more confident of a clear message than of a vague one")
    func confidenceOrders() {
        let clear = classify(subject: "Prošnja za sestanek", "Prosimo za sestanek z vodjo urada, da se dogovorimo o izmenjavi dijakov naše gimnazije.\n\nravnatelj\nGimnazija Center")
        let vague = classify(subject: "Pozdrav", "Pozdravljeni, pišem vam glede tega, o čemer smo govorili.")
        #expect(clear.confidence > vague.confidence)
        #expect(vague.confidence < 0.5)
    }
}

@Suite("Vocabulary files")
struct VocabularyTests {
    func parse(_ text: String, allowed: [String]? = ["sport", "culture"]) throws(ConfigurationError) -> TermSet {
        try TermSet(text: text, path: "fields.txt", allowed: allowed)
    }

    @Test("stems, whole words, phrases, combinations and weights match as documented")
    func syntax() throws {
        let terms = try parse("[sport]\nšport*\ntek\nprošnja za sestanek = 2\nprosi* & termin* = 3\n[culture]\nkoncert* = -1\n")
        let text = FoldedText("Sportni tekaci. Tek je lep. Prošnja za sestanek! Termin bi prosili.\nKONCERTI")
        let hits = terms.hits(in: text).map { "\(terms.label(of: $0)):\(terms.text(of: $0)):\(terms.weight(of: $0))" }
        #expect(hits.sorted() == ["culture:koncert*:-1.0", "sport:prosi* & termin*:3.0", "sport:prošnja za sestanek:2.0", "sport:tek:1.0", "sport:šport*:1.0"])
    }

    @Test("a *stem* matches inside a word, for compounds; a lone leading * is an error")
    func infix() throws {
        let terms = try parse("[sport]\n*turnier*\n")
        #expect(terms.hits(in: FoldedText("Jugendfußballturnier und Turniere")).count == 2)
        #expect(throws: ConfigurationError.self) { try parse("[sport]\n*turnier\n") }
        #expect(throws: ConfigurationError.self) { try parse("[sport]\n*ab*\n") }
    }

    @Test("a phrase does not run across sentences")
    func phraseWithinSentence() throws {
        let terms = try parse("[sport]\nnogomet tekma\n")
        #expect(terms.hits(in: FoldedText("Nogomet. Tekma.")).isEmpty)
        #expect(terms.hits(in: FoldedText("nogomet tekma")).count == 1)
    }

    @Test("legal forms with dots are one word")
    func legalForms() throws {
        let terms = try parse("[company]\nd.o.o.\nsp. z o.o.\ne.V.\n", allowed: nil)
        let hits = terms.hits(in: FoldedText("Kovinar d.o.o., Polmet Sp. z o.o. in Verein e.V. Maribor"))
        #expect(hits.map { terms.text(of: $0) }.sorted() == ["d.o.o.", "e.V.", "sp. z o.o."])
    }

    @Test("a term in ASCII is read as the same term in capitals or with diacritics: every line of the shipped vocabulary, three ways",
          arguments: ["languages.txt", "fields.txt", "intents.txt", "senders.txt"])
    func asciiAndUnicodeTermsAgree(file: String) throws {
        // Loading reads an ASCII term on its bytes and any other through TextFolding. Written in
        // capitals, every ASCII term must still be lower-cased; with each e written é (which folds
        // to e), the same terms go the other way.
        let text = try String(contentsOfFile: "\(Fixtures.vocabularyDirectory)/\(file)", encoding: .utf8)
        func rewritten(_ change: (Substring) -> String) -> String {
            text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                let trimmed = line.trimmed()
                return trimmed.hasPrefix("#") || trimmed.hasPrefix("[") ? String(line) : change(line)
            }.joined(separator: "\n")
        }
        let accented = rewritten { $0.replacingOccurrences(of: "e", with: "é") }
        let capitals = rewritten { String(decoding: $0.utf8.map { (0x61...0x7A).contains($0) ? $0 - 32 : $0 }, as: UTF8.self) }
        #expect(accented != text && capitals != text)
        // Every term matched against the file's own words: each finds itself and its neighbours.
        let sample = FoldedText(text)
        func found(_ vocabulary: String) throws -> [String] {
            let terms = try parse(vocabulary, allowed: nil)
            return terms.hits(in: sample).map { "\(terms.label(of: $0)) \($0.term) \($0.firstWord)-\($0.lastWord) \(terms.weight(of: $0))" }
        }
        let plain = try found(text)
        #expect(plain.count > 500)
        #expect(try found(accented) == plain)
        #expect(try found(capitals) == plain)
    }

    @Test("errors name the file, the line and what to do", arguments: [
        ("tek\n", 1, "before any [label]"),
        ("[sport]\n[dance]\n", 2, "unknown label [dance]"),
        ("[sport]\ntek = lots\n", 2, "must be a number"),
        ("[sport]\ns*\n", 2, "at least two letters"),
        ("[sport]\nšport*\nsport* = 2\n", 3, "already listed under [sport] on line 2"),
        ("[sport]\n= 2\n", 2, "empty term"),
    ])
    func errors(text: String, line: Int, message: String) {
        #expect {
            _ = try parse(text)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.file == "fields.txt" && error.line == line && "\(error)".contains(message)
        }
    }

    @Test("the shipped vocabulary loads and covers every label")
    func shipped() {
        let vocabulary = Fixtures.vocabulary
        #expect(Set(vocabulary.fields.labels) == Set(Classification.fields))
        #expect(Set(vocabulary.intents.labels) == Set(Classification.intents))
        #expect(Set(vocabulary.senders.labels) == Set(Vocabulary.senderLabels))
        #expect(Set(["sl", "en", "de", "hr", "sr", "bs", "it", "hu", "mk"]).isSubset(of: Set(vocabulary.languages.labels)))
        #expect(vocabulary.freeMailDomains.contains("gmail.com"))
    }

    @Test("a missing folder is a configuration error that says what to set")
    func missingFolder() {
        #expect(throws: ConfigurationError.self) { try Vocabulary(directory: "/nonexistent/vocabulary") }
    }
}

@Suite("Web form")
struct WebFormTests {
    @Test("reads the fields and the message, the labels without case or diacritics")
    func fields() {
        let form = WebFormSubmission.parse("""
            Nov vnos
            ----------
            IME IN PRIIMEK: Borut Lah
            E-posta: Borut Lah <borut@example.org>
            Ste fizicna ali pravna oseba?: Pravna oseba
            Naziv pravne osebe: TD Kungota
            Vrsta zahteve: Prošnja za razgovor
            ----------
            Sporočilo:
            Prva vrstica.
            Druga vrstica.
            ----------
            Poslano: 1. 1. 2026
            """)
        #expect(form?.name == "Borut Lah")
        #expect(form?.email?.address == "borut@example.org")
        #expect(form?.declaredSenderType == "legal")
        #expect(form?.organisation == "TD Kungota")
        #expect(form?.requestType == "Prošnja za razgovor")
        #expect(form?.message == "Prva vrstica.\nDruga vrstica.")
    }

    @Test("a message without the form's message field is not a form submission")
    func notAForm() {
        #expect(WebFormSubmission.parse("Pozdravljeni,\nkratko vprašanje.") == nil)
    }
}

import Foundation
import Testing
@testable import MailIntakeCore

@Suite("Message parser")
struct MessageParserTests {
    @Test("reads sender, subject, ids and quoted-printable UTF-8 text")
    func quotedPrintableMessage() throws {
        let message = MessageParser.parse(try Fixtures.bytes("01-sl-sport-club.eml"))
        #expect(message.from?.address == "tajnik@nk-tabor.si")
        #expect(message.fromName == "Marko Horvat")
        #expect(message.subject == "Prijateljska tekma mladinskih ekip – prošnja za sestanek")
        #expect(message.messageID == "20261124091500.1@nk-tabor.si")
        #expect(message.text.contains("predstavili naš načrt"))
        #expect(message.text.contains("ekip in bi radi"))  // soft line break joined
        #expect(message.date == MailDate.parse("Tue, 24 Nov 2026 08:15:00 +0000"))
        #expect(message.problems.isEmpty)
    }

    @Test("reads ISO-8859-2 bodies and raw 8-bit headers in the declared charset")
    func latin2() throws {
        let message = MessageParser.parse(try Fixtures.bytes("03-sl-latin2-citizen.eml"))
        #expect(message.subject == "Vprašanje o pobratenih mestih")
        #expect(message.text.contains("kakšen skupni kulturni dogodek"))
        #expect(message.problems.contains { $0.contains("raw 8-bit") })
    }

    @Test("prefers text/plain in multipart/alternative and decodes windows-1250")
    func windows1250Alternative() throws {
        let message = MessageParser.parse(try Fixtures.bytes("04-sl-cp1250-company.eml"))
        #expect(message.subject == "Poslovno sodelovanje z občino")
        #expect(message.fromName == "Vinska klet Zlati grič d.o.o.")
        #expect(message.text.hasPrefix("Spoštovani,"))
        #expect(message.text.contains("naše podjetje želi"))
        #expect(message.root.children.count == 2)
    }

    @Test("renders HTML-only mail as text with entities decoded and scripts dropped")
    func htmlOnly() {
        let message = MessageParser.parse(Fixtures.mail("""
            From: a@b.si
            Subject: x
            Content-Type: text/html; charset=utf-8

            <html><style>p{}</style><script>alert(1)</script><p>Spo&scaron;tovani,</p><p>prosim za sestanek &#269;im prej.</p></html>
            """))
        #expect(message.text == "Spoštovani,\n\nprosim za sestanek čim prej.")
    }

    @Test("reads an Apple Mail reply: quoted-printable text preferred over HTML, the quoted acknowledgement split off")
    func appleMailReply() throws {
        let message = MessageParser.parse(try Fixtures.bytes("09-applemail-reply.eml"))
        #expect(message.from?.address == "luka.zupan@icloud.com")
        #expect(message.inReplyTo == ["ack-xyz@maribor.example"])
        #expect(message.split.newText == "Hvala za hiter odgovor. Delegacija bo štela 12 oseb.\n\nLep pozdrav,\nLuka")
        #expect(message.split.quotedText.contains("Prejeli smo vaše sporočilo."))
        #expect(message.problems.isEmpty)
    }

    @Test("reads a Gmail reply: encoded words inside a subject, the wrapped Slovenian attribution line")
    func gmailReply() throws {
        let message = MessageParser.parse(try Fixtures.bytes("12-gmail-reply-sl.eml"))
        #expect(message.fromName == "Tomaž Vidmar")
        #expect(message.subject == "Re: Prejeli smo vaše sporočilo [MB-2026-000031]")
        #expect(message.split.newText == "Pozdravljeni,\n\nprišel bom s sinom, ki igra košarko. Ali je turnir še odprt za prijave?\n\nTomo")
        #expect(message.split.quotedText.hasPrefix("Dne čet., 26. nov. 2026 ob 10:02 je Urad"))
        #expect(message.references == ["mb-2026-000031.aa11@maribor.example"])
    }

    @Test("reads an iPhone's base64 HTML-only message, with its sign-off as the signature")
    func iosHTML() throws {
        let message = MessageParser.parse(try Fixtures.bytes("10-ios-html-base64.eml"))
        #expect(message.subject == "Informazioni sul gemellaggio")
        #expect(message.split.newText.contains("le città gemellate con Maribor e se esiste un’associazione"))
        #expect(message.split.signature == "Inviato da iPhone")
        #expect(message.problems.isEmpty)
    }

    @Test("reads the office's web form: the sender is the form, Reply-To the citizen, the fields in the text")
    func webForm() throws {
        let message = MessageParser.parse(try Fixtures.bytes("11-webform.eml"))
        #expect(message.from?.address == "noreply@maribor.example")
        #expect(message.replyTo?.address == "jana.kranjc@t-2.net")
        #expect(message.replyTo?.displayName == "Jana Kranjc")
        #expect(message.subject == "Nov vnos iz spletnega obrazca: Prošnja za razgovor")
        #expect(message.split.newText.contains("Ste fizična ali pravna oseba?: Fizična oseba"))
        #expect(message.split.newText.hasSuffix("možnostih prostovoljstva v pobratenih mestih."))
    }

    @Test("keeps a link's address as text unless the link text already shows it")
    func links() {
        #expect(HTMLText.render(#"<p>Program: <a href="https://maribor.example/program?a=1&amp;b=2">tukaj</a>.</p>"#)
                == "Program: tukaj (https://maribor.example/program?a=1&b=2).")
        #expect(HTMLText.render(#"<a href='https://x.example'>https://x.example</a>"#) == "https://x.example")
        #expect(HTMLText.render(#"Pišite na <A HREF="mailto:info@x.si">naslov</A>"#) == "Pišite na naslov (info@x.si)")
    }

    @Test("unfolds headers and reads In-Reply-To and References")
    func threading() {
        let message = MessageParser.parse(Fixtures.mail("""
            From: "Novak, Ana" <ana@example.si>
            Subject: Re: a very
             long subject
            In-Reply-To: <ack.1@maribor.example>
            References: <orig@example.si>
             <ack.1@maribor.example>

            body
            """))
        #expect(message.subject == "Re: a very long subject")
        #expect(message.fromName == "Novak, Ana")
        #expect(message.inReplyTo == ["ack.1@maribor.example"])
        #expect(message.references == ["orig@example.si", "ack.1@maribor.example"])
    }

    @Test("tolerates obsolete syntax, duplicate and missing fields as servers pass them through")
    func obsoleteAndDuplicates() {
        let message = MessageParser.parse(Fixtures.mail("""
            From : Ana <ana@example.si>
            Subject	: first
            Subject: second
            To: a@b.si,
              c@d.si
            Date: Tue, 24 Nov 2026 09:15 +0100
            Date: not a date

            body
            """))
        #expect(message.from?.address == "ana@example.si")
        #expect(message.subject == "first")
        #expect(message.to.map(\.address) == ["a@b.si", "c@d.si"])
        #expect(message.date == MailDate.parse("24 Nov 2026 08:15 GMT"))
        #expect(message.messageID == nil)
        #expect(message.problems.isEmpty)
    }

    @Test("never fails: garbage still yields a message with its problems listed")
    func garbage() {
        let message = MessageParser.parse([0xFF, 0x00, 0x0A, 0x0A, 0x41])
        #expect(message.from == nil)
        #expect(!message.problems.isEmpty)
        #expect(message.needsReview)
        let empty = MessageParser.parse([])
        #expect(empty.needsReview)
    }

    @Test("tolerates a multipart without its closing boundary")
    func unclosedMultipart() {
        let message = MessageParser.parse(Fixtures.mail("""
            From: a@b.si
            Content-Type: multipart/mixed; boundary=XX

            preamble
            --XX
            Content-Type: text/plain

            the text
            """))
        #expect(message.text == "the text")
        #expect(message.problems.contains("multipart without its closing boundary"))
    }
}

@Suite("Addresses and dates")
struct AddressAndDateTests {
    @Test("parses display names, quoted strings, comments and groups")
    func addressLists() {
        let list = AddressList.parse(#""Horvat, Marko" <m@x.si>, ana@y.si (Ana Novak), Team: b@z.si, c@z.si;, bogus"#)
        #expect(list.map(\.address) == ["m@x.si", "ana@y.si", "b@z.si", "c@z.si"])
        #expect(list[0].displayName == "Horvat, Marko")
        #expect(list[1].displayName == "Ana Novak")
    }

    @Test("refuses addresses that could inject anything")
    func validation() {
        #expect(MailAddress(validating: "a@b.si") != nil)
        #expect(MailAddress(validating: "a@b.si\r\nBcc: x@y.z") == nil)
        #expect(MailAddress(validating: "a b@c.si") == nil)
        #expect(MailAddress(validating: "<a@b.si>") == nil)
        #expect(MailAddress(validating: "a@-b.si") == nil)
    }

    @Test("parses RFC 5322 dates with obsolete zones and missing parts")
    func dates() {
        let reference = MailDate.parse("Tue, 24 Nov 2026 09:15:00 +0100")
        #expect(reference != nil)
        #expect(MailDate.parse("24 Nov 2026 08:15:00 GMT") == reference)
        #expect(MailDate.parse("Tue, 24 Nov 26 03:15 EST") == reference)
        #expect(MailDate.parse("not a date") == nil)
    }
}

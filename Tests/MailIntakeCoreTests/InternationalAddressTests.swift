import Testing
@testable import MailIntakeCore

@Suite("Internationalised addresses (RFC 6530–6532) and IDNA")
struct InternationalAddressUnitTests {
    @Test("UTF-8 local parts and IDN domains are addresses; what could hide or reorder text is not")
    func validation() {
        let spela = MailAddress(validating: "špela.čehovin@šola-primer.si")
        #expect(spela?.needsSMTPUTF8 == true)
        #expect(spela?.asciiDomainAddress == "špela.čehovin@xn--ola-primer-z9b.si")
        #expect(MailAddress(validating: "ana@šola-primer.si")?.needsSMTPUTF8 == false)
        #expect(MailAddress(validating: "info@例え.テスト") != nil)
        #expect(MailAddress(validating: "a\u{202E}b@example.org") == nil, "a bidi override")
        #expect(MailAddress(validating: "a\u{00A0}b@example.org") == nil, "a no-break space")
        #expect(MailAddress(validating: "ana@exa\u{2028}mple.org") == nil, "a line separator")
        let parsed = MessageParser.parse(Array("From: Špela Čehovin <špela.čehovin@šola-primer.si>\r\nSubject: x\r\n\r\nx\r\n".utf8))
        #expect(parsed.from?.address == "špela.čehovin@šola-primer.si")
        #expect(parsed.fromName == "Špela Čehovin")
    }

    @Test("Punycode (RFC 3492): known A-labels, ASCII labels untouched")
    func punycode() {
        #expect(Punycode.domainToASCII("šola-primer.si") == "xn--ola-primer-z9b.si")  // what libcurl's libidn2 gives
        #expect(Punycode.domainToASCII("bücher.example") == "xn--bcher-kva.example")
        #expect(Punycode.domainToASCII("münchen.de") == "xn--mnchen-3ya.de")
        #expect(Punycode.domainToASCII("MARIBOR.si") == "MARIBOR.si")
        #expect(Punycode.domainToASCII("例え.テスト") == "xn--r8jz45g.xn--zckzah")
    }

    @Test("our headers carry an IDN domain as A-labels")
    func header() {
        let to = MailAddress(validating: "ana@šola-primer.si", displayName: "Ana Kos")!
        #expect(OutgoingMail.mailbox(to) == "\"Ana Kos\" <ana@xn--ola-primer-z9b.si>")
    }
}

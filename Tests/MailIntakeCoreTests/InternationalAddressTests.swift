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

    @Test("an address in ASCII is checked on its bytes with the Character walk's verdict")
    func asciiFastPath() {
        var samples = ["ana@example.org", "Ana.Kos@Example.ORG", "a..b@example.org", ".a@example.org", "a.@example.org",
                       "a@-example.org", "a@example-.org", "a@example..org", "a@.org", "a@", "@example.org", "a@b@example.org",
                       "a b@example.org", "a\r\nb@example.org", "a\u{7F}@example.org", "\"a\"@example.org", "a@[127.0.0.1]",
                       "o'brien+tag@sub.example.co.uk", "x@a", String(repeating: "a", count: 64) + "@example.org",
                       String(repeating: "a", count: 65) + "@example.org", "a@" + String(repeating: "b", count: 63) + ".org",
                       "a@" + String(repeating: "b", count: 64) + ".org",
                       "a@" + Array(repeating: String(repeating: "c", count: 60), count: 5).joined(separator: ".")]
        // Every ASCII character in the local part and in the domain.
        for value in 0..<0x80 {
            let character = String(Unicode.Scalar(UInt8(value)))
            samples += ["a\(character)b@example.org", "ab@exa\(character)mple.org", "\(character)@example.org", "a@example.org\(character)"]
        }
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("aZ09.-@_+!~'`{|}\" <>(),;:[]\\\t".utf8)
        for _ in 0..<2000 {
            let length = Int.random(in: 1...14, using: &generator)
            samples.append(String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self))
        }
        for sample in samples {
            let expected: MailAddress.ASCIICheck = MailAddress.validatedByCharacters(sample).map { .valid($0) } ?? .invalid
            #expect(MailAddress.checkASCII(sample) == expected, "\(sample.debugDescription)")
        }
        #expect(MailAddress.checkASCII("špela@example.org") == .notASCII)
        #expect(MailAddress(validating: "Ana@Example.ORG")?.asciiDomainAddress == "Ana@example.org")
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

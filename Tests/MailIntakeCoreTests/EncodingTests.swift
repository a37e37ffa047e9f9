import Foundation
import Testing
@testable import MailIntakeCore

@Suite("Encoded words, transfer encodings and charsets")
struct EncodingTests {
    @Test("decodes Q and B encoded words and joins adjacent ones without the space between them")
    func encodedWords() {
        #expect(EncodedWord.decode("=?UTF-8?Q?Pro=C5=A1nja_za_razgovor?=") == "Prošnja za razgovor")
        #expect(EncodedWord.decode("=?utf-8?b?xaBwb3J0?=") == "Šport")
        #expect(EncodedWord.decode("=?UTF-8?Q?Pro=C5=A1?= =?UTF-8?Q?nja?=") == "Prošnja")
        #expect(EncodedWord.decode("Re: =?ISO-8859-2?Q?=B9ola?= in vrtec") == "Re: šola in vrtec")
        #expect(EncodedWord.decode("=?windows-1250?Q?ob=E8ina?=") == "občina")
    }

    @Test("leaves malformed encoded words exactly as written")
    func malformedWords() {
        #expect(EncodedWord.decode("=?UTF-8?X?abc?=") == "=?UTF-8?X?abc?=")
        #expect(EncodedWord.decode("=?UTF-8?Q?no end") == "=?UTF-8?Q?no end")
        #expect(EncodedWord.decode("plain = text ?") == "plain = text ?")
    }

    @Test("encodes non-ASCII header text as short UTF-8 words that decode back")
    func encodeRoundTrip() {
        let text = "Prejeli smo vaše sporočilo [MB-2026-000001]: Prošnja za razgovor o pobratenju mest Maribor in Graz"
        let encoded = EncodedWord.encodeIfNeeded(text)
        #expect(encoded != text)
        for line in encoded.components(separatedBy: "\r\n") { #expect(line.count <= 76) }
        #expect(EncodedWord.decode(encoded.replacingOccurrences(of: "\r\n", with: "")) == text)
        #expect(EncodedWord.encodeIfNeeded("Plain ASCII") == "Plain ASCII")
    }

    @Test("decodes quoted-printable with soft breaks, lower-case hex, and keeps broken escapes")
    func quotedPrintable() {
        let input = Array("Spo=C5=A1tovani, to je dolga =\r\nvrstica; =c4=8d in =ZZ ostane.=\n".utf8)
        #expect(String(decoding: TransferEncoding.quotedPrintable(input), as: UTF8.self) == "Spoštovani, to je dolga vrstica; č in =ZZ ostane.")
    }

    @Test("base64 of every length, wrapped at 76 or at odd places, decodes to the bytes Foundation encoded")
    func base64Lengths() {
        var generator = SystemRandomNumberGenerator()
        for length in Array(0...70) + [1000, 4097, 60_000] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Data(bytes).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
            #expect(TransferEncoding.base64(Array(encoded.utf8)) == bytes, "length \(length)")
            // Line breaks (and a stray space) at places that split quanta.
            var odd = Array(Data(bytes).base64EncodedString().utf8)
            for position in stride(from: odd.count - 1, to: 0, by: -7).reversed() where position % 3 == 0 { odd.insert(position % 2 == 0 ? 0x0A : 0x20, at: position) }
            #expect(TransferEncoding.base64(odd) == bytes, "length \(length), split")
        }
    }

    @Test("decoded a piece at a time, the pieces are exactly the decoded body, and an attachment's summary is unchanged")
    func streamedDecoding() throws {
        var generator = SystemRandomNumberGenerator()
        // Lengths around the 64 KiB pieces, so a piece ends inside a quantum, a line and a padding run.
        for length in [0, 1, 2, 3, 1000, 65_535, 65_536, 65_537, 196_611, 300_001] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let wrapped = Array(Data(bytes).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]).utf8)
            var odd = Array(Data(bytes).base64EncodedString().utf8)
            for position in stride(from: odd.count - 1, to: 0, by: -7).reversed() where position % 3 == 0 { odd.insert(position % 2 == 0 ? 0x0A : 0x20, at: position) }
            for (encoding, body) in [("base64", wrapped), ("BASE64 ", odd), ("quoted-printable", Array("caf=C3=A9 =\r\nna=3D".utf8)), ("7bit", bytes)] {
                var pieces: [UInt8] = []
                var count = 0
                TransferEncoding.decode(body[...], encoding: encoding) { piece in
                    pieces += piece
                    count += 1
                }
                #expect(pieces == TransferEncoding.decode(body[...], encoding: encoding), "\(encoding), length \(length)")
                if encoding.hasPrefix("base64"), length > 70_000 { #expect(count > 1, "decoded in one piece: \(length)") }
            }
        }
        let pdf = (0..<150_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let message = "From: a@b.si\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
            + "Content-Type: text/plain\r\n\r\nHi\r\n--b\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + Data(pdf).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]) + "\r\n--b--\r\n"
        let part = try #require(MessageParser.parse(Array(message.utf8)).attachments.first)
        let summary = part.attachmentSummary(position: 1)
        #expect(summary.size == pdf.count && summary.sha256 == SHA256.hex(pdf) && summary.sha256 == SHA256.hex(part.decodedBody))
    }

    @Test("decodes base64 across line breaks, without padding and with stray characters")
    func base64() {
        #expect(String(decoding: TransferEncoding.base64(Array("xaFv\r\nbGE".utf8)), as: UTF8.self) == "šola")
        #expect(String(decoding: TransferEncoding.base64(Array("aGVs bG8*=".utf8)), as: UTF8.self) == "hello")
        #expect(Base64.encode(Array("hello".utf8)) == "aGVsbG8=")
    }

    @Test("decodes windows-1250 and ISO-8859-2 through iconv")
    func charsets() {
        #expect(Charset.decode([0x9A, 0x6F, 0x6C, 0x61], charset: "windows-1250").text == "šola")
        #expect(Charset.decode([0xB9, 0x6F, 0x6C, 0x61], charset: "iso-8859-2").text == "šola")
        #expect(Charset.decode([0xE8], charset: "cp1250").text == "č")
    }

    @Test("flags text that claims UTF-8 but is not, and never fails on unknown charsets")
    func lyingCharsets() {
        let lying = Charset.decode([0x9A, 0x6F, 0x6C, 0x61], charset: "utf-8")
        #expect(lying.text == "šola")
        #expect(lying.problem != nil)
        let unknown = Charset.decode(Array("plain".utf8), charset: "x-no-such-charset")
        #expect(unknown.text == "plain")
        #expect(unknown.problem != nil)
    }
}

import Foundation
import Testing
@testable import MailIntakeCore

/// What replaced Foundation's NSString, JSONSerialization, String(format:), CharacterSet and
/// regular expressions in the product (docs/PERFORMANCE.md): each must give what they gave.
@Suite("The standard-library replacements for Foundation")
struct SupportTests {
    @Test("JSON: replies are read, output is written with sorted keys, escapes and two-space indent")
    func json() throws {
        let reply = try #require(JSONValue(parsing: Array(#"{"access_token":"t.1","expires_in":3599,"scale":0.5,"ok":true,"none":null,"list":["a",2]}"#.utf8)))
        #expect(reply["access_token"]?.string == "t.1")
        #expect(reply["expires_in"]?.double == 3599)
        #expect(reply["scale"]?.double == 0.5)
        #expect(reply["ok"]?.bool == true)
        #expect(reply["none"] == .null)
        #expect(reply["list"] == .array([.string("a"), .integer(2)]))
        #expect(JSONValue(parsing: Array("<html>502 Bad Gateway</html>".utf8)) == nil)
        #expect(JSONValue(parsing: Array(#"{"a":"#.utf8)) == nil)

        let written: [String: Any] = ["ž": 1, "b": ["x\"y\\z\n\u{1}", nil as String?] as [Any?], "a": [String: Any](), "c": 2.5, "d": false, "e": JSONValue.null, "f": "a/b"]
        let compact = String(decoding: JSONValue(written).serialized(), as: UTF8.self)
        #expect(compact == #"{"a":{},"b":["x\"y\\z\n\u0001",null],"c":2.5,"d":false,"e":null,"f":"a/b","ž":1}"#)
        let pretty = String(decoding: JSONValue(["k": [1, 2], "e": [Int]()] as [String: Any]).serialized(pretty: true), as: UTF8.self)
        #expect(pretty == "{\n  \"e\" : [],\n  \"k\" : [\n    1,\n    2\n  ]\n}")
        // What Foundation writes must read back the same.
        let roundTrip = try JSONSerialization.jsonObject(with: Data(JSONValue(written).serialized())) as? [String: Any]
        #expect(roundTrip?["ž"] as? Int == 1 && roundTrip?["f"] as? String == "a/b")
        #expect(try JSONValue(encoding: ["x": 1]) == .object(["x": .integer(1)]))
        // Any integer or floating-point type is a number, not its description.
        #expect(JSONValue(["uid": UInt32(7), "size": Int64(1 << 40), "big": UInt64.max, "f": Float(0.5)] as [String: Any])
                == .object(["uid": .integer(7), "size": .integer(1 << 40), "big": .number(Double(UInt64.max)), "f": .number(0.5)]))
    }

    @Test("paths are joined and split as NSString did")
    func paths() {
        #expect(Path.join("/etc/mailintake", "vocabulary") == "/etc/mailintake/vocabulary")
        #expect(Path.join("/etc/mailintake/", "vocabulary") == "/etc/mailintake/vocabulary")
        #expect(Path.join("", "labels.json") == "labels.json")
        #expect(Path.join("/var/lib", "") == "/var/lib")
        #expect(Path.folder(of: "/var/lib/mailintake/mailintake.sqlite") == "/var/lib/mailintake")
        #expect(Path.folder(of: "mailintake.sqlite") == "")
        #expect(Path.folder(of: "/mailintake.sqlite") == "/")
        #expect(Path.folder(of: "/var/lib/mailintake/") == "/var/lib")
        #expect(Path.name(of: "/run/mailintake/lock") == "lock")
        #expect(Path.name(of: "lock") == "lock")
        #expect(Path.name(of: "/") == "")
        #expect(FileSystem.isDirectory("/tmp") && !FileSystem.isDirectory("/etc/passwd") && !FileSystem.isDirectory("/no/such/folder"))
    }

    @Test("numbers are written with printf's digits")
    func numbers() {
        #expect(Formatting.decimal(0.25, digits: 1) == String(format: "%.1f", 0.25))
        #expect(Formatting.decimal(2.0 / 3, digits: 2) == "0.67")
        #expect(Formatting.decimal(1.23456, digits: 3) == "1.235")
        #expect(Formatting.decimal(3.4e17, digits: 0, exponent: true) == "3e+17")
        #expect(Formatting.decimal(-Double.greatestFiniteMagnitude, digits: 17) == String(format: "%.17f", -Double.greatestFiniteMagnitude))
        #expect(Formatting.padded(7, width: 2) == "07" && Formatting.padded(2026, width: 4) == "2026" && Formatting.padded(5, width: 4) == "0005")
        #expect(Formatting.padded(-5, width: 3) == String(format: "%03d", -5))
        #expect(Formatting.hexByte(0x0A) == "0A" && Formatting.hexByte(0xFF) == "FF")
    }

    @Test("trimming a set of characters, and finding text whatever its ASCII case")
    func text() {
        #expect("\"Ana Novak\"".trimmed(of: "\"") == "Ana Novak")
        #expect(" <ana@example.org>\t".trimmed(of: " <>\t") == "ana@example.org")
        #expect("<><>".trimmed(of: "<>") == "")
        let html = "<p>Hi</p><SCRIPT>x()</Script><a HREF=\"https://maribor.si\">"
        let range = html.firstRange(ofIgnoringASCIICase: "</script")
        #expect(range.map { String(html[$0]) } == "</Script")
        #expect(html.firstRange(ofIgnoringASCIICase: "href=").map { String(html[$0.upperBound...].prefix(6)) } == "\"https")
        #expect(html.firstRange(ofIgnoringASCIICase: "</style") == nil)
        #expect("Žiga <b>".firstRange(ofIgnoringASCIICase: "<B>").map { String("Žiga <b>"[$0]) } == "<b>")
    }

    @Test("lines are cut on the bytes exactly where splitting on the Character \"\\n\" cut them")
    func lines() {
        for text in ["", "\n", "one", "one\n", "\n\ntwo\n\n", "Spoštovani,\n\nprosim za razgovor.\n-- \nŠpela", "e\u{301}\n\u{301}x\n",
                     "> quoted\n>> deeper\nDne 1. 12. 2026 je Ana napisala:", "a\rb\nc", "👩‍👩‍👧\n🇸🇮\n"] {
            #expect(text.lines() == text.split(separator: "\n", omittingEmptySubsequences: false), "\(text.debugDescription)")
            let sub = text.dropFirst()
            #expect(sub.lines() == sub.split(separator: "\n", omittingEmptySubsequences: false), "\(sub.debugDescription)")
        }
        // CRLF is one Character, which splitting on "\n" never cut; the parser has made lines LF by
        // then, and a stray CRLF is now cut, its CR left on the line.
        #expect("a\r\nb".lines() == ["a\r", "b"])
    }

    @Test("a bounce's 5xx line is found as the regular expression \\b5[0-9][0-9][ -] found it")
    func replyCode() {
        #expect(DeliveryReport.hasPermanentReplyCode("550 5.1.1 User unknown"))
        #expect(DeliveryReport.hasPermanentReplyCode("host said: 554-rejected"))
        #expect(DeliveryReport.hasPermanentReplyCode("(550 no such user)"))
        #expect(!DeliveryReport.hasPermanentReplyCode("1550 bytes sent"))
        #expect(!DeliveryReport.hasPermanentReplyCode("code a550 x"))
        #expect(!DeliveryReport.hasPermanentReplyCode("5.1.1 unknown"))
        #expect(!DeliveryReport.hasPermanentReplyCode("550"))
        #expect(!DeliveryReport.hasPermanentReplyCode("421 try later"))
        #expect(!DeliveryReport.hasPermanentReplyCode("_550 x") && !DeliveryReport.hasPermanentReplyCode("é550 x"))
    }

    @Test("telephone numbers are found as the regular expression found them, and not inside words, addresses or references")
    func phones() {
        // The answers NSRegularExpression gave with the pattern this replaced (in the doc comment of `phoneMatch`).
        let expected: [(String, String?)] = [
            ("tel. +386 2 2201 219, hvala", "+386 2 2201 219"),
            ("Tel: 00386 41 123 456", "00386 41 123 456"),
            ("(02) 2201-219 ali 041 555 666", "02) 2201-219"),
            ("ana.041123456@example.org", nil),
            ("račun SI56 0110 0600 0012 345", "0110 0600 0012 345"),
            ("številka 04112345678", nil),
            ("Dne 1. 12. 2026 ob 10.00 pri MB-2026-000007", nil),
            ("pokličite 041 123 456-x", nil),
            ("a 1234 5678 9012 3456 7890 1234 5678 b", "7890 1234 5678"),
            ("+38641123456 in 041-123-456", "+38641123456"),
        ]
        for (text, phone) in expected { #expect(BounceNotice.phone(in: text) == phone, "\(text)") }
    }

    @Test("a decomposed IDN label is composed before Punycode, as NFC asks")
    func composition() {
        #expect(Punycode.composed("s\u{30C}ola") == "šola")
        #expect(Punycode.domainToASCII("s\u{30C}ola-primer.si") == Punycode.domainToASCII("šola-primer.si"))
        #expect(Punycode.domainToASCII("šola-primer.si") == "xn--ola-primer-z9b.si")
    }

    @Test("the lock excludes: concurrent increments are all counted")
    func lock() async {
        let lock = Lock()
        final class Counter: @unchecked Sendable { var value = 0 }
        let counter = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { for _ in 0..<1000 { lock.withLock { counter.value += 1 } } } }
        }
        #expect(counter.value == 8000)
    }
}

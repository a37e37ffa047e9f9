import Foundation
import Testing

/// Internationalised addresses (RFC 6530–6532) end to end: read from raw UTF-8 headers, filed with
/// the address as written, acknowledged through aiosmtpd's SMTPUTF8 (libcurl 7.88 adds SMTPUTF8 to
/// MAIL FROM for a UTF-8 mailbox and sends an IDN domain as A-labels), and refused by a server
/// without SMTPUTF8 with a clear reason, the desk told.
@Suite("Internationalised addresses against a real SMTP server", .enabled(if: MailStack.shouldRun))
struct InternationalAddressTests {
    static func mail(from address: String, name: String) -> String {
        """
        Return-Path: <\(address)>
        From: \(name) <\(address)>
        To: mednarodno@maribor.example
        Subject: Prošnja za razgovor o pobratenih mestih
        Message-ID: <\(UUID().uuidString)@example.si>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 8bit

        Pozdravljeni, prosim za razgovor o sodelovanju naše šole s pobratenim mestom.
        Špela Čehovin, tel. 031 555 123
        """
    }

    func sessions(_ instance: Instance) throws -> [[String: Any]] {
        try FileManager.default.contentsOfDirectory(atPath: instance.stack.spool).filter { $0.hasSuffix(".json") }.sorted().compactMap {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: instance.stack.spool + "/" + $0))) as? [String: Any]
        }
    }

    @Test("a UTF-8 local part is filed as written and acknowledged with SMTPUTF8; an IDN domain alone goes as A-labels, 7-bit")
    func acknowledged() throws {
        let instance = try Instance()
        try instance.appendText(Self.mail(from: "špela.čehovin@šola-primer.si", name: "Špela Čehovin"))
        try instance.appendText(Self.mail(from: "ana@šola-primer.si", name: "Ana Kos"))
        let run = try instance.mailintake("run", "--once")
        #expect(run.status == 0, "\(run.stderr)")
        let records = try instance.exported()
        #expect(Set(records.compactMap { $0["from_address"] as? String }) == ["špela.čehovin@šola-primer.si", "ana@šola-primer.si"])
        #expect(records.allSatisfy { $0["ack_status"] as? String == "sent" }, "\(records.map { $0["ack_reason"] ?? "" })")
        let mine = try sessions(instance).filter { ($0["mail_from"] as? String) == instance.officeAddress }
        let utf8 = try #require(mine.first { ($0["rcpt_tos"] as? [String])?.first?.hasPrefix("špela") == true })
        #expect((utf8["rcpt_tos"] as? [String]) == ["špela.čehovin@xn--ola-primer-z9b.si"])
        #expect((utf8["mail_options"] as? [String])?.contains("SMTPUTF8") == true)
        let ascii = try #require(mine.first { ($0["rcpt_tos"] as? [String])?.first?.hasPrefix("ana@") == true })
        #expect((ascii["rcpt_tos"] as? [String]) == ["ana@xn--ola-primer-z9b.si"])
        #expect((ascii["mail_options"] as? [String])?.contains("SMTPUTF8") != true)
        // The acknowledgements' To: as an independent parser reads them.
        let acks = try instance.acknowledgements()
        #expect(acks.contains { ($0["to"] as? String)?.contains("špela.čehovin@xn--ola-primer-z9b.si") == true })
        #expect(acks.contains { ($0["to"] as? String)?.contains("ana@xn--ola-primer-z9b.si") == true })
        #expect(try instance.mailintake("list").stdout.contains("Prošnja za razgovor"))
    }

    @Test("a server without SMTPUTF8: a clear permanent reason in the outbox, and one notice to the desk")
    func refused() throws {
        let stack = try MailStack.require()
        let port = try #require(stack.variables["MI_SMTP_ASCII_PORT"].flatMap(Int.init), "the stack has no SMTP port without SMTPUTF8")
        let desk = "desk-\(UUID().uuidString.prefix(6).lowercased())@maribor.example"
        let instance = try Instance(.init(smtpPort: port, extraSections: "[routing]\ndefault = \(desk)\n"))
        try instance.appendText(Self.mail(from: "špela.čehovin@šola-primer.si", name: "Špela Čehovin"))
        _ = try instance.mailintake("run", "--once")
        #expect(try instance.exported().first?["ack_status"] as? String == "failed")
        #expect(try instance.mailintake("status").status == 1, "a failed acknowledgement is a problem")
        let outbox = try instance.mailintake("outbox")
        #expect(outbox.stdout.contains("SMTPUTF8"), "\(outbox.stdout)")
        // The desk's notice goes out in the next round (it is ASCII, so this server takes it).
        #expect(try instance.mailintake("run", "--once").status == 0)
        let notices = try instance.acknowledgements().filter { ($0["rcpt_tos"] as? [String]) == [desk] }
        let notice = try #require(notices.first { ($0["subject"] as? String)?.contains("Acknowledgement not sent") == true })
        #expect((notice["body"] as? String)?.contains("031 555 123") == true)
        #expect(notices.filter { ($0["subject"] as? String)?.contains("Acknowledgement not sent") == true }.count == 1)
    }
}

import Foundation
import Testing
@testable import MailIntakeCore

/// Reports on our own mail in the formats MTAs and mail programs really write (the fixtures in
/// Tests/Fixtures/reports, written from the RFCs and the MTAs' documented formats), read as
/// labels.json says a reader should.
@Suite("Delivery reports, auto-replies and read receipts")
struct DeliveryReportTests {
    static let directory = Fixtures.directory.deletingLastPathComponent().appendingPathComponent("reports")
    struct Expected: Decodable, Sendable {
        var kind: String
        var matches_by: String
        var status: String?
        var action: String?
        var recipient: String?
        var diagnostic_contains: String?
    }

    static let labels: [String: Expected] = {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("labels.json")),
              let object = try? JSONDecoder().decode([String: Expected].self, from: data) else { return [:] }
        return object
    }()
    static let files = labels.keys.sorted()

    static let values = ["{{ORIGINAL_MESSAGE_ID}}": "mb-2026-000007.4f1c2a9e0b7d3e55@maribor.example", "{{REFERENCE}}": "MB-2026-000007",
                         "{{RECIPIENT}}": "ana.novak@example.org", "{{RECIPIENT_DOMAIN}}": "example.org",
                         "{{OFFICE}}": "mednarodno@maribor.example", "{{DATE}}": "Tue, 01 Dec 2026 10:00:00 +0100"]

    /// A fixture with its placeholders filled in, CRLF line ends as IMAP delivers it.
    static func message(_ file: String) throws -> [UInt8] {
        var text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        for (key, value) in values { text = text.replacingOccurrences(of: key, with: value) }
        return Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
    }

    @Test("the fixtures are there: every format the issue names")
    func present() {
        #expect(Self.files.count >= 14)
    }

    @Test("reads each report's kind, status, recipient, diagnostic, and what ties it to our mail", arguments: files)
    func read(file: String) throws {
        let expected = try #require(Self.labels[file])
        let parsed = MessageParser.parse(try Self.message(file))
        let report = try #require(DeliveryReport.read(parsed), "\(file) was read as an ordinary message")
        #expect(report.kind.rawValue == expected.kind)
        if let status = expected.status { #expect(report.status == status, "\(file)") }
        if ["bounce", "delay"].contains(report.kind.rawValue), let recipient = expected.recipient {
            #expect(report.recipient?.lowercased() == (Self.values[recipient] ?? recipient).lowercased(), "\(file): \(report.recipient ?? "nil")")
        }
        if let fragment = expected.diagnostic_contains {
            let said = (report.diagnostic ?? "").replacingOccurrences(of: "\n", with: " ")
            #expect(said.contains(fragment) || parsed.text.contains(fragment), "\(file): \(said)")
            #expect(report.diagnostic != nil, "\(file): no diagnostic")
        }
        switch expected.matches_by {
        case "message_id":
            #expect(report.originalMessageIDs.contains(Self.values["{{ORIGINAL_MESSAGE_ID}}"]!), "\(file): \(report.originalMessageIDs)")
        case "reference":
            #expect(report.searchText.contains { ReferenceNumber.find(in: $0, prefix: "MB")?.description == "MB-2026-000007" }, "\(file)")
        default:
            #expect(!report.originalMessageIDs.contains(Self.values["{{ORIGINAL_MESSAGE_ID}}"]!))
        }
    }

    @Test("an ordinary inquiry, one with 'undelivered' in its subject, and a success report are no failure reports")
    func ordinary() throws {
        let inquiry = MessageParser.parse(Array("From: Ana <ana@example.org>\r\nSubject: Prošnja za razgovor\r\n\r\nPozdravljeni.\r\n".utf8))
        #expect(DeliveryReport.read(inquiry) == nil)
        let citizen = MessageParser.parse(Array("From: Ana <ana@example.org>\r\nSubject: My parcel was undelivered, can the city help?\r\n\r\nHello.\r\n".utf8))
        #expect(DeliveryReport.read(citizen) == nil)
        let delivered = try String(decoding: Self.message("rfc3464-postfix-failed.eml"), as: UTF8.self)
            .replacingOccurrences(of: "Action: failed", with: "Action: delivered").replacingOccurrences(of: "Status: 5.1.1", with: "Status: 2.0.0")
        #expect(DeliveryReport.read(MessageParser.parse(Array(delivered.utf8))) == nil)
    }

    @Test("the desk's notice names the address, the status and what the server said, and the phone number the person gave")
    func notice() {
        #expect(BounceNotice.phone(in: "Lep pozdrav, Ana Novak, tel. 041 123 456") == "041 123 456")
        #expect(BounceNotice.phone(in: "Pokličite na 02/2201-219.") == "02/2201-219")
        #expect(BounceNotice.phone(in: "Dne 1. 12. 2026 ob 10.00 pri MB-2026-000007") == nil)
        let mail = BounceNotice(reference: "MB-2026-000007", recipient: "ana.novak@example.org", status: "5.1.1",
                                diagnostic: "550 5.1.1 User unknown", phone: "041 123 456")
            .mail(from: MailAddress(validating: "mednarodno@maribor.example")!, to: MailAddress(validating: "desk@maribor.example")!,
                  inReplyTo: nil, messageIDDomain: "maribor.example", now: Date())
        let text = String(decoding: mail.rendered(), as: UTF8.self)
        #expect(text.contains("ana.novak@example.org") && text.contains("5.1.1") && text.contains("041 123 456"))
        #expect(text.contains("Auto-Submitted: auto-generated"))
    }
}

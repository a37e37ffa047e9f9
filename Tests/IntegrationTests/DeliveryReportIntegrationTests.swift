import Foundation
import Testing

/// Reports on our own acknowledgements, appended to the real mailbox after the acknowledgement they
/// report on: a bounce marks it bounced and tells the desk once, a delay is only recorded, an
/// auto-reply or a read receipt is filed under the inquiry and sends nothing, an unmatched report
/// is a system message. None becomes an inquiry.
@Suite("Bounces, delays, auto-replies and read receipts against the real servers", .enabled(if: MailStack.shouldRun))
struct DeliveryReportIntegrationTests {
    static let directory = MailStack.repositoryRoot + "/Tests/Fixtures/reports"
    static let kinds: [String: String] = {
        guard let data = FileManager.default.contents(atPath: directory + "/labels.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else { return [:] }
        return object.compactMapValues { $0["kind"] as? String }
    }()
    static let matched: Set<String> = {
        guard let data = FileManager.default.contents(atPath: directory + "/labels.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else { return [] }
        return Set(object.filter { $0.value["matches_by"] as? String != "none" }.keys)
    }()

    @Test("each report of an acknowledgement is tied to it and does what its kind says", arguments: kinds.keys.sorted())
    func report(file: String) throws {
        let desk = "desk-\(UUID().uuidString.prefix(6).lowercased())@maribor.example"
        let instance = try Instance(.init(extraSections: "[routing]\ndefault = \(desk)\n"))
        let citizen = "ana.novak@example.org"
        try instance.appendText(AcknowledgementDeliveryTests.mail(from: "Ana Novak <\(citizen)>", subject: "Prošnja za razgovor",
                                                                  body: "Pozdravljeni, prosim za razgovor o pobratenih mestih.\nAna Novak, tel. 041 123 456"))
        #expect(try instance.mailintake("run", "--once").status == 0)
        let reference = try #require(try instance.exported().first?["reference"] as? String)
        let ack = try #require(AcknowledgementDeliveryTests.split(try instance.acknowledgements()).acks.first)
        let messageID = try #require((ack["message_id"] as? String)?.trimmingCharacters(in: CharacterSet(charactersIn: "<>")))
        let before = try instance.acknowledgements().count

        var text = try String(contentsOfFile: Self.directory + "/" + file, encoding: .utf8)
        for (key, value) in ["{{ORIGINAL_MESSAGE_ID}}": messageID, "{{REFERENCE}}": reference, "{{RECIPIENT}}": citizen,
                             "{{RECIPIENT_DOMAIN}}": "example.org", "{{OFFICE}}": instance.officeAddress, "{{DATE}}": "Tue, 01 Dec 2026 10:00:00 +0100"] {
            text = text.replacingOccurrences(of: key, with: value)
        }
        try instance.appendText(text)
        let run = try instance.mailintake("run", "--once")
        #expect(run.status == 0, "\(run.stderr)")

        // Never a new inquiry, a new reference or an acknowledgement of the report.
        #expect(instance.inquiryCount() == 1)
        let sent = try instance.acknowledgements()
        let new = Array(sent.dropFirst(before))
        let kind = try #require(Self.kinds[file])
        let matched = Self.matched.contains(file)
        let ackStatus = try instance.exported().first?["ack_status"] as? String
        let disposition = try instance.count("SELECT count(*) FROM messages WHERE disposition = '\(matched ? kind : "system")'")
        #expect(disposition == 1, "\(file) filed as \(matched ? kind : "system")")
        #expect(try instance.count("SELECT count(*) FROM delivery_reports WHERE kind = '\(kind)'") == 1)
        if kind == "bounce" && matched {
            #expect(ackStatus == "bounced", "\(file)")
            // One notice to the desk, naming the address and the phone number the person gave.
            #expect(new.count == 1, "\(file): \(new.map { $0["subject"] ?? "" })")
            let notice = try #require(new.first)
            #expect((notice["rcpt_tos"] as? [String]) == [desk])
            #expect((notice["subject"] as? String)?.contains("Acknowledgement bounced") == true)
            #expect((notice["body"] as? String)?.contains("041 123 456") == true)
            #expect((notice["body"] as? String)?.contains(citizen) == true)
            let show = try instance.mailintake("show", reference)
            #expect(show.stdout.contains("bounce"), "\(show.stdout)")
            // The same report again (another MTA, or a retry) tells nobody a second time.
            // A report of its own (a new Message-ID in its header only), about the same acknowledgement.
            let split = text.range(of: "\n\n")!
            let header = text[..<split.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.lowercased().hasPrefix("message-id:") }.joined(separator: "\n")
            try instance.appendText(header + "\nMessage-ID: <again-\(UUID().uuidString)@mx.example.net>" + text[split.lowerBound...])
            #expect(try instance.mailintake("run", "--once").status == 0)
            #expect(try instance.acknowledgements().count == before + 1)
            #expect(try instance.count("SELECT count(*) FROM delivery_reports WHERE kind = 'bounce'") == 2, "the second report is kept too")
        } else {
            #expect(new.isEmpty, "\(file) sent \(new.map { $0["subject"] ?? "" })")
            #expect(ackStatus == "sent", "\(file)")
        }
    }
}

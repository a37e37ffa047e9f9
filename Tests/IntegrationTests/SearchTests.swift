import Foundation
import Testing

/// `mailintake search` over what was filed from the real mailbox: what a person would expect.
@Suite("Search against what was filed from Dovecot", .enabled(if: MailStack.shouldRun))
struct SearchTests {
    func references(_ result: CommandResult) -> [String] {
        result.stdout.split(separator: "\n").compactMap { line in
            line.hasPrefix("MB-") ? String(line.prefix { $0 != " " }) : nil
        }
    }

    @Test("search muzej gradec, \"pobratena mesta\" and dordevic find what a person expects; filters narrow; nothing else is found")
    func search() throws {
        let instance = try Instance()
        try instance.append([MailStack.repositoryRoot + "/Tests/Fixtures/labelled/own_25.eml"])
        try instance.appendFixtures("01-sl-sport-club.eml", "03-sl-latin2-citizen.eml", "02-en-school-exchange.eml")
        try instance.appendText(AcknowledgementDeliveryTests.mail(from: "Marko Đorđević <marko@example.rs>", subject: "Saradnja škola",
                                                                  body: "Poštovani, naša škola iz Niša želi saradnju sa školom u Mariboru."))
        #expect(try instance.mailintake("run", "--once").status == 0)
        let records = try instance.exported()
        func reference(_ subject: String) -> String? { records.first { ($0["subject"] as? String)?.contains(subject) == true }?["reference"] as? String }
        let gradec = try #require(reference("Gradec"))
        let djordjevic = try #require(reference("Saradnja"))

        #expect(references(try instance.mailintake("search", "muzej", "gradec")) == [gradec])
        let twins = references(try instance.mailintake("search", "\"pobratena mesta\""))
        #expect(!twins.isEmpty && !twins.contains(djordjevic), "\(twins)")
        for query in ["dordevic", "Djordjević", "ĐORĐEVIĆ"] {
            #expect(references(try instance.mailintake("search", query)) == [djordjevic], "\(query)")
        }
        let found = try instance.mailintake("search", "dordevic")
        #expect(found.stdout.contains("[dordevic]"), "the matching word is shown: \(found.stdout)")
        #expect(references(try instance.mailintake("search", "dordevic", "--language", "de")).isEmpty)
        #expect(try instance.mailintake("search", "zebra").stdout.contains("nothing found"))
        // list takes the same filters.
        let german = references(try instance.mailintake("list", "--language", "en"))
        #expect(!german.isEmpty && german.allSatisfy { ref in records.first { $0["reference"] as? String == ref }?["language"] as? String == "en" })
        #expect(references(try instance.mailintake("list", "--field", "sport", "--sender-type", "legal")).allSatisfy { ref in
            records.first { $0["reference"] as? String == ref }?["field"] as? String == "sport" })
        #expect(try instance.mailintake("list", "--since", "2999-01-01").stdout.contains("no inquiries match"))
        #expect(try instance.mailintake("list", "--language").status == 2)
        #expect(try instance.mailintake("search").status == 2)
        #expect(try instance.mailintake("search", "x", "--since", "yesterday").status == 2)
    }
}

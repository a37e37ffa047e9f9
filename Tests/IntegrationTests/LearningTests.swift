import Foundation
import MailStore
import Testing

/// Learning from the office's corrections end to end, with the real binary and servers: a
/// correction is made, the next cycle rebuilds the model, and classification explains itself.
@Suite("Learning from corrections, against real servers", .enabled(if: MailStack.shouldRun))
struct LearningTests {
    @Test("a correction rebuilds the model on the next cycle; classify --config uses it; learn rebuilds it by hand")
    func correctionTeaches() throws {
        let instance = try Instance()
        try instance.appendFixtures("01-sl-sport-club.eml", "02-en-school-exchange.eml")
        #expect(try instance.mailintake("run", "--once").status == 0)
        let model = instance.databasePath + ".model.json"
        #expect(!FileManager.default.fileExists(atPath: model), "a model before any correction")
        let records = try instance.exported()
        let reference = try #require(records.first?["reference"] as? String)
        // The labels are checked against the label enums.
        #expect(try instance.mailintake("reclassify", reference, "--field", "sports").status == 2)
        #expect(try instance.mailintake("reclassify", reference, "--field", "culture", "--intent", "event_invitation").status == 0)
        let cycle = try instance.mailintake("run", "--once")
        #expect(cycle.status == 0, "\(cycle.stderr)")
        #expect(cycle.stderr.contains("learned model rebuilt from 1 examples"), "\(cycle.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: model))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["correctionsThrough"] as? Int == 1 && json["examples"] as? Int == 1)
        // A second cycle with no new correction leaves it alone.
        #expect(!(try instance.mailintake("run", "--once").stderr.contains("learned model rebuilt")))

        let classified = try instance.mailintake("classify", "--json", MailStack.repositoryRoot + "/Tests/Fixtures/mail/01-sl-sport-club.eml")
        #expect(classified.status == 0, "\(classified.stderr)")
        #expect(classified.stdout.contains("learned field="), "\(classified.stdout)")

        let learned = try instance.mailintake("learn", "--from", MailStack.repositoryRoot + "/Tests/Fixtures/labelled")
        #expect(learned.status == 0, "\(learned.stderr)")
        #expect(learned.stdout.contains("60 labelled messages") && learned.stdout.contains("1 corrected inquiries"), "\(learned.stdout)")
        #expect(learned.stdout.contains("learned from 61 examples"), "\(learned.stdout)")
        let rebuilt = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as? [String: Any])
        #expect(rebuilt["examples"] as? Int == 61)
    }

    @Test("learn says what is wrong: nothing to learn from, a folder without labels, an unknown option")
    func learnErrors() throws {
        let instance = try Instance()
        #expect(try instance.mailintake("run", "--once").status == 0)
        let nothing = try instance.mailintake("learn")
        #expect(nothing.status == 2 && nothing.stderr.contains("nothing to learn from"), "\(nothing.stderr)")
        let empty = try instance.mailintake("learn", "--from", instance.folder)
        #expect(empty.status == 1 && empty.stderr.contains("no labels.json"), "\(empty.stderr)")
        #expect(try instance.mailintake("learn", "--fast").status == 2)
        let missingModel = try instance.mailintake("classify", "--model", instance.folder + "/none.json",
                                                   MailStack.repositoryRoot + "/Tests/Fixtures/mail/01-sl-sport-club.eml")
        #expect(missingModel.status == 1 && missingModel.stderr.contains("no learned model"), "\(missingModel.stderr)")
    }
}

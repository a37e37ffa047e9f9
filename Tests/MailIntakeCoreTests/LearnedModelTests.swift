import Foundation
import Testing
@testable import MailIntakeCore

/// The model learned from corrections, without a database: it starts from the vocabulary, moves
/// only what the examples show, explains itself, and is the same each time it is trained.
@Suite("Learning from corrections")
struct LearnedModelTests {
    static let keyword = Fixtures.classifier

    /// A football club's letter that also speaks of a made-up kind of concert, `zorblat`.
    static func inquiry(_ number: Int, zorblat: Bool, voice: String = "Naš klub") -> InquiryText {
        InquiryText(authorName: "Klub \(number)", authorAddress: MailAddress(validating: "info\(number)@nk-primer.si"),
                    subject: "Nogometni turnir \(number)",
                    body: "Pozdravljeni, \(voice) organizira nogometni turnir za mlade.\(zorblat ? " Ob turnirju bo tudi zorblat z zborom in orkestrom." : "") Lep pozdrav",
                    signature: "")
    }

    static let culture = Labels(language: "sl", field: "culture", secondaryFields: [], senderType: "legal", legalKind: "association",
                                intent: "event_invitation")

    @Test("with no examples the model says what the vocabulary says")
    func noExamples() {
        let model = LearnedModel.train([], keyword: Self.keyword, sources: [])
        let learning = LearningClassifier(keyword: Self.keyword, model: model)
        for number in 0..<3 {
            let inquiry = Self.inquiry(number, zorblat: number == 1)
            #expect(learning.classify(inquiry).labels == Self.keyword.classify(inquiry).labels)
        }
    }

    @Test("learns what the corrections show, only that, and says so in its evidence")
    func learnsTheCorrection() throws {
        let before = Self.keyword.classify(Self.inquiry(100, zorblat: true))
        #expect(before.field == "sport", "the vocabulary should read a football tournament as sport: \(before.evidence)")
        let examples = (0..<12).map { (Self.inquiry($0, zorblat: true), Self.culture) }
            + (12..<24).map { (Self.inquiry($0, zorblat: false), Labels(language: "sl", field: "sport", secondaryFields: [], senderType: "legal",
                                                                          legalKind: "association", intent: "event_invitation")) }
        let model = LearnedModel.train(examples, keyword: Self.keyword, sources: ["test"])
        let learning = LearningClassifier(keyword: Self.keyword, model: model)
        let taught = learning.classify(Self.inquiry(100, zorblat: true))
        #expect(taught.field == "culture", "\(taught.evidence)")
        let line = try #require(taught.evidence.first { $0.hasPrefix("learned field=culture") })
        #expect(line.contains("the vocabulary said sport"), "\(line)")
        // The new word is what it learned: it speaks for culture over sport.
        let weights = try #require(model.heads.first { $0.name == "field" }?.weights["w:zorblat"])
        #expect(weights[1] > weights[2] + 0.1, "\(weights)")
        // A tournament without the new word is still sport: nothing else was learned.
        #expect(learning.classify(Self.inquiry(101, zorblat: false)).field == "sport")
        #expect(model.examples == 24 && model.sources == ["test"])
    }

    @Test("trains the same model from the same examples, and reads back what it wrote")
    func deterministicAndPersistent() throws {
        let examples = (0..<8).map { (Self.inquiry($0, zorblat: $0 % 2 == 0), Self.culture) }
        var first = LearnedModel.train(examples, keyword: Self.keyword, sources: [])
        var second = LearnedModel.train(examples, keyword: Self.keyword, sources: [])
        first.createdAt = ""
        second.createdAt = ""
        #expect(first == second)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mi-model-\(UUID().uuidString).json").path
        try first.save(path: path)
        #expect(try LearnedModel.load(path: path) == first)
        #expect(try LearnedModel.load(path: path + ".missing") == nil)
        try "not a model".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ModelError.self) { _ = try LearnedModel.load(path: path) }
    }

    @Test("the voice counts: a letter in the first person singular and one that speaks for a body")
    func voice() throws {
        let voice = try #require(Fixtures.vocabulary.voice)
        let singular = voice.hits(in: FoldedText("Sem dijakinja in želim vprašati, ali moj razred lahko obišče Maribor. I am a pupil; my class.")).map(voice.label)
        let plural = voice.hits(in: FoldedText("Smo društvo in želimo predstaviti naš projekt. We are a club; our members.")).map(voice.label)
        #expect(singular.filter { $0 == "singular" }.count >= 5 && !singular.contains("plural"), "\(singular)")
        #expect(plural.filter { $0 == "plural" }.count >= 5 && !plural.contains("singular"), "\(plural)")
    }

    @Test("a labelled folder says what is wrong with it")
    func labelledFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mi-labelled-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        #expect(throws: ModelError.self) { _ = try LabelledFolder.load(folder) }
        try #"{"a.eml": {"field": "sports", "secondary_fields": [], "sender_type": "natural", "legal_kind": null, "intent": "aid_request", "language": "sl"}}"#
            .write(toFile: folder + "/labels.json", atomically: true, encoding: .utf8)
        do {
            _ = try LabelledFolder.load(folder)
            Issue.record("a field that does not exist was accepted")
        } catch let error as ModelError {
            #expect(error.description.contains("field `sports`"), "\(error)")
        }
        #expect(Labels(language: "sl", field: "sport", secondaryFields: ["sport"], senderType: "natural", legalKind: nil, intent: "aid_request").problem != nil)
        #expect(Labels(language: "sl", field: "sport", secondaryFields: [], senderType: "legal", legalKind: nil, intent: "aid_request").problem != nil)
        #expect(Labels(language: "sl", field: "sport", secondaryFields: [], senderType: "legal", legalKind: "club", intent: "aid_request").problem != nil)
        #expect(Labels(language: "sl", field: "sport", secondaryFields: ["culture"], senderType: "legal", legalKind: "association", intent: "aid_request").problem == nil)
    }
}

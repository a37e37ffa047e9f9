import Foundation
@testable import MailIntakeCore

/// The project's own sample messages under Tests/Fixtures/mail.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/mail")

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// The vocabulary the project ships, config/vocabulary.
    static let vocabularyDirectory = directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/vocabulary").path

    static let vocabulary: Vocabulary = {
        do { return try Vocabulary(directory: vocabularyDirectory) } catch { fatalError("config/vocabulary does not load: \(error)") }
    }()

    /// The shipped classifier, with the web form sending from form@maribor.example.
    static let classifier = KeywordClassifier(vocabulary: vocabulary, webFormSenders: ["form@maribor.example"])

    /// Turns a literal with LF line ends into CRLF mail bytes.
    static func mail(_ text: String) -> [UInt8] {
        Array(text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8)
    }
}

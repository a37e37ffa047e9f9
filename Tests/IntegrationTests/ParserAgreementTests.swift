import Foundation
import MailIntakeCore
import Testing

/// The parser checked against an independent one (Python's `email` package) and against the
/// office's labelled sample corpus, through the real `mailintake parse --json`.
@Suite("Parser against Python's email package and the sample corpus",
       .enabled(if: FileManager.default.isExecutableFile(atPath: Instance.binary) || MailStack.environment["MAILINTAKE_REQUIRE_STACK"] != nil))
struct ParserAgreementTests {
    static let sharedCorpus = MailStack.repositoryRoot + "/../shared/corpus/inquiries-dev"

    @Test("agrees with Python on sender, subject and text for the project's fixtures and, when present, the shared corpus")
    func agreement() throws {
        var folders = [MailStack.repositoryRoot + "/Tests/Fixtures/mail"]
        if FileManager.default.fileExists(atPath: Self.sharedCorpus) {
            folders.append(Self.sharedCorpus)
        } else {
            print("ParserAgreementTests: ../shared/corpus/inquiries-dev is not here; comparing the project's own fixtures only")
        }
        let result = try runCommand("/usr/bin/python3", [MailStack.repositoryRoot + "/scripts/compare_python.py", Instance.binary] + folders)
        #expect(result.status == 0, "disagreements with Python:\n\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("files compared"))
    }

    @Test("parse --json prints the documented keys, attachments and MIME tree")
    func parseJSON() throws {
        let result = try runCommand(Instance.binary, ["parse", "--json", MailStack.repositoryRoot + "/Tests/Fixtures/mail/07-outlook-forward-attachment.eml"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        for key in ["from_address", "from_name", "reply_to", "to", "subject", "date", "message_id", "text", "new_text",
                    "quoted_text", "signature", "attachments", "parts", "problems"] {
            #expect(json.keys.contains(key), "parse --json lacks \(key)")
        }
        #expect(json["date"] as? String == "2026-11-23T10:20:00Z")
        #expect(json["new_text"] as? String == "Posredujem v obravnavo.\n\nMaja")
        let attachments = try #require(json["attachments"] as? [[String: Any]])
        #expect(attachments.count == 2)
        #expect(attachments[1]["filename"] as? String == "Program festivala Špenglerfest 2026.pdf")
        #expect(attachments[1]["size"] as? Int == 78)
        #expect((attachments[1]["sha256"] as? String)?.count == 64)
        let parts = try #require(json["parts"] as? [String: Any])
        #expect(parts["content_type"] as? String == "multipart/mixed")
        #expect((parts["parts"] as? [[String: Any]])?.count == 3)
        #expect(try runCommand(Instance.binary, ["parse", "x.eml"]).status == 2)
    }

    @Test("reads every message of the shared corpus with a sender, a subject and new text free of quoted mail")
    func sharedCorpus() throws {
        guard FileManager.default.fileExists(atPath: Self.sharedCorpus) else {
            print("ParserAgreementTests: ../shared/corpus/inquiries-dev is not here; this check needs it and did not run")
            return
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.sharedCorpus).filter { $0.hasSuffix(".eml") }.sorted()
        #expect(files.count >= 60)
        for file in files {
            let message = MessageParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: Self.sharedCorpus + "/" + file))))
            #expect(message.from != nil, "\(file): no sender")
            #expect(!message.subject.isEmpty, "\(file): no subject")
            #expect(!message.split.newText.isEmpty, "\(file): no new text")
            #expect(!message.split.newText.contains("\n>"), "\(file): quoted lines left in the new text")
            #expect(!message.subject.contains("=?"), "\(file): an encoded word was left in the subject")
        }
    }
}

import Foundation
import Testing

/// Classification as the office meets it: through the daemon against the real servers, corrected
/// by staff with `reclassify`, and tuned by editing the vocabulary files without a rebuild.
@Suite("Classification in the daemon", .enabled(if: MailStack.shouldRun))
struct ClassificationTests {
    static func webForm(_ form: String) -> String {
        """
        From: Spletni obrazec <\(form)>
        To: mednarodno@maribor.example
        Subject: Prošnja za razgovor – spletni obrazec
        Message-ID: <form-1@maribor.example>
        Date: Mon, 23 Nov 2026 10:00:00 +0100
        Content-Type: text/plain; charset=utf-8

        Nov vnos iz spletnega obrazca
        ------------------------------
        Ime in priimek: Mateja Kralj
        E-pošta: mateja.kralj@gmail.com
        Ste fizična ali pravna oseba?: Pravna oseba
        Naziv pravne osebe: Mizarstvo Kralj d.o.o.
        Vrsta zahteve: Prošnja za razgovor
        ------------------------------
        Sporočilo:
        Pozdravljeni, naše podjetje izdeluje pohištvo in bi rado predstavilo ponudbo podjetjem v pobratenih mestih. Prosim za kratek sestanek.
        ------------------------------
        """
    }

    @Test("files a web-form message under the person who filled it in, with evidence; staff correct it and export shows it")
    func webFormAndCorrection() throws {
        let instance = try Instance()
        try instance.appendText(Self.webForm(instance.webFormAddress))
        let run = try instance.mailintake("run", "--once")
        #expect(run.status == 0, "run --once failed: \(run.stderr)")

        let record = try #require(try instance.exported().first)
        #expect(record["sender_type"] as? String == "legal")
        #expect(record["legal_kind"] as? String == "company")
        #expect(record["intent"] as? String == "meeting_request")
        #expect(record["field"] as? String == "economy")
        #expect(record["corrected"] as? Bool == false)
        let reference = try #require(record["reference"] as? String)
        let shown = try instance.mailintake("show", reference)
        #expect(shown.stdout.contains("author: web_form (<mateja.kralj@gmail.com>)"))
        #expect(shown.stdout.contains("intent=meeting_request (score"))

        // Staff correct two labels; the classifier's labels stay on record.
        let fix = try instance.mailintake("reclassify", reference, "--field", "tourism", "--intent", "information_request", "--by", "maja")
        #expect(fix.status == 0, "reclassify failed: \(fix.stderr)")
        #expect(fix.stdout.contains("→ sl tourism legal/company information_request"))
        let corrected = try #require(try instance.exported().first)
        #expect(corrected["field"] as? String == "tourism")
        #expect(corrected["intent"] as? String == "information_request")
        #expect(corrected["corrected"] as? Bool == true)
        let after = try instance.mailintake("show", reference)
        #expect(after.stdout.contains("Corrected by staff; the classifier said: sl economy"))
        #expect(after.stdout.contains(" maja: sl economy"))
        let csv = try instance.mailintake("export", "--format", "csv")
        #expect(csv.stdout.split(separator: "\r\n").first?.hasSuffix(",corrected") == true)
        #expect(csv.stdout.split(separator: "\r\n").dropFirst().first?.hasSuffix(",yes") == true)

        // Wrong values are usage errors that list what is allowed, and change nothing.
        let bad = try instance.mailintake("reclassify", reference, "--field", "music")
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--field must be one of economy, culture"))
        let natural = try instance.mailintake("reclassify", reference, "--sender-type", "natural", "--legal-kind", "company")
        #expect(natural.status == 2)
        let missing = try instance.mailintake("reclassify", "MB-2026-999999", "--field", "sport")
        #expect(missing.status == 1)
        #expect(try instance.exported().first?["field"] as? String == "tourism")
    }

    @Test("an edited vocabulary file changes the result without a rebuild, in classify and in the daemon")
    func vocabularyEdit() throws {
        let instance = try Instance()
        let mail = instance.folder + "/gardening.eml"
        try """
            From: Ana <ana@example.org>
            Subject: Urejanje vrtov
            Content-Type: text/plain; charset=utf-8

            Pozdravljeni, zanima me, ali pri vas kdo skrbi za vrtnarjenje in urejanje vrtov.
            """.write(toFile: mail, atomically: true, encoding: .utf8)
        let before = try instance.mailintake("classify", "--json", mail)
        #expect(before.status == 0, "classify failed: \(before.stderr)")
        #expect(before.stdout.contains("\"field\" : \"other\""))

        // The office decides gardening is social work; one line in fields.txt says so.
        let fields = instance.folder + "/vocabulary/fields.txt"
        var text = try String(contentsOfFile: fields, encoding: .utf8)
        text = text.replacingOccurrences(of: "[social]\n", with: "[social]\nvrtnar* = 3\n")
        try text.write(toFile: fields, atomically: true, encoding: .utf8)
        let after = try instance.mailintake("classify", "--json", mail)
        #expect(after.stdout.contains("\"field\" : \"social\""))
        #expect(after.stdout.contains("field=social (score 3): \\\"vrtnar*\\\""))

        // The daemon reads the same files when it starts.
        try instance.append([mail])
        #expect(try instance.mailintake("run", "--once").status == 0)
        #expect(try instance.exported().first?["field"] as? String == "social")

        // A broken vocabulary is a configuration error naming file and line, before anything is read.
        try (text + "\n[dance]\ntango\n").write(toFile: fields, atomically: true, encoding: .utf8)
        let broken = try instance.mailintake("run", "--once")
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("vocabulary/fields.txt:"))
        #expect(broken.stderr.contains("unknown label [dance]"))
    }
}

/// scripts/evaluate.py through the real `mailintake classify`, on the project's own labelled
/// messages and, when it is there, the office's sample corpus against the targets.
@Suite("Classifier evaluation",
       .enabled(if: FileManager.default.isExecutableFile(atPath: Instance.binary) || MailStack.environment["MAILINTAKE_REQUIRE_STACK"] != nil))
struct EvaluationTests {
    func evaluate(_ folder: String) throws -> CommandResult {
        try runCommand("/usr/bin/python3", [MailStack.repositoryRoot + "/scripts/evaluate.py", "--binary", Instance.binary,
                                            "--vocabulary", MailStack.repositoryRoot + "/config/vocabulary", "--targets", folder])
    }

    @Test("meets the targets on the project's own labelled messages and prints accuracy, confusion matrix and misses")
    func ownMessages() throws {
        let result = try evaluate(MailStack.repositoryRoot + "/Tests/Fixtures/labelled")
        #expect(result.status == 0, "below target:\n\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("field confusion (rows: expected, columns: classified)"))
        #expect(result.stdout.contains("messages with a wrong label"))
    }

    @Test("meets the targets on the office's sample corpus when it is here")
    func sharedCorpus() throws {
        let folder = ParserAgreementTests.sharedCorpus
        guard FileManager.default.fileExists(atPath: folder + "/labels.json") else {
            print("EvaluationTests: ../shared/corpus/inquiries-dev is not here; the office's samples were not evaluated")
            return
        }
        let result = try evaluate(folder)
        #expect(result.status == 0, "below target:\n\(result.stdout)\(result.stderr)")
    }
}

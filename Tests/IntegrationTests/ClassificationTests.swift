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
        // Who: the name given, and the Unix account that ran the command (which cannot be typed in).
        let account = String(cString: getpwuid(getuid())!.pointee.pw_name)
        #expect(after.stdout.contains(" maja (unix account ") && after.stdout.contains("): sl economy"), "\(after.stdout)")
        #expect(after.stdout.contains(account) || ProcessInfo.processInfo.environment["SUDO_USER"].map { after.stdout.contains($0) } == true)
        // Without --by, the account alone.
        #expect(try instance.mailintake("reclassify", reference, "--language", "sl").status == 0)
        let again = try instance.mailintake("show", reference)
        #expect(again.stdout.contains(" \(account): ") || again.stdout.contains(" via sudo: "), "\(again.stdout)")
        let csv = try instance.mailintake("export", "--format", "csv")
        #expect(csv.stdout.split(separator: "\r\n").first?.split(separator: ",").contains("corrected") == true)
        #expect(csv.stdout.split(separator: "\r\n").dropFirst().first?.contains(",yes,open,") == true, "corrected, and still open")

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

/// scripts/evaluate.py through the real `mailintake classify` and `mailintake learn`, measured
/// as a stranger would: cross-validated, every message judged by a model that never saw it.
@Suite("Classifier evaluation",
       .enabled(if: FileManager.default.isExecutableFile(atPath: Instance.binary) || MailStack.environment["MAILINTAKE_REQUIRE_STACK"] != nil))
struct EvaluationTests {
    static let own = MailStack.repositoryRoot + "/Tests/Fixtures/labelled"
    static let dev = ParserAgreementTests.sharedCorpus
    static let dev2 = MailStack.repositoryRoot + "/../shared/corpus/inquiries-dev2"

    func evaluate(_ arguments: [String]) throws -> CommandResult {
        try runCommand("/usr/bin/python3", [MailStack.repositoryRoot + "/scripts/evaluate.py", "--binary", Instance.binary,
                                            "--vocabulary", MailStack.repositoryRoot + "/config/vocabulary"] + arguments)
    }

    static func present(_ folder: String) -> Bool { FileManager.default.fileExists(atPath: folder + "/labels.json") }

    @Test("cross-validated on the project's own 60 labelled messages, the learned model meets its marks, and prints confusion, calibration and misses")
    func ownMessages() throws {
        // 60 messages, 12 a fold: one message moves a figure by 1.7 points, so the marks sit a
        // little under the (which are for the 210 of the office's sets, below).
        let result = try evaluate(["--folds", "5", "--targets", "--min", "field=0.85,sender_type=0.88,intent=0.78", Self.own])
        #expect(result.status == 0, "below target:\n\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("field confusion (rows: expected, columns: classified)"))
        #expect(result.stdout.contains("review_below = 0.6: flags"))
        #expect(result.stdout.contains("messages with a wrong label"))
    }

    @Test("cross-validated on the office's two sample sets (210 messages) it meets the issue's targets, when they are here")
    func sharedCorpus() throws {
        guard Self.present(Self.dev), Self.present(Self.dev2) else {
            print("EvaluationTests: ../shared/corpus/inquiries-dev and inquiries-dev2 are not here; the office's samples were not evaluated")
            return
        }
        let result = try evaluate(["--folds", "5", "--targets", "--quiet", Self.dev2, Self.dev])
        #expect(result.status == 0, "below target:\n\(result.stdout)\(result.stderr)")
        print(result.stdout.split(separator: "\n").prefix(8).joined(separator: "\n"))
    }

    @Test("after 25 corrections from one half of a set, the other half scores higher than before them")
    func learningCurve() throws {
        let folders = Self.present(Self.dev2) ? [Self.dev2, Self.dev] : [Self.own]
        let result = try evaluate(["--curve", "0,25"] + folders)
        #expect(result.status == 0, "\(result.stderr)")
        // Rows: corrections, then field, sender type, intent and language accuracy.
        var means: [Int: Double] = [:]
        for line in result.stdout.split(separator: "\n") {
            let cells = line.split(separator: " ").map(String.init)
            guard cells.count == 5, let point = Int(cells[0]) else { continue }
            let shares = cells[1...3].compactMap { Double($0.dropLast()) }
            means[point] = shares.reduce(0, +) / Double(shares.count)
        }
        let before = try #require(means[0], "\(result.stdout)"), after = try #require(means[25], "\(result.stdout)")
        #expect(after > before, "field, sender type and intent: \(before) % before, \(after) % after 25 corrections\n\(result.stdout)")
        print(result.stdout)
    }
}

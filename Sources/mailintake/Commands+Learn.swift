import FoundationEssentials
import MailIntakeCore
import MailIntakeDaemon
import MailStore

/// `classify` and `learn`: the classifier without the daemon.
extension Commands {
    /// What `classify` and `learn` are told: options of their own, the classifier's settings,
    /// and the files or folders left over.
    struct ClassifierOptions {
        var json = false
        var vocabularyPath: String?
        var modelPath: String?
        var webFormSenders = Set<String>()
        var webForm = WebFormSubmission.Layout()
        var reviewBelow = 0.6
        var from: [String] = []
        var out: String?
        var corrections = true
        var rest: [String] = []
        var configuration: Configuration?
    }

    /// Parses the options `allowed` for the command; `--config` (or $MAILINTAKE_CONFIG) brings the
    /// vocabulary, the web form, the review threshold and the model from the configuration.
    static func classifierOptions(_ command: String, _ options: [String], allowed: Set<String>, explicitConfig: String?,
                                  environment: [String: String]) throws -> ClassifierOptions {
        var parsed = ClassifierOptions()
        var index = 0
        let valued: Set<String> = ["--vocabulary", "--web-form-sender", "--model", "--from", "--out"]
        while index < options.count {
            let option = options[index]
            if option.hasPrefix("--") {
                guard allowed.contains(option) else {
                    throw CommandFailure.usage("\(command): unknown option \(option); use \(allowed.sorted().joined(separator: ", "))")
                }
                if valued.contains(option) {
                    guard index + 1 < options.count else { throw CommandFailure.usage("\(option) needs a value") }
                    index += 1
                    let value = options[index]
                    switch option {
                    case "--vocabulary": parsed.vocabularyPath = value
                    case "--web-form-sender": parsed.webFormSenders.insert(value.lowercased())
                    case "--model": parsed.modelPath = value
                    case "--from": parsed.from.append(value)
                    default: parsed.out = value
                    }
                } else if option == "--json" {
                    parsed.json = true
                } else if option == "--no-corrections" {
                    parsed.corrections = false
                }
            } else {
                parsed.rest.append(option)
            }
            index += 1
        }
        if let explicitConfig {
            let configuration = try loadConfiguration(explicitConfig, environment)
            let settings = configuration.classifier
            parsed.configuration = configuration
            parsed.vocabularyPath = parsed.vocabularyPath ?? settings.vocabularyDirectory
            parsed.webFormSenders.formUnion(settings.webFormSenders)
            parsed.webForm = settings.webForm
            parsed.reviewBelow = settings.reviewBelow
        }
        return parsed
    }

    static func keywordClassifier(_ options: ClassifierOptions) throws -> KeywordClassifier {
        guard let directory = options.vocabularyPath ?? Vocabulary.searchPath.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw CommandFailure.usage("no vocabulary found in \(Vocabulary.searchPath.joined(separator: " or ")); give --vocabulary DIR or --config FILE")
        }
        return KeywordClassifier(vocabulary: try Vocabulary(directory: directory), webFormSenders: options.webFormSenders, webForm: options.webForm)
    }

    // MARK: classify

    /// `classify [--json] [--vocabulary DIR] [--model FILE] [--web-form-sender ADDRESS]... FILE...`: labels
    /// .eml files with no database and no server. The vocabulary is --vocabulary, else the one the
    /// configuration names (when --config or $MAILINTAKE_CONFIG is given), else config/vocabulary or
    /// /etc/mailintake/vocabulary; the learned model is --model, else the configuration's when it exists.
    static func classify(_ options: [String], explicitConfig: String?, environment: [String: String]) throws -> Int32 {
        let parsed = try classifierOptions("classify", options, allowed: ["--json", "--vocabulary", "--model", "--web-form-sender"],
                                           explicitConfig: explicitConfig, environment: environment)
        guard !parsed.rest.isEmpty else { throw CommandFailure.usage("classify needs at least one .eml file") }
        let keyword = try keywordClassifier(parsed)
        let modelPath = parsed.modelPath ?? parsed.configuration?.classifier.modelPath
        var model: LearnedModel?
        if let modelPath {
            model = try LearnedModel.load(path: modelPath)
            if model == nil, parsed.modelPath != nil {
                throw CommandFailure.runtime("no learned model at \(modelPath); `mailintake learn --out \(modelPath)` makes one")
            }
        }
        let classifier = LearningClassifier(keyword: keyword, model: model)
        let policy = AckPolicy(ownAddresses: [])
        var results: [[String: Any]] = []
        for file in parsed.rest {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CommandFailure.runtime("cannot read \(file); check the path and permissions")
            }
            let parsedMessage = MessageParser.parse(Array(data))
            let result = classifier.classify(parsedMessage)
            let labels = result.labels
            let needsReview = parsedMessage.needsReview || result.confidence < parsed.reviewBelow
            if parsed.json {
                var ackReason: Any = JSONValue.null
                if case .suppress(let reason) = policy.decide(parsedMessage) { ackReason = reason }
                // The keys of `export` (the labels' own coding keys among them), then what only classification has.
                var record = try labelsJSON(labels)
                record.merge([
                    "reference": JSONValue.null, "received_at": parsedMessage.date.map(MailDate.iso8601) as Any,
                    "from_address": parsedMessage.from?.address as Any, "from_name": parsedMessage.fromName as Any,
                    "subject": parsedMessage.subject, "ack_status": JSONValue.null, "ack_reason": ackReason, "corrected": false,
                    "confidence": result.confidence, "evidence": result.evidence, "needs_review": needsReview, "file": file,
                ]) { $1 }
                results.append(record)
            } else {
                StandardOutput.say("\(file): \(labels.summary) (confidence \(result.confidence)\(needsReview ? ", needs review" : ""))")
                result.evidence.forEach { StandardOutput.say("  \($0)") }
            }
        }
        if parsed.json { try printJSON(results.count == 1 ? results[0] : results) }
        return 0
    }

    /// The labels as JSON keys, from their one Codable declaration (`legal_kind` null when absent).
    static func labelsJSON(_ labels: Labels) throws -> [String: Any] {
        var object = (try JSONValue(encoding: labels).object ?? [:]).mapValues { $0 as Any }
        if object["legal_kind"] == nil { object["legal_kind"] = JSONValue.null }
        return object
    }

    // MARK: learn

    /// `learn [--from DIR]... [--no-corrections] [--out FILE]`: rebuilds the learned model from the
    /// database's corrections (with --config or $MAILINTAKE_CONFIG) and from labelled folders, and
    /// writes it to --out, else to the configuration's `[classifier] model`.
    static func learn(_ options: [String], explicitConfig: String?, environment: [String: String]) throws -> Int32 {
        let parsed = try classifierOptions("learn", options, allowed: ["--from", "--no-corrections", "--out", "--vocabulary", "--web-form-sender"],
                                           explicitConfig: explicitConfig, environment: environment)
        guard parsed.rest.isEmpty else { throw CommandFailure.usage("learn: unexpected \(parsed.rest[0]); folders are given with --from DIR") }
        guard let out = parsed.out ?? parsed.configuration?.classifier.modelPath else {
            throw CommandFailure.usage("learn needs --out FILE, or --config FILE whose [classifier] model (beside the database by default) it writes")
        }
        let keyword = try keywordClassifier(parsed)
        let folders = parsed.from + (parsed.configuration?.classifier.trainingDirectories ?? [])
        var corrections: (() throws -> (examples: [(raw: [UInt8], labels: Labels)], through: Int64))?
        if parsed.corrections, let storePath = parsed.configuration?.storePath, FileManager.default.fileExists(atPath: storePath) {
            // Only read: learning never changes the database.
            corrections = { try MailRepository(path: storePath, readOnly: true).correctedExamples() }
        }
        let trained = try ModelTraining.train(keyword: keyword, folders: folders, corrections: corrections)
        guard trained.examples > 0 else {
            throw CommandFailure.usage("learn found nothing to learn from: correct inquiries with `mailintake reclassify`, or give --from DIR (a folder of .eml files with a labels.json)")
        }
        try trained.model.save(path: out)
        trained.sources.forEach { StandardOutput.say($0) }
        StandardOutput.say("learned from \(trained.examples) examples; wrote \(out)")
        return 0
    }
}

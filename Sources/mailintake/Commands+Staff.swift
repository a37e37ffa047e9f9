import FoundationEssentials
import MailIntakeCore
import MailIntakeDaemon
import MailStore

extension Commands {
    /// `reclassify REFERENCE [--field F] [--secondary A,B|none] [--sender-type natural|legal] [--legal-kind K]
    /// [--intent I] [--language L] [--by NAME] [--note TEXT]`: staff correct the labels; the correction is
    /// recorded with its time and the classifier's labels are kept.
    static func reclassify(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        guard let reference = options.first, !reference.hasPrefix("--") else {
            throw CommandFailure.usage("reclassify needs a REFERENCE first, such as MB-2026-000042, then what to change: --field, --secondary, --sender-type, --legal-kind, --intent, --language")
        }
        let known = ["--field", "--secondary", "--sender-type", "--legal-kind", "--intent", "--language", "--by", "--note"]
        let values = try Self.valuedOptions(options.dropFirst(), allowed: known, command: "reclassify")
        let changes = Set(values.keys).subtracting(["--by", "--note"])
        guard !changes.isEmpty else { throw CommandFailure.usage("reclassify: say what to change, e.g. --field culture or --intent meeting_request") }

        func check(_ option: String, _ allowed: [String]) throws -> String? {
            guard let value = values[option]?.lowercased() else { return nil }
            guard allowed.contains(value) else { throw CommandFailure.usage("\(option) must be one of \(allowed.joined(separator: ", ")) (got `\(value)`)") }
            return value
        }
        let field = try check("--field", Classification.fields)
        let senderType = try check("--sender-type", Classification.senderTypes)
        let legalKind = try check("--legal-kind", Classification.legalKinds)
        let intent = try check("--intent", Classification.intents)
        var secondary: [String]?
        if let list = values["--secondary"]?.lowercased() {
            secondary = list == "none" || list.isEmpty ? [] : list.split(separator: ",").map { $0.trimmed() }
            if let bad = secondary?.first(where: { !Classification.fields.contains($0) }) {
                throw CommandFailure.usage("--secondary takes fields from \(Classification.fields.joined(separator: ", ")) separated by commas, or none (got `\(bad)`)")
            }
        }
        let language = values["--language"]?.lowercased()
        if let language, !(2...3).contains(language.count) || !language.allSatisfy({ $0.isASCII && $0.isLetter }) {
            throw CommandFailure.usage("--language takes an ISO 639-1 code such as sl, en, de, hr (got `\(language)`)")
        }
        if senderType == "natural", legalKind != nil {
            throw CommandFailure.usage("--legal-kind is only for a legal person; drop it or use --sender-type legal")
        }

        let repository = try openRepository(configPath, environment)
        let person = Self.correctionAuthor(named: values["--by"], environment: environment)
        let result = try repository.correct(reference: reference, by: person, note: values["--note"]) { labels in
            if let field { labels.field = field }
            if let secondary { labels.secondaryFields = secondary }
            if let intent { labels.intent = intent }
            if let language { labels.language = language }
            if let senderType { labels.senderType = senderType }
            if let legalKind { labels.senderType = "legal"; labels.legalKind = legalKind }
            if labels.senderType == "natural" { labels.legalKind = nil }
            if labels.senderType == "legal", labels.legalKind == nil {
                throw CommandFailure.usage("a legal person needs a kind: add --legal-kind \(Classification.legalKinds.joined(separator: "|"))")
            }
            // The field can never also be a secondary field.
            labels.secondaryFields.removeAll { $0 == labels.field }
        }
        guard let result else { throw CommandFailure.runtime("no inquiry \(reference); `mailintake list` shows the references") }
        StandardOutput.say("\(reference): \(result.before.summary) → \(result.after.summary)")
        return 0
    }
}

extension Commands {
    /// `outbox`: mail that has not gone out; `outbox retry REFERENCE`: send an inquiry's failed or held mail again.
    static func outbox(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        let repository = try openRepository(configPath, environment, readOnly: options.first != "retry")
        if options.first == "retry" {
            guard options.count == 2 else { throw CommandFailure.usage("outbox retry needs one REFERENCE, such as MB-2026-000042") }
            guard let count = try repository.requeue(reference: options[1]) else {
                throw CommandFailure.runtime("no inquiry \(options[1]); `mailintake list` shows the references")
            }
            guard count > 0 else {
                throw CommandFailure.runtime("\(options[1]) has no failed or held mail to send again (`mailintake outbox` lists what is waiting)")
            }
            StandardOutput.say("\(options[1]): \(count) mail(s) queued again; the running service (or `mailintake run --once`) sends them")
            return 0
        }
        guard options.isEmpty else { throw CommandFailure.usage("outbox takes no options, or `retry REFERENCE`") }
        let entries = try repository.unsentOutbox()
        if entries.isEmpty { StandardOutput.say("the outbox is empty: everything has been sent"); return 0 }
        StandardOutput.say(pad("REFERENCE", 16) + pad("KIND", 16) + pad("STATUS", 12) + pad("TRIES", 6) + pad("NEXT ATTEMPT", 22) + pad("TO", 32) + "LAST ERROR")
        for entry in entries {
            let next = entry.status == "pending" ? entry.nextAttemptAt : "-"
            StandardOutput.say(pad(entry.reference, 16) + pad(entry.kind.rawValue, 16) + pad(entry.status, 12) + pad(String(entry.attempts), 6)
                  + pad(next, 22) + pad(entry.recipient, 32) + (entry.lastError ?? ""))
        }
        return 0
    }

    /// Who made a correction: the Unix account that ran the command (from the kernel, not from
    /// the environment, so it cannot be typed in), with the sudo user when root ran it for
    /// someone, and the free-form `--by` name beside it.
    static func correctionAuthor(named name: String?, environment: [String: String]) -> String {
        let account = DataProtection.account(environment)
        guard let name = name?.trimmed(), !name.isEmpty else { return account }
        return name == account ? name : "\(name) (unix account \(account))"
    }
}

import FoundationEssentials

/// One acknowledgement text, read from `ack.LANG.txt` in the templates folder:
///
///     Subject: We have received your message [{{reference}}]: {{subject}}
///     Field-economy: economy
///     …one Field- line for each field, its name in this language…
///
///     Dear {{sender_name}}, … filed under {{field_name}} … within {{working_days}} working days …
///     {{#meeting_request}}Since you asked for a meeting, we will propose a date.{{/meeting_request}}
///
/// `{{#INTENT}}…{{/INTENT}}` keeps its text only for inquiries with that intent.
public struct AckTemplate: Sendable, Equatable {
    public let language: String
    public let subject: String
    public let body: String
    /// `body` with the sections of each intent kept and the others removed, by intent.
    private let bodies: [String: String]
    /// The name of each field in this language.
    public let fieldNames: [String: String]

    /// The placeholders a template may use.
    public static let placeholders: Set<String> = [
        "reference", "subject", "received_date", "sender_name", "field_name", "working_days", "answer_by",
        "office_name", "office_email", "office_phone", "office_address",
    ]

    public init(language: String, text: String, source: String) throws(TemplateError) {
        let normalized = text.replacingAll("\r\n", with: "\n")
        guard normalized.hasPrefix("Subject:"), let split = normalized.firstRange(of: "\n\n") else {
            throw TemplateError(file: source, message: "must start with a `Subject: …` line and the Field- lines, then an empty line, then the body")
        }
        var subject = ""
        var names: [String: String] = [:]
        for (index, line) in normalized[..<split.lowerBound].split(separator: "\n").enumerated() {
            if index == 0 {
                subject = String(line.dropFirst(8)).trimmed()
            } else if line.hasPrefix("Field-"), let colon = line.firstIndex(of: ":") {
                let field = String(line[line.index(line.startIndex, offsetBy: 6)..<colon])
                guard Classification.fields.contains(field) else {
                    throw TemplateError(file: source, message: "`Field-\(field)` is not a field; use \(Classification.fields.map { "Field-\($0)" }.joined(separator: ", "))")
                }
                names[field] = line[line.index(after: colon)...].trimmed()
            } else {
                throw TemplateError(file: source, message: "header line `\(line.prefix(40))` is neither Subject: nor Field-FIELD: NAME")
            }
        }
        if let missing = Classification.fields.first(where: { (names[$0] ?? "").isEmpty }) {
            throw TemplateError(file: source, message: "has no `Field-\(missing): …` line; every field needs its name in this language")
        }
        self.subject = subject
        self.fieldNames = names
        let body = String(normalized[split.upperBound...])
        self.body = body
        // The body each intent keeps, worked out once: rendering then only fills values in.
        bodies = Dictionary(uniqueKeysWithValues: ([""] + Classification.intents).map { ($0, Self.sections(body, keeping: $0)) })
        self.language = language
        for name in Self.placeholderNames(in: subject + body) {
            if name.hasPrefix("#") || name.hasPrefix("/") {
                let intent = String(name.dropFirst())
                guard Classification.intents.contains(intent) else {
                    throw TemplateError(file: source, message: "{{\(name)}} names no intent; sections are {{#INTENT}}…{{/INTENT}} with one of \(Classification.intents.joined(separator: ", "))")
                }
                guard body.contains("{{#\(intent)}}") && body.contains("{{/\(intent)}}") else {
                    throw TemplateError(file: source, message: "{{#\(intent)}} needs a matching {{/\(intent)}}")
                }
            } else if !Self.placeholders.contains(name) {
                throw TemplateError(file: source, message: "unknown placeholder {{\(name)}}; known: \(Self.placeholders.sorted().joined(separator: ", "))")
            }
        }
    }

    /// Fills the placeholders and keeps the sections of `intent`. Values going into the subject
    /// lose any CR/LF, so nothing a sender wrote can start a header line of ours.
    public func render(_ values: [String: String], intent: String = "") -> (subject: String, body: String) {
        let oneLine = values.mapValues { $0.hasLineBreak ? $0.replacingAll("\r", with: " ").replacingAll("\n", with: " ") : $0 }
        // "Dear {{sender_name}}," with no name given reads "Dear ,": close the gap.
        let kept = bodies[intent] ?? Self.sections(body, keeping: intent)
        let body = Self.fill(kept, values).replacingAll(" ,\n", with: ",\n")
        return (Self.fill(subject, oneLine), body)
    }

    /// Removes every `{{#X}}…{{/X}}` section but those of `intent`, whose markers alone go. A
    /// section on lines of its own leaves no empty line behind.
    static func sections(_ text: String, keeping intent: String) -> String {
        var output = text
        for name in Classification.intents {
            let open = "{{#\(name)}}", close = "{{/\(name)}}"
            while let start = output.firstRange(ofUTF8: open), let end = output[start.upperBound...].firstRange(ofUTF8: close) {
                if name == intent {
                    output.replaceSubrange(end, with: "")
                    output.replaceSubrange(start, with: "")
                } else {
                    var upper = end.upperBound
                    if upper < output.endIndex, output[upper] == "\n", start.lowerBound == output.startIndex || output[output.index(before: start.lowerBound)] == "\n" {
                        upper = output.index(after: upper)
                    }
                    output.removeSubrange(start.lowerBound..<upper)
                }
            }
        }
        // Markers on lines of their own leave those lines empty: drop them.
        return output.replacingAll("\n\n\n", with: "\n\n")
    }

    /// Every `{{name}}` with a value replaced by it, in one pass (a name without a value stays).
    static func fill(_ template: String, _ values: [String: String]) -> String {
        let bytes = Array(template.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 256)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "{"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "{"),
               let close = Self.closing(bytes, from: index + 2),
               let value = values[String(decoding: bytes[(index + 2)..<close], as: UTF8.self)] {
                output.append(contentsOf: value.utf8)
                index = close + 2
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Where the `}}` after `start` begins, if it comes before another `{{` or a line break.
    private static func closing(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "}") && bytes[index + 1] == UInt8(ascii: "}") { return index }
            if bytes[index] == 0x0A || (bytes[index] == UInt8(ascii: "{") && bytes[index + 1] == UInt8(ascii: "{")) { return nil }
            index += 1
        }
        return nil
    }

    private static func placeholderNames(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{"), let close = rest[open.upperBound...].firstRange(of: "}}") {
            names.append(rest[open.upperBound..<close.lowerBound].trimmed())
            rest = rest[close.upperBound...]
        }
        return names
    }
}

/// The set of acknowledgement templates, one per language; English is the fallback.
public struct AckTemplates: Sendable {
    public let byLanguage: [String: AckTemplate]
    public static let fallbackLanguage = "en"

    /// Loads every `ack.LANG.txt` in `directory`. The English one must exist.
    public init(directory: String) throws(TemplateError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw TemplateError(file: directory, message: "cannot list the templates folder; check [ack] templates")
        }
        var templates: [String: AckTemplate] = [:]
        for name in names.sorted() where name.hasPrefix("ack.") && name.hasSuffix(".txt") {
            let language = String(name.dropFirst(4).dropLast(4))
            let path = Path.join(directory, name)
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw TemplateError(file: path, message: "cannot read it as UTF-8 text")
            }
            templates[language] = try AckTemplate(language: language, text: text, source: path)
        }
        guard templates[Self.fallbackLanguage] != nil else {
            throw TemplateError(file: directory, message: "has no ack.en.txt; English is the fallback for every language without its own template")
        }
        byLanguage = templates
    }

    public init(_ templates: [AckTemplate]) {
        byLanguage = Dictionary(templates.map { ($0.language, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The template for `language`, else English.
    public func template(for language: String) -> AckTemplate? {
        byLanguage[language] ?? byLanguage[Self.fallbackLanguage]
    }
}

/// A template that cannot be used, naming its file.
public struct TemplateError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let message: String
    public var description: String { "\(file): \(message)" }
}

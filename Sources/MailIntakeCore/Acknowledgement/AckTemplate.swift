import Foundation

/// One acknowledgement text, read from `ack.LANG.txt` in the templates folder: a `Subject:`
/// line, an empty line, then the body, with `{{placeholders}}` filled in per inquiry.
public struct AckTemplate: Sendable, Equatable {
    public let language: String
    public let subject: String
    public let body: String

    /// The placeholders a template may use.
    public static let placeholders: Set<String> = [
        "reference", "subject", "received_date", "sender_name",
        "office_name", "office_email", "office_phone", "office_address",
    ]

    public init(language: String, text: String, source: String) throws(TemplateError) {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        guard normalized.hasPrefix("Subject:"), let split = normalized.range(of: "\n\n") else {
            throw TemplateError(file: source, message: "must start with a `Subject: …` line, then an empty line, then the body")
        }
        subject = String(normalized[normalized.index(normalized.startIndex, offsetBy: 8)..<split.lowerBound]).trimmingWhitespace()
        body = String(normalized[split.upperBound...])
        self.language = language
        for name in Self.placeholderNames(in: subject + body) where !Self.placeholders.contains(name) {
            throw TemplateError(file: source, message: "unknown placeholder {{\(name)}}; known: \(Self.placeholders.sorted().joined(separator: ", "))")
        }
    }

    /// Fills the placeholders. Values going into the subject lose any CR/LF, so nothing a
    /// sender wrote can start a header line of ours.
    public func render(_ values: [String: String]) -> (subject: String, body: String) {
        let oneLine = values.mapValues { $0.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ") }
        // "Dear {{sender_name}}," with no name given reads "Dear ,": close the gap.
        let body = Self.fill(body, values).replacingOccurrences(of: " ,\n", with: ",\n")
        return (Self.fill(subject, oneLine), body)
    }

    private static func fill(_ template: String, _ values: [String: String]) -> String {
        var output = template
        for (name, value) in values {
            output = output.replacingOccurrences(of: "{{\(name)}}", with: value)
        }
        return output
    }

    private static func placeholderNames(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            names.append(rest[open.upperBound..<close.lowerBound].trimmingWhitespace())
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
            let path = (directory as NSString).appendingPathComponent(name)
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

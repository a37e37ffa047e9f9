/// What a person typed into the office's web form, read from the e-mail the form sends
/// ("Ime in priimek: …", "E-pošta: …", "Ste fizična ali pravna oseba?: …", "Sporočilo:" and the
/// message). The labels are configurable, since the form may change; they are compared
/// without case or diacritics.
public struct WebFormSubmission: Sendable, Equatable {
    public var name: String?
    public var email: MailAddress?
    /// "natural" or "legal", as the person answered; evidence, not a label (people pick wrongly).
    public var declaredSenderType: String?
    public var organisation: String?
    public var requestType: String?
    public var message: String

    /// The form's field labels.
    public struct Layout: Sendable, Equatable {
        public var name = "Ime in priimek"
        public var email = "E-pošta"
        public var personType = "Ste fizična ali pravna oseba?"
        public var organisation = "Naziv pravne osebe"
        public var requestType = "Vrsta zahteve"
        public var message = "Sporočilo"
        /// Words in the person-type answer that mean a legal or a natural person.
        public var legalAnswer = "pravna"
        public var naturalAnswer = "fizična"

        public init() {}
    }

    /// Reads a form e-mail's text; nil when it has no message field (not a form submission).
    public static func parse(_ text: String, layout: Layout = Layout()) -> WebFormSubmission? {
        let lines = text.lines().map { $0.trimmed() }
        let key = { (label: String) in String(decoding: TextFolding.fold(label), as: UTF8.self).trimmed(of: ": ") }
        var fields: [String: String] = [:]
        var message: [Substring] = []
        var inMessage = false
        for line in lines {
            if inMessage {
                // The form closes the message with a rule of dashes.
                if line.count >= 5, line.allSatisfy({ $0 == "-" || $0 == "_" || $0 == "=" }) { break }
                message.append(line[...])
                continue
            }
            let folded = key(line)
            if folded == key(layout.message) { inMessage = true; continue }
            // "Label: value" (the label may itself end in "?", as "Ste fizična ali pravna oseba?: …").
            for label in [layout.name, layout.email, layout.personType, layout.organisation, layout.requestType, layout.message] {
                let wanted = key(label)
                guard folded.hasPrefix(wanted) else { continue }
                let rest = line.dropFirst(label.count).drop(while: { $0 == ":" || $0 == "?" || $0 == " " })
                if wanted == key(layout.message) {
                    inMessage = true
                    if !rest.isEmpty { message.append(rest) }
                } else {
                    fields[wanted] = String(rest)
                }
                break
            }
        }
        guard inMessage else { return nil }
        func value(_ label: String) -> String? {
            guard let text = fields[key(label)]?.trimmed(), !text.isEmpty else { return nil }
            return text
        }
        var declared: String?
        if let answer = value(layout.personType).map({ String(decoding: TextFolding.fold($0), as: UTF8.self) }) {
            if answer.contains(key(layout.legalAnswer)) { declared = "legal" } else if answer.contains(key(layout.naturalAnswer)) { declared = "natural" }
        }
        return WebFormSubmission(
            name: value(layout.name), email: value(layout.email).flatMap { AddressList.parse($0).first },
            declaredSenderType: declared, organisation: value(layout.organisation), requestType: value(layout.requestType),
            message: message.joined(separator: "\n").trimmed())
    }
}

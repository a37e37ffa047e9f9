import FoundationEssentials

/// The classifier's vocabulary: plain-text files in one folder (config/vocabulary, installed as
/// /etc/mailintake/vocabulary) that the office edits to tune classification without a rebuild.
///
/// - languages.txt: function words and forms typical of each language, by ISO 639-1 code.
/// - fields.txt: the subject matter of each field.
/// - intents.txt: what the sender asks for, including phrases and `A & B` combinations.
/// - senders.txt: legal-form markers by legal kind; `[legal]` roles and the voice of an
///   organisation; `[natural]` a private person's words; `[self]` the words by which a sender
///   introduces themselves ("v imenu", "on behalf of"); `[own]` the office's own organisation,
///   whose mention says nothing about the sender.
/// - free_mail.txt: mail providers where anyone can have an address.
/// - voice.txt (optional): first-person singular and plural forms, the voice of a private person
///   or of a body, which the learned model weighs.
public struct Vocabulary: Sendable {
    public let directory: String
    public let languages: TermSet
    public let fields: TermSet
    public let intents: TermSet
    public let senders: TermSet
    public let freeMailDomains: Set<String>
    /// `[singular]` and `[plural]` first-person forms; empty when the folder has no voice.txt.
    public let voice: TermSet?

    public static let senderLabels = Classification.legalKinds + ["legal", "natural", "self", "own"]
    public static let files = ["languages.txt", "fields.txt", "intents.txt", "senders.txt", "free_mail.txt"]

    public init(directory: String) throws(ConfigurationError) {
        guard FileSystem.isDirectory(directory) else {
            throw ConfigurationError(file: directory, line: 0, key: nil,
                                     message: "no vocabulary folder here; set [classifier] vocabulary to the folder holding \(Self.files.joined(separator: ", "))")
        }
        self.directory = directory
        let path = { (name: String) in Path.join(directory, name) }
        languages = try TermSet(path: path("languages.txt"), allowed: nil)
        fields = try TermSet(path: path("fields.txt"), allowed: Classification.fields)
        intents = try TermSet(path: path("intents.txt"), allowed: Classification.intents)
        senders = try TermSet(path: path("senders.txt"), allowed: Self.senderLabels)
        freeMailDomains = Set(try ListFile.read(path: path("free_mail.txt")))
        // Optional, so a vocabulary folder installed before it existed still loads.
        if FileManager.default.fileExists(atPath: path("voice.txt")) {
            voice = try TermSet(path: path("voice.txt"), allowed: ["singular", "plural"])
        } else {
            voice = nil
        }
    }

    /// The vocabulary a command uses when no configuration names one: a source checkout's
    /// config/vocabulary, then an installed /etc/mailintake/vocabulary.
    public static let searchPath = ["config/vocabulary", "/etc/mailintake/vocabulary"]
}

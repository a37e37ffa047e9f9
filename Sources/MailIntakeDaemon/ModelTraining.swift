import FoundationEssentials
import MailIntakeCore
import MailStore

/// Gathers what the learned model learns from — the labelled folders and the database's
/// corrections — and trains it: one place for the daemon's rebuild after a correction and for
/// `mailintake learn`.
public enum ModelTraining {
    public struct Result {
        public let model: LearnedModel
        /// One line per source: how many examples came from where.
        public let sources: [String]
        public var examples: Int { model.examples }
    }

    /// `corrections` reads the corrected inquiries, with the highest correction id, when there is a database to read.
    public static func train(keyword: KeywordClassifier, folders: [String],
                             corrections: (() throws -> (examples: [(raw: [UInt8], labels: Labels)], through: Int64))?) throws -> Result {
        var messages: [(raw: [UInt8], labels: Labels)] = []
        var lines: [String] = []
        var sources = folders
        for folder in folders {
            let loaded = try LabelledFolder.load(folder)
            messages += loaded.map { ($0.raw, $0.labels) }
            lines.append("\(loaded.count) labelled messages from \(folder)")
        }
        var through: Int64 = 0
        if let corrections {
            let (corrected, latest) = try corrections()
            messages += corrected
            through = latest
            sources.append("corrections")
            lines.append("\(corrected.count) corrected inquiries")
        }
        let model = LearnedModel.train(messages.map { (keyword.author(of: MessageParser.parse($0.raw)), $0.labels) }, keyword: keyword,
                                       sources: sources, correctionsThrough: through)
        return Result(model: model, sources: lines)
    }
}

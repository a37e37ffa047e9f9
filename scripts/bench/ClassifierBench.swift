// Classification time per message, for scripts/bench_classify.sh: parses every file first (not
// timed), then classifies each one ROUNDS times with the shipped vocabulary and prints the median,
// the 99th percentile and the maximum time per message, and messages per second.
// Built with swiftc together with the sources of MailIntakeCore.
import Foundation

@main
struct ClassifierBench {
    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        let vocabulary = try Vocabulary(directory: arguments.removeFirst())
        let rounds = Int(arguments.removeFirst()) ?? 5
        let keyword = KeywordClassifier(vocabulary: vocabulary, webFormSenders: ["noreply@maribor.example"])
        // --learn DIR: classify with a model learned (not timed) from that labelled folder.
        var model: LearnedModel?
        if arguments.first == "--learn" {
            arguments.removeFirst()
            let examples = try LabelledFolder.load(arguments.removeFirst())
            model = LearnedModel.train(examples.map { (keyword.author(of: MessageParser.parse($0.raw)), $0.labels) }, keyword: keyword, sources: [])
        }
        let classifier = LearningClassifier(keyword: keyword, model: model)
        let messages = try arguments.map { MessageParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: $0)))) }
        let words = messages.map { FoldedText($0.split.newText).words.count }.sorted()
        var times: [Double] = []
        times.reserveCapacity(messages.count * rounds)
        // FNV-1a over every label and every line of evidence of the first round: two builds that
        // print the same checksum classified every message alike, evidence included.
        var checksum: UInt64 = 0xcbf2_9ce4_8422_2325
        let total = DispatchTime.now()
        for round in 0..<rounds {
            for message in messages {
                let start = DispatchTime.now()
                let labels = classifier.classify(message)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e3)
                guard round == 0 else { continue }
                let fields = [labels.language, labels.field, labels.secondaryFields.joined(separator: ","), labels.senderType,
                              labels.legalKind ?? "", labels.intent, String(labels.confidence)] + labels.evidence
                for byte in fields.joined(separator: "\u{1F}").utf8 + [0x1E] { checksum = (checksum ^ UInt64(byte)) &* 0x100_0000_01b3 }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - total.uptimeNanoseconds) / 1e9
        times.sort()
        func percentile(_ p: Double) -> Double { times[min(times.count - 1, Int(Double(times.count) * p))] }
        print(String(format: (model == nil ? "vocabulary alone: " : "with a learned model: ") + "classify %d messages × %d rounds: median %.0f µs, p99 %.0f µs, max %.0f µs per message, %.0f msg/s (median new text %d words; checksum %016llx)",
                     messages.count, rounds, percentile(0.5), percentile(0.99), times.last ?? 0, Double(times.count) / seconds,
                     words[words.count / 2], checksum))
    }
}

// Parser throughput, for scripts/bench_parser.sh: reads every file into memory first (so disk is
// not measured), then parses each one as the pipeline does — header fields, sender, subject, the
// chosen text decoded, the new-text split — and prints messages/s and MB/s.
// Built with swiftc together with the sources of MailIntakeCore.
import Foundation

@main
struct ParserBench {
    static func main() throws {
        let paths = CommandLine.arguments.dropFirst()
        let messages = try paths.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
        let bytes = messages.reduce(0) { $0 + $1.count }
        var checksum = 0
        let start = DispatchTime.now()
        for raw in messages {
            let message = MessageParser.parse(raw)
            checksum &+= message.subject.utf8.count &+ message.split.newText.utf8.count &+ (message.from?.address.utf8.count ?? 0)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        print(String(format: "mailintake %d messages %.1f MB %.3f s %.0f msg/s %.1f MB/s (checksum %d)",
                     messages.count, Double(bytes) / 1e6, seconds, Double(messages.count) / seconds, Double(bytes) / 1e6 / seconds, checksum))
    }
}

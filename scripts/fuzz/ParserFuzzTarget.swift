// libFuzzer entry point for mailintake's message reader. Built by scripts/fuzz.sh together with
// the sources of MailIntakeCore (a SwiftPM executable would bring a second `main`).
// Everything a received message goes through before the database sees it runs here: parsing,
// the text split, attachment summaries, classification and the acknowledgement policy.

import Foundation

// The shipped vocabulary; scripts/fuzz.sh runs the fuzzer two folders below the repository.
private let classifier: KeywordClassifier = {
    let directory = ProcessInfo.processInfo.environment["MAILINTAKE_VOCABULARY"] ?? "../../config/vocabulary"
    do {
        return KeywordClassifier(vocabulary: try Vocabulary(directory: directory))
    } catch {
        fatalError("the fuzzer needs the vocabulary: \(error)")
    }
}()
private let policy = AckPolicy(ownAddresses: [])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let message = MessageParser.parse(bytes)
    _ = message.split
    for (offset, part) in message.attachments.enumerated() { _ = part.attachmentSummary(position: offset + 1) }
    for embedded in message.attachedMessages { _ = embedded.split }
    _ = classifier.classify(message)
    _ = policy.decide(message)
    return 0
}

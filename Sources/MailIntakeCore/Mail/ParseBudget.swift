/// The most work one message may cost the parser, whoever wrote it. A message is always filed
/// whole (its raw bytes are kept); past a limit the parser stops *reading* more of it, and the
/// cut is recorded once as a problem, so staff see that mailintake read only part of it.
///
/// The limits sit far above real mail (the largest message in our corpora has 14 parts and a
/// 3 KB header) and low enough that the worst message of `[imap] max_message_size` parses in
/// well under a second and in memory proportional to its size: 800 000 empty parts once cost
/// 1.1 GB, a megabyte of malformed encoded words minutes.
final class ParseBudget {
    /// MIME parts in the whole message, embedded messages included.
    static let maximumParts = 10_000
    /// RFC 2047 words decoded in the whole message (subjects, names, file names).
    static let maximumEncodedWords = 20_000
    /// The header block of one part; fields after it are not read.
    static let maximumHeaderBytes = 1 << 20
    /// Fields in one header block.
    static let maximumHeaderFields = 5_000

    var partsLeft = maximumParts
    var encodedWordsLeft = maximumEncodedWords
    private var cuts: [String] = []

    /// Records that a limit cut the reading short; each kind of cut is reported once.
    func cut(_ problem: String) {
        if !cuts.contains(problem) { cuts.append(problem) }
    }

    var problems: [String] { cuts }

    /// Decodes encoded words within the message's budget.
    func decodeWords(_ text: String) -> String {
        let decoded = EncodedWord.decode(text, wordBudget: &encodedWordsLeft)
        if encodedWordsLeft == 0 {
            cut("more than \(Self.maximumEncodedWords) encoded words in the header fields; the rest are shown as written")
        }
        return decoded
    }
}

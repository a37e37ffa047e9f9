import FoundationEssentials

/// A message we send, rendered as RFC 5322 bytes: UTF-8 text in quoted-printable, every header
/// value free of CR/LF and RFC 2047-encoded where it is not ASCII.
public struct OutgoingMail: Sendable, Equatable {
    public var from: MailAddress
    public var to: MailAddress
    public var replyTo: MailAddress?
    public var subject: String
    public var body: String
    public var date: Date
    public var messageID: String
    public var inReplyTo: String?
    public var references: [String]
    public var extraHeaders: [(String, String)]

    public init(from: MailAddress, to: MailAddress, replyTo: MailAddress? = nil, subject: String, body: String, date: Date, messageID: String,
                inReplyTo: String? = nil, references: [String] = [], extraHeaders: [(String, String)] = []) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.body = body
        self.date = date
        self.messageID = messageID
        self.inReplyTo = inReplyTo
        self.references = references
        self.extraHeaders = extraHeaders
    }

    public static func == (lhs: OutgoingMail, rhs: OutgoingMail) -> Bool { lhs.rendered() == rhs.rendered() }

    /// A fresh Message-ID in our own domain, with the reference in it for people reading logs.
    public static func makeMessageID(reference: String, domain: String) -> String {
        // 64 random bits as 16 hex digits, from getrandom(2) (FoundationEssentials' UUID opened
        // /dev/urandom for each one).
        let random = String(UInt64.random(in: .min ... .max), radix: 16)
        return "\(reference.lowercased()).\(String(repeating: "0", count: 16 - random.utf8.count))\(random)@\(domain)"
    }

    /// The whole message, CRLF line endings; every header line folded (RFC 5322 2.2.3), so
    /// none is longer than 78 characters where it can be helped and none ever near 998.
    public func rendered() -> [UInt8] {
        var lines: [String] = []
        lines.append(Self.fold("From", Self.mailbox(from)))
        lines.append(Self.fold("To", Self.mailbox(to)))
        if let replyTo { lines.append(Self.fold("Reply-To", Self.mailbox(replyTo))) }
        lines.append(Self.fold("Subject", Self.text(subject)))
        lines.append("Date: \(MailDate.format(date))")
        lines.append(Self.fold("Message-ID", "<\(Self.safeID(messageID))>"))
        if let inReplyTo, case let id = Self.safeID(inReplyTo), !id.isEmpty { lines.append(Self.fold("In-Reply-To", "<\(id)>")) }
        // The last ones are what threading needs (RFC 5322 3.6.4 allows trimming the middle).
        let refs = references.map(Self.safeID).filter { !$0.isEmpty }.suffix(Self.maximumReferences)
        if !refs.isEmpty { lines.append(Self.fold("References", refs.map { "<\($0)>" }.joined(separator: " "))) }
        for (name, value) in extraHeaders where Self.isHeaderName(name) {
            lines.append(Self.fold(name, Self.text(value)))
        }
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: text/plain; charset=utf-8")
        lines.append("Content-Transfer-Encoding: quoted-printable")
        let head = lines.joined(separator: "\r\n") + "\r\n\r\n"
        return Array(head.utf8) + QuotedPrintable.encode(TextWrap.wrap(body, width: 76))
    }

    static let maximumReferences = 20
    /// A message id longer than this is not one any mail program wrote; it is dropped.
    static let maximumIDLength = 250
    /// The longest a line may be before it must be folded (RFC 5322's recommended limit).
    static let foldWidth = 78

    /// Unstructured text (a subject, a header value): one line, encoded words where it is not plain ASCII.
    static func text(_ value: String) -> String {
        let line = oneLine(value)
        // A word too long to fold at white space is encoded, and encoded words fold anywhere.
        var run = 0
        for byte in line.utf8 {
            run = byte == 0x20 ? 0 : run + 1
            if run > 900 { return EncodedWord.encode(line) }
        }
        return EncodedWord.encodeIfNeeded(line)
    }

    /// `Name: value`, folded at white space into lines of at most `foldWidth` characters where
    /// the words allow. Folding inserts CRLF before an existing space, so unfolding gives back
    /// the value exactly.
    static func fold(_ name: String, _ value: String) -> String {
        value.utf8.allSatisfy({ $0 < 0x80 }) ? foldASCII(name, value) : foldByCharacters(name, value)
    }

    /// `fold` over Characters, for a value that is not all ASCII (a UTF-8 local part).
    static func foldByCharacters(_ name: String, _ value: String) -> String {
        var output = name + ":"
        var lineLength = output.utf8.count
        for (index, word) in value.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            let length = word.utf8.count
            // A word that is itself folded (encoded words joined by CRLF SP) restarts the count.
            // Bytes after its last line break (encoded words are ASCII; `oneLine` left no other break).
            let lineBreak = word.utf8.lastIndex(of: 0x0A)
            let lastLine = lineBreak.map { word.utf8.distance(from: word.utf8.index(after: $0), to: word.utf8.endIndex) } ?? length
            if index > 0 && length > 0 && lineLength + 1 + length > foldWidth && lineLength > name.utf8.count + 1 {
                output += "\r\n " + word
                lineLength = 1 + lastLine
            } else {
                output += " " + word
                lineLength = lineBreak != nil ? 1 + lastLine : lineLength + 1 + length
            }
        }
        return output
    }

    /// `fold` for a value all in ASCII (nearly every one: non-ASCII text is in encoded words by
    /// now), on its bytes: the same cuts, since each byte is a Character there but CR LF, and a
    /// space is never part of that one.
    static func foldASCII(_ name: String, _ value: String) -> String {
        var output = Array(name.utf8)
        output.append(UInt8(ascii: ":"))
        let nameLength = output.count
        var lineLength = nameLength
        var first = true
        var bytes = Array(value.utf8)[...]
        while true {
            let end = bytes.firstIndex(of: 0x20) ?? bytes.endIndex
            let word = bytes[..<end]
            let length = word.count
            let lineBreak = word.lastIndex(of: 0x0A)
            let lastLine = lineBreak.map { word.endIndex - $0 - 1 } ?? length
            if !first && length > 0 && lineLength + 1 + length > foldWidth && lineLength > nameLength {
                output += [0x0D, 0x0A, 0x20]
                lineLength = 1 + lastLine
            } else {
                output.append(0x20)
                lineLength = lineBreak != nil ? 1 + lastLine : lineLength + 1 + length
            }
            output += word
            first = false
            guard end < bytes.endIndex else { break }
            bytes = bytes[(end + 1)...]
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func mailbox(_ mailbox: MailAddress) -> String {
        // An IDN domain as A-labels, so an ASCII local part keeps the header ASCII; a UTF-8 local
        // part as it is (RFC 6532: it goes only to a server that speaks SMTPUTF8, as the envelope must).
        let address = MailAddress(validating: mailbox.asciiDomainAddress, displayName: mailbox.displayName) ?? mailbox
        guard let name = address.displayName.map(oneLine), !name.isEmpty else { return "<\(address.address)>" }
        let encoded = name.utf8.count > 200 ? EncodedWord.encode(name) : EncodedWord.encodeIfNeeded(name)
        if encoded != name { return "\(encoded) <\(address.address)>" }
        let quoted = name.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
        return "\"\(quoted)\" <\(address.address)>"
    }

    /// Controls (C0, DEL, C1) and Unicode's line and paragraph separators become spaces: a value
    /// can never start a new header line, in any reader's idea of a line.
    static func oneLine(_ text: String) -> String {
        let breaks = { (scalar: Unicode.Scalar) -> Bool in
            let value = scalar.value
            return value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029
        }
        // Nearly always there is nothing to replace: then no new string.
        guard text.unicodeScalars.contains(where: breaks) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { breaks($0) ? " " : $0 }))
    }

    /// A message id keeps only the characters an id may hold; an absurdly long one is dropped.
    static func safeID(_ id: String) -> String {
        // All ASCII (any id a mail program wrote): the same filter on the bytes, each a Character
        // but CR LF, which goes either way.
        if id.utf8.allSatisfy({ $0 < 0x80 }) {
            let kept = id.utf8.filter { $0 > 0x20 && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }
            return kept.count <= maximumIDLength ? String(decoding: kept, as: UTF8.self) : ""
        }
        return safeIDByCharacters(id)
    }

    static func safeIDByCharacters(_ id: String) -> String {
        let kept = id.filter { $0.isASCII && !$0.isWhitespace && $0 != "<" && $0 != ">" && ($0.asciiValue ?? 0) > 0x20 }
        return kept.utf8.count <= maximumIDLength ? kept : ""
    }

    static func isHeaderName(_ name: String) -> Bool {
        // Bytes or Characters, the same answer: a byte outside 0x21...0x7E fails either way.
        !name.isEmpty && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
    }
}

/// Quoted-printable encoding (RFC 2045) of UTF-8 text with CRLF line ends and soft breaks at 76.
public enum QuotedPrintable {
    public static func encode(_ text: String) -> [UInt8] {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 4 + 8)
        var lineLength = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            // A line ends at LF, or at CRLF: written as CRLF.
            if byte == 0x0A || (byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A) {
                out.append(0x0D)
                out.append(0x0A)
                lineLength = 0
                index += byte == 0x0D ? 2 : 1
                continue
            }
            let next = index + 1 < bytes.count ? bytes[index + 1] : 0x0A
            let isLast = next == 0x0A || (next == 0x0D && index + 2 < bytes.count && bytes[index + 2] == 0x0A) || index + 1 == bytes.count
            let plain = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !isLast)
            let width = plain ? 1 : 3
            if lineLength + width > 75 {
                out.append(UInt8(ascii: "="))
                out.append(0x0D)
                out.append(0x0A)
                lineLength = 0
            }
            if plain {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "="))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            }
            lineLength += width
            index += 1
        }
        if out.last != 0x0A {
            out.append(0x0D)
            out.append(0x0A)
        }
        return out
    }
}

/// Word-wraps text for mail readers, leaving short lines and unbreakable words (URLs) alone.
/// Widths are counted in Unicode scalars, over the UTF-8 bytes (every notification wraps the
/// person's whole text: counting Characters was a tenth of the end-to-end run's CPU).
public enum TextWrap {
    public static func wrap(_ text: String, width: Int) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 32 + 1)
        var lineStart = 0
        while true {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            // CRLF ends a line as LF does.
            let end = lineEnd > lineStart && bytes[lineEnd - 1] == 0x0D && lineEnd < bytes.count ? lineEnd - 1 : lineEnd
            wrapLine(bytes[lineStart..<end], width: width, into: &out)
            guard lineEnd < bytes.count else { break }
            out.append(0x0A)
            lineStart = lineEnd + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Scalars in UTF-8 bytes: every byte but the continuation bytes.
    static func scalars(_ bytes: ArraySlice<UInt8>) -> Int {
        bytes.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
    }

    private static func wrapLine(_ line: ArraySlice<UInt8>, width: Int, into out: inout [UInt8]) {
        guard line.count > width, scalars(line) > width else {
            out.append(contentsOf: line)
            return
        }
        var current: [UInt8] = []
        var currentLength = 0
        for word in line.split(separator: 0x20, omittingEmptySubsequences: false) {
            let length = scalars(word)
            if current.isEmpty {
                current.append(contentsOf: word)
                currentLength = length
            } else if currentLength + 1 + length > width {
                out.append(contentsOf: current)
                out.append(0x0A)
                current.removeAll(keepingCapacity: true)
                current.append(contentsOf: word)
                currentLength = length
            } else {
                current.append(0x20)
                current.append(contentsOf: word)
                currentLength += 1 + length
            }
        }
        out.append(contentsOf: current)
    }
}

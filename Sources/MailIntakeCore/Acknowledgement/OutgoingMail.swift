import Foundation

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
        let random = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        return "\(reference.lowercased()).\(random)@\(domain)"
    }

    /// The whole message, CRLF line endings.
    public func rendered() -> [UInt8] {
        var lines: [String] = []
        lines.append("From: \(Self.mailbox(from))")
        lines.append("To: \(Self.mailbox(to))")
        if let replyTo { lines.append("Reply-To: \(Self.mailbox(replyTo))") }
        lines.append("Subject: \(EncodedWord.encodeIfNeeded(Self.oneLine(subject)))")
        lines.append("Date: \(MailDate.format(date))")
        lines.append("Message-ID: <\(Self.safeID(messageID))>")
        if let inReplyTo { lines.append("In-Reply-To: <\(Self.safeID(inReplyTo))>") }
        let refs = references.map(Self.safeID).filter { !$0.isEmpty }
        if !refs.isEmpty { lines.append("References: " + refs.map { "<\($0)>" }.joined(separator: "\r\n ")) }
        for (name, value) in extraHeaders where Self.isHeaderName(name) {
            lines.append("\(name): \(EncodedWord.encodeIfNeeded(Self.oneLine(value)))")
        }
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: text/plain; charset=utf-8")
        lines.append("Content-Transfer-Encoding: quoted-printable")
        let head = lines.joined(separator: "\r\n") + "\r\n\r\n"
        return Array(head.utf8) + QuotedPrintable.encode(TextWrap.wrap(body, width: 76))
    }

    static func mailbox(_ address: MailAddress) -> String {
        guard let name = address.displayName.map(oneLine), !name.isEmpty else { return "<\(address.address)>" }
        let encoded = EncodedWord.encodeIfNeeded(name)
        if encoded != name { return "\(encoded) <\(address.address)>" }
        let quoted = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(quoted)\" <\(address.address)>"
    }

    /// CR, LF and other controls become spaces: a value can never start a new header line.
    static func oneLine(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
    }

    /// A message id keeps only the characters an id may hold.
    static func safeID(_ id: String) -> String {
        id.filter { $0.isASCII && !$0.isWhitespace && $0 != "<" && $0 != ">" && ($0.asciiValue ?? 0) > 0x20 }
    }

    static func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && $0 != ":" && ($0.asciiValue ?? 0) > 0x20 && ($0.asciiValue ?? 0) < 0x7F }
    }
}

/// Quoted-printable encoding (RFC 2045) of UTF-8 text with CRLF line ends and soft breaks at 76.
public enum QuotedPrintable {
    public static func encode(_ text: String) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            var lineLength = 0
            let bytes = Array(line.utf8)
            for (position, byte) in bytes.enumerated() {
                let isLast = position == bytes.count - 1
                let plain = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !isLast)
                let width = plain ? 1 : 3
                if lineLength + width > 75 {
                    out += Array("=\r\n".utf8)
                    lineLength = 0
                }
                if plain {
                    out.append(byte)
                } else {
                    out += [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
                }
                lineLength += width
            }
            if index < lines.count - 1 { out += [0x0D, 0x0A] }
        }
        if out.last != 0x0A { out += [0x0D, 0x0A] }
        return out
    }
}

/// Word-wraps text for mail readers, leaving short lines and unbreakable words (URLs) alone.
public enum TextWrap {
    public static func wrap(_ text: String, width: Int) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.count > width else { return String(line) }
            var wrapped: [String] = []
            var current = ""
            for word in line.split(separator: " ", omittingEmptySubsequences: false) {
                if current.isEmpty { current = String(word); continue }
                if current.count + 1 + word.count > width {
                    wrapped.append(current)
                    current = String(word)
                } else {
                    current += " " + word
                }
            }
            wrapped.append(current)
            return wrapped.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}

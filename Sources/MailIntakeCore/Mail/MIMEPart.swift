/// One node of a message's MIME tree. The body is a slice of the raw message, still in its
/// transfer encoding, so building the tree copies nothing.
public struct MIMEPart: Sendable {
    public var headers: HeaderFields
    public var contentType: ContentType
    public var body: ArraySlice<UInt8>
    public var children: [MIMEPart]
    /// For message/rfc822 (a forwarded message attached whole): that message, parsed.
    public var embedded: [ParsedMessage] = []

    public var transferEncoding: String? { headers.first("Content-Transfer-Encoding") }

    /// The file name a sender gave the part (Content-Disposition filename, else Content-Type name),
    /// with RFC 2231 and RFC 2047 encodings undone; not yet safe for a file system. Decoded once,
    /// when the part is parsed.
    public let filename: String?

    /// True when Content-Disposition says `attachment`, or the part has a file name.
    public let isAttachment: Bool

    init(headers: HeaderFields, contentType: ContentType, body: ArraySlice<UInt8>, children: [MIMEPart], budget: ParseBudget) {
        self.headers = headers
        self.contentType = contentType
        self.body = body
        self.children = children
        var name: String?
        var attachment = false
        if let disposition = headers.first("Content-Disposition") {
            let (kind, parameters) = ContentType.splitParameters(disposition)
            name = parameters["filename"]
            attachment = kind.lowercased() == "attachment" || name != nil
        }
        if name == nil { name = contentType.parameters["name"] }
        filename = name.map(budget.decodeWords)
        isAttachment = attachment || (contentType.parameters["name"] != nil && contentType.type != "text")
    }

    /// The body with its transfer encoding undone.
    public var decodedBody: [UInt8] { TransferEncoding.decode(body, encoding: transferEncoding) }

    /// The body as text in its declared charset, line ends as LF, format=flowed paragraphs joined.
    /// CRLF goes on the bytes: in Swift "\r\n" is one Character, so splitting lines on "\n" would
    /// miss it, and replacing it in a String is slow.
    public func decodedText() -> Charset.Decoded {
        let bytes = decodedBody
        var unix: [UInt8] = []
        unix.reserveCapacity(bytes.count)
        for (index, byte) in bytes.enumerated() where !(byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A) {
            unix.append(byte)
        }
        var decoded = Charset.decode(unix, charset: contentType.parameters["charset"])
        if contentType.parameters["format"]?.lowercased() == "flowed" {
            decoded.text = FlowedText.join(decoded.text, deleteSpace: contentType.parameters["delsp"]?.lowercased() == "yes")
        }
        return decoded
    }

    /// Every leaf part, depth first, in document order.
    public var leaves: [MIMEPart] {
        children.isEmpty ? [self] : children.flatMap(\.leaves)
    }

    /// Dozens of levels occur (list servers and forwarding chains wrap what they pass on); the
    /// bound keeps the recursion well inside a worker thread's 512 KiB stack.
    public static let maximumDepth = 64

    /// Parses a part (or a whole message) from its raw bytes, within the message's `budget`.
    static func parse(_ raw: ArraySlice<UInt8>, depth: Int, problems: inout [String], budget: ParseBudget) -> MIMEPart {
        budget.partsLeft -= 1
        var (headerBlock, body) = splitHeader(raw)
        if headerBlock.count > ParseBudget.maximumHeaderBytes {
            headerBlock = headerBlock.prefix(ParseBudget.maximumHeaderBytes)
            budget.cut("a header block larger than \(ParseBudget.maximumHeaderBytes) bytes; only its first \(ParseBudget.maximumHeaderBytes) bytes were read")
        }
        let headers = HeaderFields.parse(headerBlock, problems: &problems, budget: budget)
        var contentType = ContentType.textPlain
        if let value = headers.first("Content-Type") {
            if let parsed = ContentType(parsing: value) {
                contentType = parsed
            } else {
                problems.append("unreadable Content-Type `\(value.prefix(60))`; read as text/plain")
            }
        }
        var part = MIMEPart(headers: headers, contentType: contentType, body: body, children: [], budget: budget)
        if contentType.mimeType == "message/rfc822" || contentType.mimeType == "message/global" {
            guard depth < maximumDepth, budget.partsLeft > 0 else { return part }
            part.embedded = [MessageParser.parse(part.decodedBody, depth: depth + 1, budget: budget)]
            return part
        }
        guard contentType.isMultipart else { return part }
        guard depth < maximumDepth else {
            problems.append("multipart nesting deeper than \(maximumDepth); inner parts not parsed")
            return part
        }
        guard budget.partsLeft > 0 else {
            budget.cut("more than \(ParseBudget.maximumParts) MIME parts; the rest were not read")
            return part
        }
        guard let boundary = contentType.parameters["boundary"], !boundary.isEmpty else {
            problems.append("multipart without a boundary; read as one part")
            part.contentType = ContentType.textPlain
            return part
        }
        let bodies = splitMultipart(body, boundary: Array(boundary.utf8), problems: &problems, budget: budget)
        part.children = bodies.map { parse($0, depth: depth + 1, problems: &problems, budget: budget) }
        return part
    }

    /// Splits at the first empty line; a message with no empty line is all header.
    public static func splitHeader(_ raw: ArraySlice<UInt8>) -> (ArraySlice<UInt8>, ArraySlice<UInt8>) {
        var i = raw.startIndex
        // A part may start with an empty line: then its header is empty.
        if i < raw.endIndex, raw[i] == 0x0A { return (raw[i..<i], raw[(i + 1)...]) }
        if i + 1 < raw.endIndex, raw[i] == 0x0D, raw[i + 1] == 0x0A { return (raw[i..<i], raw[(i + 2)...]) }
        while i < raw.endIndex {
            if raw[i] == 0x0A {
                let next = i + 1
                if next < raw.endIndex, raw[next] == 0x0A { return (raw[raw.startIndex..<i], raw[(next + 1)...]) }
                if next + 1 < raw.endIndex, raw[next] == 0x0D, raw[next + 1] == 0x0A {
                    return (raw[raw.startIndex..<i], raw[(next + 2)...])
                }
            }
            i += 1
        }
        return (raw, raw[raw.endIndex...])
    }

    /// The bodies between `--boundary` lines; preamble and epilogue are dropped, a missing
    /// closing boundary is tolerated (and reported).
    static func splitMultipart(_ body: ArraySlice<UInt8>, boundary: [UInt8], problems: inout [String],
                               budget: ParseBudget) -> [ArraySlice<UInt8>] {
        let delimiter = [UInt8(ascii: "-"), UInt8(ascii: "-")] + boundary
        var parts: [ArraySlice<UInt8>] = []
        var partStart: Int?
        var lineStart = body.startIndex
        var closed = false
        // Line ends found with memchr: a body is mostly base64 lines that are not delimiters, and
        // the generic search was this loop's whole cost (docs/PERFORMANCE.md).
        let nextLineEnd: (Int) -> Int = { from in
            body.withUnsafeBufferPointer { buffer in
                let offset = from - body.startIndex
                guard let base = buffer.baseAddress, offset < buffer.count,
                      let found = memchr(base + offset, 0x0A, buffer.count - offset) else { return body.endIndex }
                return body.startIndex + (UnsafeRawPointer(found) - UnsafeRawPointer(base))
            }
        }
        while lineStart < body.endIndex {
            let lineEnd = nextLineEnd(lineStart)
            let line = body[lineStart..<lineEnd]
            if line.count >= delimiter.count, body[lineStart] == 0x2D, line.starts(with: delimiter) {
                let after = line.dropFirst(delimiter.count)
                let isClose = after.starts(with: [UInt8(ascii: "-"), UInt8(ascii: "-")])
                if isClose || after.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                    if let start = partStart {
                        // The CRLF before a delimiter belongs to the delimiter.
                        var end = lineStart
                        if end > start, body[end - 1] == 0x0A { end -= 1 }
                        if end > start, body[end - 1] == 0x0D { end -= 1 }
                        parts.append(body[start..<end])
                        // Each part costs a MIMEPart; the budget is shared by the whole message.
                        if parts.count >= budget.partsLeft {
                            budget.cut("more than \(ParseBudget.maximumParts) MIME parts; the rest were not read")
                            return parts
                        }
                    }
                    if isClose { closed = true; break }
                    partStart = min(lineEnd + 1, body.endIndex)
                }
            }
            lineStart = lineEnd + 1
        }
        if !closed {
            if let start = partStart, start < body.endIndex { parts.append(body[start...]) }
            problems.append("multipart without its closing boundary")
        }
        return parts
    }
}

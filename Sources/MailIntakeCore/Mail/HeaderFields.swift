/// One header field as it stood, unfolded; `value` is raw text (RFC 2047 words not yet decoded).
public struct HeaderField: Sendable, Equatable {
    public let name: String
    public let value: String
}

/// The header of a message or MIME part, in order, looked up case-insensitively.
public struct HeaderFields: Sendable, Equatable {
    public let fields: [HeaderField]

    public init(_ fields: [HeaderField]) { self.fields = fields }

    /// The first field called `name`, unfolded and trimmed, or nil. Names are ASCII (RFC 5322
    /// 2.2; `parse` keeps no other) and compared on their bytes: lower-casing both as Strings
    /// made two new Strings per field per look-up, some 20 look-ups of 15 fields a message.
    public func first(_ name: String) -> String? {
        fields.first { $0.name.equalsIgnoringASCIICase(name) }?.value
    }

    public func all(_ name: String) -> [String] {
        fields.filter { $0.name.equalsIgnoringASCIICase(name) }.map(\.value)
    }

    /// The first field called `name`, with encoded words decoded.
    public func decoded(_ name: String) -> String? { first(name).map(EncodedWord.decode) }

    /// Parses a header block. Folded lines are joined; a line that is neither a field nor a
    /// continuation is reported in `problems` and skipped, never fatal.
    static func parse(_ block: ArraySlice<UInt8>, problems: inout [String], budget: ParseBudget) -> HeaderFields {
        var raw: [(String, [UInt8])] = []
        var currentName: String?
        var currentValue: [UInt8] = []
        func flush() {
            if let name = currentName { raw.append((name, currentValue)) }
            currentName = nil
            currentValue = []
        }
        for line in block.splitLines() {
            guard let first = line.first else { continue }
            if first == 0x20 || first == 0x09 {
                if currentName != nil {
                    currentValue.append(0x20)
                    currentValue.append(contentsOf: line.drop(while: { $0 == 0x20 || $0 == 0x09 }))
                } else {
                    problems.append("header continuation line with no field before it")
                }
                continue
            }
            flush()
            if raw.count >= ParseBudget.maximumHeaderFields {
                budget.cut("more than \(ParseBudget.maximumHeaderFields) header fields in one part; the rest were not read")
                break
            }
            // Obsolete syntax (RFC 5322 4.5) allows white space between the name and the colon.
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")),
                  case let name = line[line.startIndex..<Self.endOfName(line, colon: colon)],
                  !name.isEmpty, name.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                if !(raw.isEmpty && line.starts(with: Array("From ".utf8))) {  // an mbox "From " line is not a problem
                    problems.append("header line without a field name: \(String(decoding: line.prefix(40), as: UTF8.self))")
                }
                continue
            }
            currentName = String(decoding: name, as: UTF8.self)
            currentValue = Array(line[(colon + 1)...])
        }
        flush()
        // Raw 8-bit header text that is not UTF-8 was most likely written in the charset the
        // sender's software declared for the body: read it in that charset.
        let declared = raw.first { $0.0.equalsIgnoringASCIICase("content-type") }
            .flatMap { ContentType(parsing: String(decoding: $0.1, as: UTF8.self))?.parameters["charset"] }
        var fields: [HeaderField] = []
        fields.reserveCapacity(raw.count)
        for (name, bytes) in raw {
            var text = Charset.decode(bytes, charset: "utf-8")
            if text.problem != nil, let declared {
                text = Charset.decode(bytes, charset: declared)
                problems.append("raw 8-bit text in the \(name) header; read as \(declared)")
            } else if text.problem != nil {
                problems.append("raw 8-bit text in the \(name) header; read as windows-1250")
            }
            fields.append(HeaderField(name: name, value: text.text.trimmed()))
        }
        return HeaderFields(fields)
    }

    /// Where a field's name ends: before the colon and any white space in front of it.
    private static func endOfName(_ line: ArraySlice<UInt8>, colon: Int) -> Int {
        var end = colon
        while end > line.startIndex, line[end - 1] == 0x20 || line[end - 1] == 0x09 { end -= 1 }
        return end
    }
}

extension ArraySlice where Element == UInt8 {
    /// Lines without their CRLF or LF terminators.
    func splitLines() -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = startIndex
        var i = startIndex
        while i < endIndex {
            if self[i] == 0x0A {
                var lineEnd = i
                if lineEnd > start, self[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                lines.append(self[start..<lineEnd])
                start = i + 1
            }
            i += 1
        }
        if start < endIndex {
            var lineEnd = endIndex
            if self[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            lines.append(self[start..<lineEnd])
        }
        return lines
    }
}

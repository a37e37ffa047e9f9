import FoundationEssentials
import MailIntakeCore
import MailStore

extension Commands {
    /// `parse --json FILE.eml`: what the parser understood, for the admin's "why did it read this so?".
    static func parse(_ options: [String]) throws -> Int32 {
        let files = options.filter { $0 != "--json" }
        guard options.contains("--json"), files.count == 1, let file = files.first, !file.hasPrefix("--") else {
            throw CommandFailure.usage("parse needs --json and one .eml file: mailintake parse --json FILE.eml")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CommandFailure.runtime("cannot read \(file); check the path and permissions")
        }
        try printJSON(description(of: MessageParser.parse(Array(data))))
        return 0
    }

    /// The stable JSON shape of a parsed message (keys documented in the README).
    static func description(of message: ParsedMessage) -> [String: Any] {
        let attachments = message.attachments.enumerated().map { offset, part -> [String: Any] in
            let summary = part.attachmentSummary(position: offset + 1)
            return ["filename": summary.filename, "content_type": summary.contentType, "size": summary.size, "sha256": summary.sha256]
        }
        return [
            "from_address": message.from?.address as Any,
            "from_name": message.fromName as Any,
            "reply_to": message.replyTo?.address as Any,
            "to": message.to.map(\.address),
            "subject": message.subject,
            "date": message.date.map(MailDate.iso8601) as Any,
            "message_id": message.messageID as Any,
            "text": message.text,
            "new_text": message.split.newText,
            "quoted_text": message.split.quotedText,
            "signature": message.split.signature,
            "attachments": attachments,
            "attached_messages": message.attachedMessages.map { ["from_address": $0.from?.address as Any, "subject": $0.subject, "new_text": $0.split.newText] },
            "parts": partDescription(message.root),
            "problems": message.problems,
        ]
    }

    static func partDescription(_ part: MIMEPart) -> [String: Any] {
        var description: [String: Any] = ["content_type": part.contentType.mimeType, "size": part.body.count]
        if let charset = part.contentType.parameters["charset"] { description["charset"] = charset }
        if let encoding = part.transferEncoding { description["transfer_encoding"] = encoding.lowercased() }
        if let filename = part.filename { description["filename"] = filename }
        if !part.children.isEmpty { description["parts"] = part.children.map(partDescription) }
        if let embedded = part.embedded.first { description["message"] = partDescription(embedded.root) }
        return description
    }

    /// `attachment REFERENCE N`: writes the inquiry's N-th attachment (as `show` numbers them) to stdout.
    /// The decoded bytes of `detail`'s attachment `number` (from 1, as `show` numbers them), read
    /// again from the stored message that holds it. `parsed` keeps each message's parts, for a
    /// caller that reads several (the access export).
    static func attachmentBytes(_ detail: InquiryDetail, number: Int, parsed: inout [Int64: [MIMEPart]]) throws -> [UInt8] {
        let wanted = detail.attachments[number - 1]
        guard let message = detail.messages.first(where: { $0.id == wanted.messageID }) else {
            throw CommandFailure.runtime("the message holding attachment \(number) is missing from the database")
        }
        let parts = parsed[message.id] ?? MessageParser.parse(message.raw).attachments
        parsed[message.id] = parts
        guard wanted.position >= 1, wanted.position <= parts.count else {
            throw CommandFailure.runtime("attachment \(number) cannot be found in the stored message any more")
        }
        return parts[wanted.position - 1].decodedBody
    }

    static func attachment(_ options: [String], configPath: String, environment: [String: String]) throws -> Int32 {
        guard options.count == 2, let number = Int(options[1]), number > 0 else {
            throw CommandFailure.usage("attachment needs a REFERENCE and a number: mailintake attachment MB-2026-000042 1 > file")
        }
        let repository = try openRepository(configPath, environment, readOnly: true)
        guard let detail = try repository.inquiry(reference: options[0]) else {
            throw CommandFailure.runtime("no inquiry \(options[0]); `mailintake list` shows the references")
        }
        guard number <= detail.attachments.count else {
            throw CommandFailure.runtime("\(options[0]) has \(detail.attachments.count) attachment(s); `mailintake show \(options[0])` lists them")
        }
        let wanted = detail.attachments[number - 1]
        var parsed: [Int64: [MIMEPart]] = [:]
        let bytes = try attachmentBytes(detail, number: number, parsed: &parsed)
        if isatty(1) != 0 {
            throw CommandFailure.usage("refusing to write \(bytes.count) bytes of \(wanted.contentType) to a terminal; redirect it: > \(wanted.filename)")
        }
        StandardOutput.write(bytes)
        return 0
    }
}

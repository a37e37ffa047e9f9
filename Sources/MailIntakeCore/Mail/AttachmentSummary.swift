/// What staff need to know about one attachment, before they open it.
public struct AttachmentSummary: Sendable, Equatable, Codable {
    /// Safe to use as a file name on any file system (see `SafeFilename`).
    public var filename: String
    public var contentType: String
    /// Decoded size in bytes.
    public var size: Int
    public var sha256: String

    enum CodingKeys: String, CodingKey {
        case filename, size, sha256
        case contentType = "content_type"
    }
}

extension MIMEPart {
    /// The attachment's summary; `position` (from 1) names it when the sender gave no file name.
    public func attachmentSummary(position: Int) -> AttachmentSummary {
        // Decoded and hashed a piece at a time: the decoded attachment is never all in memory.
        var hash = SHA256()
        var size = 0
        TransferEncoding.decode(body, encoding: transferEncoding) { piece in
            hash.update(buffer: UnsafeRawBufferPointer(piece))
            size += piece.count
        }
        return AttachmentSummary(filename: SafeFilename.make(filename, position: position, contentType: contentType),
                                 contentType: contentType.mimeType, size: size, sha256: hash.finalizeHex())
    }
}

/// Turns a name a stranger chose into one that is safe to write: no directories (`../`, `C:\`),
/// no control characters or characters Windows forbids, not hidden, not empty, at most 180 bytes
/// (keeping the extension).
public enum SafeFilename {
    public static func make(_ name: String?, position: Int, contentType: ContentType) -> String {
        var candidate = name ?? ""
        if let slash = candidate.lastIndex(where: { $0 == "/" || $0 == "\\" }) { candidate = String(candidate[candidate.index(after: slash)...]) }
        candidate = String(candidate.unicodeScalars.map { scalar -> Character in
            // Controls, bidirectional overrides (`invoice‮fdp.exe` shows as `invoiceexe.pdf`) and what Windows forbids.
            if PrintableText.isUnsafe(scalar) || "<>:\"|?*".unicodeScalars.contains(scalar) { return "_" }
            return Character(scalar)
        })
        candidate = candidate.trimmed()
        while candidate.hasPrefix(".") { candidate.removeFirst() }
        if candidate.isEmpty {
            let extensions = ["application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", "message/rfc822": "eml", "text/plain": "txt",
                              "text/html": "html", "application/msword": "doc", "application/zip": "zip"]
            candidate = "attachment-\(position).\(extensions[contentType.mimeType] ?? "bin")"
        }
        if candidate.utf8.count > 180 {
            let dot = candidate.lastIndex(of: ".")
            let ext = dot.map { String(candidate[$0...]) }.flatMap { $0.utf8.count <= 10 ? $0 : nil } ?? ""
            var stem = String(candidate[..<(ext.isEmpty ? candidate.endIndex : dot!)])
            while stem.utf8.count + ext.utf8.count > 180 { stem.removeLast() }
            candidate = stem + ext
        }
        return candidate
    }
}

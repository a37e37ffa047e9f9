import Foundation

/// One message as the server handed it over.
public struct FetchedMessage: Sendable {
    public var uid: UInt32
    /// When the server received it (INTERNALDATE), if it said.
    public var internalDate: Date?
    public var raw: [UInt8]
}

/// The state of the selected mailbox that filing needs.
public struct MailboxStatus: Sendable, Equatable {
    public var uidValidity: UInt32
    public var uidNext: UInt32?
    public var exists: Int
}

/// A logged-in IMAP session on one mailbox: select, search, fetch in batches, flag, move.
/// Commands are tagged `M1`, `M2`, …; every call reads up to its own tagged completion, so
/// the connection is always in step. After any thrown error the session must be discarded.
public final class IMAPSession {
    private let connection: IMAPConnection
    private var reader: IMAPResponseReader
    private var tagCounter = 0
    public private(set) var capabilities: Set<String> = []

    /// Connects and authenticates. `maximumMessageSize` bounds what one fetched message may occupy in memory.
    public init(endpoint: IMAPEndpoint, maximumMessageSize: Int = 64 << 20) throws(TransportError) {
        connection = try IMAPConnection(endpoint)
        reader = IMAPResponseReader(maximumLiteral: maximumMessageSize)
        let (_, untagged) = try command("CAPABILITY")
        for response in untagged where response.line.uppercased().hasPrefix("* CAPABILITY ") {
            capabilities = Set(response.line.dropFirst(13).uppercased().split(separator: " ").map(String.init))
        }
    }

    /// SELECT (read-write, so flags can be stored; BODY.PEEK keeps messages unread).
    public func select(_ mailbox: String) throws(TransportError) -> MailboxStatus {
        let (_, untagged) = try command("SELECT \(Self.quoted(mailbox))", what: "opening mailbox \(mailbox)")
        var status = MailboxStatus(uidValidity: 0, uidNext: nil, exists: 0)
        for response in untagged {
            if let value = response.responseCode("UIDVALIDITY") { status.uidValidity = value }
            if let value = response.responseCode("UIDNEXT") { status.uidNext = value }
            let words = response.line.split(separator: " ")
            if words.count == 3, words[2].uppercased() == "EXISTS", let count = Int(words[1]) { status.exists = count }
        }
        guard status.uidValidity != 0 else { throw TransportError(.protocolError, "the server gave no UIDVALIDITY for \(mailbox)") }
        return status
    }

    /// UIDs at or above `first`, ascending. `UID SEARCH UID n:*` always includes the highest UID
    /// even when it is below n (RFC 3501 6.4.8), so the result is filtered.
    public func uids(from first: UInt32) throws(TransportError) -> [UInt32] {
        let (_, untagged) = try command("UID SEARCH UID \(first):*")
        var result: [UInt32] = []
        for response in untagged where response.line.uppercased().hasPrefix("* SEARCH") {
            result += response.line.split(separator: " ").dropFirst(2).compactMap { UInt32($0) }
        }
        return result.filter { $0 >= first }.sorted()
    }

    /// The size in bytes (RFC822.SIZE) of every message from `first` on, by UID, in one command.
    public func sizes(from first: UInt32) throws(TransportError) -> [UInt32: Int] {
        let (_, untagged) = try command("UID FETCH \(first):* (UID RFC822.SIZE)", what: "reading message sizes")
        var sizes: [UInt32: Int] = [:]
        for response in untagged where response.line.uppercased().contains(" FETCH ") {
            if let uid = response.fetchAttribute("UID"), uid >= first, let size = response.fetchAttribute("RFC822.SIZE") {
                sizes[uid] = Int(size)
            }
        }
        return sizes
    }

    /// Fetches the raw bytes of `uids` in one command, without setting \Seen, and hands each
    /// message to `body` as soon as it has arrived, so only one message is held at a time.
    /// UIDs the server no longer has are simply not delivered.
    /// With `prefix`, only the first `prefix` bytes of each message are fetched (`BODY.PEEK[]<0.n>`):
    /// that is how an oversize message is filed without ever being held whole.
    public func fetch(_ uids: [UInt32], prefix: Int? = nil, _ body: (FetchedMessage) throws -> Void) throws {
        guard !uids.isEmpty else { return }
        let tag = nextTag()
        let section = prefix.map { "BODY.PEEK[]<0.\($0)>" } ?? "BODY.PEEK[]"
        try connection.send("\(tag) UID FETCH \(UIDSet.format(uids)) (UID INTERNALDATE \(section))\r\n")
        while true {
            let response = try reader.next(from: connection)
            if response.isCompletion(of: tag) {
                try Self.requireOK(response, what: "fetching messages")
                return
            }
            guard response.isUntagged, response.line.uppercased().contains(" FETCH ") else { continue }
            guard let uid = response.fetchAttribute("UID"), let raw = response.literals.first else { continue }
            try body(FetchedMessage(uid: uid, internalDate: response.internalDate, raw: raw))
        }
    }

    /// Adds `flags` to the messages, e.g. `["$Filed"]` or `["$Filed", "\\Seen"]`.
    public func addFlags(_ flags: [String], to uids: [UInt32]) throws(TransportError) {
        guard !uids.isEmpty else { return }
        _ = try command("UID STORE \(UIDSet.format(uids)) +FLAGS.SILENT (\(flags.joined(separator: " ")))", what: "flagging filed messages")
    }

    /// Moves the messages to `folder`, creating it if the server says it does not exist.
    public func move(_ uids: [UInt32], to folder: String) throws(TransportError) {
        guard !uids.isEmpty else { return }
        guard capabilities.contains("MOVE") else {
            throw TransportError(.configuration, "the IMAP server does not support MOVE; set [imap] after_filing = keyword or seen")
        }
        do {
            _ = try command("UID MOVE \(UIDSet.format(uids)) \(Self.quoted(folder))", what: "moving filed messages")
        } catch let error where error.message.uppercased().contains("TRYCREATE") {
            _ = try command("CREATE \(Self.quoted(folder))", what: "creating folder \(folder)")
            _ = try command("UID MOVE \(UIDSet.format(uids)) \(Self.quoted(folder))", what: "moving filed messages")
        }
    }

    /// Says goodbye; errors are ignored, since the work is done either way.
    public func logout() {
        _ = try? command("LOGOUT")
    }

    // MARK: plumbing

    private func nextTag() -> String {
        tagCounter += 1
        return "M\(tagCounter)"
    }

    /// Sends one command and reads to its tagged completion, which must be OK.
    private func command(_ text: String, what: String? = nil) throws(TransportError) -> (IMAPResponse, [IMAPResponse]) {
        let tag = nextTag()
        try connection.send("\(tag) \(text)\r\n")
        var untagged: [IMAPResponse] = []
        while true {
            let response = try reader.next(from: connection)
            if response.isCompletion(of: tag) {
                try Self.requireOK(response, what: what ?? text.split(separator: " ").prefix(2).joined(separator: " "))
                return (response, untagged)
            }
            if response.line.hasPrefix("* BYE") {
                throw TransportError(.connection, "the IMAP server closed the session: \(response.line.dropFirst(6))")
            }
            untagged.append(response)
        }
    }

    private static func requireOK(_ response: IMAPResponse, what: String) throws(TransportError) {
        let (status, rest) = response.status
        guard status == "OK" else {
            throw TransportError(.rejected, "\(what): the IMAP server answered \(status) \(rest)")
        }
    }

    /// An IMAP quoted string. Mailbox names with non-ASCII characters would need modified UTF-7; we refuse them in the config.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// IMAP sequence sets: `[1,2,3,5,7,8]` → `1:3,5,7:8`.
public enum UIDSet {
    public static func format(_ uids: [UInt32]) -> String {
        let sorted = Array(Set(uids)).sorted()
        var ranges: [String] = []
        var index = 0
        while index < sorted.count {
            let low = sorted[index]
            var high = low
            while index + 1 < sorted.count, sorted[index + 1] == high + 1 {
                index += 1
                high = sorted[index]
            }
            ranges.append(low == high ? "\(low)" : "\(low):\(high)")
            index += 1
        }
        return ranges.joined(separator: ",")
    }
}

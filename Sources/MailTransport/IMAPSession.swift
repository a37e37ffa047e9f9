import FoundationEssentials
import MailIntakeCore

/// One message as the server handed it over.
public struct FetchedMessage: Sendable {
    public var uid: UInt32
    /// When the server received it (INTERNALDATE), if it said.
    public var internalDate: Date?
    public var raw: [UInt8]

    public init(uid: UInt32, internalDate: Date?, raw: [UInt8]) {
        self.uid = uid
        self.internalDate = internalDate
        self.raw = raw
    }
}

/// The state of the selected mailbox that filing needs.
public struct MailboxStatus: Sendable, Equatable {
    public var uidValidity: UInt32
    public var uidNext: UInt32?
    public var exists: Int

    public init(uidValidity: UInt32, uidNext: UInt32?, exists: Int) {
        self.uidValidity = uidValidity
        self.uidNext = uidNext
        self.exists = exists
    }
}

/// A logged-in IMAP session on one mailbox: select, search, fetch in batches, flag, move.
/// Commands are tagged `M1`, `M2`, …; every call reads up to its own tagged completion, so
/// the connection is always in step. After any thrown error the session is *broken*: every
/// later call throws at once, and `logout` sends nothing, since the byte stream can no longer
/// be trusted (and waiting on it again would cost a second timeout).
///
/// Each command has an overall deadline — `timeout` from its start, extended only while the
/// server delivers message bytes at a useful rate — so a server that drips one byte every few
/// seconds, or floods untagged lines, cannot hold the worker.
public final class IMAPSession {
    private let connection: IMAPConnection
    private var framer: IMAPFramer
    private var tagCounter = 0
    private var broken: TransportError?
    /// The text of an untagged BYE, kept for the error when the connection then closes.
    private var farewell: String?
    private let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
    public private(set) var capabilities: Set<String> = []
    /// Untagged bytes (literals included) one command may receive before it is given up.
    private let maximumUntaggedBytes: Int
    /// FETCH responses for UIDs not asked for, ignored (a server that lies, or an unsolicited update).
    public private(set) var ignoredResponses = 0

    /// The slowest delivery of message bytes that still extends a command's deadline.
    static let minimumRate = 32 * 1024

    /// Connects and authenticates. `maximumMessageSize` bounds what one fetched message may occupy in memory.
    public init(settings endpoint: IMAPSettings, maximumMessageSize: Int = 64 << 20, bearer: String? = nil) throws(TransportError) {
        connection = try IMAPConnection(endpoint, bearer: bearer)
        var limits = IMAPFramer.Limits()
        limits.maximumLiteral = maximumMessageSize
        limits.maximumResponse = maximumMessageSize + (1 << 20)
        framer = IMAPFramer(limits: limits)
        maximumUntaggedBytes = max(64 << 20, maximumMessageSize * 2)
        let untagged = try command("CAPABILITY")
        for response in untagged where response.line.uppercased().hasPrefix("* CAPABILITY ") {
            capabilities = Set(response.line.dropFirst(13).uppercased().split(separator: " ").map(String.init))
        }
    }

    deinit {
        receiveBuffer.deallocate()
    }

    /// SELECT (read-write, so flags can be stored; BODY.PEEK keeps messages unread).
    public func select(_ mailbox: String) throws(TransportError) -> MailboxStatus {
        try open(mailbox, verb: "SELECT")
    }

    /// EXAMINE: the mailbox read-only, so nothing in it can change (the sent folder is only read).
    public func examine(_ mailbox: String) throws(TransportError) -> MailboxStatus {
        try open(mailbox, verb: "EXAMINE")
    }

    private func open(_ mailbox: String, verb: String) throws(TransportError) -> MailboxStatus {
        let untagged = try command("\(verb) \(Self.quoted(mailbox))", what: "opening mailbox \(mailbox)")
        var status = MailboxStatus(uidValidity: 0, uidNext: nil, exists: 0)
        for response in untagged {
            if let value = response.responseCode("UIDVALIDITY") { status.uidValidity = value }
            if let value = response.responseCode("UIDNEXT") { status.uidNext = value }
            let words = response.line.split(separator: " ")
            if words.count == 3, words[2].uppercased() == "EXISTS", let count = Int(words[1]) { status.exists = count }
        }
        guard status.uidValidity != 0 else { throw fail(TransportError(.protocolError, "the server gave no UIDVALIDITY for \(mailbox)")) }
        return status
    }

    /// UIDs at or above `first`, ascending. `UID SEARCH UID n:*` always includes the highest UID
    /// even when it is below n (RFC 3501 6.4.8), so the result is filtered.
    public func uids(from first: UInt32) throws(TransportError) -> [UInt32] {
        let untagged = try command("UID SEARCH UID \(first):*")
        var result: [UInt32] = []
        for response in untagged where response.line.uppercased().hasPrefix("* SEARCH") {
            result += response.line.split(separator: " ").dropFirst(2).compactMap { UInt32($0) }
        }
        return Array(Set(result.filter { $0 >= first })).sorted()
    }

    /// UIDs of the messages that carry `keyword` (such as `$Filed`), ascending.
    public func uids(withKeyword keyword: String) throws(TransportError) -> [UInt32] {
        let untagged = try command("UID SEARCH KEYWORD \(keyword)", what: "searching for \(keyword)")
        var result: [UInt32] = []
        for response in untagged where response.line.uppercased().hasPrefix("* SEARCH") {
            result += response.line.split(separator: " ").dropFirst(2).compactMap { UInt32($0) }
        }
        return Array(Set(result)).sorted()
    }

    /// The size in bytes (RFC822.SIZE) of every message from `first` on, by UID, in one command.
    public func sizes(from first: UInt32) throws(TransportError) -> [UInt32: Int] {
        let untagged = try command("UID FETCH \(first):* (UID RFC822.SIZE)", what: "reading message sizes")
        var sizes: [UInt32: Int] = [:]
        for response in untagged {
            guard let fetch = try parseFetch(response), let uid = fetch.uid, uid >= first, let size = fetch.size else { continue }
            sizes[uid] = size
        }
        return sizes
    }

    /// Fetches the raw bytes of `uids` in one command, without setting \Seen, and hands each
    /// message to `body` as soon as it has arrived, so only one message is held at a time.
    /// Only UIDs asked for are delivered, each at most once: an answer for another UID (a
    /// server that lies, or a line smuggled into a message) is ignored and counted. UIDs the
    /// server no longer has are simply not delivered; the caller sees which.
    /// With `prefix`, only the first `prefix` bytes of each message are fetched (`BODY.PEEK[]<0.n>`):
    /// that is how an oversize message is filed without ever being held whole.
    public func fetch(_ uids: [UInt32], prefix: Int? = nil, _ body: (FetchedMessage) throws -> Void) throws {
        try fetch(uids, section: prefix.map { "BODY.PEEK[]<0.\($0)>" } ?? "BODY.PEEK[]", body)
    }

    /// The header of each message (`BODY.PEEK[HEADER]`), handed over as `fetch` hands messages.
    public func fetchHeaders(_ uids: [UInt32], _ body: (FetchedMessage) throws -> Void) throws {
        try fetch(uids, section: "BODY.PEEK[HEADER]", body)
    }

    private func fetch(_ uids: [UInt32], section: String, _ body: (FetchedMessage) throws -> Void) throws {
        guard !uids.isEmpty else { return }
        var wanted = Set(uids)
        let tag = try send("UID FETCH \(UIDSet.format(uids)) (UID INTERNALDATE \(section))")
        var deadline = Deadline(timeout: connection.timeout)
        var untaggedBytes = 0
        while true {
            let response = try receive(until: &deadline)
            untaggedBytes += response.segments.reduce(0) { $0 + $1.count } + response.literals.reduce(0) { $0 + $1.count }
            if response.isCompletion(of: tag) {
                try requireOK(response, what: "fetching messages")
                return
            }
            try checkUntagged(response, bytes: untaggedBytes)
            guard let fetch = try parseFetch(response), let raw = fetch.body else { continue }
            guard let uid = fetch.uid, wanted.remove(uid) != nil else {
                ignoredResponses += 1
                continue
            }
            // Message bytes at a useful rate earn the command more time; a drip never does.
            deadline.extend(by: Double(raw.count) / Double(Self.minimumRate))
            do {
                try body(FetchedMessage(uid: uid, internalDate: fetch.internalDate, raw: raw))
            } catch {
                // The rest of the answer is left unread: the stream is out of step from here on.
                _ = fail(TransportError(.connection, "the fetch was abandoned part-way"))
                throw error
            }
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
        } catch let error where error.kind == .rejected && error.message.uppercased().contains("TRYCREATE") {
            broken = nil  // a NO is an answer: the stream is still in step
            _ = try command("CREATE \(Self.quoted(folder))", what: "creating folder \(folder)")
            _ = try command("UID MOVE \(UIDSet.format(uids)) \(Self.quoted(folder))", what: "moving filed messages")
        }
    }

    /// Says goodbye; errors are ignored, since the work is done either way. A broken session sends nothing.
    public func logout() {
        guard broken == nil else { return }
        _ = try? command("LOGOUT")
        broken = TransportError(.connection, "the session has been logged out")
    }

    // MARK: plumbing

    /// A command's overall deadline.
    struct Deadline {
        private(set) var end: Date
        let timeout: TimeInterval
        init(timeout: TimeInterval) {
            self.timeout = timeout
            end = Date().addingTimeInterval(timeout)
        }
        var remaining: TimeInterval { end.timeIntervalSinceNow }
        mutating func extend(by seconds: TimeInterval) { end = max(end, Date()).addingTimeInterval(seconds) }
    }

    /// Records `error` as the reason this session is unusable, and returns it for throwing.
    private func fail(_ error: TransportError) -> TransportError {
        if broken == nil { broken = error }
        return error
    }

    private func send(_ text: String) throws(TransportError) -> String {
        if let broken { throw broken }
        tagCounter += 1
        let tag = "M\(tagCounter)"
        do {
            try connection.send("\(tag) \(text)\r\n")
        } catch {
            throw fail(error)
        }
        return tag
    }

    /// Sends one command and reads to its tagged completion, which must be OK; returns the untagged responses.
    private func command(_ text: String, what: String? = nil) throws(TransportError) -> [IMAPResponse] {
        let tag = try send(text)
        var deadline = Deadline(timeout: connection.timeout)
        var untagged: [IMAPResponse] = []
        var untaggedBytes = 0
        while true {
            let response = try receive(until: &deadline)
            if response.isCompletion(of: tag) {
                try requireOK(response, what: what ?? text.split(separator: " ").prefix(2).joined(separator: " "))
                return untagged
            }
            untaggedBytes += response.segments.reduce(0) { $0 + $1.count } + response.literals.reduce(0) { $0 + $1.count }
            try checkUntagged(response, bytes: untaggedBytes)
            untagged.append(response)
        }
    }

    /// What no command accepts among its untagged responses: a BYE, a continuation request we did
    /// not ask for, or more bytes than any answer of ours needs.
    private func checkUntagged(_ response: IMAPResponse, bytes: Int) throws(TransportError) {
        if response.isBye {
            let text = String(response.line.dropFirst(5)).trimmed()
            farewell = text
            throw fail(TransportError(.connection, "the IMAP server closed the session: \(text)"))
        }
        if response.isContinuation {
            throw fail(TransportError(.protocolError, "the IMAP server asked for a continuation nobody requested: `\(IMAPFramer.preview(Array(response.line.utf8)))`"))
        }
        if !response.isUntagged {
            throw fail(TransportError(.protocolError, "the IMAP server answered a command we did not send: `\(IMAPFramer.preview(Array(response.line.utf8)))`"))
        }
        if bytes > maximumUntaggedBytes {
            throw fail(TransportError(.protocolError, "the IMAP server sent more than \(maximumUntaggedBytes) bytes of untagged responses to one command"))
        }
    }

    private func parseFetch(_ response: IMAPResponse) throws(TransportError) -> FetchResponse? {
        do {
            return try FetchResponse(response)
        } catch {
            throw fail(TransportError(.protocolError, error.reason))
        }
    }

    /// The next whole response, receiving as needed until `deadline`.
    private func receive(until deadline: inout Deadline) throws(TransportError) -> IMAPResponse {
        if let broken { throw broken }
        while true {
            do {
                if let response = try framer.next() { return response }
            } catch {
                throw fail(TransportError(.protocolError, error.reason))
            }
            let remaining = deadline.remaining
            guard remaining > 0 else {
                throw fail(TransportError(.timeout, "the IMAP server did not finish its answer within \(Int(deadline.timeout))s"))
            }
            let received: Int
            let wait = min(remaining, connection.timeout)
            do {
                received = try connection.receive(into: receiveBuffer, timeout: wait)
            } catch where error.kind == .timeout && wait < connection.timeout {
                throw fail(TransportError(.timeout, "the IMAP server did not finish its answer within \(Int(deadline.timeout))s"))
            } catch {
                throw fail(error)
            }
            guard received > 0 else {
                let said = farewell.map { " (it said: \($0))" } ?? ""
                throw fail(TransportError(.connection, "the IMAP server closed the connection\(said)"))
            }
            framer.append(UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<received]))
        }
    }

    private func requireOK(_ response: IMAPResponse, what: String) throws(TransportError) {
        let (status, rest) = response.status
        guard status == "OK" else {
            // A NO or BAD is an answer: the stream is still in step, but the caller decides what now.
            let error = TransportError(.rejected, "\(what): the IMAP server answered \(status) \(rest)")
            throw fail(error)
        }
    }

    /// An IMAP quoted string. Mailbox names with non-ASCII characters would need modified UTF-7; we refuse them in the config.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
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

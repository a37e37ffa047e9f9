/// Where the mailbox cursor may stand while a poll files messages: never past a UID that has
/// not been filed. The server listed `listed` (ascending, from the cursor on); some were filed
/// in earlier runs. Filing a message may move the cursor only up to the highest UID below which
/// every listed UID is filed: a message the server listed but did not deliver (a lying server,
/// or one expunged in between) keeps the cursor in front of it, so the next poll asks again
/// rather than skipping it for good. Pure, so its rule is tested without a server.
public struct CursorAdvance: Sendable, Equatable {
    private let listed: [UInt32]
    private var done: Set<UInt32>
    /// Index into `listed` of the first UID not yet filed.
    private var frontier = 0
    /// The cursor before this poll.
    public let start: UInt32

    public init(start: UInt32, listed: [UInt32], alreadyFiled: Set<UInt32>) {
        self.start = start
        self.listed = listed.sorted()
        done = alreadyFiled
        advance()
    }

    /// The UIDs still to fetch, in order.
    public var toFetch: [UInt32] { listed.filter { !done.contains($0) } }

    /// Listed UIDs not filed (yet).
    public var missing: [UInt32] { Array(listed[frontier...].filter { !done.contains($0) }) }

    /// The cursor as things stand: the start, or the last UID of the filed prefix.
    public var cursor: UInt32 { frontier == 0 ? start : max(start, listed[frontier - 1]) }

    /// Records that `uid` is filed (in the transaction that will save `cursor`) and returns the new cursor.
    @discardableResult
    public mutating func filed(_ uid: UInt32) -> UInt32 {
        done.insert(uid)
        advance()
        return cursor
    }

    private mutating func advance() {
        while frontier < listed.count, done.contains(listed[frontier]) { frontier += 1 }
    }
}

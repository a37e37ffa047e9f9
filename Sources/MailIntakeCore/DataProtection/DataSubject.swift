/// A person who asks what the office holds about them, or asks for it to be erased (GDPR Articles
/// 15 and 17): the addresses they write from, as the keys their mail is found by. Matching ignores
/// case (in the local part too: people type their address as they like, and no mail system the
/// office deals with tells two people apart by it) and the form of an internationalised domain
/// (`žiga@čebelar.si` and `žiga@xn--ebelar-x5a.si` are one address).
public struct DataSubject: Sendable, Equatable {
    /// The addresses as given (for the person's own README, never for the audit trail).
    public let addresses: [String]
    public let keys: Set<String>

    /// Throws `InvalidAddress`, naming the text, when one of `addresses` is not an address.
    public init(addresses: [String]) throws(InvalidAddress) {
        var keys = Set<String>()
        for address in addresses {
            guard let key = Self.key(address) else { throw InvalidAddress(text: address) }
            keys.insert(key)
        }
        self.addresses = addresses
        self.keys = keys
    }

    public struct InvalidAddress: Error, CustomStringConvertible {
        public let text: String
        public var description: String { "`\(text)` is not an e-mail address; give the address the person writes from, such as ana.novak@example.si" }
    }

    /// The comparison key of an address: the local part in lower case, `@`, the domain in
    /// lower-case A-labels. nil when `address` is not one.
    public static func key(_ address: String) -> String? {
        guard let parsed = MailAddress(validating: address) else { return nil }
        return parsed.localPart.lowercased() + "@" + Punycode.domainToASCII(parsed.domain).lowercased()
    }

    /// Whether a stored address (an inquiry's author, its Reply-To) is one of this person's.
    public func matches(_ stored: String?) -> Bool {
        guard let stored, let key = Self.key(stored) else { return false }
        return keys.contains(key)
    }

    /// The keyed hashes the audit trail records instead of the addresses: with the database's
    /// key, the same address gives the same hash (a repeated request is recognisable), and the
    /// trail alone reveals no address.
    public func hashes(key: [UInt8]) -> [String] {
        keys.sorted().map { Self.hash($0, key: key) }
    }

    public static func hash(_ addressKey: String, key: [UInt8]) -> String {
        String(HMACSHA256.hex(key: key, message: Array(addressKey.utf8)).prefix(32))
    }
}

/// An e-mail address (RFC 5322 addr-spec) with an optional display name.
///
/// `init(validating:)` accepts only what is safe to put on an SMTP envelope or in a header we
/// write: no whitespace, no CR/LF, no angle brackets, one `@`, a dot-atom-like local part and a
/// host name. Anything else is not used as a recipient. Internationalised addresses (RFC 6530–
/// 6532) are addresses too: UTF-8 letters in the local part and IDN labels in the domain.
public struct MailAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    public let address: String
    public let displayName: String?

    public init?(validating text: String, displayName: String? = nil) {
        let trimmed = text.trimmed()
        switch Self.checkASCII(trimmed) {
        case .valid(let address):
            self.address = address
        case .invalid:
            return nil
        case .notASCII:
            guard let address = Self.validatedByCharacters(trimmed) else { return nil }
            self.address = address
        }
        let name = displayName?.trimmed()
        self.displayName = (name?.isEmpty ?? true) ? nil : name
    }

    public var domain: String { String(address[address.index(after: address.lastIndex(of: "@")!)...]) }
    public var localPart: String { String(address[..<address.lastIndex(of: "@")!]) }

    public var description: String { address }

    /// The local part is not ASCII: only a server that speaks SMTPUTF8 (RFC 6531) can take it.
    public var needsSMTPUTF8: Bool { !localPart.unicodeScalars.allSatisfy(\.isASCII) }

    /// The address with its domain in IDNA form (A-labels, `xn--…`): what the envelope and our
    /// headers carry when only the domain is internationalised, so the mail stays 7-bit.
    public var asciiDomainAddress: String {
        address.utf8.allSatisfy { $0 < 0x80 } ? address : localPart + "@" + Punycode.domainToASCII(domain)
    }

    /// The same rules as below for an address all in ASCII, checked on its bytes: the answer of
    /// the Character walk (every parsed sender, every recipient of our mail, twice each — a
    /// Character's properties per letter were 2 % of an end-to-end run's CPU). A valid address
    /// comes back with its domain in lower case.
    static func checkASCII(_ text: String) -> ASCIICheck {
        text.utf8.withContiguousStorageIfAvailable { bytes -> ASCIICheck in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return .notASCII }
            guard let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return .invalid }
            let local = bytes[..<at], domain = bytes[(at + 1)...]
            guard !local.isEmpty, local.count <= 64, local.first != UInt8(ascii: "."), local.last != UInt8(ascii: ".") else { return .invalid }
            var previous: UInt8 = 0
            for byte in local {
                guard isASCIIAlphanumeric(byte) || asciiLocalSpecials.contains(byte), !(byte == UInt8(ascii: ".") && previous == byte) else { return .invalid }
                previous = byte
            }
            guard !domain.isEmpty, domain.count <= 253 else { return .invalid }
            for label in domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
                guard !label.isEmpty, label.count <= 63, label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-"),
                      label.allSatisfy({ isASCIIAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else { return .invalid }
            }
            var address = Array(bytes)
            for index in (at + 1)..<address.count where (0x41...0x5A).contains(address[index]) { address[index] |= 0x20 }
            return .valid(String(decoding: address, as: UTF8.self))
        } ?? .notASCII
    }

    enum ASCIICheck: Equatable { case valid(String), invalid, notASCII }

    /// The address checked Character by Character, its domain in lower case; nil when invalid.
    static func validatedByCharacters(_ trimmed: String) -> String? {
        guard let at = trimmed.lastIndex(of: "@") else { return nil }
        let local = trimmed[..<at]
        let domain = trimmed[trimmed.index(after: at)...]
        guard isValidLocalPart(local), isValidDomain(domain) else { return nil }
        return String(local) + "@" + domain.lowercased()
    }

    private static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    private static let asciiLocalSpecials = Set("!#$%&'*+-/=?^_`{|}~.".utf8)

    private static let localSpecials = Set("!#$%&'*+-/=?^_`{|}~.")

    private static func isValidLocalPart(_ local: Substring) -> Bool {
        guard !local.isEmpty, local.utf8.count <= 64, local.first != ".", local.last != ".", !local.contains("..") else { return false }
        return local.allSatisfy { $0.isASCII ? ($0.isLetter || $0.isNumber || localSpecials.contains($0)) : isInternationalCharacter($0) }
    }

    private static func isValidDomain(_ domain: Substring) -> Bool {
        guard !domain.isEmpty, domain.utf8.count <= 253 else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII ? ($0.isLetter || $0.isNumber || $0 == "-") : isInternationalCharacter($0) }
        }
    }

    /// A non-ASCII letter, digit or mark (RFC 6531's UTF8-non-ascii, less what could hide or
    /// reorder text: controls, spaces, bidirectional overrides, line separators).
    private static func isInternationalCharacter(_ character: Character) -> Bool {
        (character.isLetter || character.isNumber || character.unicodeScalars.allSatisfy { $0.properties.generalCategory == .nonspacingMark || $0.properties.generalCategory == .spacingMark || $0.properties.isAlphabetic })
            && !character.unicodeScalars.contains { PrintableText.isUnsafe($0) || $0.properties.isWhitespace }
    }
}

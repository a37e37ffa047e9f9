import FoundationEssentials

/// An INI-style file as admins know it from systemd and git: `[section]`, `key = value`,
/// and whole-line `#` or `;` comments. Values are taken verbatim after trimming, so a `#`
/// inside a value (a password file path, a URL fragment) is never mistaken for a comment.
public struct INIFile: Sendable {
    /// One `key = value` line and where it stood.
    public struct Entry: Sendable, Equatable {
        public let section: String
        public let key: String
        public let value: String
        public let line: Int
    }

    public let path: String
    public let entries: [Entry]
    /// The line on which each section was (first) opened, for errors about missing keys.
    public let sectionLines: [String: Int]

    public init(path: String, text: String) throws(ConfigurationError) {
        self.path = path
        var entries: [Entry] = []
        var sectionLines: [String: Int] = [:]
        var section: String?
        var lineNumber = 0
        // "\r\n" is one Character in Swift: a file with Windows line ends splits on it too.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = rawLine.trimmed()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else {
                    throw ConfigurationError(file: path, line: lineNumber, key: nil,
                                             message: "a section header must look like [name]")
                }
                let name = String(line.dropFirst().dropLast()).trimmed().lowercased()
                section = name
                if sectionLines[name] == nil { sectionLines[name] = lineNumber }
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigurationError(file: path, line: lineNumber, key: nil,
                                         message: "expected `key = value`, a [section] or a # comment")
            }
            let key = line[..<equals].trimmed().lowercased()
            let value = line[line.index(after: equals)...].trimmed()
            guard let current = section else {
                throw ConfigurationError(file: path, line: lineNumber, key: key,
                                         message: "this key stands before any [section]; put it under the section it belongs to")
            }
            guard !key.isEmpty else {
                throw ConfigurationError(file: path, line: lineNumber, key: nil, message: "a key name is missing before `=`")
            }
            if let earlier = entries.first(where: { $0.section == current && $0.key == key }) {
                throw ConfigurationError(file: path, line: lineNumber, key: "\(current).\(key)",
                                         message: "set twice (first on line \(earlier.line)); keep one")
            }
            entries.append(Entry(section: current, key: key, value: value, line: lineNumber))
        }
        self.entries = entries
        self.sectionLines = sectionLines
    }

    public func entry(_ section: String, _ key: String) -> Entry? {
        entries.first { $0.section == section && $0.key == key }
    }
}

/// A configuration problem, always naming the file, the line and the key, and saying what to do.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let key: String?
    public let message: String

    public init(file: String, line: Int, key: String?, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        if let key { return "\(file):\(line): \(key): \(message)" }
        return "\(file):\(line): \(message)"
    }
}

import FoundationEssentials

/// A small structured logger in the shape of swift-log: a value type with a label, a level and
/// metadata, writing through a `LogSink`. Libraries accept a logger; only `main` builds one.
///
/// Never log passwords, message bodies or (above debug) e-mail addresses: callers pass only
/// references, UIDs and counts at info level and above.
public struct Logger: Sendable {
    /// Severity, in syslog order so that `<N>` prefixes map straight onto journald priorities.
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case error = 3, warning = 4, notice = 5, info = 6, debug = 7

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue > rhs.rawValue }

        public init?(name: String) {
            switch name.lowercased() {
            case "error": self = .error
            case "warning", "warn": self = .warning
            case "notice": self = .notice
            case "info": self = .info
            case "debug": self = .debug
            default: return nil
            }
        }

        public var name: String {
            switch self {
            case .error: "error"
            case .warning: "warning"
            case .notice: "notice"
            case .info: "info"
            case .debug: "debug"
            }
        }
    }

    public let label: String
    public var level: Level
    public var metadata: [String: String]
    private let sink: LogSink

    public init(label: String, level: Level = .info, sink: LogSink = StandardErrorSink.shared) {
        self.label = label
        self.level = level
        self.metadata = [:]
        self.sink = sink
    }

    public func log(_ level: Level, _ message: @autoclosure () -> String, _ extra: [String: String] = [:]) {
        guard level >= self.level else { return }
        var all = metadata
        for (key, value) in extra { all[key] = value }
        let rendered = all.keys.sorted().map { "\($0)=\(Self.quoteIfNeeded(all[$0] ?? ""))" }.joined(separator: " ")
        var line = rendered.isEmpty ? "\(label): \(message())" : "\(label): \(message()) \(rendered)"
        // E-mail addresses are personal data: shown only when the admin asked for debug logging.
        // (A server's error text, for one, may name the recipient.)
        if self.level > .debug { line = Self.redactingAddresses(line) }
        // CR/LF would let text from a message forge a second journal entry, and escape
        // sequences would reach the terminal of whoever reads the log.
        sink.write(level: level, line: PrintableText.safe(line))
    }

    public func error(_ message: @autoclosure () -> String, _ extra: [String: String] = [:]) { log(.error, message(), extra) }
    public func warning(_ message: @autoclosure () -> String, _ extra: [String: String] = [:]) { log(.warning, message(), extra) }
    public func notice(_ message: @autoclosure () -> String, _ extra: [String: String] = [:]) { log(.notice, message(), extra) }
    public func info(_ message: @autoclosure () -> String, _ extra: [String: String] = [:]) { log(.info, message(), extra) }
    public func debug(_ message: @autoclosure () -> String, _ extra: [String: String] = [:]) { log(.debug, message(), extra) }

    /// `ana.novak@gmail.com` becomes `…@gmail.com`: the domain says enough to diagnose.
    static func redactingAddresses(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "@")) else { return text }  // on bytes: every field of every line asks
        let isLocal: (Character) -> Bool = { $0.isLetter || $0.isNumber || "._%+-".contains($0) }
        var output = ""
        var pending = ""  // a run of characters that may be the local part of an address
        for character in text {
            if character == "@", !pending.isEmpty {
                output += "…@"
                pending = ""
            } else if isLocal(character) {
                pending.append(character)
            } else {
                output += pending
                output.append(character)
                pending = ""
            }
        }
        return output + pending
    }

    private static func quoteIfNeeded(_ value: String) -> String {
        value.utf8.contains(where: { $0 == 0x20 || $0 == 0x22 }) ? "\"\(value.replacing("\"", with: "'"))\"" : value
    }
}

/// Where log lines go.
public protocol LogSink: Sendable {
    func write(level: Logger.Level, line: String)
}

/// Writes `<N>line` to stderr, which journald reads as the line's priority.
public final class StandardErrorSink: LogSink, @unchecked Sendable {
    public static let shared = StandardErrorSink()
    // One lock so that lines from the worker and main queues never interleave mid-line.
    private let lock = Lock()

    public func write(level: Logger.Level, line: String) {
        let bytes = Array("<\(level.rawValue)>\(line)\n".utf8)
        lock.lock()
        defer { lock.unlock() }
        // write(2) on fd 2: unbuffered, so a line is in the journal before a crash could lose it.
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }
}

/// Keeps lines in memory, for tests that assert what was logged.
public final class InMemorySink: LogSink, @unchecked Sendable {
    private let lock = Lock()
    private var stored: [(Logger.Level, String)] = []

    public init() {}

    public func write(level: Logger.Level, line: String) {
        lock.lock()
        stored.append((level, line))
        lock.unlock()
    }

    public var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return stored.map { "<\($0.0.rawValue)>\($0.1)" }
    }
}

import FoundationEssentials
import MailStore
import MailIntakeCore

/// The last cycle's health, also kept outside the database in `<database>.health`: when the
/// database cannot be written (the disk is full, the file system read-only), the cycle's error
/// must still reach `mailintake status`, which once said "last error: none" after a disk-full
/// failure. The file is made once at full size and from then on only overwritten in place
/// (`pwrite` at offset 0, padded), which needs no new blocks: it works on a full disk.
public struct HealthFile: Sendable {
    public let path: String
    static let size = 4096

    public init(databasePath: String) {
        path = databasePath + ".health"
    }

    /// Creates the file at its full size if it is not there (while there is room).
    public func prepare() {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        // Staff in the service's group read it for `status` (`FileModes`: the folder decides).
        fchmod(descriptor, FileModes.personalData(besides: path) & 0o640)
        let blank = [UInt8](repeating: 0x20, count: Self.size)
        _ = blank.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, Self.size, 0) }
    }

    /// Overwrites the file with `values` (JSON, padded with spaces). Best effort: a failure is the caller's to ignore.
    @discardableResult
    public func write(_ values: [String: String]) -> Bool {
        var state = values
        var bytes = Self.encode(state)
        while bytes.count > Self.size, let error = state["last_error"], !error.isEmpty {
            state["last_error"] = String(error.prefix(error.count / 2))
            bytes = Self.encode(state)
        }
        guard bytes.count <= Self.size else { return false }
        bytes += [UInt8](repeating: 0x20, count: Self.size - bytes.count)
        let descriptor = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, Self.size, 0) } == Self.size
    }

    /// Records a failure before any cycle could run (the database cannot even be opened), keeping
    /// what the file knew of the last success.
    public func recordFailure(_ error: String, at now: Date = Date()) {
        var values = read() ?? [:]
        values["last_poll_at"] = MailDate.iso8601(now)
        values["last_poll_ok"] = "0"
        values["last_error"] = error
        values["recorded_in_database"] = "0"
        write(values)
    }

    /// What the file holds, or nil when it is missing or blank.
    public func read() -> [String: String]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode([String: String].self, from: data.trimmingTrailingSpaces())
    }

    /// One JSON object, keys in byte order (`JSONValue`: JSONSerialization's sorted keys compared
    /// with a locale, which loaded ICU's collation tables into every cycle — a profile of the idle
    /// daemon's page faults put 5 MB of its RSS here, docs/PERFORMANCE.md).
    static func encode(_ values: [String: String]) -> [UInt8] {
        JSONValue.object(values.mapValues { .string($0) }).serialized()
    }
}

extension Data {
    fileprivate func trimmingTrailingSpaces() -> Data {
        var end = endIndex
        while end > startIndex, self[index(before: end)] == 0x20 || self[index(before: end)] == 0 { end = index(before: end) }
        return self[startIndex..<end]
    }
}

import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// systemd's notification protocol without libsystemd: one datagram of `KEY=value` lines to
/// the AF_UNIX socket named in `$NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace).
/// Without the variable (not under systemd) every call does nothing.
public final class SystemdNotifier: @unchecked Sendable {
    // @unchecked: the descriptor and address are written once in init and only read after.
    private let descriptor: Int32
    private var address = sockaddr_un()
    private var addressLength: socklen_t = 0
    /// Half of `$WATCHDOG_USEC` when the watchdog is on for this process: how often to ping.
    public let watchdogInterval: TimeInterval?

    public var isActive: Bool { descriptor >= 0 }

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        var interval: TimeInterval?
        if let microseconds = environment["WATCHDOG_USEC"].flatMap(UInt64.init), microseconds > 0,
           environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true {
            interval = Double(microseconds) / 2_000_000
        }
        watchdogInterval = interval
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty, path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else {
            descriptor = -1
            return
        }
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        addressLength = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Sends `state` (e.g. "READY=1\nSTATUS=…"); failures are ignored, as sd_notify's are:
    /// a service must not stop because its supervisor did not listen.
    public func notify(_ state: String) {
        guard descriptor >= 0 else { return }
        var message = Array(state.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                sendto(descriptor, &message, message.count, Int32(MSG_NOSIGNAL), socketAddress, addressLength)
            }
        }
    }

    public func ready(status: String) { notify("READY=1\nSTATUS=\(Self.oneLine(status))") }
    public func status(_ text: String) { notify("STATUS=\(Self.oneLine(text))") }
    public func watchdog() { notify("WATCHDOG=1") }
    public func reloading() { notify("RELOADING=1\nSTATUS=reloading the configuration") }
    public func stopping() { notify("STOPPING=1\nSTATUS=stopping after the message in hand") }

    static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 }.prefix(200))
    }
}

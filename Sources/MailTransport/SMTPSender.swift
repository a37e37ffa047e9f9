import CCurl
import CCurlShim
import Foundation

/// Settings for the SMTP submission server.
public struct SMTPEndpoint: Sendable {
    public var url: URL
    public var user: String?
    public var password: String?
    public var caFile: String?
    public var timeout: TimeInterval
    /// The name we greet with in EHLO (our Message-ID domain).
    public var heloName: String

    public init(url: URL, user: String?, password: String?, caFile: String?, timeout: TimeInterval, heloName: String) {
        self.url = url
        self.user = user
        self.password = password
        self.caFile = caFile
        self.timeout = timeout
        self.heloName = heloName
    }
}

/// Sends mail through libcurl's SMTP: SMTPS or STARTTLS (required, verified), AUTH when a user
/// is set. One sender keeps its handle, so consecutive messages reuse the connection.
public final class SMTPSender {
    private let endpoint: SMTPEndpoint
    private var curl: CurlEasy?

    public init(endpoint: SMTPEndpoint) {
        self.endpoint = endpoint
    }

    /// Submits `content` (a complete RFC 5322 message with CRLF line ends) from `sender` to
    /// `recipient`. Returns the server's final reply line, such as `250 2.0.0 Ok: queued as 4F2`.
    public func send(content: [UInt8], sender: String, recipient: String) throws(TransportError) -> String {
        let curl = try handle()
        let upload = UploadState(content: content)
        let box = Unmanaged.passRetained(upload)
        defer { box.release() }
        try curl.set(CURLOPT_MAIL_FROM, string: "<\(sender)>")
        try curl.set(CURLOPT_MAIL_RCPT, list: ["<\(recipient)>"])
        try curl.set(CURLOPT_UPLOAD, 1)
        try curl.set(CURLOPT_INFILESIZE_LARGE, content.count)
        try curl.set(CURLOPT_READDATA, pointer: box.toOpaque())
        try curl.set(CURLOPT_READFUNCTION, callback: { buffer, size, count, userdata in
            guard let buffer, let userdata else { return 0 }
            let state = Unmanaged<UploadState>.fromOpaque(userdata).takeUnretainedValue()
            return state.read(into: buffer, capacity: size * count)
        })
        try curl.set(CURLOPT_DEBUGDATA, pointer: box.toOpaque())
        try curl.set(debug: { _, type, data, size, userdata in
            // Only the server's replies (CURLINFO_HEADER_IN); our own lines may hold credentials.
            guard type == CURLINFO_HEADER_IN, let data, let userdata else { return 0 }
            let state = Unmanaged<UploadState>.fromOpaque(userdata).takeUnretainedValue()
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
            state.lastReply = line.trimmingCharacters(in: .whitespacesAndNewlines)
            return 0
        })
        try curl.set(CURLOPT_VERBOSE, 1)  // needed for the debug callback; nothing is printed
        do {
            try curl.perform("sending mail to the SMTP server")
        } catch {
            // The handle may be in a broken state (half-open connection): start afresh next time.
            self.curl = nil
            let reply = upload.lastReply
            let code = reply.flatMap { Int($0.prefix(3)) } ?? error.replyCode
            let kind: TransportError.Kind = (code ?? 0) >= 400 ? .rejected : error.kind
            let message = reply.map { "\(error.message); the server said: \($0)" } ?? error.message
            throw TransportError(kind, message, curlCode: error.curlCode, replyCode: code, serverReply: reply)
        }
        return upload.lastReply ?? "\(curl.responseCode())"
    }

    private func handle() throws(TransportError) -> CurlEasy {
        if let curl { return curl }
        let curl = try CurlEasy()
        var components = URLComponents(url: endpoint.url, resolvingAgainstBaseURL: false)
        components?.path = "/" + endpoint.heloName  // libcurl takes the EHLO name from the URL's path
        guard let url = components?.string else { throw TransportError(.configuration, "unusable SMTP URL \(endpoint.url)") }
        try curl.set(CURLOPT_URL, string: url)
        if let user = endpoint.user { try curl.set(CURLOPT_USERNAME, string: user) }
        if let password = endpoint.password { try curl.set(CURLOPT_PASSWORD, string: password) }
        try curl.configureTLS(caFile: endpoint.caFile)
        try curl.configureTimeouts(connect: endpoint.timeout)
        try curl.set(CURLOPT_TIMEOUT_MS, Int(endpoint.timeout * 1000))
        self.curl = curl
        return curl
    }
}

/// The bytes being uploaded and the server's last reply, reached from C callbacks through `Unmanaged`
/// for the span of one synchronous perform.
private final class UploadState {
    let content: [UInt8]
    var offset = 0
    var lastReply: String?

    init(content: [UInt8]) { self.content = content }

    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, content.count - offset)
        guard count > 0 else { return 0 }
        content.withUnsafeBytes { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

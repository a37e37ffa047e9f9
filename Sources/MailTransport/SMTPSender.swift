import CCurl
import CCurlShim
import FoundationEssentials
import MailIntakeCore

/// Sends mail through libcurl's SMTP: SMTPS or STARTTLS (required, verified), AUTH when a user
/// is set. One sender keeps its handle, so consecutive messages reuse the connection.
public final class SMTPSender {
    private let endpoint: SMTPSettings
    /// The name we greet with in EHLO (our Message-ID domain).
    private let heloName: String
    private var curl: CurlEasy?
    /// The total deadline of one submission, in timeouts: connect, TLS, greeting, AUTH, envelope and data.
    static let phases = 4.0

    /// The core's settings, taken as they are: no mirror of them in the transport.
    public init(settings: SMTPSettings, heloName: String) {
        endpoint = settings
        self.heloName = heloName
    }

    /// Submits `content` (a complete RFC 5322 message with CRLF line ends) from `sender` to
    /// `recipient`. Returns the server's final reply line, such as `250 2.0.0 Ok: queued as 4F2`.
    /// Throws `.unconfirmed` when the server took the whole message and gave no answer to it.
    public func send(content: [UInt8], sender: String, recipient: String, handingOver: () throws -> Void = {}) throws(TransportError) -> String {
        try withoutActuallyEscaping(handingOver) { handingOver throws(TransportError) -> String in
            guard let oauth = endpoint.authentication.oauth2 else {
                return try submit(content: content, sender: sender, recipient: recipient, bearer: nil, handingOver: handingOver)
            }
            // A refused token fails at AUTH, before the envelope: trying once more with a new one cannot send twice.
            return try TokenSources.withAccessToken(oauth) { token throws(TransportError) in
                try submit(content: content, sender: sender, recipient: recipient, bearer: token, handingOver: handingOver)
            }
        }
    }

    private func submit(content: [UInt8], sender: String, recipient: String, bearer: String?,
                        handingOver: @escaping () throws -> Void) throws(TransportError) -> String {
        let curl = try handle()
        // Set for every message: a reused connection ignores it, a new one logs in with the current token.
        if let bearer { try curl.configureBearer(bearer) }
        // The handle owns the transfer and is its callbacks' userdata: nothing they point at
        // can be freed while libcurl still holds the pointer.
        let upload = UploadState(content: content, handingOver: handingOver)
        curl.upload = upload
        defer { curl.upload = nil }
        try curl.set(CURLOPT_MAIL_FROM, string: "<\(sender)>")
        // An IDN domain goes as A-labels (7-bit, any server takes it); a UTF-8 local part as it is:
        // libcurl (7.88 too) then adds SMTPUTF8 to MAIL FROM when the server offers it.
        let address = MailAddress(validating: recipient)
        let international = address?.needsSMTPUTF8 ?? false
        try curl.set(CURLOPT_MAIL_RCPT, list: ["<\(address?.asciiDomainAddress ?? recipient)>"])
        try curl.set(CURLOPT_UPLOAD, 1)
        // No CURLOPT_INFILESIZE: with a known size libcurl stops reading at the last byte and
        // never asks again, and that asking (the read returning 0) is the moment before the final
        // dot when `handingOver` commits `sending`. (It costs only the SIZE= hint in MAIL FROM.)
        try curl.set(CURLOPT_INFILESIZE_LARGE, offset: -1)
        do {
            try curl.perform("sending mail to the SMTP server")
        } catch {
            // The handle may be in a broken state (half-open connection): start afresh next time.
            self.curl = nil
            if let failure = upload.handoverFailure {
                // We withdrew the message before its end: the server discards it; it stays ours to send.
                throw TransportError(.configuration, "the message was withdrawn before its end because its state could not be recorded: \(failure)")
            }
            // The refusal itself, not the 221 that answers libcurl's QUIT after it.
            let reply = upload.refusal ?? upload.lastReply
            let code = reply.flatMap { Int($0.prefix(3)) } ?? error.replyCode
            // All of the message went to libcurl after the server's 354, and no reply to it came:
            // the server may have queued it. Sending it again could deliver it twice.
            if upload.finished, code == 354 {
                throw TransportError(.unconfirmed, "the SMTP server took the whole message and then gave no answer (\(error.message))",
                                     curlCode: error.curlCode, serverReply: reply)
            }
            // A 4xx/5xx to MAIL or RCPT is the server's answer about this mail (libcurl reports it
            // as a send error): rejected, whatever CURLcode came with it.
            let kind: TransportError.Kind = (code ?? 0) >= 400 && error.kind != .authentication ? .rejected : error.kind
            var message = reply.map { "\(error.message); the server said: \($0)" } ?? error.message
            if international, (code ?? 0) >= 500, !upload.serverOffersSMTPUTF8 {
                message = "\(recipient) has non-ASCII characters before the @ (RFC 6531), which only a server that speaks SMTPUTF8 accepts, and this SMTP server does not: \(message)"
            }
            throw TransportError(kind, message, curlCode: error.curlCode, replyCode: code, serverReply: reply)
        }
        return upload.lastReply ?? "\(curl.responseCode())"
    }

    private func handle() throws(TransportError) -> CurlEasy {
        if let curl { return curl }
        let curl = try CurlEasy()
        var components = URLComponents(url: endpoint.url, resolvingAgainstBaseURL: false)
        components?.path = "/" + heloName  // libcurl takes the EHLO name from the URL's path
        guard let url = components?.string else { throw TransportError(.configuration, "unusable SMTP URL \(endpoint.url)") }
        try curl.set(CURLOPT_URL, string: url)
        try curl.installUploadCallbacks()
        if let user = endpoint.user { try curl.set(CURLOPT_USERNAME, string: user) }
        if case .password(let password?) = endpoint.authentication { try curl.set(CURLOPT_PASSWORD, string: password.value) }
        try curl.configureTLS(caFile: endpoint.caFile)
        // Every phase within `timeout`: connecting, each reply of the server (libcurl's own default
        // is 120 s), and the whole exchange within a few of them.
        try curl.configureTimeouts(connect: endpoint.timeout)
        try curl.set(CURLOPT_SERVER_RESPONSE_TIMEOUT, CurlEasy.milliseconds(endpoint.timeout, maximum: Int(Int32.max)) / 1000 + 1)
        try curl.set(CURLOPT_TIMEOUT_MS, CurlEasy.milliseconds(endpoint.timeout * Self.phases, maximum: Int(Int32.max)) as Int)
        self.curl = curl
        return curl
    }
}

/// The bytes being uploaded and the server's last reply: held by the handle (`CurlEasy.upload`)
/// for the span of one synchronous perform, and reached by its callbacks through the handle.
final class UploadState {
    let content: [UInt8]
    var offset = 0
    var lastReply: String?
    /// The first 4xx or 5xx reply of the exchange.
    var refusal: String?
    /// The server's EHLO offered SMTPUTF8 (seen only on a new connection).
    var serverOffersSMTPUTF8 = false
    /// libcurl has read every byte: what follows is the final dot and the server's answer to it.
    var finished = false
    /// Runs once, when libcurl asks for more after the last byte: the end of the data is next.
    private var handingOver: (() throws -> Void)?
    var handoverFailure: Error?

    init(content: [UInt8], handingOver: @escaping () throws -> Void = {}) {
        self.content = content
        self.handingOver = handingOver
    }

    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, content.count - offset)
        guard count > 0 else {
            if let handover = handingOver {
                handingOver = nil
                do {
                    try handover()
                } catch {
                    // Abort: libcurl drops the connection without the final dot.
                    handoverFailure = error
                    return Int(CURL_READFUNC_ABORT)
                }
            }
            finished = true
            return 0
        }
        content.withUnsafeBytes { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

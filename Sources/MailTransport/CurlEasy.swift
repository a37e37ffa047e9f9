import CCurl
import CCurlShim
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// A libcurl easy handle: owns the C handle and its error buffer and frees both in `deinit`.
/// One method per option we use; each maps libcurl's CURLcode to a `TransportError` rather
/// than trapping, because a daemon must report and carry on. Not Sendable: one queue uses it.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The upload in progress, which the read and debug callbacks reach through the handle.
    var upload: UploadState?
    /// The body being received (HTTPS), which the write callback reaches through the handle.
    var download: DownloadState?

    /// Where the connection's OpenSSL session is kept (`rememberTLSSession`): owned by this
    /// handle, freed after `curl_easy_cleanup`, so it outlives the connection.
    private let tlsSession: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    /// One string list per option, freed when the option is set again and with the handle.
    private var lists: [UInt32: UnsafeMutablePointer<curl_slist>] = [:]

    /// `curl_global_init` must run once before any handle exists and before other threads start;
    /// a static let is initialised exactly once, thread-safely.
    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    init() throws(TransportError) {
        _ = Self.globalInit
        guard let handle = curl_easy_init() else { throw TransportError(.configuration, "libcurl could not create a handle (out of memory?)") }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        tlsSession = .allocate(capacity: 1)
        tlsSession.initialize(to: nil)
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
        try set(CURLOPT_NOSIGNAL, 1)  // no SIGALRM for DNS timeouts: we are multi-threaded
    }

    deinit {
        // Cleanup may still talk to the server (SMTP's QUIT); the callbacks must not reach a
        // handle that is going away.
        _ = mi_curl_setopt_long(handle, CURLOPT_VERBOSE, 0)
        _ = mi_curl_setopt_pointer(handle, CURLOPT_DEBUGDATA, nil)
        _ = mi_curl_setopt_pointer(handle, CURLOPT_READDATA, nil)
        _ = mi_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, nil)
        curl_easy_cleanup(handle)
        lists.values.forEach { curl_slist_free_all($0) }
        errorBuffer.deallocate()
        tlsSession.deallocate()
    }

    /// The libcurl version string, for `check-config` and bug reports.
    static var version: String { String(cString: curl_version()) }

    // MARK: options (https://curl.se/libcurl/c/curl_easy_setopt.html)

    func set(_ option: CURLoption, _ value: Int) throws(TransportError) {
        try check(mi_curl_setopt_long(handle, option, value), "setting option \(option.rawValue)")
    }

    func set(_ option: CURLoption, string: String) throws(TransportError) {
        // libcurl copies string options (since 7.17), so the Swift string need not outlive the call.
        try check(mi_curl_setopt_string(handle, option, string), "setting option \(option.rawValue)")
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws(TransportError) {
        try check(mi_curl_setopt_pointer(handle, option, pointer), "setting option \(option.rawValue)")
    }

    func set(_ option: CURLoption, callback: mi_curl_data_callback) throws(TransportError) {
        try check(mi_curl_setopt_data_callback(handle, option, callback), "setting callback \(option.rawValue)")
    }

    func set(debug callback: mi_curl_debug_callback) throws(TransportError) {
        try check(mi_curl_setopt_debug_callback(handle, callback), "setting the debug callback")
    }

    func set(_ option: CURLoption, offset: Int64) throws(TransportError) {
        try check(mi_curl_setopt_off_t(handle, option, curl_off_t(offset)), "setting option \(option.rawValue)")
    }

    /// Sets a string-list option (CURLOPT_MAIL_RCPT). The list replaces the option's previous one,
    /// which is freed once libcurl no longer points at it; an empty list clears the option.
    func set(_ option: CURLoption, list: [String]) throws(TransportError) {
        var head: UnsafeMutablePointer<curl_slist>?
        for item in list {
            guard let next = curl_slist_append(head, item) else {
                curl_slist_free_all(head)
                throw TransportError(.configuration, "libcurl could not build a list (out of memory?)")
            }
            head = next
        }
        try set(option, pointer: head.map(UnsafeMutableRawPointer.init))
        if let previous = lists[option.rawValue] { curl_slist_free_all(previous) }
        lists[option.rawValue] = head
    }

    /// The read and debug callbacks of an upload, with the handle itself as their userdata: it
    /// lives as long as libcurl may call them, unlike a per-call box (`Unmanaged` unretained, so
    /// the handle does not keep itself alive).
    func installUploadCallbacks() throws(TransportError) {
        let me = Unmanaged.passUnretained(self).toOpaque()
        try set(CURLOPT_READDATA, pointer: me)
        try set(CURLOPT_READFUNCTION, callback: { buffer, size, count, userdata in
            guard let buffer, let userdata else { return 0 }
            let easy = Unmanaged<CurlEasy>.fromOpaque(userdata).takeUnretainedValue()
            return easy.upload?.read(into: buffer, capacity: size * count) ?? 0
        })
        try set(CURLOPT_DEBUGDATA, pointer: me)
        try set(debug: { _, type, data, size, userdata in
            // Only the server's replies (CURLINFO_HEADER_IN); our own lines may hold credentials.
            guard type == CURLINFO_HEADER_IN, let data, let userdata else { return 0 }
            let easy = Unmanaged<CurlEasy>.fromOpaque(userdata).takeUnretainedValue()
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
            easy.upload?.lastReply = line.trimmed()
            if line.hasPrefix("250"), line.uppercased().contains("SMTPUTF8") { easy.upload?.serverOffersSMTPUTF8 = true }
            if easy.upload?.refusal == nil, let first = line.first, first == "4" || first == "5" {
                easy.upload?.refusal = line.trimmed()
            }
            return 0
        })
        try set(CURLOPT_VERBOSE, 1)  // needed for the debug callback; nothing is printed
    }

    /// The write callback of an HTTPS exchange: the body is kept up to the download's limit, and a
    /// longer one ends the transfer (libcurl reports a write error).
    func installDownloadCallback() throws(TransportError) {
        try set(CURLOPT_WRITEDATA, pointer: Unmanaged.passUnretained(self).toOpaque())
        try set(CURLOPT_WRITEFUNCTION, callback: { buffer, size, count, userdata in
            guard let buffer, let userdata else { return 0 }
            let easy = Unmanaged<CurlEasy>.fromOpaque(userdata).takeUnretainedValue()
            return easy.download?.append(UnsafeRawBufferPointer(start: buffer, count: size * count)) ?? 0
        })
    }

    /// SASL XOAUTH2 with `token` (RFC-less but what Microsoft and Google speak). CURLOPT_HTTPAUTH
    /// is never set on a mail handle: with it, libcurl before 8.6 sends OAUTHBEARER even when
    /// XOAUTH2 is asked for (curl issue 10259).
    func configureBearer(_ token: String) throws(TransportError) {
        try set(CURLOPT_LOGIN_OPTIONS, string: "AUTH=XOAUTH2")
        try set(CURLOPT_XOAUTH2_BEARER, string: token)
    }

    /// TLS settings shared by IMAP and SMTP: verification always on, TLS required for plain schemes.
    func configureTLS(caFile: String?) throws(TransportError) {
        try set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        try set(CURLOPT_SSL_VERIFYPEER, 1)
        try set(CURLOPT_SSL_VERIFYHOST, 2)
        if let caFile { try set(CURLOPT_CAINFO, string: caFile) }
    }

    func configureTimeouts(connect: TimeInterval) throws(TransportError) {
        try set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(connect, maximum: Int(Int32.max)) as Int)
    }

    /// Before a CONNECT_ONLY connect: keep the connection's OpenSSL session, so that
    /// `readAheadAfterConnect` can reach it (libcurl's CURLINFO_TLS_SSL_PTR gives nothing once a
    /// CONNECT_ONLY perform has returned).
    func rememberTLSSession() throws(TransportError) {
        try check(mi_curl_remember_tls_session(handle, tlsSession), "asking for the TLS session")
    }

    /// After a CONNECT_ONLY connect: OpenSSL reads all the socket holds at once instead of each
    /// TLS record's 5-byte header and then its body (Dovecot sends 4 KiB records, so a 70 MB
    /// mailbox took 36 000 `recvfrom` calls). Only after the connect: `receive` always asks OpenSSL
    /// before it waits on the socket, so records read ahead never wait unseen; libcurl's own loops
    /// (its login, SMTP, HTTPS) ask `SSL_pending`, which does not count them, and could stall.
    /// With another TLS library, or no session remembered, nothing changes; returns whether
    /// OpenSSL now reads ahead.
    func readAheadAfterConnect() -> Bool {
        mi_tls_read_ahead(tlsSession.pointee) == 1
    }

    // MARK: transfer

    func perform(_ what: String) throws(TransportError) {
        errorBuffer[0] = 0
        try check(curl_easy_perform(handle), what)
    }

    func responseCode() -> Int {
        var code = 0
        _ = mi_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    func activeSocket() throws(TransportError) -> Int32 {
        var socket: curl_socket_t = -1
        try check(mi_curl_getinfo_socket(handle, &socket), "getting the connection's socket")
        guard socket >= 0 else { throw TransportError(.connection, "the connection is closed") }
        return socket
    }

    /// Sends all of `bytes` on a CONNECT_ONLY connection, waiting for the socket as needed.
    func send(_ bytes: [UInt8], timeout: TimeInterval) throws(TransportError) {
        var offset = 0
        while offset < bytes.count {
            var sent = 0
            let code = bytes.withUnsafeBytes { curl_easy_send(handle, $0.baseAddress! + offset, $0.count - offset, &sent) }
            if code == CURLE_AGAIN {
                try wait(events: Int16(POLLOUT), timeout: timeout)
                continue
            }
            try check(code, "sending to the server")
            offset += sent
        }
    }

    /// Receives what is available into `buffer` (at most `buffer.count` bytes); waits when nothing is.
    /// Returns 0 when the server closed the connection.
    func receive(into buffer: UnsafeMutableRawBufferPointer, timeout: TimeInterval) throws(TransportError) -> Int {
        while true {
            var received = 0
            let code = curl_easy_recv(handle, buffer.baseAddress, buffer.count, &received)
            if code == CURLE_AGAIN {
                try wait(events: Int16(POLLIN), timeout: timeout)
                continue
            }
            try check(code, "receiving from the server")
            return received
        }
    }

    private func wait(events: Int16, timeout: TimeInterval) throws(TransportError) {
        var descriptor = pollfd(fd: try activeSocket(), events: events, revents: 0)
        let ready = poll(&descriptor, 1, Self.milliseconds(timeout, maximum: Int(Int32.max)))
        if ready == 0 { throw TransportError(.timeout, "no answer from the server within \(Int(timeout))s") }
        if ready < 0, errno != EINTR { throw TransportError(.connection, "waiting for the server failed: \(String(cString: strerror(errno)))") }
    }

    /// A timeout in milliseconds for a C `int`/`long` argument: at least 1 ms, never above `maximum`
    /// (a setting of 25 days would overflow an Int32 and trap).
    static func milliseconds<T: FixedWidthInteger>(_ seconds: TimeInterval, maximum: Int) -> T {
        guard seconds.isFinite, seconds > 0 else { return 1 }
        return T(min(Double(maximum), max(1, (seconds * 1000).rounded(.up))))
    }

    // MARK: errors

    /// The one place a CURLcode becomes a TransportError.
    private func check(_ code: CURLcode, _ what: String) throws(TransportError) {
        guard code != CURLE_OK else { return }
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        let number = Int(code.rawValue)
        let message = "\(what): \(detail)"
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_PROXY, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING:
            throw TransportError(.connection, message, curlCode: number)
        case CURLE_OPERATION_TIMEDOUT:
            throw TransportError(.timeout, message, curlCode: number)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR:
            throw TransportError(.certificate, message, curlCode: number)
        case CURLE_SSL_CONNECT_ERROR, CURLE_USE_SSL_FAILED:
            throw TransportError(.tls, message, curlCode: number)
        case CURLE_LOGIN_DENIED:
            throw TransportError(.authentication, message, curlCode: number)
        case CURLE_WRITE_ERROR where download?.overflowed == true:
            throw TransportError(.protocolError, "\(what): the answer is larger than \(download?.limit ?? 0) bytes", curlCode: number)
        case CURLE_SEND_FAIL_REWIND, CURLE_WEIRD_SERVER_REPLY:
            throw TransportError(.protocolError, message, curlCode: number)
        default:
            let reply = responseCode()
            if reply >= 400 { throw TransportError(.rejected, message, curlCode: number, replyCode: reply) }
            throw TransportError(.protocolError, message, curlCode: number)
        }
    }
}

/// The body of an HTTPS answer, bounded: held by the handle (`CurlEasy.download`) for one perform.
final class DownloadState {
    let limit: Int
    var body: [UInt8] = []
    var overflowed = false

    init(limit: Int) { self.limit = limit }

    func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard body.count + bytes.count <= limit else {
            overflowed = true
            return 0
        }
        body.append(contentsOf: bytes)
        return bytes.count
    }
}

import FoundationEssentials
import MailIntakeCore

/// What the commands print. Everything that came from outside (mail, servers, staff's notes)
/// goes through `PrintableText.safe`, so no subject or name can drive the terminal of the person
/// reading it. A reader that goes away (`mailintake export | head -1`) ends the command quietly:
/// SIGPIPE is ignored (a daemon must survive a dropped socket), so EPIPE arrives as an error.
enum StandardOutput {
    /// One line of text from anywhere, made safe.
    static func say(_ text: String) {
        write(PrintableText.safe(text) + "\n")
    }

    /// Bytes as they are (an attachment to a file, JSON, already-safe CSV).
    static func write(_ text: String) {
        write(Array(text.utf8))
    }

    static func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { exit(0) }
                complain("mailintake: cannot write the output: \(String(cString: strerror(errno)))")
                exit(1)
            }
            offset += written
        }
    }

    /// A message on stderr, made safe (it may quote a server's reply).
    static func complain(_ text: String) {
        writeError(PrintableText.safe(text) + "\n")
    }

    /// Text of this program's own on stderr, as it is.
    static func writeError(_ text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { Glibc.write(2, $0.baseAddress!, $0.count - 1) }
    }
}

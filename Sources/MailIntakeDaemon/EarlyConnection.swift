import Dispatch
import MailIntakeCore
import MailTransport

/// The first poll's connection to the mailbox, made on another thread while the intake opens
/// its database and reads its vocabulary and templates. The TCP and TLS handshakes, the
/// greeting and the login are round trips during which this process would otherwise wait for
/// the server; the start-up's own work is some 15–25 ms that can wait with them
/// (docs/PERFORMANCE.md, session 11).
///
/// `take()` waits for the connection and hands it over, or throws what the connect threw — the
/// error the poll would have met connecting itself. A connection never taken (the intake's
/// start failed after it began) is logged out when this is released.
final class EarlyConnection: @unchecked Sendable {
    // @unchecked: `outcome` is written once on the connecting thread before `done` is signalled,
    // and read only after waiting for it.
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<MailboxClient, Error>?
    private var taken = false

    init(_ connector: MailConnector, _ settings: IMAPSettings) {
        let connect = UncheckedSendable(connector.mailbox)
        DispatchQueue.global().async { [self] in
            outcome = Result { try connect.value(settings) }
            done.signal()
        }
    }

    /// The connection, once made; once only.
    func take() throws -> MailboxClient {
        precondition(!taken, "an early connection is taken once")
        done.wait()
        taken = true
        return try outcome!.get()
    }

    deinit {
        guard !taken else { return }
        done.wait()
        if case .success(let session) = outcome { session.logout() }
    }
}

/// A value handed to one other thread and used there alone (the connector's closure: it only
/// reads its settings and makes a new session).
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

import Foundation
import MailIntakeCore
import MailIntakeDaemon

// SIGPIPE would kill us when `mailintake export | head` closes the pipe, or a server drops a socket.
signal(SIGPIPE, SIG_IGN)

let status = CommandLine.run(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
exit(status)

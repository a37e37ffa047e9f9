import FoundationEssentials
import MailIntakeCore
import MailIntakeDaemon

// SIGPIPE would kill us when `mailintake export | head` closes the pipe, or a server drops a socket.
signal(SIGPIPE, SIG_IGN)
// SIGABRT must end the process. Swift's runtime installs a backtracer for it, and after a
// SIGABRT from outside (systemd's watchdog sends one when the service stops answering) that
// backtracer printed a backtrace and let the process carry on, hung, unwatched. The default
// action dies (and dumps core where the admin allows it), so systemd restarts the service.
signal(SIGABRT, SIG_DFL)

// Before any thread or allocation of note: the allocator gives memory back (MemoryPolicy).
MemoryPolicy.apply()

let status = CommandLine.run(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
exit(status)

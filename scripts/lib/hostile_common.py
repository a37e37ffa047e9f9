"""What the deliberately misbehaving test servers (hostile_imap.py, hostile_smtp.py) share.

Both are TLS servers on loopback that live for --lifetime seconds: this module holds the parts
that do not depend on the protocol. A Connection reads and writes one TLS socket with every wait
bounded by the server's deadline (so no thread outlives it), idles without answering, and closes
without losing its last answer; a Log appends the commands received to a file, one a line;
argument_parser() builds the command line both share; serve() listens on 127.0.0.1, writes the
port to --port-file, hands each connection to a session in its own thread, and ends the process
after --lifetime seconds or on SIGTERM.

It is not run itself: each server puts its own folder on sys.path and imports it.
"""
import argparse
import os
import signal
import socket
import ssl
import sys
import threading
import time
import traceback

LINE_LIMIT = 64 << 10  # one command line (for IMAP, literals included)
DISCARD_LIMIT = 64 << 20  # what is read and thrown away while waiting for a client to leave
CHUNK = 64 << 10
MAX_CONNECTIONS = 64


class Closed(Exception):
    """The client went away, or the server's lifetime is over: this connection ends."""


class LineTooLong(Exception):
    pass


class Log:
    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8") if path else None
        self.lock = threading.Lock()

    def line(self, raw):
        if self.file is None:
            return
        text = raw.decode("utf-8", "backslashreplace").replace("\r", "\\r").replace("\n", "\\n")
        with self.lock:
            self.file.write(text + "\n")
            self.file.flush()


class Connection:
    """One TLS connection. Every wait is bounded by the server's deadline, so no thread outlives it."""

    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self.buffer = bytearray()

    def send(self, data):
        view = memoryview(data)
        while view:
            # At most one TLS record at a time; after a timeout OpenSSL wants the same bytes again.
            piece = view[:16384]
            while True:
                if time.monotonic() > self.deadline:
                    raise Closed()
                try:
                    sent = self.sock.send(piece)
                    break
                except socket.timeout:
                    continue  # the client is slow to read: wait on, up to the lifetime
                except OSError:
                    raise Closed()
            view = view[sent:]

    def _receive(self):
        """One receive: True if bytes arrived, False on a timeout; Closed at the end."""
        if time.monotonic() > self.deadline:
            raise Closed()
        try:
            data = self.sock.recv(CHUNK)
        except socket.timeout:
            return False
        except OSError:
            raise Closed()
        if not data:
            raise Closed()
        self.buffer += data
        return True

    def read_line(self, limit, keep_end=False):
        """One line, without its CRLF (or bare LF) unless `keep_end` (SMTP's DATA keeps the bytes
        as they came)."""
        scanned = 0
        while True:
            end = self.buffer.find(b"\n", scanned)
            if end > limit:
                raise LineTooLong()
            if end >= 0:
                line = bytes(self.buffer[:end + 1])
                del self.buffer[:end + 1]
                return line if keep_end else line[:-2] if line.endswith(b"\r\n") else line[:-1]
            if len(self.buffer) > limit:
                raise LineTooLong()
            scanned = len(self.buffer)
            self._receive()

    def idle(self, on_line):
        """Reads lines and answers nothing, until the client leaves or the lifetime ends."""
        total = 0
        while total < DISCARD_LIMIT:
            try:
                line = self.read_line(LINE_LIMIT)
            except LineTooLong:
                total += len(self.buffer)
                self.buffer.clear()
                continue
            total += len(line) + 2
            on_line(line)
        raise Closed()

    def close(self):
        """close_notify, then FIN, then a short drain: closing with unread bytes would send a
        reset, and the client could lose our last answer."""
        sock = self.sock
        try:
            sock.settimeout(0.5)
            sock = sock.unwrap()
        except (OSError, ValueError):
            pass
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(0.2)
            until = time.monotonic() + 1
            drained = 0
            while time.monotonic() < until and drained < (1 << 20):
                try:
                    data = sock.recv(CHUNK)
                except socket.timeout:
                    continue
                if not data:
                    break
                drained += len(data)
        except OSError:
            pass
        sock.close()
        self.sock.close()


def argument_parser(description, scenarios, required=()):
    """The options both servers take, in the order their --help shows them: --port-file, --cert,
    --key and --scenario, then the server's own `required` options (each taking a value), then
    --log and --lifetime. A server adds its own optional options after these."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--scenario", required=True, choices=scenarios)
    for option in required:
        parser.add_argument(option, required=True)
    parser.add_argument("--log")
    parser.add_argument("--lifetime", type=float, default=120)
    return parser


def write_port_file(path, port):
    temporary = "%s.tmp%d" % (path, os.getpid())
    with open(temporary, "w") as f:
        f.write(str(port))  # no newline: a reader may parse the whole file as a number
    os.rename(temporary, path)


def serve(args, session, connection_class=Connection):
    """Serves until args.lifetime seconds have passed or SIGTERM (or SIGINT) comes, then ends the
    process: it never returns. Each accepted connection gets its own thread, a TLS handshake
    (args.cert, args.key) and then session(connection_class(sock, deadline)), which speaks the
    protocol; the connection is closed when session returns or raises."""
    deadline = time.monotonic() + args.lifetime
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def serve_one(raw):
        connection = sock = None
        try:
            raw.settimeout(1.0)
            sock = context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
            while True:
                if time.monotonic() > deadline:
                    raise Closed()
                try:
                    sock.do_handshake()
                    break
                except socket.timeout:
                    continue
            connection = connection_class(sock, deadline)
            session(connection)
        except (Closed, OSError):
            pass
        except Exception:
            traceback.print_exc()
        finally:
            if connection:
                connection.close()
            elif sock:
                sock.close()
            raw.close()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.25)
    write_port_file(args.port_file, listener.getsockname()[1])
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            raw, _ = listener.accept()
        except socket.timeout:
            continue
        except OSError:
            time.sleep(0.1)  # e.g. out of file descriptors: do not spin
            continue
        if threading.active_count() > MAX_CONNECTIONS:
            raw.close()
            continue
        threading.Thread(target=serve_one, args=(raw,), daemon=True).start()
    listener.close()
    sys.stderr.flush()
    # Connection threads may be blocked sending to a client that reads nothing: do not wait for them.
    os._exit(0)

#!/usr/bin/python3
"""A real SMTP submission server for mailintake's tests and demo, built on aiosmtpd.

It offers STARTTLS on one port and implicit TLS (SMTPS) on another, requires AUTH (offered
only after TLS, as a real submission server does), and keeps every accepted message as
SPOOL/NNNNNN.eml with its envelope in SPOOL/NNNNNN.json. If the file named by --fail-file
exists, its first line (e.g. "451 4.3.0 Try again later") is the answer to every DATA; a file
FAIL_FILE.d/SENDER does the same for mail from that envelope sender only. So tests can make the
server fail temporarily or permanently without stopping it, and without disturbing each other.
"""
import argparse
import asyncio
import json
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Spool:
    def __init__(self, directory, fail_file):
        self.directory = directory
        self.fail_file = fail_file
        self.lock = threading.Lock()
        os.makedirs(directory, exist_ok=True)
        # Numbered by a counter, not by listing the spool per message (which grows with each one).
        self.count = len([n for n in os.listdir(directory) if n.endswith(".eml")])

    async def handle_DATA(self, server, session, envelope):
        # A test makes the server fail for mail from one sender (FAIL_FILE.d/SENDER), or for all.
        for path in (self.fail_file + ".d/" + (envelope.mail_from or "").lower(), self.fail_file) if self.fail_file else ():
            if os.path.exists(path):
                with open(path) as f:
                    return f.readline().strip() or "451 4.3.0 Try again later"
        with self.lock:
            self.count += 1
            number = self.count
            base = os.path.join(self.directory, "%06d" % number)
            with open(base + ".json.tmp", "w") as f:
                json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                           "authenticated": session.authenticated}, f)
            with open(base + ".eml.tmp", "wb") as f:
                f.write(envelope.original_content)
            os.rename(base + ".json.tmp", base + ".json")
            os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 Ok: queued as %06d" % number


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok)
    return check


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spool", required=True)
    parser.add_argument("--port", type=int, required=True, help="STARTTLS port")
    parser.add_argument("--tls-port", type=int, required=True, help="implicit TLS port")
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--fail-file")
    parser.add_argument("--pid-file")
    args = parser.parse_args()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    handler = Spool(args.spool, args.fail_file)
    auth = authenticator(args.user, args.password)
    starttls = Controller(handler, hostname="127.0.0.1", port=args.port, tls_context=context,
                          require_starttls=True, authenticator=auth, auth_required=True, auth_require_tls=True)
    implicit = Controller(handler, hostname="127.0.0.1", port=args.tls_port, ssl_context=context,
                          authenticator=auth, auth_required=True, auth_require_tls=False)
    starttls.start()
    implicit.start()
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write(str(os.getpid()))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    starttls.stop()
    implicit.stop()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""A deliberately misbehaving SMTP submission server for mailintake's integration tests, on loopback only.

It speaks ESMTP on implicit TLS (what an smtps:// URL connects to), accepts any credentials
(AUTH PLAIN, inline or after "334 ", and AUTH LOGIN), and keeps each message whose final dot
arrived as SPOOL/NNNNNN.eml, dot-stuffing undone (with its envelope beside it in NNNNNN.json,
written first): the .eml file's existence means "the message reached the server", whatever the
server answered. --scenario picks one way to misbehave; everything else works as a real server:

  normal           the final dot is answered "250 2.0.0 Ok: queued as NNNNNN": the control case
  stall-after-dot  the message is kept, the final dot is never answered, the connection stays open
  drop-after-dot   the message is kept and the connection closed without an answer
  auth-fail        AUTH is answered "535 5.7.8 Authentication credentials invalid" (and MAIL then "530")
  stall-greeting   the TLS handshake completes, and the "220" greeting never comes

  hostile_smtp.py --port-file P --cert C --key K --scenario NAME --spool DIR [--log F] [--lifetime S]

It listens on 127.0.0.1, on a port the kernel picks, and writes that number to P (renamed into
place: once P exists it is complete). It appends each command it receives to F, one line each
(AUTH as the word alone: never credentials; message content is not logged), and exits after
--lifetime seconds (default 120) or on SIGTERM, taking any open connection with it.
"""
import json
import os
import sys
import threading

# Run as a script: the shared part sits beside it. No bytecode: __pycache__ would litter the tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_common import LINE_LIMIT, LineTooLong, Log, argument_parser, serve  # noqa: E402

MESSAGE_LIMIT = 10240000  # what EHLO announces as SIZE
DATA_LIMIT = 64 << 20  # what one DATA may stream before we hang up (over SIZE, it is read and dropped)
SCENARIOS = ("normal", "stall-after-dot", "drop-after-dot", "auth-fail", "stall-greeting")
EHLO_REPLY = b"250-hostile\r\n250-AUTH PLAIN LOGIN\r\n250-SIZE %d\r\n250 8BITMIME\r\n" % MESSAGE_LIMIT


class Spool:
    def __init__(self, directory):
        self.directory = directory
        self.lock = threading.Lock()
        os.makedirs(directory, exist_ok=True)
        # Numbered from 1; in a folder that already holds messages, after them.
        self.count = len([name for name in os.listdir(directory) if name.endswith(".eml")])

    def keep(self, content, envelope):
        with self.lock:
            self.count += 1
            number = self.count
            base = os.path.join(self.directory, "%06d" % number)
            with open(base + ".json.tmp", "w") as f:
                json.dump(envelope, f)
            with open(base + ".eml.tmp", "wb") as f:
                f.write(content)
            os.rename(base + ".json.tmp", base + ".json")
            os.rename(base + ".eml.tmp", base + ".eml")  # last: its existence says the message arrived
        return number


class Session:
    def __init__(self, connection, server):
        self.connection = connection
        self.server = server
        self.scenario = server.scenario
        self.authenticated = False
        self.reset()

    def reset(self):
        self.mail_from = None
        self.rcpt_tos = []

    def send(self, text):
        self.connection.send(text if isinstance(text, bytes) else text.encode() + b"\r\n")

    def log(self, line):
        self.server.log.line(line)

    def run(self):
        if self.scenario == "stall-greeting":
            self.connection.idle(self.log)
        self.send("220 hostile ESMTP")
        while True:
            try:
                line = self.connection.read_line(LINE_LIMIT)
            except LineTooLong:
                self.send("500 5.5.2 Error: line too long")
                return
            text = line.decode("latin-1")
            word, _, argument = text.partition(" ")
            verb = word.upper()
            self.log(word.encode("latin-1") if verb == "AUTH" else line)  # credentials never reach the log
            if self.handle(verb, argument.strip()) is False:
                return

    def handle(self, verb, argument):
        """Answers one command; False to end the connection."""
        if verb == "EHLO":
            self.reset()
            self.send(EHLO_REPLY)
        elif verb == "HELO":
            self.reset()
            self.send("250 hostile")
        elif verb == "AUTH":
            self.authenticate(argument)
        elif verb == "MAIL":
            if not argument.upper().startswith("FROM:"):
                self.send("501 5.5.4 Syntax: MAIL FROM:<address>")
            elif self.scenario == "auth-fail" and not self.authenticated:
                self.send("530 5.7.0 Authentication required")
            elif self.mail_from is not None:
                self.send("503 5.5.1 Error: nested MAIL command")
            else:
                self.mail_from = address(argument[5:])
                self.send("250 2.1.0 Ok")
        elif verb == "RCPT":
            if not argument.upper().startswith("TO:"):
                self.send("501 5.5.4 Syntax: RCPT TO:<address>")
            elif self.mail_from is None:
                self.send("503 5.5.1 Error: need MAIL command")
            else:
                self.rcpt_tos.append(address(argument[3:]))
                self.send("250 2.1.5 Ok")
        elif verb == "DATA":
            if not self.rcpt_tos:
                self.send("503 5.5.1 Error: need RCPT command")
            else:
                return self.data()
        elif verb in ("RSET", "NOOP"):
            if verb == "RSET":
                self.reset()
            self.send("250 2.0.0 Ok")
        elif verb == "QUIT":
            self.send("221 2.0.0 Bye")
            return False
        elif not verb:
            self.send("500 5.5.2 Error: bad syntax")
        else:
            self.send("502 5.5.2 Error: command not recognized")
        return True

    def authenticate(self, argument):
        mechanism, _, initial = argument.partition(" ")
        mechanism = mechanism.upper()
        if self.authenticated:
            self.send("503 5.5.1 Error: already authenticated")
            return
        if mechanism not in ("PLAIN", "LOGIN"):
            self.send("504 5.5.4 Unrecognized authentication type")
            return
        # PLAIN takes one response, LOGIN two (user, then password); the first may come inline.
        prompts = ["334 "] if mechanism == "PLAIN" else ["334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6"]
        if initial:
            prompts.pop(0)
        for prompt in prompts:
            self.send(prompt)
            if self.connection.read_line(LINE_LIMIT).strip() == b"*":
                self.send("501 5.7.0 Authentication cancelled")
                return
        if self.scenario == "auth-fail":
            self.send("535 5.7.8 Authentication credentials invalid")
        else:
            self.authenticated = True
            self.send("235 2.7.0 Authentication successful")

    def data(self):
        self.send("354 End data with <CR><LF>.<CR><LF>")
        content, received = [], 0
        while True:
            try:
                line = self.connection.read_line(DATA_LIMIT - received, keep_end=True)
            except LineTooLong:
                return False  # 64 MiB without a final dot: hang up
            received += len(line)
            if line in (b".\r\n", b".\n"):
                break
            if line.startswith(b"."):
                line = line[1:]  # dot-stuffing
            if received <= MESSAGE_LIMIT:
                content.append(line)
        mail_from, rcpt_tos = self.mail_from, self.rcpt_tos
        self.reset()
        if received > MESSAGE_LIMIT:
            self.send("552 5.3.4 Message size exceeds fixed limit")
            return True
        number = self.server.spool.keep(b"".join(content), {"mail_from": mail_from, "rcpt_tos": rcpt_tos,
                                                            "authenticated": self.authenticated})
        if self.scenario == "stall-after-dot":
            self.connection.idle(self.log)
        if self.scenario == "drop-after-dot":
            return False
        self.send("250 2.0.0 Ok: queued as %06d" % number)
        return True


def address(text):
    """The address in "<a@b> SIZE=123" (MAIL and RCPT parameters are dropped)."""
    text = text.strip()
    if text.startswith("<"):
        return text[1:text.find(">")] if ">" in text else text[1:]
    return text.split(" ")[0]


class Server:
    def __init__(self, args):
        self.scenario = args.scenario
        self.spool = Spool(args.spool)
        self.log = Log(args.log)


def main():
    parser = argument_parser("A deliberately misbehaving SMTPS submission server for tests.", SCENARIOS,
                             required=("--spool",))
    args = parser.parse_args()
    server = Server(args)
    serve(args, lambda connection: Session(connection, server).run())


if __name__ == "__main__":
    main()

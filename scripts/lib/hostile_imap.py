#!/usr/bin/python3
"""A deliberately misbehaving IMAP4rev1 server for mailintake's integration tests, on loopback only.

It speaks implicit TLS (what an imaps:// URL connects to), accepts any credentials (LOGIN, or
AUTHENTICATE PLAIN or LOGIN, with or without SASL-IR) and holds an in-memory INBOX of --messages
small messages (default 3), UIDs 1..N, UIDVALIDITY 7. --scenario picks one way to misbehave;
everything else works as a real server would:

  normal           a correct server: the control case
  huge-literal     the body FETCH announces its first message as {1099511627776}, sends only that
                   message (its body holds the line "* 2 FETCH (UID 77 BODY[] {20}", 20 bytes and
                   a line ")"), then the tagged OK, and from then on answers nothing
  hidden-uid-line  the same message 1, framed honestly: the control for huge-literal
  unrequested-uid  the body FETCH first answers UID 99 (Subject "Not requested"), which nobody asked for
  short-literal    the body FETCH announces its first message as {20} but sends it whole
  drip             SELECT is answered one byte every 3 seconds
  long-line        SELECT is answered "* OK " and up to 64 MiB of "x", with no line end
  many-literals    the body FETCH's first response holds 200000 one-byte literals before the body
  untagged-flood   UID SEARCH is answered with up to 64 MiB of "* OK flood N" lines, never tagged
  bye              SELECT is answered "* BYE [UNAVAILABLE] ..." and the connection is closed

  hostile_imap.py --port-file P --cert C --key K --scenario NAME [--log F] [--lifetime S] [--messages N]

It listens on 127.0.0.1, on a port the kernel picks, and writes that number to P (renamed into
place: once P exists it is complete). It appends each command it receives to F, one line each
(LOGIN and AUTHENTICATE as the tag and the command word only: never credentials), and exits after
--lifetime seconds (default 120) or on SIGTERM, taking any open connection with it.
"""
import datetime
import email.utils
import os
import re
import select
import sys
import threading
import time

# Run as a script: the shared part sits beside it. No bytecode: __pycache__ would litter the tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_common import CHUNK, LINE_LIMIT, Closed, Connection, LineTooLong, Log, argument_parser, serve  # noqa: E402

UIDVALIDITY = 7
STREAM_LIMIT = 64 << 20  # what one endless answer (long-line, untagged-flood) sends at most
HUGE = 1099511627776  # 2^40: 13 digits
CAPABILITIES = "IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=LOGIN UIDPLUS"
SCENARIOS = ("normal", "huge-literal", "unrequested-uid", "short-literal", "drip", "long-line",
             "many-literals", "untagged-flood", "bye", "hidden-uid-line")
AUTHENTICATED_COMMANDS = ("SELECT", "EXAMINE", "CLOSE", "UNSELECT", "FETCH", "STORE", "SEARCH", "UID")
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
# The 20 bytes of the literal that message 1's body forges (huge-literal, hidden-uid-line).
FORGED = b"Forged by the body\r\n"


class IMAPConnection(Connection):
    """A connection that also reads literals (counted bytes) and waits while watching the client."""

    def read_exact(self, count):
        while len(self.buffer) < count:
            self._receive()
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def pause(self, seconds):
        """Waits, but notices a client that closes meanwhile (what it sends is kept, within bounds)."""
        until = min(time.monotonic() + seconds, self.deadline)
        while (left := until - time.monotonic()) > 0:
            if self.sock.pending() or select.select([self.sock], [], [], left)[0]:
                self._receive()
                if len(self.buffer) > LINE_LIMIT:
                    raise Closed()
        if time.monotonic() > self.deadline:
            raise Closed()


def internal_date(when):
    return "%02d-%s-%04d %02d:%02d:%02d +0000" % (when.day, MONTHS[when.month - 1], when.year, when.hour, when.minute, when.second)


def make_message(number, subject=None, body=None):
    when = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.timezone.utc) + datetime.timedelta(minutes=number - 1)
    headers = [
        "Date: " + email.utils.format_datetime(when),
        "From: Citizen %d <citizen%d@example.org>" % (number, number),
        "To: office@maribor.example",
        "Subject: " + (subject or "Hostile test %d" % number),
        "Message-ID: <hostile-test-%d@example.org>" % number,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
    ]
    text = ("\r\n".join(headers) + "\r\n\r\n").encode()
    text += body if body is not None else b"This is hostile test message %d.\r\n" % number
    return text, internal_date(when)


def decoy_body():
    """Message 1's body in huge-literal and hidden-uid-line: lines that look like a FETCH response."""
    assert len(FORGED) == 20
    return (b"This is hostile test message 1; the next lines belong to its body.\r\n"
            b"* 2 FETCH (UID 77 BODY[] {%d}\r\n" % len(FORGED) + FORGED + b")\r\n"
            b"End of hostile test message 1.\r\n")


class Mailbox:
    def __init__(self, count, scenario):
        self.messages = {}  # uid -> (raw, internal date)
        for uid in range(1, count + 1):
            body = decoy_body() if uid == 1 and scenario in ("huge-literal", "hidden-uid-line") else None
            self.messages[uid] = make_message(uid, body=body)
        self.stray = make_message(99, subject="Not requested")  # unrequested-uid
        self.flags = {uid: set() for uid in self.messages}
        self.lock = threading.Lock()

    @property
    def highest(self):
        return max(self.messages, default=0)

    def flag_list(self, uid):
        with self.lock:
            return "(" + " ".join(sorted(self.flags.get(uid, ()))) + ")"


NUMBER = re.compile(r"[1-9][0-9]{0,9}")


def parse_set(text, highest):
    """An IMAP sequence set such as "1:3,5,7:*", as a test of membership; None if malformed.
    Ranges are never expanded ("1:4294967295" costs nothing)."""
    ranges = []
    for part in text.split(","):
        bounds = part.split(":")
        if len(bounds) > 2:
            return None
        values = []
        for bound in bounds:
            if bound == "*":
                values.append(highest)
            elif NUMBER.fullmatch(bound):
                values.append(int(bound))
            else:
                return None
        ranges.append((min(values), max(values)))  # "5:*" holds the highest number even below 5
    return lambda n: any(low <= n <= high for low, high in ranges)


FETCH_ITEM = re.compile(r"(BODY(\.PEEK)?\[(|HEADER|TEXT)\](?:<([0-9]{1,10})\.([0-9]{1,10})>)?|[A-Z0-9.]+)(?: |$)", re.I)
SIMPLE_ITEMS = ("UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE")
# RFC822 items as the BODY sections they mean: (section, peek).
RFC822_ITEMS = {"RFC822": ("", False), "RFC822.HEADER": ("HEADER", True), "RFC822.TEXT": ("TEXT", False)}


class Item:
    def __init__(self, name, section=None, peek=True, partial=None):
        self.name = name  # as it is named in the response
        self.section = section  # None for a simple item
        self.peek = peek
        self.partial = partial

    @property
    def whole_message(self):
        return self.section == ""


def parse_items(text):
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if text.upper() == "FAST":
        text = "FLAGS INTERNALDATE RFC822.SIZE"
    items, position = [], 0
    while position < len(text):
        match = FETCH_ITEM.match(text, position)
        if not match:
            return None
        position = match.end()
        word = match.group(1).upper()
        if match.group(3) is not None:
            section = match.group(3).upper()
            partial = (int(match.group(4)), int(match.group(5))) if match.group(4) else None
            name = "BODY[%s]" % section + ("<%d>" % partial[0] if partial else "")
            items.append(Item(name, section, bool(match.group(2)), partial))
        elif word in SIMPLE_ITEMS:
            items.append(Item(word))
        elif word in RFC822_ITEMS:
            section, peek = RFC822_ITEMS[word]
            items.append(Item(word, section, peek))
        else:
            return None
    return items or None


def quoted_or_atom(text):
    text = text.strip()
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        return re.sub(r'\\(.)', r'\1', text[1:-1])
    return text


LITERAL = re.compile(rb"\{([0-9]{1,10})(\+?)\}$")


class Session:
    def __init__(self, connection, server):
        self.connection = connection
        self.server = server
        self.mailbox = server.mailbox
        self.scenario = server.scenario
        self.authenticated = False
        self.selected = False

    def send(self, data):
        self.connection.send(data if isinstance(data, bytes) else data.encode())

    def log(self, line):
        self.server.log.line(line)

    def read_command(self):
        line = self.connection.read_line(LINE_LIMIT)
        # A command may carry literals ({n} ending a line; {n+} needs no go-ahead): read them in.
        while (match := LITERAL.search(line)) is not None:
            size = int(match.group(1))
            if len(line) + size > LINE_LIMIT:
                raise LineTooLong()
            if not match.group(2):
                self.send(b"+ Ready for literal data\r\n")
            line += b"\r\n" + self.connection.read_exact(size)
            line += self.connection.read_line(LINE_LIMIT - len(line))
        return line

    def run(self):
        self.send(b"* OK hostile IMAP4rev1 server ready\r\n")
        while True:
            try:
                line = self.read_command()
            except LineTooLong:
                self.send(b"* BAD line too long\r\n")
                return
            text = line.decode("latin-1")
            tag, _, rest = text.partition(" ")
            word, _, args = rest.partition(" ")
            command = word.upper()
            # Credentials never reach the log.
            self.log(("%s %s" % (tag, word)).encode("latin-1") if command in ("LOGIN", "AUTHENTICATE") else line)
            if not tag or tag == "*" or tag == "+":
                self.send(b"* BAD missing tag\r\n")
                continue
            if not word:
                self.send("%s BAD missing command\r\n" % tag)
                continue
            if self.handle(tag, command, args) is False:
                return

    def handle(self, tag, command, args):
        """Answers one command; False to end the connection."""
        if command == "CAPABILITY":
            self.send("* CAPABILITY %s\r\n%s OK CAPABILITY completed\r\n" % (CAPABILITIES, tag))
        elif command in ("NOOP", "CHECK"):
            self.send("%s OK %s completed\r\n" % (tag, command))
        elif command == "LOGOUT":
            self.send("* BYE hostile IMAP server logging out\r\n%s OK LOGOUT completed\r\n" % tag)
            return False
        elif command == "LOGIN":
            if self.authenticated:
                self.send("%s BAD already authenticated\r\n" % tag)
            else:
                self.authenticated = True
                self.send("%s OK LOGIN completed\r\n" % tag)
        elif command == "AUTHENTICATE":
            self.authenticate(tag, args)
        elif not self.authenticated and command in AUTHENTICATED_COMMANDS:
            self.send("%s BAD not authenticated\r\n" % tag)
        elif command in ("SELECT", "EXAMINE"):
            return self.select(tag, command, args)
        elif command in ("CLOSE", "UNSELECT"):
            self.selected = False
            self.send("%s OK %s completed\r\n" % (tag, command))
        elif command in ("FETCH", "STORE", "SEARCH"):
            return self.mailbox_command(tag, command, args, by_uid=False)
        elif command == "UID":
            subcommand, _, rest = args.partition(" ")
            if subcommand.upper() not in ("FETCH", "STORE", "SEARCH"):
                self.send("%s BAD unknown command\r\n" % tag)
            else:
                return self.mailbox_command(tag, subcommand.upper(), rest, by_uid=True)
        else:
            self.send("%s BAD unknown command\r\n" % tag)
        return True

    def authenticate(self, tag, args):
        mechanism, _, initial = args.partition(" ")
        mechanism = mechanism.upper()
        if mechanism not in ("PLAIN", "LOGIN"):
            self.send("%s NO unsupported authentication mechanism\r\n" % tag)
            return
        if self.authenticated:
            self.send("%s BAD already authenticated\r\n" % tag)
            return
        # PLAIN takes one response, LOGIN two (user, then password); SASL-IR may carry the first.
        prompts = [b"+ \r\n"] if mechanism == "PLAIN" else [b"+ VXNlcm5hbWU6\r\n", b"+ UGFzc3dvcmQ6\r\n"]
        if initial:
            prompts.pop(0)
        for prompt in prompts:
            self.send(prompt)
            if self.connection.read_line(LINE_LIMIT).strip() == b"*":
                self.send("%s BAD AUTHENTICATE cancelled\r\n" % tag)
                return
        self.authenticated = True
        self.send("%s OK AUTHENTICATE completed\r\n" % tag)

    def select(self, tag, command, args):
        if quoted_or_atom(args).upper() != "INBOX":
            self.selected = False
            self.send("%s NO [NONEXISTENT] Mailbox does not exist\r\n" % tag)
            return True
        count = len(self.mailbox.messages)
        lines = ("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Filed)\r\n"
                 "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted\r\n"
                 "* %d EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY %d] UIDs valid\r\n* OK [UIDNEXT %d] Predicted next UID\r\n"
                 "%s OK [%s] %s completed\r\n" % (count, UIDVALIDITY, self.mailbox.highest + 1, tag,
                                                   "READ-ONLY" if command == "EXAMINE" else "READ-WRITE", command)).encode()
        self.selected = True
        if command == "SELECT" and self.scenario == "drip":
            for byte in lines:
                self.send(bytes([byte]))
                self.connection.pause(3)
        elif command == "SELECT" and self.scenario == "long-line":
            self.send(b"* OK ")
            filler = b"x" * CHUNK
            for _ in range(STREAM_LIMIT // CHUNK):
                self.send(filler)
            self.connection.idle(self.log)
        elif command == "SELECT" and self.scenario == "bye":
            self.send(b"* BYE [UNAVAILABLE] Server shutting down for maintenance, back at 10:00\r\n")
            return False
        else:
            self.send(lines)
        return True

    def mailbox_command(self, tag, command, args, by_uid):
        if not self.selected:
            self.send("%s BAD no mailbox selected\r\n" % tag)
            return True
        if command == "SEARCH":
            return self.search(tag, args, by_uid)
        set_text, _, rest = args.partition(" ")
        matches = parse_set(set_text, self.mailbox.highest)
        if matches is None:
            self.send("%s BAD invalid message set\r\n" % tag)
            return True
        # UIDs are 1..N and nothing is ever expunged, so a message's sequence number is its UID.
        uids = [uid for uid in sorted(self.mailbox.messages) if matches(uid)]
        if command == "FETCH":
            return self.fetch(tag, uids, rest, by_uid)
        return self.store(tag, uids, rest, by_uid)

    def search(self, tag, args, by_uid):
        if by_uid and self.scenario == "untagged-flood":
            sent, number = 0, 0
            while sent < STREAM_LIMIT:
                chunk = b"".join(b"* OK flood %04d\r\n" % (number + i) for i in range(4096))
                number += 4096
                if sent + len(chunk) > STREAM_LIMIT:
                    break
                self.send(chunk)
                sent += len(chunk)
            self.connection.idle(self.log)
        tokens = args.split()
        if tokens[:1] and tokens[0].upper() == "CHARSET":
            tokens = tokens[2:]
        tests = []
        index = 0
        while index < len(tokens):
            token = tokens[index].upper()
            index += 1
            if token == "ALL":
                continue
            if token == "UID" and index < len(tokens):
                matches = parse_set(tokens[index], self.mailbox.highest)
                index += 1
            elif token in ("SEEN", "UNSEEN", "DELETED", "UNDELETED", "FLAGGED", "UNFLAGGED"):
                flag = "\\" + token.removeprefix("UN").capitalize()
                wanted = not token.startswith("UN")
                matches = (lambda f, w: lambda uid: (f.upper() in self.upper_flags(uid)) == w)(flag, wanted)
            elif token in ("KEYWORD", "UNKEYWORD") and index < len(tokens):
                keyword = tokens[index].upper()
                index += 1
                matches = (lambda k, w: lambda uid: (k in self.upper_flags(uid)) == w)(keyword, token == "KEYWORD")
            else:
                matches = parse_set(token, self.mailbox.highest)
            if matches is None:
                self.send("%s BAD unsupported search\r\n" % tag)
                return True
            tests.append(matches)
        found = [uid for uid in sorted(self.mailbox.messages) if all(test(uid) for test in tests)]
        self.send("* SEARCH%s\r\n%s OK SEARCH completed\r\n" % ("".join(" %d" % uid for uid in found), tag))
        return True

    def upper_flags(self, uid):
        with self.mailbox.lock:
            return {flag.upper() for flag in self.mailbox.flags[uid]}

    def fetch(self, tag, uids, text, by_uid):
        items = parse_items(text)
        if items is None:
            self.send("%s BAD invalid fetch items\r\n" % tag)
            return True
        if by_uid:  # UID FETCH always answers UID, and we put it first
            items = [Item("UID")] + [item for item in items if item.name != "UID"]
        hostile = self.scenario if any(item.whole_message for item in items) else "normal"
        if hostile == "unrequested-uid":
            raw, date = self.mailbox.stray
            self.send(self.response(9, 99, items, raw, date))
        for index, uid in enumerate(uids):
            raw, date = self.mailbox.messages[uid]
            self.mark_seen(uid, items)
            if index == 0 and hostile == "huge-literal":
                # The announced terabyte never comes: only the message, then the completion.
                self.send(self.response(uid, uid, items, raw, date, announce=HUGE, stop_after_body=True))
                self.send("%s OK FETCH completed\r\n" % tag)
                self.connection.idle(self.log)
            elif index == 0 and hostile == "short-literal":
                self.send(self.response(uid, uid, items, raw, date, announce=20))
            elif index == 0 and hostile == "many-literals":
                self.send_many_literals(uid, items, raw, date)
            else:
                self.send(self.response(uid, uid, items, raw, date))
        self.send("%s OK FETCH completed\r\n" % tag)
        return True

    def mark_seen(self, uid, items):
        if any(item.section is not None and not item.peek for item in items):
            with self.mailbox.lock:
                self.mailbox.flags[uid].add("\\Seen")

    def response(self, seq, uid, items, raw, date, announce=None, stop_after_body=False, after_first=b""):
        """One FETCH response. `announce` lies about the whole message's literal size;
        `after_first` is put in after the first item (many-literals)."""
        parts = [b"* %d FETCH (" % seq]
        for index, item in enumerate(items):
            if index:
                parts.append(b" ")
            if item.name == "UID":
                parts.append(b"UID %d" % uid)
            elif item.name == "FLAGS":
                parts.append(("FLAGS " + self.mailbox.flag_list(uid)).encode())
            elif item.name == "INTERNALDATE":
                parts.append(('INTERNALDATE "%s"' % date).encode())
            elif item.name == "RFC822.SIZE":
                parts.append(b"RFC822.SIZE %d" % len(raw))
            else:
                data = section(raw, item.section)
                if item.partial:
                    data = data[item.partial[0]:item.partial[0] + item.partial[1]]
                size = announce if announce is not None and item.whole_message else len(data)
                parts.append(b"%s {%d}\r\n" % (item.name.encode(), size) + data)
                if stop_after_body and item.whole_message:
                    return b"".join(parts)
            if index == 0:
                parts.append(after_first)
        # A fetch that set \Seen says so, as servers do.
        if any(item.section is not None and not item.peek for item in items) and not any(item.name == "FLAGS" for item in items):
            parts.append((" FLAGS " + self.mailbox.flag_list(uid)).encode())
        parts.append(b")\r\n")
        return b"".join(parts)

    def send_many_literals(self, uid, items, raw, date):
        # 200000 one-byte literals after the first item (UID), so the line keeps ending in "{1}";
        # about 2 MiB, sent in pieces: a client that gives up stops us early (send raises Closed).
        self.send(self.response(uid, uid, items, raw, date, after_first=b" X-A {1}\r\na" * 200000))

    def store(self, tag, uids, text, by_uid):
        parts = text.split(" ", 1)
        operation = parts[0].upper()
        if len(parts) < 2 or operation.removesuffix(".SILENT") not in ("FLAGS", "+FLAGS", "-FLAGS"):
            self.send("%s BAD invalid store\r\n" % tag)
            return True
        flags = set(parts[1].strip().strip("()").split())
        with self.mailbox.lock:
            for uid in uids:
                current = self.mailbox.flags[uid]
                if operation.startswith("+"):
                    current |= flags
                elif operation.startswith("-"):
                    current -= flags
                else:
                    current.clear()
                    current |= flags
        if not operation.endswith(".SILENT"):
            for uid in uids:
                self.send("* %d FETCH (%sFLAGS %s)\r\n" % (uid, "UID %d " % uid if by_uid else "", self.mailbox.flag_list(uid)))
        self.send("%s OK STORE completed\r\n" % tag)
        return True


def section(raw, name):
    split = raw.find(b"\r\n\r\n")
    split = len(raw) if split < 0 else split + 4
    return {"": raw, "HEADER": raw[:split], "TEXT": raw[split:]}[name]


class Server:
    def __init__(self, args):
        self.scenario = args.scenario
        self.mailbox = Mailbox(args.messages, args.scenario)
        self.log = Log(args.log)


def main():
    parser = argument_parser("A deliberately misbehaving IMAPS server for tests.", SCENARIOS)
    parser.add_argument("--messages", type=int, default=3)
    args = parser.parse_args()
    if args.messages < 0:
        parser.error("--messages must not be negative")
    server = Server(args)
    serve(args, lambda connection: Session(connection, server).run(), IMAPConnection)


if __name__ == "__main__":
    main()

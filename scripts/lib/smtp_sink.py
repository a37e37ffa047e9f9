#!/usr/bin/python3
"""A real SMTP submission server for mailintake's tests and demo, built on aiosmtpd.

It offers STARTTLS on one port and implicit TLS (SMTPS) on another, requires AUTH (offered
only after TLS, as a real submission server does), and keeps every accepted message as
SPOOL/NNNNNN.eml with its envelope in SPOOL/NNNNNN.json. If the file named by --fail-file
exists, its first line (e.g. "451 4.3.0 Try again later") is the answer to every DATA; a file
FAIL_FILE.d/SENDER does the same for mail from that envelope sender only. So tests can make the
server fail temporarily or permanently without stopping it, and without disturbing each other.

AUTH takes PLAIN and LOGIN for --user/--password, and, given --oauth-user and --oauth-key-file,
XOAUTH2 for that user with a bearer token: an HS256 JWT signed with the key in that file (base64,
the file Dovecot reads too), whose email claim is the user and which has not expired. Each
message's JSON says how its sender authenticated ("auth_mechanism", "auth_user").
"""
import argparse
import base64
import binascii
import collections
import hashlib
import hmac
import json
import os
import signal
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult

# RFC 4954 section 4: an AUTH command line (with its initial response) may be 12288 octets, and
# so may each continuation line. A real provider's OAuth2 token is 1-2.5 KB, so its XOAUTH2
# response is longer than aiosmtpd's defaults (512 for a command, 1001 for any line).
AUTH_LINE_LIMIT = 12288
DATA_LINE_LIMIT = 1001  # RFC 5321 section 4.5.3.1.6, as aiosmtpd has it: message lines keep it

# What XOAUTH2 answers a refused token with (a 334 challenge, then 535 after the client's empty line).
XOAUTH2_ERROR = json.dumps({"status": "401", "schemes": "bearer", "scope": "https://mail.test/"})

# Who authenticated, and how: kept in the session as its auth_data, written into each message's JSON.
Identity = collections.namedtuple("Identity", "mechanism login")


class SubmissionSMTP(SMTP):
    # aiosmtpd sizes its line reader from this class attribute when a connection starts; the
    # instance attribute set below then brings message lines back to the RFC 5321 limit (a
    # longer DATA line is still refused with "500 Line too long", as before).
    line_length_limit = AUTH_LINE_LIMIT + 2

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.line_length_limit = DATA_LINE_LIMIT
        # aiosmtpd keeps the per-command limits in one dict shared by every connection (and
        # empties it whenever one starts): give each connection its own, with room for AUTH.
        self.command_size_limits = collections.defaultdict(lambda: self.command_size_limit)
        self.command_size_limits["AUTH"] = AUTH_LINE_LIMIT


class SubmissionController(Controller):
    def factory(self):
        return SubmissionSMTP(self.handler, **self.SMTP_kwargs)


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_jwt(token, key, user):
    """None if the token is a valid HS256 JWT for `user`, else why not (for the log only)."""
    try:
        header_part, claims_part, signature_part = token.split(".")
        header = json.loads(b64url_decode(header_part))
        claims = json.loads(b64url_decode(claims_part))
        signature = b64url_decode(signature_part)
    except (ValueError, binascii.Error):
        return "not a JWT"
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
        return "not an HS256 JWT"
    expected = hmac.new(key, (header_part + "." + claims_part).encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        return "bad signature"
    now = time.time()
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
        return "expired (or no exp)"
    if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] > now:
        return "not valid yet"
    if claims.get("email") != user:
        return "token is for %r, not %r" % (claims.get("email"), user)
    return None


class Spool:
    def __init__(self, directory, fail_file, oauth_user=None, oauth_key_file=None):
        self.directory = directory
        self.fail_file = fail_file
        self.oauth_user = oauth_user
        self.oauth_key_file = oauth_key_file
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
            identity = session.auth_data if isinstance(session.auth_data, Identity) else Identity(None, None)
            with open(base + ".json.tmp", "w") as f:
                json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos, "mail_options": envelope.mail_options,
                           "authenticated": session.authenticated,
                           "auth_mechanism": identity.mechanism, "auth_user": identity.login}, f)
            with open(base + ".eml.tmp", "wb") as f:
                f.write(envelope.original_content)
            os.rename(base + ".json.tmp", base + ".json")
            os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 Ok: queued as %06d" % number

    # aiosmtpd offers each handler method named auth_NAME as the AUTH mechanism NAME.
    async def auth_XOAUTH2(self, server, args):
        """XOAUTH2 as Google and Microsoft define it: base64 of
        "user=USER\x01auth=Bearer TOKEN\x01\x01", on the AUTH line or after an empty 334."""
        if len(args) == 1:
            response = await server.challenge_auth("")
            if response is MISSING:  # "*" or bad base64: aiosmtpd has answered already
                return AuthResult(success=False, handled=True)
        else:
            try:
                response = base64.b64decode(args[1], validate=True)
            except binascii.Error:
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        fields = dict(part.partition("=")[::2] for part in response.decode("utf-8", "replace").split("\x01") if part)
        user = fields.get("user", "")
        scheme, _, token = fields.get("auth", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            reason = "malformed XOAUTH2 response"
        else:
            try:
                with open(self.oauth_key_file, "rb") as f:  # read each time: a test may replace it
                    key = base64.b64decode(f.read().strip(), validate=True)
            except (OSError, binascii.Error) as error:
                return AuthResult(success=False, handled=False,
                                  message="454 4.7.0 Temporary authentication failure (%s)" % error)
            reason = "SASL user %r is not %r" % (user, self.oauth_user) if user != self.oauth_user \
                else check_jwt(token, key, self.oauth_user)
        if reason is None:
            return AuthResult(success=True, auth_data=Identity("XOAUTH2", user))
        print("smtp_sink: XOAUTH2 refused for %r: %s" % (user, reason), file=sys.stderr, flush=True)
        # The error goes to the client as a challenge; it answers with an empty line, then 535.
        if await server.challenge_auth(XOAUTH2_ERROR) is MISSING:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False, message="535 5.7.8 Username and Password not accepted")


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        # Called by aiosmtpd's own PLAIN and LOGIN with a LoginPassword (bytes).
        login = getattr(auth_data, "login", b"").decode("utf-8", "replace")
        ok = login == user and getattr(auth_data, "password", b"").decode("utf-8", "replace") == password
        # handled=False on failure: aiosmtpd then answers 535 itself. (AuthResult's default,
        # handled=True, means "the mechanism has answered already": it sent nothing, and a client
        # with a wrong password waited for a reply until its timeout.)
        return AuthResult(success=ok, handled=False, auth_data=Identity(mechanism, login) if ok else None)
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
    parser.add_argument("--ascii-port", type=int, help="a STARTTLS port that does not offer SMTPUTF8 (RFC 6531)")
    parser.add_argument("--fail-file")
    parser.add_argument("--pid-file")
    parser.add_argument("--oauth-user", help="the user XOAUTH2 accepts (with --oauth-key-file)")
    parser.add_argument("--oauth-key-file", help="the HS256 key of the tokens, base64")
    args = parser.parse_args()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    handler = Spool(args.spool, args.fail_file, args.oauth_user, args.oauth_key_file)
    auth = authenticator(args.user, args.password)
    # Without a user and a key to check tokens with, XOAUTH2 is not offered at all.
    exclude = [] if args.oauth_user and args.oauth_key_file else ["XOAUTH2"]
    # Both main ports speak SMTPUTF8 (RFC 6531), as current submission servers do; the ASCII port
    # is the older kind, which refuses a UTF-8 mailbox ("strict ASCII mode").
    starttls = SubmissionController(handler, hostname="127.0.0.1", port=args.port, tls_context=context,
                                    require_starttls=True, authenticator=auth, auth_required=True,
                                    auth_require_tls=True, auth_exclude_mechanism=exclude, enable_SMTPUTF8=True)
    implicit = SubmissionController(handler, hostname="127.0.0.1", port=args.tls_port, ssl_context=context,
                                    authenticator=auth, auth_required=True, auth_require_tls=False,
                                    auth_exclude_mechanism=exclude, enable_SMTPUTF8=True)
    controllers = [starttls, implicit]
    if args.ascii_port:
        controllers.append(SubmissionController(handler, hostname="127.0.0.1", port=args.ascii_port, tls_context=context,
                                                require_starttls=True, authenticator=auth, auth_required=True,
                                                auth_require_tls=True, auth_exclude_mechanism=exclude,
                                                enable_SMTPUTF8=False))  # aiosmtpd's Controller defaults it to on
    for controller in controllers:
        controller.start()
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write(str(os.getpid()))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    for controller in controllers:
        controller.stop()


if __name__ == "__main__":
    main()

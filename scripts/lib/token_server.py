#!/usr/bin/python3
"""A small OAuth2 authorization server for mailintake's tests, on loopback over HTTPS.

It issues what a real provider issues to a mail client: access tokens (HS256 JWTs that the
test Dovecot and the test SMTP server validate locally with the same key file) and rotating
refresh tokens, through the client-credentials, refresh-token, device (RFC 8628) and
authorization-code-with-PKCE (RFC 7636) grants. Tests steer it through POST /control (make it
fail, hang, shorten lifetimes, lie about them, revoke everything) and read what it did from
GET /stats. Everything it knows is kept in memory and written to STATE_DIR/state.json after
every change, so a test can stop and start it (mailstack.sh stop-token / start-token) and the
refresh tokens it handed out stay valid.

Endpoints: POST /token, POST /devicecode, GET /device (the verification page),
GET /device/approve?user_code=X, GET /device/deny?user_code=X, GET /authorize, POST /control,
GET /control, GET /stats.

The refresh-token rotation rule (the point of most client tests): every use of a refresh token
answers with a new one, its successor. The old one keeps working until one of its successors
has itself been used at /token, so a client that crashed after the answer but before saving the
new token can still start with the old one; but it works for one such second use only, so a
client that never saves rotated tokens gets invalid_grant on its second restart.

It logs one line per request to stderr, never a token, a code or a secret.
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import secrets
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# RFC 8628 section 6.1: user codes from 20 consonants, so no words and no 0/O or 1/I mix-ups.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
MAX_BODY = 64 << 10
AUTH_CODE_LIFETIME = 600
# A hung request is held at most this long, so its thread ends even if the client never leaves.
HANG_LIMIT = 600
# Dead refresh tokens are remembered (to say why they are dead) up to this many.
DEAD_KEPT = 2000
PKCE_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")

# What /control can set, with the defaults. claimed_lifetime None means "= access_lifetime".
# token_size pads access tokens to at least that many characters: real providers' tokens are
# 1-2.5 KB, longer than an SMTP line (1000) and than aiosmtpd's default AUTH line (512), and a
# client must cope with that. (Not 1500: for the user "office" that makes an XOAUTH2 response of
# exactly 2052 base64 characters, and Dovecot 2.3.19's imap-login then sometimes stalls when the
# response and its CRLF come in separate writes, as imaplib sends them; it does so at 4104 and
# 6156 too. Dovecot takes no SASL response longer than about 8180 characters.)
DEFAULT_SETTINGS = {
    "mode": "normal",
    "access_lifetime": 3600,
    "claimed_lifetime": None,
    "device_expires_in": 600,
    "device_interval": 5,
    "token_size": 1600,
    "require_secret": False,
}
MODES = ("normal", "fail", "hang")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def read_key(path):
    """The HS256 key. The file holds it in base64, because that is what Dovecot 2.3 reads there."""
    with open(path, "rb") as f:
        return base64.b64decode(f.read().strip(), validate=True)


class OAuthError(Exception):
    """An error answer: HTTP status, RFC 6749 error code, and a description."""

    def __init__(self, status, error, description):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


class State:
    """Everything the server knows. Callers hold `lock` and call save() after each change."""

    def __init__(self, path, client_id, client_secret, user):
        self.path = path
        self.lock = threading.Lock()
        self.data = {
            "clients": {client_id: {"secret": client_secret}},
            "user": user,
            "settings": dict(DEFAULT_SETTINGS),
            # token -> {client_id, scope, parent, family, uses, issued, dead (None or a reason)}
            "refresh": {},
            # device_code -> {user_code, client_id, scope, expires, interval, last_poll, status}
            "device": {},
            # code -> {client_id, redirect_uri, challenge, scope, expires}
            "codes": {},
            # "token": {grant_type: {outcome: n}}, "devicecode": {outcome: n}, "authorize": {outcome: n}
            "counts": {"token": {}, "devicecode": {}, "authorize": {}},
        }
        if os.path.exists(path):
            with open(path) as f:
                saved = json.load(f)
            self.data.update(saved)
            # Settings added to this script since the file was written get their defaults.
            self.data["settings"] = dict(DEFAULT_SETTINGS, **saved.get("settings", {}))
            self.data["clients"][client_id] = {"secret": client_secret}
            self.data["user"] = user
        self.save()

    def save(self):
        # Written aside, flushed to disk, then renamed over the old file: a reader (or a restart
        # after a kill) sees the old state or the new one, never half of one.
        temporary = self.path + ".tmp"
        with open(temporary, "w") as f:
            json.dump(self.data, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.path)

    @property
    def settings(self):
        return self.data["settings"]

    def count(self, kind, outcome, grant=None):
        table = self.data["counts"].setdefault(kind, {})
        if grant is not None:
            table = table.setdefault(grant, {})
        table[outcome] = table.get(outcome, 0) + 1

    # Refresh tokens.

    def new_refresh(self, client_id, scope, parent=None, family=None):
        token = secrets.token_urlsafe(32)
        self.data["refresh"][token] = {"client_id": client_id, "scope": scope, "parent": parent,
                                       "family": family or secrets.token_hex(8), "uses": 0,
                                       "issued": time.time(), "dead": None}
        return token

    def kill(self, token, reason):
        record = self.data["refresh"].get(token)
        if record is not None and record["dead"] is None:
            record["dead"] = reason
            record["died"] = time.time()

    def forget_old_dead(self):
        dead = sorted((r["died"], t) for t, r in self.data["refresh"].items() if r["dead"] is not None)
        for _, token in dead[:max(0, len(dead) - DEAD_KEPT)]:
            del self.data["refresh"][token]

    def live_refresh(self):
        return [t for t, r in self.data["refresh"].items() if r["dead"] is None]

    def rotate(self, token, client_id):
        """Uses a refresh token: returns its successor and scope, or raises invalid_grant."""
        record = self.data["refresh"].get(token)
        if record is None:
            raise OAuthError(400, "invalid_grant", "unknown refresh token")
        if record["dead"] is not None:
            raise OAuthError(400, "invalid_grant", "refresh token is no longer valid: " + record["dead"])
        if record["client_id"] != client_id:
            raise OAuthError(400, "invalid_grant", "refresh token was issued to another client")
        # The client holds this token, so it has what came before it: the token this one
        # replaced dies now, and so do that token's other successors (the client lost those).
        parent = record["parent"]
        if parent is not None:
            self.kill(parent, "its successor has been used")
            for other, r in self.data["refresh"].items():
                if r["parent"] == parent and other != token:
                    self.kill(other, "another successor of its predecessor has been used")
        record["uses"] += 1
        successor = self.new_refresh(client_id, record["scope"], parent=token, family=record["family"])
        # A second use is the crash-recovery grace; a third would mean the client never saves.
        if record["uses"] >= 2:
            self.kill(token, "it was already used twice (the client did not keep its successor)")
        scope = record["scope"]
        self.forget_old_dead()
        return successor, scope

    def kill_family(self, family, reason):
        for token, record in self.data["refresh"].items():
            if record["family"] == family:
                self.kill(token, reason)


class TokenServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # start-token binds the old port again at once

    def __init__(self, address, context, state, key_file, issuer):
        super().__init__(address, Handler)
        self.context = context
        self.state = state
        self.key_file = key_file
        self.issuer = issuer
        self.stopping = threading.Event()

    def get_request(self):
        # The TLS handshake happens in the request's own thread (Handler.setup), so one slow or
        # broken client cannot hold up accept() for everyone else.
        sock, address = self.socket.accept()
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request, client_address):
        # One line, not a traceback: clients that reject the certificate or vanish are normal here.
        error = sys.exc_info()[1]
        if isinstance(error, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError, BrokenPipeError)):
            return  # connected and left without a word: mailstack.sh's port probe, for one
        log("connection from %s:%d ended: %s" % (client_address[0], client_address[1], error))

    def access_token(self, client_id, scope):
        """A signed JWT with the claims Dovecot 2.3.19's local validation insists on."""
        settings = self.state.settings
        now = int(time.time())
        lifetime = settings["access_lifetime"]
        # Dovecot refuses a JWT whose header lacks typ "JWT", or whose claims lack sub or exp;
        # it takes the user from the claim username_attribute names (email). It checks iat and
        # nbf only if present. No "azp": Dovecot would look for the key under that name.
        header = {"alg": "HS256", "typ": "JWT"}
        user = self.state.data["user"]
        claims = {"iss": self.issuer, "sub": user, "email": user, "aud": client_id, "scope": scope,
                  "iat": now, "nbf": now, "exp": now + lifetime, "jti": secrets.token_hex(12)}
        key = read_key(self.key_file)  # read each time, so a test may replace the key

        def sign():
            signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
                b64url(json.dumps(claims, separators=(",", ":")).encode())
            return signing_input + "." + b64url(hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest())

        token = sign()
        # Padded to the size of a real provider's token (see DEFAULT_SETTINGS): each character of
        # the claim adds 4/3 of a character to the token.
        while len(token) < settings["token_size"]:
            claims["ext"] = claims.get("ext", "") + "x" * ((settings["token_size"] - len(token)) * 3 // 4 + 1)
            token = sign()
        claimed = settings["claimed_lifetime"]
        return token, lifetime if claimed is None else claimed


def log(text):
    sys.stderr.write("%s token-server: %s\n" % (time.strftime("%H:%M:%S"), text))
    sys.stderr.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real token endpoints and libcurl use it
    server_version = "mailintake-test-oauth/1"
    timeout = 30  # an idle keep-alive connection gives its thread back after this

    def setup(self):
        super().setup()
        self.connection.do_handshake()

    def log_message(self, format, *args):
        pass  # replaced by the one line per request in finish_request_log()

    # Plumbing.

    detail = ""  # what the log line adds to the path, e.g. " grant=refresh_token"

    def finish_request_log(self, status, outcome):
        path = urllib.parse.urlsplit(self.path).path  # the query can hold codes: never logged
        log("%s %s%s -> %s %s" % (self.command, path, self.detail, status, outcome))

    def send(self, status, body, content_type="application/json", headers=()):
        data = (json.dumps(body) + "\n").encode() if content_type == "application/json" else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type + ("" if content_type == "application/json" else "; charset=utf-8"))
        self.send_header("Content-Length", str(len(data)))
        # RFC 6749 section 5.1: token answers must not be cached.
        self.send_header("Cache-Control", "no-store")
        self.send_header("Pragma", "no-cache")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_error_json(self, error):
        if error.status in (411, 413):
            self.close_connection = True  # the body was not read: the next request cannot be found
        headers = [("WWW-Authenticate", 'Basic realm="mailintake-test"')] if error.status == 401 else []
        self.send(error.status, {"error": error.error, "error_description": error.description}, headers=headers)

    def read_body(self):
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise OAuthError(411 if length is None else 400, "invalid_request", "a Content-Length is required")
        if int(length) > MAX_BODY:
            raise OAuthError(413, "invalid_request", "request body too large")
        return self.rfile.read(int(length))

    def read_form(self):
        body = self.read_body()
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise OAuthError(400, "invalid_request", "the body must be application/x-www-form-urlencoded")
        try:
            pairs = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
        except (UnicodeDecodeError, ValueError):
            raise OAuthError(400, "invalid_request", "malformed form body")
        form = {}
        for name, value in pairs:
            # RFC 6749 section 3.1: a parameter must not be given twice.
            if name in form:
                raise OAuthError(400, "invalid_request", "parameter %s given more than once" % name)
            form[name] = value
        return form

    def query(self):
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query, keep_blank_values=True))

    def client(self, form, need_secret):
        """The authenticated client's id: from HTTP Basic or from the form (RFC 6749 section 2.3.1)."""
        state = self.server.state
        basic = self.headers.get("Authorization")
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if basic is not None:
            scheme, _, encoded = basic.partition(" ")
            try:
                if scheme.lower() != "basic":
                    raise ValueError()
                user, colon, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
                if not colon:
                    raise ValueError()
            except ValueError:
                raise OAuthError(401, "invalid_client", "malformed Authorization header")
            if secret is not None:
                raise OAuthError(400, "invalid_request", "client authenticated both by HTTP Basic and in the body")
            # The id and the secret are form-urlencoded before they are put in the Basic header.
            basic_id = urllib.parse.unquote_plus(user)
            if client_id is not None and client_id != basic_id:
                raise OAuthError(401, "invalid_client", "client_id differs from the Basic user")
            client_id, secret = basic_id, urllib.parse.unquote_plus(password)
        registered = state.data["clients"].get(client_id or "")
        if registered is None:
            raise OAuthError(401, "invalid_client", "unknown client")
        if secret is None and (need_secret or state.settings["require_secret"]):
            raise OAuthError(401, "invalid_client", "client authentication required")
        if secret is not None and not hmac.compare_digest(secret.encode(), registered["secret"].encode()):
            raise OAuthError(401, "invalid_client", "wrong client secret")
        return client_id

    def misbehave(self, kind, grant=None):
        """Fail mode and hang mode for /token and /devicecode. True if the request is dealt with."""
        state = self.server.state
        with state.lock:
            mode = state.settings["mode"]
            if mode != "normal":
                state.count(kind, "unavailable" if mode == "fail" else "hung", grant)
                state.save()
        if mode == "fail":
            self.send(503, {"error": "temporarily_unavailable", "error_description": "the server is in fail mode"})
            self.finish_request_log(503, "fail mode")
            return True
        if mode == "hang":
            self.finish_request_log("-", "hung (hang mode)")
            self.hang()
            return True
        return False

    def hang(self):
        # Never answer: hold the connection until the client gives up or the server stops.
        self.close_connection = True
        deadline = time.monotonic() + HANG_LIMIT
        self.connection.settimeout(0.5)
        while time.monotonic() < deadline and not self.server.stopping.is_set():
            try:
                if not self.connection.recv(4096):
                    return
            except socket.timeout:
                continue
            except (OSError, ssl.SSLError):
                return

    # Dispatch.

    def do_GET(self):
        routes = {"/authorize": self.authorize, "/device": self.device_page, "/device/approve": self.decide,
                  "/device/deny": self.decide, "/stats": self.stats, "/control": self.control}
        self.route(routes)

    def do_POST(self):
        routes = {"/token": self.token, "/devicecode": self.devicecode, "/control": self.control}
        self.route(routes)

    def route(self, routes):
        self.detail = ""
        handler = routes.get(urllib.parse.urlsplit(self.path).path)
        try:
            if handler is None:
                raise OAuthError(404, "not_found", "no such endpoint")
            handler()
        except OAuthError as error:
            self.send_error_json(error)
            self.finish_request_log(error.status, error.error)

    # POST /token

    def token(self):
        form = self.read_form()
        grant = form.get("grant_type", "")
        self.detail = " grant=" + grant[:60]
        if self.misbehave("token", grant):
            return
        state = self.server.state
        grants = {"client_credentials": self.grant_client_credentials, "refresh_token": self.grant_refresh,
                  DEVICE_GRANT: self.grant_device, "authorization_code": self.grant_code}
        with state.lock:
            try:
                if grant not in grants:
                    raise OAuthError(400, "unsupported_grant_type", "grant_type %r is not supported" % grant[:60])
                answer = grants[grant](form)
            except OAuthError as error:
                state.count("token", error.error, grant if grant in grants else "other")
                state.save()
                raise
            state.count("token", "ok", grant)
            state.save()
        self.send(200, answer)
        self.finish_request_log(200, "ok")

    def tokens(self, client_id, scope, refresh):
        access, expires_in = self.server.access_token(client_id, scope)
        answer = {"access_token": access, "token_type": "Bearer", "expires_in": expires_in, "scope": scope}
        if refresh is not None:
            answer["refresh_token"] = refresh
        return answer

    def grant_client_credentials(self, form):
        client_id = self.client(form, need_secret=True)
        return self.tokens(client_id, form.get("scope", ""), None)

    def grant_refresh(self, form):
        client_id = self.client(form, need_secret=False)
        token = form.get("refresh_token")
        if not token:
            raise OAuthError(400, "invalid_request", "refresh_token is missing")
        successor, scope = self.server.state.rotate(token, client_id)
        return self.tokens(client_id, scope, successor)

    def grant_device(self, form):
        client_id = self.client(form, need_secret=False)
        state = self.server.state
        record = state.data["device"].get(form.get("device_code", ""))
        if record is None or record["client_id"] != client_id:
            raise OAuthError(400, "invalid_grant", "unknown device code")
        now = time.time()
        last_poll, record["last_poll"] = record["last_poll"], now
        if record["status"] == "used":
            raise OAuthError(400, "invalid_grant", "device code already exchanged")
        if now >= record["expires"]:
            raise OAuthError(400, "expired_token", "device code expired")
        if record["status"] == "denied":
            raise OAuthError(400, "access_denied", "the user denied the request")
        if record["status"] == "pending":
            # RFC 8628 section 3.5: polling faster than the interval earns slow_down and an interval
            # 5 seconds longer. The first poll is not timed: the RFC limits the time between polls.
            if last_poll is not None and now - last_poll < record["interval"]:
                record["interval"] += 5
                raise OAuthError(400, "slow_down", "polled too soon; the interval is now %d s" % record["interval"])
            raise OAuthError(400, "authorization_pending", "the user has not decided yet")
        record["status"] = "used"
        return self.tokens(client_id, record["scope"], state.new_refresh(client_id, record["scope"]))

    def grant_code(self, form):
        client_id = self.client(form, need_secret=False)
        state = self.server.state
        code = form.get("code", "")
        record = state.data["codes"].get(code)
        if record is None or record["client_id"] != client_id:
            raise OAuthError(400, "invalid_grant", "unknown authorization code")
        if record.get("used_by") is not None:
            # RFC 6749 section 4.1.2: a code used twice revokes what it was exchanged for.
            state.kill_family(record["used_by"], "its authorization code was used twice")
            raise OAuthError(400, "invalid_grant", "authorization code already used")
        if time.time() >= record["expires"]:
            raise OAuthError(400, "invalid_grant", "authorization code expired")
        if form.get("redirect_uri") != record["redirect_uri"]:
            raise OAuthError(400, "invalid_grant", "redirect_uri differs from the one in the authorization request")
        verifier = form.get("code_verifier", "")
        if not PKCE_VERIFIER.match(verifier):
            raise OAuthError(400, "invalid_grant", "code_verifier missing or malformed")
        if not hmac.compare_digest(b64url(hashlib.sha256(verifier.encode()).digest()), record["challenge"]):
            raise OAuthError(400, "invalid_grant", "code_verifier does not match the code_challenge")
        refresh = state.new_refresh(client_id, record["scope"])
        record["used_by"] = state.data["refresh"][refresh]["family"]
        return self.tokens(client_id, record["scope"], refresh)

    # POST /devicecode

    def devicecode(self):
        form = self.read_form()
        if self.misbehave("devicecode"):
            return
        state = self.server.state
        with state.lock:
            try:
                client_id = self.client(form, need_secret=False)
            except OAuthError as error:
                state.count("devicecode", error.error)
                state.save()
                raise
            settings = state.settings
            now = time.time()
            # Expired codes are dropped here, so the state file does not grow without end.
            for code in [c for c, r in state.data["device"].items() if r["expires"] + 3600 < now]:
                del state.data["device"][code]
            taken = {r["user_code"] for r in state.data["device"].values()}
            while True:
                letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
                user_code = letters[:4] + "-" + letters[4:]
                if user_code not in taken:
                    break
            device_code = secrets.token_urlsafe(32)
            state.data["device"][device_code] = {
                "user_code": user_code, "client_id": client_id, "scope": form.get("scope", ""),
                "expires": now + settings["device_expires_in"], "interval": settings["device_interval"],
                "last_poll": None, "status": "pending"}
            state.count("devicecode", "ok")
            state.save()
        page = self.server.issuer + "/device"
        self.send(200, {"device_code": device_code, "user_code": user_code, "verification_uri": page,
                        "verification_uri_complete": page + "?user_code=" + user_code,
                        "expires_in": settings["device_expires_in"], "interval": settings["device_interval"]})
        self.finish_request_log(200, "ok")

    # The person's side of the device flow.

    def find_device(self, user_code):
        wanted = re.sub(r"[\s-]", "", user_code or "").upper()  # RFC 8628 section 6.1: forgiving input
        for record in self.server.state.data["device"].values():
            if record["user_code"].replace("-", "") == wanted:
                return record
        return None

    def device_page(self):
        text = ("mailintake test authorization server\n\nTo decide on a device code, open\n"
                "  /device/approve?user_code=XXXX-XXXX  or  /device/deny?user_code=XXXX-XXXX\n")
        self.send(200, text, content_type="text/plain")
        self.finish_request_log(200, "page")

    def decide(self):
        approve = urllib.parse.urlsplit(self.path).path.endswith("/approve")
        state = self.server.state
        with state.lock:
            record = self.find_device(self.query().get("user_code"))
            if record is None:
                status, text = 404, "unknown user code\n"
            elif time.time() >= record["expires"]:
                status, text = 410, "this code has expired\n"
            elif record["status"] != "pending":
                status, text = 409, "this code was already decided (%s)\n" % record["status"]
            else:
                record["status"] = "approved" if approve else "denied"
                state.save()
                status, text = 200, ("approved" if approve else "denied") + "\n"
        self.send(status, text, content_type="text/plain")
        self.finish_request_log(status, text.strip())

    # GET /authorize: the authorization-code flow, approved at once (no person to ask).

    def authorize(self):
        state = self.server.state
        query = self.query()
        redirect_uri = query.get("redirect_uri", "")
        with state.lock:
            # Without a known client and a usable redirect_uri, an error cannot be redirected.
            if query.get("client_id") not in state.data["clients"] or \
                    urllib.parse.urlsplit(redirect_uri).scheme not in ("http", "https"):
                state.count("authorize", "refused")
                state.save()
                self.send(400, "unknown client_id or unusable redirect_uri\n", content_type="text/plain")
                self.finish_request_log(400, "refused")
                return
            params = {"state": query["state"]} if "state" in query else {}
            if query.get("response_type") != "code":
                params["error"] = "unsupported_response_type"
            elif query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                params.update(error="invalid_request", error_description="PKCE with S256 is required")
            else:
                code = secrets.token_urlsafe(24)
                state.data["codes"][code] = {"client_id": query["client_id"], "redirect_uri": redirect_uri,
                                             "challenge": query["code_challenge"], "scope": query.get("scope", ""),
                                             "expires": time.time() + AUTH_CODE_LIFETIME, "used_by": None}
                now = time.time()
                for old in [c for c, r in state.data["codes"].items() if r["expires"] + 3600 < now]:
                    del state.data["codes"][old]
                params["code"] = code
            state.count("authorize", params.get("error", "ok"))
            state.save()
        separator = "&" if urllib.parse.urlsplit(redirect_uri).query else "?"
        location = redirect_uri + separator + urllib.parse.urlencode(params)
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.finish_request_log(302, params.get("error", "code issued"))

    # Test controls.

    def control(self):
        state = self.server.state
        changes = {}
        if self.command == "POST":
            try:
                changes = json.loads(self.read_body() or b"{}")
            except ValueError:
                raise OAuthError(400, "invalid_request", "the body must be a JSON object")
            if not isinstance(changes, dict):
                raise OAuthError(400, "invalid_request", "the body must be a JSON object")
        with state.lock:
            settings = dict(state.settings)
            for key, value in changes.items():
                if key == "mode":
                    if value not in MODES:
                        raise OAuthError(400, "invalid_request", "mode must be one of " + ", ".join(MODES))
                    settings["mode"] = value
                elif key in ("access_lifetime", "claimed_lifetime", "device_expires_in", "device_interval", "token_size"):
                    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0) and \
                            not (key == "claimed_lifetime" and value is None):
                        raise OAuthError(400, "invalid_request", key + " must be a whole number of seconds >= 0")
                    settings[key] = value
                elif key == "require_secret":
                    settings[key] = bool(value)
                elif key in ("revoke", "reset_counts", "reset"):
                    pass  # actions, done below once everything has been checked
                else:
                    raise OAuthError(400, "invalid_request", "unknown control key %r" % key)
            if changes.get("reset"):
                settings = dict(DEFAULT_SETTINGS)
            state.data["settings"] = settings
            if changes.get("revoke"):
                for token in state.live_refresh():
                    state.kill(token, "revoked")
            if changes.get("reset_counts"):
                state.data["counts"] = {"token": {}, "devicecode": {}, "authorize": {}}
            if changes:
                state.save()
            answer = dict(settings)
        self.send(200, answer)
        self.finish_request_log(200, "settings" + (" changed: " + ",".join(sorted(changes)) if changes else ""))

    def stats(self):
        state = self.server.state
        with state.lock:
            counts = state.data["counts"]
            by_grant = {g: sum(o.values()) for g, o in counts["token"].items()}
            by_outcome = {}
            for outcomes in counts["token"].values():
                for outcome, n in outcomes.items():
                    by_outcome[outcome] = by_outcome.get(outcome, 0) + n
            live = state.live_refresh()
            answer = {
                "mode": state.settings["mode"],
                "settings": dict(state.settings),
                "token_requests": sum(by_grant.values()),
                "token_by_grant": by_grant,
                "token_by_outcome": by_outcome,
                "token_by_grant_and_outcome": counts["token"],
                "devicecode_requests": counts["devicecode"],
                "authorize_requests": counts["authorize"],
                "live_refresh_tokens": len(live),
                # Every refresh token /token would accept now ...
                "valid_refresh_tokens": live,
                # ... and those never exchanged yet: a client that keeps what it was given last
                # holds one of these (the others are predecessors in their grace period).
                "current_refresh_tokens": [t for t in live if state.data["refresh"][t]["uses"] == 0],
                "pending_device_codes": sum(1 for r in state.data["device"].values()
                                            if r["status"] == "pending" and r["expires"] > time.time()),
            }
        self.send(200, answer)
        self.finish_request_log(200, "stats")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--jwt-key-file", required=True, help="the HS256 key, base64 (Dovecot's format)")
    parser.add_argument("--user", required=True, help="whom every token is for (sub and email)")
    parser.add_argument("--client-id", default="mailintake-test")
    parser.add_argument("--client-secret", default="test-client-secret")
    parser.add_argument("--pid-file")
    args = parser.parse_args()

    read_key(args.jwt_key_file)  # fail now, not at the first request, if the key is unusable
    os.makedirs(args.state_dir, mode=0o700, exist_ok=True)
    state = State(os.path.join(args.state_dir, "state.json"), args.client_id, args.client_secret, args.user)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    server = TokenServer(("127.0.0.1", args.port), context, state, args.jwt_key_file,
                         "https://127.0.0.1:%d" % args.port)
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write(str(os.getpid()))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    log("listening on 127.0.0.1:%d" % args.port)
    stop.wait()
    server.stopping.set()
    server.shutdown()
    server.server_close()
    if args.pid_file:
        try:
            os.unlink(args.pid_file)
        except FileNotFoundError:
            pass
    log("stopped")


if __name__ == "__main__":
    main()

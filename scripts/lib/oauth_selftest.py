#!/usr/bin/python3
"""End-to-end check of the mail stack's OAuth2 pieces, with Python's standard library only:
the token server (token_server.py and token_tool.py), Dovecot's XOAUTH2/OAUTHBEARER and the
SMTP server's XOAUTH2.

    oauth_selftest.py        starts a private stack in a temporary folder, checks it, stops it
    oauth_selftest.py DIR    checks the stack running in DIR (started by mailstack.sh start DIR)

A private stack is removed when every check passed, and kept (stopped) for its logs otherwise.

It changes the token server's settings and revokes its refresh tokens (it resets the settings
when done), so do not point it at a stack other tests are using at the same time.
Prints one line per check; exits 1 at the first failure.

Dovecot makes every failed login from an address wait longer than the last (2 s, 6 s, 10 s,
15 s: its auth penalty, kept per client IP), so the logins meant to fail come from addresses of
their own in 127.0.0.0/8, and the ones meant to succeed from 127.0.0.1 stay fast.
"""
import base64
import hashlib
import hmac
import http.client
import imaplib
import itertools
import json
import os
import re
import secrets
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from email.message import EmailMessage

HERE = os.path.dirname(os.path.abspath(__file__))
MAILSTACK = os.path.join(os.path.dirname(HERE), "mailstack.sh")
TOKEN_TOOL = os.path.join(HERE, "token_tool.py")
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

env = {}
_failing_sources = itertools.count(20)  # 127.0.0.20, .21, ...: one per login meant to fail


class Failed(Exception):
    pass


def check(condition, what, detail=""):
    if not condition:
        raise Failed(what + (": " + str(detail) if detail != "" else ""))
    print("ok   " + what, flush=True)


def read_env(directory):
    values = {}
    with open(os.path.join(directory, "env")) as f:
        for line in f:
            if line.startswith("export ") and "=" in line:
                name, value = line[7:].strip().split("=", 1)
                values[name] = value.strip("'")
    return values


def tls():
    return ssl.create_default_context(cafile=env["MI_CA"])


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# HTTP, to the token server.

def http_request(method, url, body=None, headers=None, timeout=10):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout, context=tls())
    try:
        connection.request(method, parts.path + ("?" + parts.query if parts.query else ""), body, headers or {})
        response = connection.getresponse()
        text = response.read().decode()
        try:
            data = json.loads(text)
        except ValueError:
            data = text
        return response.status, data
    finally:
        connection.close()


def post_form(url, fields, auth="basic", timeout=10, secret=None):
    """auth: "basic" (HTTP Basic), "body" (client_secret in the form), "public" (client_id only)."""
    fields = dict(fields)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    secret = env["MI_OAUTH_CLIENT_SECRET"] if secret is None else secret
    if auth == "basic":
        pair = "%s:%s" % (env["MI_OAUTH_CLIENT_ID"], secret)
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    elif auth == "body":
        fields.update(client_id=env["MI_OAUTH_CLIENT_ID"], client_secret=secret)
    else:
        fields["client_id"] = env["MI_OAUTH_CLIENT_ID"]
    return http_request("POST", url, urllib.parse.urlencode(fields), headers, timeout)


def token(fields, **kwargs):
    return post_form(env["MI_TOKEN_URL"], fields, **kwargs)


def refresh(refresh_token, **kwargs):
    return token({"grant_type": "refresh_token", "refresh_token": refresh_token}, **kwargs)


def control(settings):
    status, data = http_request("POST", env["MI_TOKEN_CONTROL"], json.dumps(settings), {"Content-Type": "application/json"})
    if status != 200:
        raise Failed("control %s: %s %s" % (settings, status, data))
    return data


def stats():
    status, data = http_request("GET", env["MI_TOKEN_STATS"])
    if status != 200:
        raise Failed("stats: %s %s" % (status, data))
    return data


def tool(*args, expect_ok=True):
    result = subprocess.run([sys.executable, TOKEN_TOOL] + list(args), env=dict(os.environ, **env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    if expect_ok and result.returncode != 0:
        raise Failed("token_tool %s: %s" % (" ".join(args), result.stderr.strip()))
    return result


def access_token():
    status, data = token({"grant_type": "client_credentials"})
    if status != 200:
        raise Failed("client_credentials: %s %s" % (status, data))
    return data["access_token"]


def mint(claims, key=None):
    """A JWT made here, for the cases the token server never issues (another user, another key)."""
    if key is None:
        with open(env["MI_OAUTH_KEY_FILE"], "rb") as f:
            key = base64.b64decode(f.read().strip())
    signing_input = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64url(json.dumps(claims).encode())
    return signing_input + "." + b64url(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())


# IMAP.

class IMAPFrom(imaplib.IMAP4):
    """IMAP4 from a chosen local address (for logins meant to fail; see the module's docstring)."""

    def __init__(self, host, port, source):
        self.source = source
        super().__init__(host, port, timeout=30)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(self.source, 0))


def imap_login(mechanism, access, user="office", source="127.0.0.1"):
    """Logs in with XOAUTH2 or OAUTHBEARER after STARTTLS and selects INBOX: None, or the error."""
    imap = IMAPFrom("127.0.0.1", int(env["MI_IMAP_PORT"]), source)
    try:
        imap.starttls(tls())
        if mechanism == "XOAUTH2":
            response = "user=%s\x01auth=Bearer %s\x01\x01" % (user, access)
        else:  # RFC 7628
            response = "n,a=%s,\x01host=127.0.0.1\x01port=%s\x01auth=Bearer %s\x01\x01" % (user, env["MI_IMAP_PORT"], access)
        imap.authenticate(mechanism, lambda _: response.encode())
        status, _ = imap.select("INBOX")
        imap.logout()
        return None if status == "OK" else "SELECT said " + status
    except imaplib.IMAP4.error as error:
        return str(error)
    finally:
        try:
            imap.shutdown()
        except OSError:
            pass


def imap_refused_in_parallel(cases):
    """Each case (name, token, user) must be refused; the failure delays overlap."""
    results = {}

    def attempt(name, access, user, source):
        results[name] = imap_login("XOAUTH2", access, user, source)

    threads = [threading.Thread(target=attempt, args=(name, access, user, "127.0.0.%d" % next(_failing_sources)))
               for name, access, user in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name, _, _ in cases:
        check(results[name] is not None and "AUTHENTICATIONFAILED" in results[name],
              "IMAP XOAUTH2 refuses " + name, results[name])


# SMTP.

class XOAuth2:
    """smtplib authobject: the XOAUTH2 response, and an empty line after an error challenge."""

    def __init__(self, user, access):
        self.response = "user=%s\x01auth=Bearer %s\x01\x01" % (user, access)
        self.error = None

    def __call__(self, challenge=None):
        if not challenge:  # None: the initial response; b"": the server's empty 334
            return self.response
        self.error = json.loads(challenge)  # the server's refusal, as XOAUTH2 sends it
        return ""


def smtp_send(authenticate, implicit_tls=False):
    """Submits one message after authenticate(smtp); returns its spool JSON."""
    marker = "<%s@oauth-selftest>" % secrets.token_hex(8)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"], message["Message-ID"] = \
        "office@example.test", "someone@example.test", "oauth self-test", marker
    message.set_content("hello\n")
    if implicit_tls:
        smtp = smtplib.SMTP_SSL("127.0.0.1", int(env["MI_SMTPS_PORT"]), context=tls(), timeout=30)
    else:
        smtp = smtplib.SMTP("127.0.0.1", int(env["MI_SMTP_PORT"]), timeout=30)
        smtp.starttls(context=tls())
    try:
        smtp.ehlo()
        authenticate(smtp)
        smtp.send_message(message)
        smtp.quit()
    finally:
        smtp.close()
    spool = env["MI_SMTP_SPOOL"]
    for name in sorted(os.listdir(spool), reverse=True):
        if name.endswith(".eml"):
            with open(os.path.join(spool, name), "rb") as f:
                if marker.encode() in f.read():
                    with open(os.path.join(spool, name[:-4] + ".json")) as j:
                        return json.load(j)
    raise Failed("the message is not in the spool")


def smtp_refused(access, user="office"):
    """Tries XOAUTH2 (no initial response): the SMTP code and the error challenge's JSON."""
    smtp = smtplib.SMTP("127.0.0.1", int(env["MI_SMTP_PORT"]), timeout=30)
    try:
        smtp.starttls(context=tls())
        smtp.ehlo()
        auth = XOAuth2(user, access)
        try:
            smtp.auth("XOAUTH2", auth, initial_response_ok=False)
            return 235, None
        except smtplib.SMTPAuthenticationError as error:
            return error.smtp_code, auth.error
    finally:
        smtp.close()


# The checks, in order.

def check_client_credentials():
    status, data = token({"grant_type": "client_credentials"})
    check(status == 200 and data.get("token_type") == "Bearer" and data.get("expires_in") == 3600
          and "refresh_token" not in data, "client_credentials (HTTP Basic) gives a Bearer token, no refresh token", data)
    check(len(data["access_token"]) >= 1600, "the access token is as long as a real one (%d characters)" % len(data["access_token"]))
    status, data = token({"grant_type": "client_credentials"}, auth="body")
    check(status == 200, "client_credentials with the secret in the body", data)
    status, data = token({"grant_type": "client_credentials"}, secret="wrong")
    check(status == 401 and data.get("error") == "invalid_client", "a wrong secret is invalid_client (401)", data)
    status, data = token({"grant_type": "client_credentials"}, auth="public")
    check(status == 401 and data.get("error") == "invalid_client", "client_credentials without the secret is invalid_client", data)
    status, data = token({"grant_type": "password", "username": "office", "password": "x"})
    check(status == 400 and data.get("error") == "unsupported_grant_type", "another grant is unsupported_grant_type", data)


def check_imap():
    access = access_token()
    check(imap_login("XOAUTH2", access) is None, "IMAP STARTTLS + XOAUTH2 logs in and selects INBOX")
    check(imap_login("OAUTHBEARER", access) is None, "IMAP STARTTLS + OAUTHBEARER logs in and selects INBOX")
    imap = imaplib.IMAP4("127.0.0.1", int(env["MI_IMAP_PORT"]), timeout=30)
    imap.starttls(tls())
    check(imap.login(env["MI_USER"], env["MI_PASSWORD"])[0] == "OK", "IMAP password login still works")
    imap.logout()
    now = int(time.time())
    claims = {"sub": "office", "email": "office", "iat": now, "nbf": now, "exp": now + 600}
    # A token the server claims is good for an hour but whose JWT expires in a second.
    control({"access_lifetime": 1, "claimed_lifetime": 3600})
    status, data = token({"grant_type": "client_credentials"})
    check(status == 200 and data["expires_in"] == 3600, "claimed_lifetime: expires_in says 3600 for a 1 s JWT", data)
    control({"access_lifetime": 3600, "claimed_lifetime": None})
    time.sleep(2.1)
    imap_refused_in_parallel([
        ("an expired JWT", data["access_token"], "office"),
        ("a JWT for another user", mint(dict(claims, sub="boss", email="boss")), "office"),
        ("a JWT naming another user than the login", access, "boss"),
        ("a JWT with a bad signature", mint(claims, key=b"not the key" * 3), "office"),
        ("a JWT whose header was changed to alg none", b64url(b'{"alg":"none","typ":"JWT"}') + access[access.index("."):], "office"),
    ])
    return data["access_token"]


def check_smtp(expired):
    access = access_token()
    auth = XOAuth2("office", access)
    line = base64.b64encode(auth.response.encode())
    check(len(line) > 1001, "the XOAUTH2 continuation line is longer than an SMTP line (%d bytes)" % len(line))
    spooled = smtp_send(lambda smtp: smtp.auth("XOAUTH2", auth, initial_response_ok=False))
    check(spooled.get("auth_mechanism") == "XOAUTH2" and spooled.get("auth_user") == "office" and spooled.get("authenticated"),
          "SMTP STARTTLS + XOAUTH2 after 334 submits; the spool says XOAUTH2/office", spooled)
    spooled = smtp_send(lambda smtp: smtp.auth("XOAUTH2", XOAuth2("office", access)))
    check(spooled.get("auth_mechanism") == "XOAUTH2", "SMTP XOAUTH2 with the initial response on the AUTH line", spooled)
    spooled = smtp_send(lambda smtp: smtp.auth("XOAUTH2", XOAuth2("office", access)), implicit_tls=True)
    check(spooled.get("auth_mechanism") == "XOAUTH2", "SMTPS (implicit TLS) + XOAUTH2", spooled)
    spooled = smtp_send(lambda smtp: smtp.login(env["MI_SMTP_USER"], env["MI_SMTP_PASSWORD"]))
    check(spooled.get("auth_mechanism") in ("PLAIN", "LOGIN") and spooled.get("auth_user") == "submit",
          "SMTP password login still works; the spool says %s/submit" % spooled.get("auth_mechanism"), spooled)
    smtp = smtplib.SMTP("127.0.0.1", int(env["MI_SMTP_PORT"]), timeout=10)
    try:
        smtp.starttls(context=tls())
        smtp.login(env["MI_SMTP_USER"], "wrong-password")
        code = 235
    except smtplib.SMTPAuthenticationError as error:
        code = error.smtp_code
    finally:
        smtp.close()
    check(code == 535, "SMTP answers a wrong password with 535 (at once)", code)
    for name, bad, user in [("an expired JWT", expired, "office"),
                            ("a JWT with a bad signature", mint({"sub": "office", "email": "office", "exp": time.time() + 600}, key=b"k" * 32), "office"),
                            ("office's JWT for the user submit", access, "submit")]:
        code, error = smtp_refused(bad, user)
        check(code == 535 and isinstance(error, dict) and error.get("status") == "401",
              "SMTP XOAUTH2 refuses %s: 334 {status 401}, then 535" % name, (code, error))


def issue():
    return tool("issue").stdout.strip()


def check_rotation():
    r0 = issue()
    check(r0 in stats()["current_refresh_tokens"], "token_tool issue prints a current refresh token")
    status, first = refresh(r0)
    check(status == 200 and first.get("refresh_token") not in (None, r0) and first.get("access_token"),
          "refresh_token gives an access token and a new refresh token", first)
    r1 = first["refresh_token"]
    now = stats()
    check(r0 in now["valid_refresh_tokens"] and r1 in now["current_refresh_tokens"] and r0 not in now["current_refresh_tokens"],
          "after rotation the old token is still valid (not current), the new one current")
    status, again = refresh(r0, auth="public")
    check(status == 200, "the old token works again while its successor is unused (a crash before saving)", again)
    r1b = again["refresh_token"]
    status, third = refresh(r1b, auth="body")
    check(status == 200, "the successor works (secret in the body)", third)
    r2 = third["refresh_token"]
    for name, dead in [("the old token", r0), ("the successor the client lost", r1)]:
        status, data = refresh(dead)
        check(status == 400 and data.get("error") == "invalid_grant",
              "once a successor has been used, %s is invalid_grant" % name, data)
    status, data = refresh(r1b)
    check(status == 200, "the used successor keeps its own grace until its successor is used", data)
    status, data = refresh(r2)
    check(status == 200 and r1b not in stats()["valid_refresh_tokens"], "using the next one ends that grace", data)
    # A client that never saves what it is given: start, restart, second restart.
    s0 = issue()
    results = [refresh(s0)[0] for _ in range(2)]
    status, data = refresh(s0)
    check(results == [200, 200] and status == 400 and data.get("error") == "invalid_grant",
          "a client that never saves rotated tokens gets invalid_grant on its second restart", (results, status, data))
    status, data = refresh("no-such-token")
    check(status == 400 and data.get("error") == "invalid_grant", "an unknown refresh token is invalid_grant", data)


def poll(device_code):
    return token({"grant_type": DEVICE_GRANT, "device_code": device_code}, auth="public")


def check_device():
    control({"device_interval": 1})
    status, grant = post_form(env["MI_DEVICE_URL"], {"scope": "mail"}, auth="public")
    base = "https://127.0.0.1:%s" % env["MI_TOKEN_PORT"]
    check(status == 200 and re.match(r"^[A-Z]{4}-[A-Z]{4}$", grant.get("user_code", "")) and
          grant.get("verification_uri") == base + "/device" and grant.get("interval") == 1 and
          grant.get("expires_in") == 600 and grant.get("device_code"), "/devicecode answers as RFC 8628 says", grant)
    status, data = poll(grant["device_code"])
    check(status == 400 and data.get("error") == "authorization_pending", "device: authorization_pending", data)
    status, data = poll(grant["device_code"])
    check(status == 400 and data.get("error") == "slow_down", "device: polled at once again, slow_down", data)
    check(tool("approve", grant["user_code"].lower().replace("-", "")).stdout.strip() == "approved",
          "token_tool approve (user code typed in lower case without the dash)")
    status, data = poll(grant["device_code"])
    check(status == 200 and data.get("refresh_token") in stats()["current_refresh_tokens"],
          "device: after approval, an access token and a valid refresh token", data)
    status, data = poll(grant["device_code"])
    check(status == 400 and data.get("error") == "invalid_grant", "device: the code cannot be exchanged twice", data)

    status, grant = post_form(env["MI_DEVICE_URL"], {"scope": "mail"}, auth="basic")
    check(tool("deny", grant["user_code"]).stdout.strip() == "denied", "token_tool deny")
    status, data = poll(grant["device_code"])
    check(status == 400 and data.get("error") == "access_denied", "device: denied gives access_denied", data)

    control({"device_expires_in": 1})
    status, grant = post_form(env["MI_DEVICE_URL"], {"scope": "mail"}, auth="public")
    time.sleep(1.2)
    status, data = poll(grant["device_code"])
    check(status == 400 and data.get("error") == "expired_token", "device: after expires_in, expired_token", data)
    check(tool("approve", grant["user_code"], expect_ok=False).returncode == 1, "an expired code cannot be approved")
    control({"device_expires_in": 600, "device_interval": 5})


def check_authorization_code():
    verifier = secrets.token_urlsafe(48)
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    redirect = "http://127.0.0.1:9/callback"
    query = {"response_type": "code", "client_id": env["MI_OAUTH_CLIENT_ID"], "redirect_uri": redirect,
             "state": "s-42", "code_challenge": challenge, "code_challenge_method": "S256", "scope": "mail"}
    location = tool("authorize", env["MI_AUTHORIZE_URL"] + "?" + urllib.parse.urlencode(query)).stdout.strip()
    answer = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    check(location.startswith(redirect + "?") and answer.get("state") == "s-42" and answer.get("code"),
          "/authorize redirects to redirect_uri with a code and the state")
    fields = {"grant_type": "authorization_code", "code": answer["code"], "redirect_uri": redirect}
    status, data = token(dict(fields, code_verifier=secrets.token_urlsafe(48)), auth="public")
    check(status == 400 and data.get("error") == "invalid_grant", "authorization_code with the wrong verifier: invalid_grant", data)
    status, data = token(dict(fields, code_verifier=verifier), auth="public")
    check(status == 200 and data.get("refresh_token") and data.get("access_token"), "authorization_code with PKCE S256", data)
    status, again = token(dict(fields, code_verifier=verifier), auth="public")
    check(status == 400 and again.get("error") == "invalid_grant" and
          data["refresh_token"] not in stats()["valid_refresh_tokens"],
          "a code used twice is invalid_grant and revokes what it gave", again)
    location = tool("authorize", env["MI_AUTHORIZE_URL"] + "?" + urllib.parse.urlencode(
        dict(query, code_challenge_method="plain"))).stdout.strip()
    check("error=invalid_request" in location, "/authorize without S256 redirects with invalid_request")


def check_fail_and_hang():
    control({"mode": "fail"})
    status, data = token({"grant_type": "client_credentials"})
    check(status == 503 and data.get("error"), "fail mode: /token answers 503 with a JSON error", data)
    status, data = post_form(env["MI_DEVICE_URL"], {}, auth="public")
    check(status == 503, "fail mode: /devicecode answers 503", data)
    check(stats()["mode"] == "fail", "fail mode: /stats still answers")
    check(json.loads(tool("control", '{"mode":"hang"}').stdout)["mode"] == "hang", "token_tool control sets hang mode")
    started = time.monotonic()
    try:
        token({"grant_type": "client_credentials"}, timeout=2)
        timed_out = False
    except (socket.timeout, TimeoutError):
        timed_out = True
    elapsed = time.monotonic() - started
    check(timed_out and 1.9 <= elapsed < 5, "hang mode: a 2 s client timeout fires (after %.1f s)" % elapsed)
    check(json.loads(tool("stats").stdout)["mode"] == "hang", "hang mode: token_tool stats still answers")
    control({"mode": "normal"})
    check(token({"grant_type": "client_credentials"})[0] == 200, "normal mode again: /token answers")


def check_restart():
    kept = issue()
    control({"device_interval": 3})
    before = stats()["token_requests"]
    log = open(os.path.join(env["MI_STACK_DIR"], "oauth-selftest.log"), "a")
    subprocess.run([MAILSTACK, "stop-token", env["MI_STACK_DIR"]], stdin=subprocess.DEVNULL, stdout=log, stderr=log, check=True)
    try:
        socket.create_connection(("127.0.0.1", int(env["MI_TOKEN_PORT"])), 1).close()
        stopped = False
    except OSError:
        stopped = True
    check(stopped, "mailstack.sh stop-token stops the token server")
    subprocess.run([MAILSTACK, "start-token", env["MI_STACK_DIR"]], stdin=subprocess.DEVNULL, stdout=log, stderr=log, check=True)
    now = stats()
    check(now["settings"]["device_interval"] == 3 and now["token_requests"] == before,
          "start-token: the settings and the counters are kept")
    status, data = refresh(kept)
    check(status == 200, "start-token: a refresh token issued before the restart still works", data)
    control({"device_interval": 5})
    return data["refresh_token"]


def check_revoke(live):
    control({"revoke": True})
    check(stats()["live_refresh_tokens"] == 0, "revoke: no live refresh tokens")
    status, data = refresh(live)
    check(status == 400 and data.get("error") == "invalid_grant", "revoke: refresh is invalid_grant", data)


def run():
    control({"reset": True})
    try:
        check_client_credentials()
        expired = check_imap()
        check_smtp(expired)
        check_rotation()
        check_device()
        check_authorization_code()
        check_fail_and_hang()
        live = check_restart()
        check_revoke(live)
    finally:
        try:
            control({"reset": True})
        except (Failed, OSError):
            pass


def main():
    global env
    private, passed = None, False
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1].startswith("-")):
        sys.exit(__doc__.split("\n\n")[1])
    if len(sys.argv) == 2:
        directory = sys.argv[1]
    else:
        private = tempfile.mkdtemp(prefix="mi-oauth-selftest-")
        os.chmod(private, 0o755)  # Dovecot's unprivileged auth process reads the key in there
        directory = os.path.join(private, "stack")
        # The servers keep whatever output they inherit open: give them a file, never a pipe.
        with open(private + "/start.log", "w") as log:
            if subprocess.run([MAILSTACK, "start", directory], stdin=subprocess.DEVNULL, stdout=log, stderr=log).returncode:
                sys.exit("could not start a mail stack; see " + private + "/start.log")
    try:
        env = read_env(directory)
        started = time.monotonic()
        run()
        passed = True
        print("all OAuth2 checks passed in %.0f s" % (time.monotonic() - started))
    except Failed as failure:
        print("FAIL " + str(failure), flush=True)
        print("see %s/token.log, %s/smtp.log and %s/dovecot.log" % (directory, directory, directory))
        sys.exit(1)
    finally:
        if private:
            subprocess.run([MAILSTACK, "stop", directory], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if passed:
                shutil.rmtree(private, ignore_errors=True)  # after a failure its logs stay, for reading


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Drives the test OAuth2 server (token_server.py) of a running mail stack, for tests.

    token_tool.py control '{"mode":"hang"}'   change its behaviour; prints the settings (JSON)
    token_tool.py stats                        prints its counters and valid refresh tokens (JSON)
    token_tool.py approve USER_CODE            the person approves a device code
    token_tool.py deny USER_CODE               the person denies it
    token_tool.py authorize URL                GETs an authorization URL, prints the redirect's Location
    token_tool.py issue                        prints a fresh valid refresh token (device flow, approved here)

It finds the server through the MI_* variables of the stack's env file and trusts only the
stack's CA (MI_CA). It exits 1, with the server's answer on stderr, when the server says no.
"""
import base64
import http.client
import json
import os
import ssl
import sys
import urllib.parse

TIMEOUT = 10


def environment(name):
    value = os.environ.get(name)
    if not value:
        sys.exit("token_tool: %s is not set; source the stack's env file (mailstack.sh start DIR; . DIR/env)" % name)
    return value


def context():
    return ssl.create_default_context(cafile=environment("MI_CA"))


def request(method, url, body=None, headers=None):
    """One HTTPS request (no redirect followed): (status, headers, body text)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https":
        sys.exit("token_tool: not an https URL: %s" % url)
    connection = http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=TIMEOUT, context=context())
    try:
        connection.request(method, parts.path + ("?" + parts.query if parts.query else ""), body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def base_url():
    parts = urllib.parse.urlsplit(environment("MI_TOKEN_URL"))
    return "%s://%s" % (parts.scheme, parts.netloc)


def expect_ok(status, text):
    if status != 200:
        sys.stderr.write("token_tool: HTTP %d: %s\n" % (status, text.strip()))
        sys.exit(1)
    return text


def post_form(url, fields):
    # The client authenticates with HTTP Basic, as RFC 6749 section 2.3.1 prefers.
    credentials = "%s:%s" % (urllib.parse.quote_plus(environment("MI_OAUTH_CLIENT_ID")),
                             urllib.parse.quote_plus(environment("MI_OAUTH_CLIENT_SECRET")))
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}
    return request("POST", url, urllib.parse.urlencode(fields), headers)


def decide(verdict, user_code):
    """The person's decision on a device code: returns the server's one word ("approved" ...)."""
    url = base_url() + "/device/%s?%s" % (verdict, urllib.parse.urlencode({"user_code": user_code}))
    status, _, text = request("GET", url)
    return expect_ok(status, text).strip()


def issue():
    """A new refresh token, through the device flow with the approval given here. The first
    poll comes right after the approval: the server times only the gaps between polls."""
    status, _, text = post_form(environment("MI_DEVICE_URL"), {"scope": "mail"})
    grant = json.loads(expect_ok(status, text))
    decide("approve", grant["user_code"])
    status, _, text = post_form(environment("MI_TOKEN_URL"), {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": grant["device_code"]})
    return json.loads(expect_ok(status, text))["refresh_token"]


def main(argv):
    usage = __doc__.split("\n\n")[1]
    command, args = (argv[0], argv[1:]) if argv else ("", [])
    if command == "control" and len(args) == 1:
        json.loads(args[0])  # refuse a typo here, with Python's own message
        status, _, text = request("POST", environment("MI_TOKEN_CONTROL"), args[0], {"Content-Type": "application/json"})
        print(expect_ok(status, text).strip())
    elif command == "stats" and not args:
        status, _, text = request("GET", environment("MI_TOKEN_STATS"))
        print(expect_ok(status, text).strip())
    elif command in ("approve", "deny") and len(args) == 1:
        print(decide(command, args[0]))
    elif command == "authorize" and len(args) == 1:
        status, headers, text = request("GET", args[0])
        if status != 302 or not headers.get("Location"):
            sys.stderr.write("token_tool: HTTP %d, no redirect: %s\n" % (status, text.strip()))
            sys.exit(1)
        print(headers["Location"])
    elif command == "issue" and not args:
        print(issue())
    else:
        sys.exit("usage:\n" + usage)


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/python3
"""Renders a page in headless Chromium (Debian's `chromium`) and tells what the page did: a
screenshot, the DOM after loading, every network request it tried, and every console message
and Content-Security-Policy violation. For `mailintake report --html`, whose page must be
complete in itself.

  render_page.py PAGE.html --png OUT.png [--dom OUT.html] [--width 1280] [--height 4000]
  render_page.py --selftest

Prints a JSON summary and exits 0:
  {"png": path, "png_bytes": n, "width": w, "height": h, "requests": n, "request_lines": [...],
   "console": [lines...], "dom": path or null, "dom_bytes": n}
width and height are read from the PNG's IHDR. Exits 1 with a message on standard error when
chromium is missing, fails, or runs past 60 s (its process group is killed then).

How requests are caught. Chromium is run twice (--screenshot, then --dump-dom), each time with a
proxy of ours on 127.0.0.1 that answers 403 to everything and counts the connections. Found by
rendering pages that do fetch (see --selftest), on Chromium 156:
  --proxy-server=http://127.0.0.1:PORT  sends http as GET and https as CONNECT to the proxy.
  --proxy-bypass-list=<-loopback>       is needed: without it Chromium goes straight to
                                        127.0.0.1, localhost and [::1], and the proxy sees nothing.
  --host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1
                                        answers every name lookup "not found", so what does not
                                        take the proxy goes nowhere, not even to DNS.
Chromium itself talks to Google with a fresh profile even with --disable-background-networking,
--disable-component-update and --disable-sync: ListAccounts on accounts.google.com, an on-demand
update check for the Optimization Guide's model manifest on update.googleapis.com, and the network
time on clients2.google.com. Those would count as the page's, so they are sent elsewhere: the
time query is switched off (--disable-features=NetworkTimeServiceQuerying), and the other two are
pointed at names under .invalid (--gaia-url, --component-updater=url-source=), which bypass the
proxy (*.invalid in the bypass list) and die in the resolver. A page's own request to a .invalid
name is not counted, but such a name can never be reached.

Console: with --enable-logging=stderr Chromium writes console messages as `INFO:CONSOLE:…` lines
and CSP violations as console messages ("… violates the following Content Security Policy
directive …"; older versions said "Refused to …").
"""
import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

TIMEOUT = 60

BASE_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--enable-logging=stderr", "--v=0",
]


def network_flags(port):
    return [
        f"--proxy-server=http://127.0.0.1:{port}",
        "--proxy-bypass-list=*.invalid;<-loopback>",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--disable-features=NetworkTimeServiceQuerying",
        "--gaia-url=http://gaia.invalid",
        "--component-updater=url-source=http://updates.invalid/",
    ]


class Failure(Exception):
    pass


class CountingProxy:
    """Accepts on a random loopback port, keeps each connection's first line, answers 403."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.lines = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.handlers = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            with self.lock:
                index = len(self.lines)
                self.lines.append("(no request line)")
            handler = threading.Thread(target=self.answer, args=(conn, index), daemon=True)
            handler.start()
            self.handlers.append(handler)

    def answer(self, conn, index):
        data = b""
        try:
            conn.settimeout(2)
            while b"\r\n" not in data and len(data) < 8192:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        except OSError:
            pass
        finally:
            conn.close()
        line = data.split(b"\r\n", 1)[0].decode("latin-1")
        if line:
            with self.lock:
                self.lines[index] = line[:300]

    def stop(self):
        # Connections Chromium opened before it exited wait in the backlog; the loop takes them
        # within a tenth of a second, so a short grace catches them all.
        time.sleep(0.3)
        self.stopping.set()
        self.thread.join()
        self.sock.close()
        for handler in self.handlers:
            handler.join(3)


def chromium_binary():
    path = shutil.which("chromium")
    if not path:
        raise Failure("chromium not found on PATH (apt-get install -y chromium)")
    return path


def run_chromium(args, stdout_path):
    """One run in its own session, so a timeout kills the whole process group."""
    profile = tempfile.mkdtemp(prefix="render-page-profile-")
    err_path = stdout_path + ".stderr"
    command = [chromium_binary(), *BASE_FLAGS, f"--user-data-dir={profile}", *args]
    try:
        # Files, not pipes: a helper that outlives the browser would keep a pipe open.
        with open(stdout_path, "wb") as out, open(err_path, "wb") as err:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
            try:
                code = process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise Failure(f"chromium ran longer than {TIMEOUT} s and was killed: {' '.join(command)}")
            finally:
                try:
                    os.killpg(process.pid, signal.SIGKILL)  # renderers and zygotes it left behind
                except ProcessLookupError:
                    pass
        with open(err_path, "rb") as err:
            stderr = err.read().decode("utf-8", "replace")
        if code != 0:
            tail = "\n".join(stderr.splitlines()[-15:])
            raise Failure(f"chromium exited {code}: {' '.join(command)}\n{tail}")
        return stderr
    finally:
        # The crash handler lives in a session of its own and may still be writing the profile
        # for a moment after the browser is gone.
        for _ in range(10):
            shutil.rmtree(profile, ignore_errors=True)
            if not os.path.exists(profile):
                break
            time.sleep(0.2)
        if os.path.exists(err_path):
            os.unlink(err_path)


CONSOLE = re.compile(r"CONSOLE|Refused to|Content Security Policy")
PREFIX = re.compile(r"^\[\d+:\d+:[\d/.]+:([A-Z]+\d*):([^\]]*)\]\s?")


def console_lines(stderr):
    """Console messages and CSP reports, without the process ids and times that differ per run."""
    lines = []
    for line in stderr.splitlines():
        if CONSOLE.search(line):
            match = PREFIX.match(line)
            lines.append(f"{match.group(1)}:{match.group(2)}: {line[match.end():]}" if match else line)
    return lines


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise Failure(f"{path} is not a PNG")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def render(page, png, dom=None, width=1280, height=4000):
    page = os.path.abspath(page)
    if not os.path.isfile(page):
        raise Failure(f"no such page: {page}")
    url = "file://" + page
    proxy = CountingProxy()
    work = tempfile.mkdtemp(prefix="render-page-")
    try:
        try:
            flags = network_flags(proxy.port)
            if os.path.exists(png):
                os.unlink(png)
            shot_err = run_chromium([*flags, f"--screenshot={os.path.abspath(png)}", f"--window-size={width},{height}", url],
                                    os.path.join(work, "screenshot.out"))
            dom_path = os.path.join(work, "dom.html")
            dom_err = run_chromium([*flags, "--dump-dom", f"--window-size={width},{height}", url], dom_path)
        finally:
            proxy.stop()
        if not os.path.isfile(png):
            raise Failure(f"chromium wrote no screenshot to {png}")
        w, h = png_size(png)
        dom_bytes = os.path.getsize(dom_path)
        if dom_bytes == 0:
            raise Failure("chromium dumped an empty DOM")
        if dom:
            shutil.copyfile(dom_path, dom)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    console = []
    for line in console_lines(shot_err) + console_lines(dom_err):
        if line not in console:  # both runs load the same page and say the same things
            console.append(line)
    return {
        "png": os.path.abspath(png), "png_bytes": os.path.getsize(png), "width": w, "height": h,
        "requests": len(proxy.lines), "request_lines": proxy.lines, "console": console,
        "dom": os.path.abspath(dom) if dom else None, "dom_bytes": dom_bytes,
    }


# The self-test's pages: one that fetches (no CSP, so nothing stops it), one whose script and
# style attribute a CSP refuses, and one that does neither, under the report's own kind of policy.

BAD_NETWORK = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>fetches</title>
<link rel="stylesheet" href="https://example.com/x.css"></head>
<body><p>fetches</p><img src="http://example.org/x.png" alt=""><img src="http://127.0.0.1:8123/loopback.png" alt=""></body></html>
"""

BAD_CONSOLE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src '{hash}'; img-src data:; base-uri 'none'; form-action 'none'">
<title>refused</title><style>{css}</style></head>
<body><p style="color:red">refused</p><script>console.error("x")</script></body></html>
"""

GOOD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src '{hash}'; img-src data:; base-uri 'none'; form-action 'none'">
<title>quiet</title><style>{css}</style></head>
<body><p class="note">quiet page</p><svg role="img" aria-labelledby="t" viewBox="0 0 100 20" width="100" height="20"><title id="t">bar</title><rect width="60" height="20" fill="#0072B2"/></svg></body></html>
"""


def selftest():
    css = "\nbody{font-family:system-ui,sans-serif}.note{color:#0072B2}\n"
    digest = "sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    pages = {
        "bad-network": BAD_NETWORK,
        "bad-console": BAD_CONSOLE.format(hash=digest, css=css),
        "good": GOOD.format(hash=digest, css=css),
    }
    failures = []
    work = tempfile.mkdtemp(prefix="render-page-selftest-")
    try:
        results = {}
        for name, text in pages.items():
            path = os.path.join(work, name + ".html")
            with open(path, "w") as f:
                f.write(text)
            results[name] = render(path, os.path.join(work, name + ".png"), os.path.join(work, name + ".dom.html"), 640, 480)
            summary = {k: results[name][k] for k in ("width", "height", "requests", "request_lines", "console", "dom_bytes")}
            print(f"{name}: {json.dumps(summary)}")

        bad = results["bad-network"]
        seen = " ".join(bad["request_lines"])
        if bad["requests"] < 1:
            failures.append("bad-network: no request seen")
        for target in ("http://example.org/x.png", "CONNECT example.com:443", "http://127.0.0.1:8123/loopback.png"):
            if target not in seen:
                failures.append(f"bad-network: {target} did not reach the proxy")
        refused = results["bad-console"]
        if not refused["console"]:
            failures.append("bad-console: no console line")
        if not any("Content Security Policy" in line and "inline script" in line for line in refused["console"]):
            failures.append("bad-console: the refused script was not reported")
        if not any("Content Security Policy" in line and "inline style" in line for line in refused["console"]):
            failures.append("bad-console: the refused style attribute was not reported")
        if refused["requests"]:
            failures.append(f"bad-console: {refused['requests']} requests")
        good = results["good"]
        if good["requests"] or good["console"]:
            failures.append(f"good: requests {good['request_lines']}, console {good['console']}")
        if (good["width"], good["height"]) != (640, 480):
            failures.append(f"good: screenshot {good['width']}x{good['height']}, not 640x480")
        with open(os.path.join(work, "good.dom.html")) as f:
            if "quiet page" not in f.read():
                failures.append("good: the dumped DOM lacks the page's text")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for failure in failures:
        print("FAIL " + failure)
    print("selftest: " + ("failed" if failures else "ok: requests, console errors and a quiet page told apart"))
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description="Render a page in headless Chromium; count its requests and console messages.")
    parser.add_argument("page", nargs="?")
    parser.add_argument("--png")
    parser.add_argument("--dom")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=4000)
    parser.add_argument("--selftest", action="store_true")
    args = parser.parse_args()
    try:
        if args.selftest:
            return selftest()
        if not args.page or not args.png:
            parser.error("PAGE and --png are required (or --selftest)")
        print(json.dumps(render(args.page, args.png, args.dom, args.width, args.height), indent=1))
        return 0
    except Failure as failure:
        print(f"render_page: {failure}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

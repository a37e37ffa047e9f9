#!/usr/bin/env python3
"""A small IMAP client for tests and the demo (Python's imaplib, over verified TLS):
append .eml files, list UIDs with their flags, and recreate a mailbox (a new UIDVALIDITY).

  imap_tool.py append FILE...        append to the mailbox (env: MI_IMAPS_PORT, MI_CA, MI_USER, MI_PASSWORD;
                                     MI_APPEND_AGE_DAYS: received that many days ago, as INTERNALDATE says)
  imap_tool.py flags [MAILBOX]       print "UID FLAGS" per message
  imap_tool.py count [MAILBOX]       print the number of messages
  imap_tool.py recreate              copy INBOX aside, delete and recreate it, copy back: UIDVALIDITY changes
"""
import imaplib
import os
import re
import ssl
import sys
import time


def connect():
    context = ssl.create_default_context(cafile=os.environ["MI_CA"])
    # A Dovecot that has just started (or restarted) may answer "[UNAVAILABLE] Temporary
    # authentication failure" until its auth process is up: try again for a few seconds.
    for attempt in range(40):
        imap = imaplib.IMAP4_SSL("127.0.0.1", int(os.environ["MI_IMAPS_PORT"]), ssl_context=context)
        try:
            imap.login(os.environ.get("MI_USER", "office"), os.environ.get("MI_PASSWORD", "office-secret"))
            return imap
        except imaplib.IMAP4.error as error:
            if b"UNAVAILABLE" not in str(error).encode() and "UNAVAILABLE" not in str(error) or attempt == 39:
                raise
            imap.shutdown()
            time.sleep(0.25)


def check(result, what):
    status, data = result
    if status != "OK":
        sys.exit("imap_tool: %s failed: %s" % (what, data))
    return data


def main():
    command, args = sys.argv[1], sys.argv[2:]
    imap = connect()
    mailbox = os.environ.get("MI_MAILBOX", "INBOX")
    if command == "append":
        if mailbox != "INBOX":
            imap.create(mailbox)  # may exist already
        received = time.time() - float(os.environ.get("MI_APPEND_AGE_DAYS", "0")) * 86400
        for path in args:
            with open(path, "rb") as f:
                raw = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            check(imap.append(mailbox, None, imaplib.Time2Internaldate(received), raw), "APPEND " + path)
    elif command in ("flags", "count"):
        box = args[0] if args else mailbox
        check(imap.select('"%s"' % box, readonly=True), "SELECT")
        data = check(imap.uid("FETCH", "1:*", "(UID FLAGS)"), "FETCH")
        rows = [d.decode() for d in data if d]
        if command == "count":
            print(len(rows))
        for row in rows if command == "flags" else []:
            uid = re.search(r"UID (\d+)", row).group(1)
            flags = re.search(r"FLAGS \(([^)]*)\)", row).group(1)
            print(uid, flags)
    elif command == "recreate":
        check(imap.create("Aside"), "CREATE Aside")
        check(imap.select(mailbox), "SELECT")
        typ, data = imap.uid("SEARCH", None, "ALL")
        if data[0]:
            check(imap.uid("COPY", "1:*", "Aside"), "COPY")
        imap.close()
        if mailbox == "INBOX":
            sys.exit("imap_tool: INBOX cannot be deleted or renamed in Dovecot; recreate another mailbox (MI_MAILBOX)")
        check(imap.delete(mailbox), "DELETE")
        check(imap.create(mailbox), "CREATE")
        check(imap.select("Aside"), "SELECT Aside")
        typ, data = imap.uid("SEARCH", None, "ALL")
        if data[0]:
            check(imap.uid("COPY", "1:*", mailbox), "COPY back")
        imap.close()
        check(imap.delete("Aside"), "DELETE Aside")
    else:
        sys.exit(__doc__)
    imap.logout()


if __name__ == "__main__":
    main()

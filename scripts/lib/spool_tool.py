#!/usr/bin/env python3
"""Reads the messages the test SMTP server accepted, with Python's own e-mail parser (an
independent check of what mailintake wrote), as JSON on stdout.

  spool_tool.py SPOOL [--from ADDRESS]    a list of {file, mail_from, rcpt_tos, from, to, subject,
                                           message_id, in_reply_to, references, auto_submitted, reply_to,
                                           header_names, content_type, charset, body, defects}
"""
import email
import email.policy
import json
import os
import sys


def main():
    spool = sys.argv[1]
    wanted = sys.argv[sys.argv.index("--from") + 1] if "--from" in sys.argv else None
    result = []
    for name in sorted(os.listdir(spool)):
        if not name.endswith(".eml"):
            continue
        base = os.path.join(spool, name[:-4])
        with open(base + ".json") as f:
            envelope = json.load(f)
        if wanted and envelope["mail_from"] != wanted:
            continue
        with open(base + ".eml", "rb") as f:
            message = email.message_from_binary_file(f, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        result.append({
            "file": name,
            "mail_from": envelope["mail_from"],
            "rcpt_tos": envelope["rcpt_tos"],
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "message_id": str(message["Message-ID"]),
            "in_reply_to": str(message["In-Reply-To"]) if message["In-Reply-To"] else None,
            "references": str(message["References"]) if message["References"] else None,
            "auto_submitted": str(message["Auto-Submitted"]) if message["Auto-Submitted"] else None,
            "reply_to": str(message["Reply-To"]) if message["Reply-To"] else None,
            "header_names": [name.lower() for name in message.keys()],
            "content_type": message.get_content_type(),
            "charset": message.get_content_charset(),
            "transfer_encoding": str(message["Content-Transfer-Encoding"]),
            "body": body.get_content() if body else None,
            "defects": [type(d).__name__ for d in message.defects],
        })
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()

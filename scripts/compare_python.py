#!/usr/bin/env python3
"""Compares what mailintake's parser reads with what Python's own e-mail package reads
(policy=default, get_body) on a folder of .eml files: sender address and name, subject, and the
body text where the message has a text/plain body. Prints the agreement per field and every
disagreement; exits 1 if any field disagrees.

  scripts/compare_python.py MAILINTAKE_BINARY FOLDER [FOLDER ...]
"""
import email
import email.policy
import email.utils
import json
import os
import subprocess
import sys
import unicodedata


def normalize(text):
    """Line ends and trailing white space do not count, nor Unicode normal form."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def unflow(text, delsp):
    """RFC 3676 format=flowed, which get_content() leaves undone: a line ending in a space continues."""
    out, current = [], None
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith(" "):
            line = line[1:]
        flowed = line.endswith(" ") and line != "-- "
        if flowed and delsp:
            line = line[:-1]
        current = line if current is None else current + line
        if not flowed:
            out.append(current)
            current = None
    if current is not None:
        out.append(current)
    return "\n".join(out)


def python_view(path):
    with open(path, "rb") as f:
        message = email.message_from_binary_file(f, policy=email.policy.default)
    name, address = email.utils.parseaddr(str(message["From"] or ""))
    body = message.get_body(preferencelist=("plain",))
    text = None
    if body is not None and body.get_content_type() == "text/plain":
        try:
            text = body.get_content()
        except Exception:  # an unknown charset: Python gives up where mailintake reads best-effort
            text = None
        if text is not None and body.get_param("format", "").lower() == "flowed":
            text = unflow(text, body.get_param("delsp", "").lower() == "yes")
    return {"from_address": address.lower() or None, "from_name": name or None,
            "subject": str(message["Subject"] or ""), "text": text}


def mailintake_view(binary, path):
    out = subprocess.run([binary, "parse", "--json", path], capture_output=True, check=True).stdout
    parsed = json.loads(out)
    address = parsed["from_address"]
    return {"from_address": address.lower() if address else None, "from_name": parsed["from_name"],
            "subject": parsed["subject"], "text": parsed["text"]}


def main():
    binary, folders = sys.argv[1], sys.argv[2:]
    files = sorted(os.path.join(folder, name) for folder in folders for name in os.listdir(folder) if name.endswith(".eml"))
    fields = ["from_address", "from_name", "subject", "text"]
    agree = {field: 0 for field in fields}
    compared = {field: 0 for field in fields}
    disagreements = []
    for path in files:
        ours, theirs = mailintake_view(binary, path), python_view(path)
        for field in fields:
            if field == "text" and theirs["text"] is None:
                continue  # no text/plain body, or one Python cannot decode: nothing to compare
            if isinstance(theirs[field], str) and "\ufffd" in theirs[field]:
                continue  # Python could not decode it (raw 8-bit in a header): it has no answer to compare with
            compared[field] += 1
            a, b = (normalize(ours[field]), normalize(theirs[field])) if field == "text" else (ours[field], theirs[field])
            if a == b:
                agree[field] += 1
            else:
                disagreements.append("%s: %s: mailintake %r, python %r" % (os.path.basename(path), field, str(a)[:80], str(b)[:80]))
    for line in disagreements:
        print("DISAGREE", line)
    for field in fields:
        print("%-13s %d/%d agree" % (field, agree[field], compared[field]))
    print("%d files compared" % len(files))
    sys.exit(1 if disagreements else 0)


if __name__ == "__main__":
    main()

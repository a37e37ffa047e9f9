#!/usr/bin/env python3
"""The peer of ParserBench.swift: Python's email package (policy=default) reading the same files,
in memory first, doing the same work: sender, subject, and the body text (get_body + get_content)."""
import email
import email.policy
import sys
import time

messages = []
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        messages.append(f.read())
total = sum(len(m) for m in messages)
checksum = 0
start = time.perf_counter()
for raw in messages:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    subject = str(message["Subject"] or "")
    sender = str(message["From"] or "")
    body = message.get_body(preferencelist=("plain", "html"))
    try:
        text = body.get_content() if body is not None else ""
    except Exception:
        text = ""
    checksum += len(subject) + len(sender) + len(text)
seconds = time.perf_counter() - start
print("python     %d messages %.1f MB %.3f s %.0f msg/s %.1f MB/s (checksum %d)"
      % (len(messages), total / 1e6, seconds, len(messages) / seconds, total / 1e6 / seconds, checksum))

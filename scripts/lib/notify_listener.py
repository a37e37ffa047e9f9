#!/usr/bin/python3
"""Plays systemd's side of the notification protocol for tests: binds a datagram socket at
SOCKET and appends every message it receives to OUT, one line each (the message's own lines
joined with " | "), until it is killed.

  notify_listener.py SOCKET OUT
"""
import os
import socket
import sys


def main():
    path, out = sys.argv[1], sys.argv[2]
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    with open(out, "a", buffering=1) as log:
        log.write("LISTENING\n")
        while True:
            data = sock.recv(4096)
            log.write(data.decode("utf-8", "replace").strip().replace("\n", " | ") + "\n")


if __name__ == "__main__":
    main()

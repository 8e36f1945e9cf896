#!/usr/bin/env python3
"""The e2e OpenStack metadata service, one TCP connection per process.

    mdserver.py TREE LOG        # stdin/stdout are the guest's connection

QEMU's slirp runs it for every connection the guest opens to
169.254.169.254:80 (-netdev user,guestfwd=tcp:169.254.169.254:80-cmd:...).
It serves the files under TREE (a directory answers with its entries, one per
line, as Nova lists openstack/ and its versions; anything else is a 404), keeps the connection alive for
as many requests as the client sends, and appends "METHOD PATH STATUS" to LOG.
"""
import os
import sys


def main():
    tree, log_path = sys.argv[1], sys.argv[2]
    rfile = sys.stdin.buffer
    wfile = sys.stdout.buffer
    with open(log_path, "a", encoding="utf-8") as log:
        while True:
            line = rfile.readline()
            if not line:
                return
            if not line.strip():
                continue
            parts = line.decode("latin-1").split()
            method, path = (parts + ["", ""])[:2]
            close = len(parts) > 2 and parts[2] == "HTTP/1.0"
            length = 0
            while True:
                h = rfile.readline()
                if not h or h in (b"\r\n", b"\n"):
                    break
                name, _, value = h.decode("latin-1").partition(":")
                name = name.strip().lower()
                if name == "connection" and value.strip().lower() == "close":
                    close = True
                if name == "content-length":
                    length = int(value.strip() or 0)
            if length:
                rfile.read(length)
            status, body = answer(tree, path.split("?", 1)[0])
            if method == "HEAD":
                payload = b""
            else:
                payload = body
            reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}[status]
            head = (f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(body)}\r\n"
                    f"Content-Type: text/plain\r\n"
                    f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n")
            wfile.write(head.encode() + payload)
            wfile.flush()
            log.write(f"{method} {path} {status}\n")
            log.flush()
            if close:
                return


def answer(tree, path):
    rel = os.path.normpath(path.lstrip("/")) if path.strip("/") else "."
    if rel.startswith(".."):
        return 404, b"not found\n"
    full = os.path.join(tree, rel)
    if os.path.isdir(full):
        names = sorted(os.listdir(full))
        body = "".join(n + "\n" for n in names)
        return 200, body.encode()
    if os.path.isfile(full):
        with open(full, "rb") as f:
            return 200, f.read()
    return 404, b"not found\n"


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Waits until sshd answers on 127.0.0.1:PORT: prints nothing, exits 0 on an SSH banner.

    wait_banner.py PORT TIMEOUT_S

One TCP connection at a time, held until the banner or a close: slirp's hostfwd accepts a
connection at once and keeps trying the guest's port 22 behind it, so short-lived probes (an
`ssh -o ConnectTimeout=2` every 0.3 s) pile up half-open connections that reach sshd all at
once when the guest's network comes up (sshd then throttles: "past MaxStartups") and delay
the real login. After a close, the next try starts 0.3 s later.
"""
import socket
import sys
import time

port, timeout = int(sys.argv[1]), float(sys.argv[2])
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.settimeout(max(1.0, deadline - time.monotonic()))
            if s.recv(64).startswith(b"SSH-"):
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.3)
sys.exit(1)

#!/usr/bin/python3
"""Waits until sshd answers on 127.0.0.1:PORT: prints nothing, exits 0 on an SSH banner.

    wait_banner.py PORT TIMEOUT_S [PROBE_PORT]

slirp's hostfwd accepts the host's connection at once and sends the guest a SYN behind it.
While the guest has no address yet the SYN goes unanswered and slirp retransmits it with
TCP's backoff (3 s, 6 s, 12 s ...): a connection made early reaches sshd seconds after sshd
listens, and that delay is the probe's, not the guest's. So, with PROBE_PORT (a hostfwd to
the guest's closed port 9), first: a new connection every 0.25 s, each given 0.5 s; the
first one that the guest resets (slirp closes it: EOF or ECONNRESET at once) says the
guest's network is up. Only then the SSH port, one connection at a time, held until the
banner or a close (the guest resets it while sshd is not listening; short-lived probes there
would pile up half-open connections that reach sshd together and hit its MaxStartups);
after a close the next try starts 0.3 s later.
"""
import socket
import sys
import time

port, timeout = int(sys.argv[1]), float(sys.argv[2])
probe = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else 0
deadline = time.monotonic() + timeout


def network_up():
    """True once the guest resets a connection to its closed port."""
    try:
        with socket.create_connection(("127.0.0.1", probe), timeout=0.5) as s:
            s.settimeout(0.5)
            return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except OSError:  # a timeout: the SYN is still unanswered
        return False


if probe:
    while not network_up():
        if time.monotonic() > deadline:
            sys.exit(1)
        time.sleep(0.25)
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

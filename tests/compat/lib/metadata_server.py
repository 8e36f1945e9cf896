#!/usr/bin/python3
"""A Nova-layout metadata server for the compat suite and the benchmarks (Python stdlib only).

Serves a fixture tree in the format of /work/briefs/openstack-fixtures.md (the same format the
C++ test server in tests/support implements): the directory mirrors the URL space of
http://169.254.169.254/, a directory answers with its `_index` file or its sorted listing, and
`faults.json` scripts failures per path. HTTP/1.1 with keep-alive; every request is recorded.

Command line (what the compat suite and bench/openstack_crawl run):

    metadata_server.py --root FIXTURE [--bind 169.254.169.254] [--port 80]
                       [--delay-ms 50] [--log REQUESTS.jsonl]

It prints one line `listening on ADDR:PORT` to stdout once the socket is bound (use --port 0
for a free port), serves until SIGTERM or SIGINT, and appends one JSON object per request to
--log: {"t": seconds since start, "conn": connection number, "method", "path", "status",
"bytes": body bytes sent, "fault": the fault applied or null, "n": how many requests of that
path so far, "done": seconds since start when the answer ended}. --delay-ms adds that much to every
response (on top of any `delay_ms` fault).

In-process (tests):

    srv = MetadataServer("tests/fixtures/openstack/basic", "127.0.0.1", 0)
    srv.start()                      # serves on a thread; srv.port is the bound port
    ... GET http://127.0.0.1:{srv.port}/openstack/latest/meta_data.json ...
    srv.count("/openstack/latest/meta_data.json")   # requests of that path so far
    srv.stop()
"""
import argparse
import http.server
import json
import os
import signal
import socket
import socketserver
import sys
import threading
import time

FAULT_KEYS = {"status", "status_sequence", "delay_ms", "drop_after_bytes", "hang",
              "drip_bytes_per_second", "oversize_bytes", "body", "redirect_to"}
HIDDEN = {"_index", "faults.json"}
CHUNK = 65536


class FixtureError(Exception):
    pass


def load_faults(root):
    path = os.path.join(root, "faults.json")
    if not os.path.exists(path):
        return {}
    try:
        with open(path) as f:
            faults = json.load(f)
    except ValueError as e:
        raise FixtureError(f"{path}: not JSON: {e}") from e
    if not isinstance(faults, dict):
        raise FixtureError(f"{path}: must be an object mapping paths to faults")
    for key, fault in faults.items():
        if not isinstance(fault, dict):
            raise FixtureError(f"{path}: {key}: a fault must be an object")
        unknown = set(fault) - FAULT_KEYS
        if unknown:
            raise FixtureError(f"{path}: {key}: unknown fault keys {sorted(unknown)}")
        seq = fault.get("status_sequence")
        if seq is not None and (not isinstance(seq, list) or not seq or
                                not all(isinstance(s, int) for s in seq)):
            raise FixtureError(f"{path}: {key}: status_sequence must be a non-empty list of ints")
    return faults


def resolve(root, url_path):
    """Fixture file or directory for URL_PATH, or None. Never leaves ROOT."""
    parts = [p for p in url_path.split("/") if p]
    if any(p in (".", "..") for p in parts):
        return None
    full = os.path.join(root, *parts) if parts else root
    real = os.path.realpath(full)
    if real != os.path.realpath(root) and not real.startswith(os.path.realpath(root) + os.sep):
        return None
    if parts and parts[-1] in HIDDEN:
        return None
    if os.path.isdir(full):
        return full
    if os.path.isfile(full) and not url_path.endswith("/"):
        return full
    return None


def listing(directory):
    index = os.path.join(directory, "_index")
    if os.path.isfile(index):
        with open(index, "rb") as f:
            return f.read()
    names = []
    for n in sorted(os.listdir(directory)):
        if n in HIDDEN:
            continue
        names.append(n + "/" if os.path.isdir(os.path.join(directory, n)) else n)
    return "\n".join(names).encode()


def content_type(path):
    return "application/json" if path.endswith(".json") else "application/octet-stream"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nubo-metadata-fixture/1"
    sys_version = ""

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn_id = self.server.owner._new_conn(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.owner._end_conn(self.connection)

    def log_message(self, fmt, *args):  # requests go to the JSON log instead
        pass

    def do_HEAD(self):
        self._serve(head=True)

    def do_GET(self):
        self._serve(head=False)

    # ---------------------------------------------------------------- serving

    def _serve(self, head):
        owner = self.server.owner
        path = self.path
        fault, nth = owner._fault_for(path)
        record = owner._arrived({"method": self.command, "path": path, "conn": self.conn_id,
                                 "fault": fault or None, "n": nth})
        delay = owner.delay_ms + (fault or {}).get("delay_ms", 0)
        if delay and owner._stopping.wait(delay / 1000.0):
            return self._abort(record)
        if fault and fault.get("hang"):
            owner._stopping.wait()
            return self._abort(record)

        status = 200
        if fault and "status" in fault:
            status = fault["status"]
        elif fault and "status_sequence" in fault:
            seq = fault["status_sequence"]
            status = seq[min(nth, len(seq)) - 1]
        if fault and "redirect_to" in fault:
            return self._send(record, 302, b"", "text/plain", head,
                              extra=[("Location", fault["redirect_to"])])
        if status != 200:
            return self._send(record, status, b"", "text/plain", head)

        if fault and "oversize_bytes" in fault:
            return self._send(record, 200, None, "application/octet-stream", head,
                              length=int(fault["oversize_bytes"]), fault=fault)
        if fault and "body" in fault:
            return self._send(record, 200, fault["body"].encode(), content_type(path), head,
                              fault=fault)
        target = resolve(owner.root, path.split("?", 1)[0])
        if target is None:
            return self._send(record, 404, b"", "text/plain", head)
        if os.path.isdir(target):
            body, ctype = listing(target), "text/plain"
        else:
            with open(target, "rb") as f:
                body, ctype = f.read(), content_type(target)
        return self._send(record, 200, body, ctype, head, fault=fault)

    def _abort(self, record):
        record["status"] = None
        record["bytes"] = 0
        self.server.owner._record(record)
        self.close_connection = True

    def _send(self, record, status, body, ctype, head, length=None, fault=None, extra=()):
        """BODY bytes, or None with LENGTH: that many 'x' (oversize)."""
        fault = fault or {}
        length = len(body) if body is not None else length
        lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('Status',))[0]}",
                 f"Server: {self.server_version}", f"Content-Type: {ctype}",
                 f"Content-Length: {length}"]
        lines += [f"{k}: {v}" for k, v in extra]
        if self.close_connection:
            lines.append("Connection: close")
        header = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        record["status"] = status
        sent = 0
        try:
            if head or length == 0:
                self.wfile.write(header)
            elif "drop_after_bytes" in fault:
                n = min(int(fault["drop_after_bytes"]), length)
                self.wfile.write(header + self._bytes(body, 0, n))
                sent = n
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            elif "drip_bytes_per_second" in fault:
                rate = float(fault["drip_bytes_per_second"])
                self.wfile.write(header)
                for i in range(length):
                    if i and self.server.owner._stopping.wait(1.0 / rate):
                        self.close_connection = True
                        break
                    self.wfile.write(self._bytes(body, i, i + 1))
                    sent += 1
            elif body is not None:
                self.wfile.write(header + body)
                sent = length
            else:
                self.wfile.write(header)
                while sent < length:
                    n = min(CHUNK, length - sent)
                    self.wfile.write(b"x" * n)
                    sent += n
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True
        record["bytes"] = sent
        self.server.owner._record(record)

    @staticmethod
    def _bytes(body, start, end):
        return body[start:end] if body is not None else b"x" * (end - start)


class _TCPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class MetadataServer:
    """Serves ROOT on ADDRESS:PORT (PORT 0: a free one) until stop()."""

    def __init__(self, root, address="127.0.0.1", port=0, delay_ms=0, log_path=None):
        self.root = os.path.abspath(root)
        if not os.path.isdir(self.root):
            raise FixtureError(f"{self.root}: not a directory")
        self.faults = load_faults(self.root)
        self.delay_ms = delay_ms
        self.requests = []
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)  # notified as each request is recorded
        self._in_flight = 0
        self._counts = {}
        self._conns = {}
        self._next_conn = 0
        self._stopping = threading.Event()
        self._serving = threading.Event()
        self._t0 = time.monotonic()
        self._log = open(log_path, "a", buffering=1) if log_path else None
        self.httpd = _TCPServer((address, port), _Handler)
        self.httpd.owner = self
        self.address, self.port = self.httpd.server_address[:2]
        self._thread = None

    # What a test asks.
    def count(self, path=None):
        with self._lock:
            return sum(1 for r in self.requests if path is None or r["path"] == path)

    def connections(self):
        with self._lock:
            return self._next_conn

    def start(self):
        """Serves on a thread of its own; returns self."""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self):
        """Serves in the calling thread until stop() (from another thread or a signal handler)."""
        self._serving.set()
        try:
            self.httpd.serve_forever(poll_interval=0.1)
        finally:
            self._stopping.set()

    def stop(self):
        """Stops accepting, ends hanging and dripping answers, closes every connection."""
        self._stopping.set()
        if self._serving.is_set():
            self.httpd.shutdown()
        if self._thread:
            self._thread.join()
        with self._lock:
            conns = list(self._conns.values())
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.httpd.server_close()
        # A handler may still be between its last byte sent and its log line
        # (the client has its answer and stopped us): wait for those lines.
        with self._answered:
            self._answered.wait_for(lambda: self._in_flight == 0, timeout=5)
        if self._log:
            self._log.close()
            self._log = None

    # Handler callbacks.
    def _new_conn(self, sock):
        with self._lock:
            self._next_conn += 1
            self._conns[self._next_conn] = sock
            return self._next_conn

    def _end_conn(self, sock):
        with self._lock:
            for k, v in list(self._conns.items()):
                if v is sock:
                    del self._conns[k]

    def _fault_for(self, path):
        """(fault dict or {}, n) where n counts the requests of PATH, this one included."""
        with self._lock:
            n = self._counts.get(path, 0) + 1
            self._counts[path] = n
        fault = self.faults.get(path)
        if fault is None:
            fault = self.faults.get("*", {})
        return fault, n

    def _arrived(self, record):
        record["t"] = round(time.monotonic() - self._t0, 4)
        with self._lock:
            self.requests.append(record)
            self._in_flight += 1
        return record

    def _record(self, record):
        """The answer to RECORD is complete (or abandoned)."""
        record["done"] = round(time.monotonic() - self._t0, 4)
        with self._lock:
            if self._log:
                self._log.write(json.dumps(record, sort_keys=True) + "\n")
            self._in_flight -= 1
            self._answered.notify_all()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", required=True, help="fixture directory")
    ap.add_argument("--bind", default="169.254.169.254")
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--delay-ms", type=float, default=0, help="added to every response")
    ap.add_argument("--log", help="append one JSON line per request to this file")
    args = ap.parse_args()
    try:
        srv = MetadataServer(args.root, args.bind, args.port, args.delay_ms, args.log)
    except (FixtureError, OSError) as e:
        print(f"metadata_server: {e}", file=sys.stderr)
        return 2

    stopper = threading.Thread(target=srv.stop)

    def on_signal(signum, frame):  # stop() waits for serve_forever: not from this thread
        if not stopper.is_alive() and not srv._stopping.is_set():
            stopper.start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"listening on {srv.address}:{srv.port}", flush=True)
    srv.serve_forever()
    stopper.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Tests of metadata_server.py: the fixture format and every fault of faults.json.

    python3 tests/compat/lib/metadata_server_test.py     (also run by ctest)
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import metadata_server  # noqa: E402

META = {"uuid": "0b6d4c7e-1f0a-4c5e-9a53-1d2e3f4a5b6c", "hostname": "vm1"}


def write(root, rel, data):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


class Server(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        write(self.root, "openstack/_index", "2012-08-10\n2018-08-27\nlatest")
        write(self.root, "openstack/latest/meta_data.json", json.dumps(META))
        write(self.root, "openstack/latest/user_data", b"#cloud-config\n\x00\xff")
        write(self.root, "latest/meta-data/instance-id", "i-1")
        write(self.root, "latest/meta-data/public-keys/0/openssh-key", "ssh-ed25519 AAAA k\n")
        write(self.root, "latest/meta-data/public-keys/_index", "0=mykey")
        self.srv = None

    def tearDown(self):
        if self.srv:
            self.srv.stop()
        self.tmp.cleanup()

    def serve(self, faults=None, delay_ms=0):
        if faults is not None:
            write(self.root, "faults.json", json.dumps(faults))
        self.srv = metadata_server.MetadataServer(self.root, "127.0.0.1", 0, delay_ms).start()
        return self.srv

    def conn(self, timeout=5):
        return http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=timeout)

    def get(self, path, conn=None, timeout=5):
        c = conn or self.conn(timeout)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read(), r
        finally:
            if conn is None:
                c.close()

    # ------------------------------------------------------------ the format

    def test_file_bytes_and_content_type(self):
        self.serve()
        st, body, r = self.get("/openstack/latest/meta_data.json")
        self.assertEqual((st, json.loads(body)), (200, META))
        self.assertEqual(r.getheader("Content-Type"), "application/json")
        st, body, r = self.get("/openstack/latest/user_data")
        self.assertEqual((st, body), (200, b"#cloud-config\n\x00\xff"))
        self.assertEqual(r.getheader("Content-Type"), "application/octet-stream")

    def test_listing_from_index_with_or_without_slash(self):
        self.serve()
        for p in ("/openstack", "/openstack/"):
            self.assertEqual(self.get(p)[:2], (200, b"2012-08-10\n2018-08-27\nlatest"))
        self.assertEqual(self.get("/latest/meta-data/public-keys/")[:2], (200, b"0=mykey"))

    def test_generated_listing_sorted_dirs_slashed_no_newline(self):
        self.serve({"/nothing": {"status": 500}})
        self.assertEqual(self.get("/latest/meta-data/")[:2],
                         (200, b"instance-id\npublic-keys/"))
        self.assertEqual(self.get("/")[:2], (200, b"latest/\nopenstack/"))  # no faults.json

    def test_hidden_missing_and_escaping_paths_are_404(self):
        self.serve({})
        for p in ("/openstack/_index", "/faults.json", "/openstack/latest/vendor_data.json",
                  "/openstack/latest/meta_data.json/", "/../etc/passwd", "/openstack/../../x"):
            self.assertEqual(self.get(p)[0], 404, p)

    def test_keep_alive_and_request_record(self):
        self.serve()
        c = self.conn()
        for _ in range(3):
            self.assertEqual(self.get("/openstack/latest/meta_data.json", c)[0], 200)
        self.assertEqual(self.get("/latest/meta-data/instance-id", c)[:2], (200, b"i-1"))
        self.assertEqual(self.srv.connections(), 1)
        self.assertEqual(self.srv.count("/openstack/latest/meta_data.json"), 3)
        self.assertEqual(self.srv.count(), 4)

    # ------------------------------------------------------------ faults

    def test_status(self):
        self.serve({"/openstack/latest/meta_data.json": {"status": 500},
                    "/openstack/latest/user_data": {"status": 404}})
        self.assertEqual(self.get("/openstack/latest/meta_data.json")[:2], (500, b""))
        self.assertEqual(self.get("/openstack/latest/user_data")[:2], (404, b""))

    def test_status_sequence_then_last_repeats(self):
        self.serve({"/openstack/latest/meta_data.json": {"status_sequence": [503, 503, 200]},
                    "/latest/meta-data/instance-id": {"status_sequence": [200, 500]}})
        c = self.conn()
        got = [self.get("/openstack/latest/meta_data.json", c)[0] for _ in range(4)]
        self.assertEqual(got, [503, 503, 200, 200])
        got = [self.get("/latest/meta-data/instance-id", c)[0] for _ in range(3)]
        self.assertEqual(got, [200, 500, 500])

    def test_path_entry_wins_over_star(self):
        self.serve({"*": {"status": 503}, "/openstack": {"body": "latest"}})
        self.assertEqual(self.get("/openstack")[:2], (200, b"latest"))
        self.assertEqual(self.get("/openstack/latest/meta_data.json")[0], 503)

    def test_delay_and_global_delay_add_up(self):
        self.serve({"/openstack": {"delay_ms": 150}}, delay_ms=50)
        t0 = time.monotonic()
        self.assertEqual(self.get("/openstack")[0], 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.2)
        t0 = time.monotonic()
        self.assertEqual(self.get("/latest/meta-data/instance-id")[0], 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.05)
        self.assertLess(time.monotonic() - t0, 0.15)

    def test_drop_after_bytes(self):
        self.serve({"/openstack/latest/meta_data.json": {"drop_after_bytes": 10}})
        c = self.conn()
        c.request("GET", "/openstack/latest/meta_data.json")
        r = c.getresponse()
        self.assertEqual(int(r.getheader("Content-Length")), len(json.dumps(META)))
        with self.assertRaises(http.client.IncompleteRead) as e:
            r.read()
        self.assertEqual(e.exception.partial, json.dumps(META).encode()[:10])

    def test_hang_until_stop(self):
        self.serve({"/openstack": {"hang": True}})
        t0 = time.monotonic()
        with self.assertRaises(socket.timeout):
            self.get("/openstack", timeout=0.3)
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)
        c = self.conn(timeout=5)
        c.request("GET", "/openstack")
        t0 = time.monotonic()
        self.srv.stop()
        self.srv = None
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            c.getresponse()
        self.assertLess(time.monotonic() - t0, 2)

    def test_drip(self):
        self.serve({"/latest/meta-data/instance-id": {"drip_bytes_per_second": 10}})
        c = self.conn()
        t0 = time.monotonic()
        c.request("GET", "/latest/meta-data/instance-id")
        r = c.getresponse()
        self.assertEqual(r.read(1), b"i")
        self.assertLess(time.monotonic() - t0, 0.09)
        self.assertEqual(r.read(), b"-1")
        self.assertGreaterEqual(time.monotonic() - t0, 0.2)

    def test_oversize(self):
        self.serve({"/openstack/latest/user_data": {"oversize_bytes": 3_000_000}})
        st, body, _ = self.get("/openstack/latest/user_data")
        self.assertEqual((st, len(body), set(body)), (200, 3_000_000, {ord("x")}))

    def test_body_and_redirect_loop(self):
        self.serve({"/openstack/latest/meta_data.json": {"body": "not json {"},
                    "/openstack/latest/vendor_data.json":
                        {"redirect_to": "/openstack/latest/vendor_data.json"}})
        st, body, r = self.get("/openstack/latest/meta_data.json")
        self.assertEqual((st, body, r.getheader("Content-Type")),
                         (200, b"not json {", "application/json"))
        st, body, r = self.get("/openstack/latest/vendor_data.json")
        self.assertEqual((st, r.getheader("Location")), (302, "/openstack/latest/vendor_data.json"))

    def test_bad_faults_file_is_an_error_naming_it(self):
        write(self.root, "faults.json", '{"/x": {"stauts": 500}}')
        with self.assertRaisesRegex(metadata_server.FixtureError, r"faults.json: /x: unknown"):
            metadata_server.MetadataServer(self.root, "127.0.0.1", 0)

    # ------------------------------------------------------------ the command

    def test_command_line_ready_line_log_and_sigterm(self):
        log = os.path.join(self.root, "..", os.path.basename(self.root) + ".jsonl")
        p = subprocess.Popen([sys.executable, os.path.join(HERE, "metadata_server.py"), "--root",
                              self.root, "--bind", "127.0.0.1", "--port", "0", "--log", log],
                             stdout=subprocess.PIPE, text=True)
        try:
            line = p.stdout.readline()
            self.assertRegex(line, r"^listening on 127\.0\.0\.1:\d+$")
            port = int(line.rsplit(":", 1)[1])
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/openstack/latest/meta_data.json")
            self.assertEqual(c.getresponse().read(), json.dumps(META).encode())
            c.close()
        finally:
            p.terminate()
            self.assertEqual(p.wait(5), 0)
        with open(log) as f:
            rec = [json.loads(l) for l in f]
        os.unlink(log)
        self.assertEqual([(r["path"], r["status"], r["conn"]) for r in rec],
                         [("/openstack/latest/meta_data.json", 200, 1)])


if __name__ == "__main__":
    unittest.main()

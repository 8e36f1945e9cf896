"""The outside of an OpenStack sandbox: a NIC, a DHCP server, a metadata server, a config drive.

Used by compat.py for scenarios with a `metadata/` tree or a `config-drive/` directory, and by
bench/openstack_crawl. Runs on the host side (root), before and after the sandbox:

    env = OpenStackEnv(workdir, metadata_root="scenarios/x/metadata", delay_ms=0)
    env.start()          # netns + veth (+ dnsmasq + metadata server) (+ loop-attached ISO)
    argv = env.enter_argv() + ["unshare", "--mount", ...]   # run the sandbox in its netns
    ...                  # env.block_devices: [(name, major, minor)] to mknod in its /dev
    env.stop()           # servers stopped, namespaces and loop device gone (idempotent)

Topology (one pair of network namespaces per sandbox, so sandboxes can run in parallel):

    sandbox netns "nubo-c<id>"           server netns "nubo-s<id>"
      lo up
      eth0 (down, MAC fa:16:3e:00:00:01) <-veth-> md0  192.168.100.1/24, 169.254.169.254/32
                                                       dnsmasq: DHCP, lease 192.168.100.10,
                                                                router 192.168.100.1, no DNS
                                                       metadata_server.py on 169.254.169.254:80
                                                       (both only with a metadata tree)

The sandbox side is named eth0, not veth*: cloud-init's fallback-NIC search skips veth* names.
The config drive is an ISO 9660 image labelled `config-2` (genisoimage -J -r), attached read-only
to a free loop device; the sandbox gets only that one block device node in its private /dev.
"""
import itertools
import os
import shutil
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
SANDBOX_MAC = "fa:16:3e:00:00:01"
SERVER_IP = "192.168.100.1"
CLIENT_IP = "192.168.100.10"
METADATA_IP = "169.254.169.254"
_ids = itertools.count(1)
_id_lock = threading.Lock()


def kernel_mounts(fstype):
    """Whether the running kernel has FSTYPE (no module loading here: a microVM kernel may
    lack iso9660 and vfat, and then no config drive can be mounted)."""
    with open("/proc/filesystems") as f:
        return any(line.split()[-1] == fstype for line in f if line.strip())


def _run(*argv):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


class OpenStackEnv:
    def __init__(self, workdir, metadata_root=None, config_drive=None, delay_ms=0,
                 label="config-2"):
        self.workdir = workdir
        self.metadata_root = metadata_root
        self.config_drive = config_drive
        self.delay_ms = delay_ms
        self.label = label
        with _id_lock:
            n = next(_ids)
        self.sandbox_ns = f"nubo-c{os.getpid()}-{n}"
        self.server_ns = f"nubo-s{os.getpid()}-{n}"
        self.procs = []
        self.loop = None
        self.block_devices = []
        self.namespaces = []
        self.request_log = os.path.join(workdir, "metadata-requests.jsonl")

    # ------------------------------------------------------------ lifecycle

    def start(self):
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self):
        for ns in (self.sandbox_ns, self.server_ns):
            _run("ip", "netns", "add", ns)
            self.namespaces.append(ns)
        self._network()
        if self.metadata_root:
            self._dnsmasq()
            self._metadata_server()
        if self.config_drive:
            self._iso()

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        self.namespaces = []
        if self.loop:
            subprocess.run(["losetup", "-d", self.loop], stderr=subprocess.DEVNULL)
            self.loop = None

    def enter_argv(self):
        """Prefix that runs a command in the sandbox's network namespace (and nothing else)."""
        return ["nsenter", f"--net=/run/netns/{self.sandbox_ns}"]

    # ------------------------------------------------------------ pieces

    def _network(self):
        s, c = self.server_ns, self.sandbox_ns
        _run("ip", "-n", s, "link", "add", "md0", "type", "veth", "peer", "name", "eth0",
             "netns", c)
        _run("ip", "-n", c, "link", "set", "eth0", "address", SANDBOX_MAC)
        # systemd brings lo up first thing at boot; without it a resolver query to 127.0.0.1
        # (cloud-init's is_resolvable_url) waits for timeouts instead of being refused.
        _run("ip", "-n", c, "link", "set", "lo", "up")
        _run("ip", "-n", s, "addr", "add", f"{SERVER_IP}/24", "dev", "md0")
        _run("ip", "-n", s, "addr", "add", f"{METADATA_IP}/32", "dev", "md0")
        _run("ip", "-n", s, "link", "set", "lo", "up")
        _run("ip", "-n", s, "link", "set", "md0", "up")

    def _dnsmasq(self):
        dnsmasq = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
        argv = ["ip", "netns", "exec", self.server_ns, dnsmasq, "--keep-in-foreground",
                "--conf-file=/dev/null", "--port=0", "--interface=md0", "--bind-interfaces",
                "--except-interface=lo", "--no-ping", "--dhcp-authoritative",
                f"--dhcp-range={CLIENT_IP},{CLIENT_IP},255.255.255.0,10m",
                f"--dhcp-option=option:router,{SERVER_IP}",
                f"--dhcp-leasefile={self.workdir}/dnsmasq.leases", "--pid-file",
                "--user=root", "--group=root", "--log-dhcp",
                f"--log-facility={self.workdir}/dnsmasq.log"]
        self.procs.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def _metadata_server(self):
        argv = ["ip", "netns", "exec", self.server_ns, sys.executable,
                os.path.join(HERE, "metadata_server.py"), "--root", self.metadata_root,
                "--bind", METADATA_IP, "--port", "80", "--delay-ms", str(self.delay_ms),
                "--log", self.request_log]
        err = open(os.path.join(self.workdir, "metadata-server.stderr"), "wb")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=err, text=True)
        err.close()
        self.procs.append(p)
        line = p.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError(f"metadata server did not start: {line!r}, see "
                               f"{self.workdir}/metadata-server.stderr")

    def _iso(self):
        iso = os.path.join(self.workdir, f"{self.label}.iso")
        _run("genisoimage", "-quiet", "-o", iso, "-V", self.label, "-J", "-r",
             self.config_drive)
        self.loop = _run("losetup", "--find", "--show", "--read-only", iso).strip()
        st = os.stat(self.loop)
        self.block_devices = [(os.path.basename(self.loop), os.major(st.st_rdev),
                               os.minor(st.st_rdev))]

    # ------------------------------------------------------------ results

    def requests(self):
        """The metadata server's request log, one dict per request."""
        import json
        try:
            with open(self.request_log) as f:
                return [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []

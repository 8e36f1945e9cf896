#!/usr/bin/python3
"""Runs one agent on one prepared scenario, inside the namespaces that lib/compat.py created.

Invoked by compat.py as
    unshare --mount --uts --ipc --pid --net --fork /usr/bin/python3 lib/sandbox.py JOB.json
so this process is PID 1 of a fresh pid namespace, in a private mount namespace (propagation
private), a fresh UTS namespace (hostname changes stay here) and a fresh network namespace (only
`lo`, down). It never chroots itself; it mounts an overlay of the cached tree and runs each stage
as `chroot MERGED /usr/bin/cloud-init ...`, then dumps the resulting state (see dump.py).

JOB.json keys: lower, upper, work, merged, prep, clear, copy, outdir, boots, timeout, stages, dump (dict for
dump.py); for OpenStack scenarios also dmi ({file: [value, mode]} under /sys/class/dmi/id),
block_devices ([[name, major, minor]] made in /dev) and sysview (an empty dir for a second sysfs
view). The network namespace is whatever compat.py started us in (OpenStack: one with an eth0).
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean (we run as root)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dump  # noqa: E402

DEV_NODES = [  # name, major, minor, mode
    ("null", 1, 3, 0o666), ("zero", 1, 5, 0o666), ("full", 1, 7, 0o666),
    ("random", 1, 8, 0o666), ("urandom", 1, 9, 0o666), ("tty", 5, 0, 0o666),
]
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root",
       "TERM": "dumb", "DEBIAN_FRONTEND": "noninteractive"}


def sh(*argv):
    subprocess.run(argv, check=True)


def mount(fstype, src, target, opts=None):
    argv = ["mount", "-t", fstype]
    if opts:
        argv += ["-o", opts]
    sh(*argv, src, target)


def fake_dmi(root, dmi, sysview):
    """Gives the sandbox's /sys/class/dmi/id the files DMI (e.g. {"product_name": ["OpenStack
    Nova", 0o444]}), whether or not the machine has DMI (a microVM has no /sys/class/dmi, and
    sysfs cannot get new entries): a read-only tmpfs over /sys/class holding a bind mount of each
    real class directory (from a second view of this netns's sysfs) plus our own dmi/id."""
    mount("sysfs", "sysfs", sysview, "ro,nosuid,nodev,noexec")
    cls = root + "/sys/class"
    mount("tmpfs", "sysclass", cls, "mode=0755,nosuid,nodev,noexec,size=1m")
    for name in sorted(os.listdir(sysview + "/class")):
        if name == "dmi":
            continue
        os.mkdir(f"{cls}/{name}")
        sh("mount", "--bind", f"{sysview}/class/{name}", f"{cls}/{name}")
    os.makedirs(cls + "/dmi/id")
    for name, (value, mode) in sorted(dmi.items()):
        with open(f"{cls}/dmi/id/{name}", "w") as f:
            f.write(value + "\n")  # sysfs appends a newline
        os.chmod(f"{cls}/dmi/id/{name}", mode)
    sh("mount", "-o", "remount,ro,bind", cls)


def boot_mounts(root, job=None):
    """What a booted system has: fresh /proc, read-only /sys, private /dev, tmpfs /run and /tmp.

    `job` (a scenario's OpenStack extras: fake DMI, block devices) is optional:
    the net-convert sandboxes have none."""
    job = job or {}
    mount("proc", "proc", root + "/proc", "nosuid,nodev,noexec")
    # A sysfs mounted in this network namespace shows only its own NICs (`lo`, and for
    # OpenStack scenarios the eth0 compat.py gave it), not the host's.
    mount("sysfs", "sysfs", root + "/sys", "ro,nosuid,nodev,noexec")
    if job.get("dmi"):
        fake_dmi(root, job["dmi"], job["sysview"])
    mount("tmpfs", "dev", root + "/dev", "mode=0755,nosuid,size=1m")
    for name, major, minor, mode in DEV_NODES:
        path = f"{root}/dev/{name}"
        os.mknod(path, mode | 0o020000, os.makedev(major, minor))
        os.chmod(path, mode)
    for name, major, minor in job.get("block_devices", []):  # e.g. the config drive's loop
        path = f"{root}/dev/{name}"
        os.mknod(path, 0o660 | 0o060000, os.makedev(major, minor))
        os.chmod(path, 0o660)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")
    os.mkdir(root + "/dev/pts")
    os.mkdir(root + "/dev/shm", 0o1777)
    os.chmod(root + "/dev/shm", 0o1777)
    mount("tmpfs", "run", root + "/run", "mode=0755,nosuid,nodev,size=64m")
    mount("tmpfs", "tmp", root + "/tmp", "mode=1777,nosuid,nodev,size=256m")


def kill_leftovers(root):
    """Kill every process of this pid namespace but us (e.g. an sshd a stage started)."""
    for _ in range(3):
        pids = [int(p) for p in os.listdir(root + "/proc") if p.isdigit() and int(p) != 1]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
        try:  # reap what we can; we are PID 1 here
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass


def boot_unmounts(root, job=None):
    job = job or {}
    kill_leftovers(root)
    for sub in ("/tmp", "/run", "/dev", "/sys", "/proc"):
        subprocess.run(["umount", "-l", root + sub], check=False)
    if job.get("dmi"):
        subprocess.run(["umount", "-l", job["sysview"]], check=False)


def run_stage(root, argv, timeout, out_prefix):
    t0 = time.monotonic()
    with open(out_prefix + ".stdout", "wb") as out, open(out_prefix + ".stderr", "wb") as err:
        proc = subprocess.Popen(["chroot", root] + argv, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=err, env=ENV, cwd="/", start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            rc = proc.wait()
            timed_out = True
    return {"argv": argv, "rc": rc, "timed_out": timed_out,
            "seconds": round(time.monotonic() - t0, 3)}


def main():
    job = json.load(open(sys.argv[1]))
    assert os.getpid() == 1, "sandbox.py must run as PID 1 of a new pid namespace"
    root = job["merged"]
    # Belt and braces: never operate on the host root.
    assert os.path.realpath(root) not in ("/", "") and root.startswith("/") and \
        os.path.realpath(root) != os.path.realpath(job["lower"]), root
    sh("mount", "--make-rprivate", "/")
    upper = job["upper"]
    if job.get("copy"):
        upper = None
    else:
        try:
            mount("overlay", "overlay", root,
                  f"lowerdir={job['lower']},upperdir={job['upper']},workdir={job['work']}")
        except subprocess.CalledProcessError:
            print("sandbox: overlayfs mount failed, falling back to cp -a", flush=True)
            upper = None
    if upper is None:  # a private full copy of the tree instead of an overlay
        t0 = time.monotonic()
        sh("cp", "-a", "--reflink=auto", job["lower"] + "/.", root + "/")
        print(f"sandbox: copied tree in {time.monotonic() - t0:.1f}s", flush=True)
    for path in job["clear"]:  # e.g. the package's own cloud.cfg.d/90_dpkg.cfg
        subprocess.run(["rm", "-rf", "--one-file-system", root + path], check=True)
    sh("cp", "-a", "--no-preserve=ownership", job["prep"] + "/.", root + "/")
    results = []
    for boot in range(1, job["boots"] + 1):
        boot_mounts(root, job)
        with open(root + "/etc/hostname") as f:  # what systemd does at boot
            name = f.read().strip() or "localhost"
        socket.sethostname(name)
        for label, argv in job["stages"]:
            r = run_stage(root, argv, job["timeout"], f"{job['outdir']}/boot{boot}-{label}")
            r.update(boot=boot, stage=label)
            results.append(r)
        kernel_hostname = socket.gethostname()
        boot_unmounts(root, job)
    with open(job["outdir"] + "/stages.json", "w") as f:
        json.dump(results, f, indent=1)
    d = dump.dump_state(root, job["lower"], upper, results, kernel_hostname, job["dump"])
    with open(job["outdir"] + "/dump.json", "w") as f:
        json.dump(d, f, indent=1)
    for log in ("cloud-init.log", "cloud-init-output.log"):
        src = f"{root}/var/log/{log}"
        if os.path.exists(src):
            subprocess.run(["cp", src, f"{job['outdir']}/{log}"], check=False)
    if upper is not None:
        sh("umount", root)


if __name__ == "__main__":
    main()

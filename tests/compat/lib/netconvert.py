#!/usr/bin/python3
"""Network rendering compared offline: `cloud-init devel net-convert` vs `nubo devel net-convert`.

Every fixture in tests/fixtures/net/<name>/ (network-config.yaml: kind yaml; network_data.json:
kind network_data.json, with `macs` lines "name,mac" given as -m; interfaces: kind eni) is
rendered by every renderer (RENDERERS: output kind and -D distro) by both agents, each in its
own sandbox over the cached tree (cloud-init/ or base/ plus the nubo binary), in fresh
mount/pid/net namespaces, so the sysfs they see has only `lo` and no NIC is ever looked up
from the host.

Used two ways:
  - by compat.py (tests/compat/run): compare() returns per conversion the differing items
    ("exit", "file:<path>") which compat.py looks up in known-differences.yaml under the
    pseudo-scenario "net-convert:<fixture>:<renderer>";
  - inside the namespaces: `netconvert.py JOB.json` (PID 1) runs the conversions of one agent.

tests/fixtures/net/<name>/expected/<renderer>/ holds the files the unit tests
(tests/agent/net/render_test.cc) expect: cloud-init's output from this harness (`--keep`
prints where it is), except where known-differences.yaml lists a deliberate difference.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sandbox  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
FIXTURES = os.path.join(REPO, "tests/fixtures/net")
RENDERERS = [("eni", "debian"), ("netplan", "debian"), ("networkd", "debian"),
             ("network-manager", "debian"), ("sysconfig", "rhel")]
INPUTS = [("network-config.yaml", "yaml"), ("network_data.json", "network_data.json"), ("interfaces", "eni")]


def fixtures():
    out = []
    for name in sorted(os.listdir(FIXTURES)):
        d = os.path.join(FIXTURES, name)
        for fn, kind in INPUTS:
            if os.path.exists(os.path.join(d, fn)):
                macs = []
                if os.path.exists(os.path.join(d, "macs")):
                    with open(os.path.join(d, "macs")) as f:
                        macs = [l.strip() for l in f if l.strip() and not l.startswith("#")]
                out.append({"name": name, "file": fn, "kind": kind, "macs": macs})
    return out


def conversions():
    return [(fx, r, distro) for fx in fixtures() for r, distro in RENDERERS]


def label(fx, renderer):
    return f"net-convert:{fx['name']}:{renderer}"


# ------------------------------------------------------------- inside the sandbox

def sandbox_main(job_path):
    job = json.load(open(job_path))
    assert os.getpid() == 1, "netconvert.py must run as PID 1 of a new pid namespace"
    root = job["merged"]
    assert os.path.realpath(root) not in ("/", "") and os.path.realpath(root) != os.path.realpath(job["lower"])
    sandbox.sh("mount", "--make-rprivate", "/")
    try:
        sandbox.mount("overlay", "overlay", root,
                      f"lowerdir={job['lower']},upperdir={job['upper']},workdir={job['work']}")
    except subprocess.CalledProcessError:
        sandbox.sh("cp", "-a", "--reflink=auto", job["lower"] + "/.", root + "/")
    sandbox.sh("cp", "-a", "--no-preserve=ownership", job["prep"] + "/.", root + "/")
    sandbox.boot_mounts(root)
    results = []
    for c in job["conversions"]:
        os.makedirs(root + c["indir"], exist_ok=True)
        shutil.copyfile(c["input"], root + c["indir"] + "/" + c["file"])
        argv = ["/usr/bin/cloud-init", "devel", "net-convert", "-p", c["indir"] + "/" + c["file"],
                "-k", c["kind"], "-d", c["outdir"], "-D", c["distro"], "-O", c["renderer"]]
        for m in c["macs"]:
            argv += ["-m", m]
        p = subprocess.run(["chroot", root] + argv, stdin=subprocess.DEVNULL, capture_output=True,
                           env=sandbox.ENV, cwd="/", timeout=120)
        files = {}
        top = root + c["outdir"]
        for dirpath, _, names in os.walk(top):
            for n in names:
                full = os.path.join(dirpath, n)
                rel = "/" + os.path.relpath(full, top)
                with open(full, errors="replace") as f:
                    files[rel] = {"mode": oct(os.stat(full).st_mode & 0o7777), "content": f.read()}
        results.append({"id": c["id"], "rc": p.returncode, "stderr": p.stderr.decode(errors="replace"),
                        "files": files})
    with open(job["result"], "w") as f:
        json.dump(results, f, indent=1)
    sandbox.boot_unmounts(root)


# ------------------------------------------------------------- from compat.py

def run_agent(agent, cache, nubo, workroot, keep):
    """Runs every conversion with AGENT; returns ({id: result}, workdir)."""
    work = tempfile.mkdtemp(prefix=f"net-convert.{agent}.", dir=workroot)
    for d in ("upper", "work", "merged", "prep"):
        os.mkdir(os.path.join(work, d))
    prep = os.path.join(work, "prep")
    if agent == "nubo":
        os.makedirs(os.path.join(prep, "usr/bin"))
        shutil.copyfile(nubo, os.path.join(prep, "usr/bin/nubo"))
        os.chmod(os.path.join(prep, "usr/bin/nubo"), 0o755)
        os.symlink("nubo", os.path.join(prep, "usr/bin/cloud-init"))
    convs = []
    for fx, renderer, distro in conversions():
        cid = f"{fx['name']}.{renderer}"
        convs.append({"id": cid, "input": os.path.join(FIXTURES, fx["name"], fx["file"]),
                      "file": fx["file"], "kind": fx["kind"], "macs": fx["macs"], "distro": distro,
                      "renderer": renderer, "indir": f"/tmp/nc/in/{fx['name']}",
                      "outdir": f"/tmp/nc/out/{cid}"})
    job = {"lower": os.path.join(cache, "cloud-init" if agent == "cloud-init" else "base"),
           "upper": os.path.join(work, "upper"), "work": os.path.join(work, "work"),
           "merged": os.path.join(work, "merged"), "prep": prep, "conversions": convs,
           "result": os.path.join(work, "result.json")}
    with open(os.path.join(work, "job.json"), "w") as f:
        json.dump(job, f, indent=1)
    argv = ["unshare", "--mount", "--uts", "--ipc", "--pid", "--net", "--fork",
            "/usr/bin/python3", os.path.abspath(__file__), os.path.join(work, "job.json")]
    with open(os.path.join(work, "sandbox.log"), "wb") as out:
        rc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, timeout=900).returncode
    if rc != 0 or not os.path.exists(job["result"]):
        with open(os.path.join(work, "sandbox.log"), errors="replace") as f:
            raise RuntimeError(f"net-convert sandbox for {agent} failed ({rc}), kept {work}:\n{f.read()[-3000:]}")
    with open(job["result"]) as f:
        results = {r["id"]: r for r in json.load(f)}
    if not keep:
        for d in ("upper", "work", "merged", "prep"):
            shutil.rmtree(os.path.join(work, d), ignore_errors=True)
    return results, work


def items(result):
    out = {"exit": [str(result["rc"])]}
    for path, f in result["files"].items():
        out[f"file:{path}"] = [f"mode {f['mode']}"] + f["content"].split("\n")
    return out


def compare(cache, nubo, workroot, keep=False):
    """Yields (label, [(item, lines_a, lines_b)], workdirs) for every conversion."""
    ci, wa = run_agent("cloud-init", cache, nubo, workroot, keep)
    nb, wb = run_agent("nubo", cache, nubo, workroot, keep)
    for fx, renderer, _ in conversions():
        cid = f"{fx['name']}.{renderer}"
        a, b = items(ci[cid]), items(nb[cid])
        diffs = []
        for item in list(a) + [k for k in b if k not in a]:
            la, lb = a.get(item, ["<no such item>"]), b.get(item, ["<no such item>"])
            if la != lb:
                diffs.append((item, la, lb))
        yield label(fx, renderer), diffs, (ci[cid], nb[cid])
    if not keep:
        shutil.rmtree(wa, ignore_errors=True)
        shutil.rmtree(wb, ignore_errors=True)
    else:
        print(f"    kept: {wa} {wb}")


if __name__ == "__main__":
    sandbox_main(sys.argv[1])

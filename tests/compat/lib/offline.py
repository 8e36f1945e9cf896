#!/usr/bin/python3
"""Commands of one agent run offline, in a sandbox over the cached tree: no boot, no stages.

What `devel net-convert` (lib/netconvert.py) and `schema -c` (lib/schemacheck.py) are compared
with. Each agent gets its own sandbox over the cached tree (cloud-init/, or base/ plus the nubo
binary as /usr/bin/nubo and /usr/bin/cloud-init), in fresh mount/uts/ipc/pid/net namespaces, so
the sysfs it sees has only `lo` and no NIC is ever looked up from the host.

A command is a dict: id, argv (run as `chroot MERGED ARGV`), inputs ({path in the tree: host
file to copy there}) and optionally outdir (a directory whose files are collected). Its result:
{id, rc, stdout, stderr, files: {relative path: {mode, content}}}.

Used two ways: run_agent() from the host, and `offline.py JOB.json` as PID 1 in the namespaces.
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


def sandbox_main(job_path):
    job = json.load(open(job_path))
    assert os.getpid() == 1, "offline.py must run as PID 1 of a new pid namespace"
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
    for c in job["commands"]:
        for path, src in c.get("inputs", {}).items():
            os.makedirs(os.path.dirname(root + path), exist_ok=True)
            shutil.copyfile(src, root + path)
        p = subprocess.run(["chroot", root] + c["argv"], stdin=subprocess.DEVNULL, capture_output=True,
                           env=sandbox.ENV, cwd="/", timeout=120)
        files = {}
        if c.get("outdir"):
            top = root + c["outdir"]
            for dirpath, _, names in os.walk(top):
                for n in names:
                    full = os.path.join(dirpath, n)
                    rel = "/" + os.path.relpath(full, top)
                    with open(full, errors="replace") as f:
                        files[rel] = {"mode": oct(os.stat(full).st_mode & 0o7777), "content": f.read()}
        results.append({"id": c["id"], "rc": p.returncode, "stdout": p.stdout.decode(errors="replace"),
                        "stderr": p.stderr.decode(errors="replace"), "files": files})
    with open(job["result"], "w") as f:
        json.dump(results, f, indent=1)
    sandbox.boot_unmounts(root)


def run_agent(agent, cache, nubo, workroot, commands, keep=False, what="offline"):
    """Runs COMMANDS with AGENT ("cloud-init" or "nubo"); returns ({id: result}, workdir)."""
    work = tempfile.mkdtemp(prefix=f"{what}.{agent}.", dir=workroot)
    for d in ("upper", "work", "merged", "prep"):
        os.mkdir(os.path.join(work, d))
    prep = os.path.join(work, "prep")
    if agent == "nubo":
        os.makedirs(os.path.join(prep, "usr/bin"))
        shutil.copyfile(nubo, os.path.join(prep, "usr/bin/nubo"))
        os.chmod(os.path.join(prep, "usr/bin/nubo"), 0o755)
        os.symlink("nubo", os.path.join(prep, "usr/bin/cloud-init"))
    job = {"lower": os.path.join(cache, "cloud-init" if agent == "cloud-init" else "base"),
           "upper": os.path.join(work, "upper"), "work": os.path.join(work, "work"),
           "merged": os.path.join(work, "merged"), "prep": prep, "commands": commands,
           "result": os.path.join(work, "result.json")}
    with open(os.path.join(work, "job.json"), "w") as f:
        json.dump(job, f, indent=1)
    argv = ["unshare", "--mount", "--uts", "--ipc", "--pid", "--net", "--fork",
            "/usr/bin/python3", os.path.abspath(__file__), os.path.join(work, "job.json")]
    with open(os.path.join(work, "sandbox.log"), "wb") as out:
        rc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, timeout=1800).returncode
    if rc != 0 or not os.path.exists(job["result"]):
        with open(os.path.join(work, "sandbox.log"), errors="replace") as f:
            raise RuntimeError(f"{what} sandbox for {agent} failed ({rc}), kept {work}:\n{f.read()[-3000:]}")
    with open(job["result"]) as f:
        results = {r["id"]: r for r in json.load(f)}
    if not keep:
        for d in ("upper", "work", "merged", "prep"):
            shutil.rmtree(os.path.join(work, d), ignore_errors=True)
    return results, work


if __name__ == "__main__":
    sandbox_main(sys.argv[1])

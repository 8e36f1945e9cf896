#!/usr/bin/python3
"""Network rendering compared offline: `cloud-init devel net-convert` vs `nubo devel net-convert`.

Every fixture in tests/fixtures/net/<name>/ (network-config.yaml: kind yaml; network_data.json:
kind network_data.json, with `macs` lines "name,mac" given as -m; interfaces: kind eni) is
rendered by every renderer (RENDERERS: output kind and -D distro) by both agents, each in its
own offline sandbox (lib/offline.py).

compat.py (tests/compat/run) calls compare(), which returns per conversion the differing items
("exit", "file:<path>"); compat.py looks them up in known-differences.yaml under the
pseudo-scenario "net-convert:<fixture>:<renderer>".

tests/fixtures/net/<name>/expected/<renderer>/ holds the files the unit tests
(tests/agent/net/render_test.cc) expect: cloud-init's output from this harness (`--keep`
prints where it is), except where known-differences.yaml lists a deliberate difference.
"""
import os
import shutil
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import offline  # noqa: E402

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


def commands():
    """Every conversion as an offline.py command."""
    out = []
    for fx, renderer, distro in conversions():
        cid = f"{fx['name']}.{renderer}"
        indir, outdir = f"/tmp/nc/in/{fx['name']}", f"/tmp/nc/out/{cid}"
        argv = ["/usr/bin/cloud-init", "devel", "net-convert", "-p", indir + "/" + fx["file"],
                "-k", fx["kind"], "-d", outdir, "-D", distro, "-O", renderer]
        for m in fx["macs"]:
            argv += ["-m", m]
        out.append({"id": cid, "argv": argv, "outdir": outdir,
                    "inputs": {indir + "/" + fx["file"]: os.path.join(FIXTURES, fx["name"], fx["file"])}})
    return out


def items(result):
    out = {"exit": [str(result["rc"])]}
    for path, f in result["files"].items():
        out[f"file:{path}"] = [f"mode {f['mode']}"] + f["content"].split("\n")
    return out


def compare(cache, nubo, workroot, keep=False):
    """Yields (label, [(item, lines_a, lines_b)], workdirs) for every conversion."""
    ci, wa = offline.run_agent("cloud-init", cache, nubo, workroot, commands(), keep, "net-convert")
    nb, wb = offline.run_agent("nubo", cache, nubo, workroot, commands(), keep, "net-convert")
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


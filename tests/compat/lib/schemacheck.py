#!/usr/bin/python3
"""`cloud-init schema -c` compared offline on cloud-init's own valid and invalid examples.

The cases are tests/fixtures/schema-examples/cases.json (made by its generate.py from the
schema tests of cloud-init 22.4.2, for the modules nubo implements). Each case's text is
checked by both agents' `cloud-init schema -c FILE` in their offline sandboxes (lib/offline.py);
the item compared is the verdict, "exit" (0 valid, 1 invalid). compat.py looks a difference up
in known-differences.yaml under the pseudo-scenario "schema:<case id>".
"""
import concurrent.futures
import json
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import offline  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
CASES = os.path.join(REPO, "tests/fixtures/schema-examples/cases.json")


def load_cases(path=CASES):
    with open(path) as f:
        return json.load(f)


def label(case):
    return f"schema:{case['id']}"


def commands(cases, indir):
    """One `cloud-init schema -c` per case; the texts are written under INDIR on the host."""
    out = []
    for c in cases:
        src = os.path.join(indir, c["id"] + ".yaml")
        with open(src, "w") as f:
            f.write(c["text"])
        path = f"/tmp/schema-examples/{c['id']}.yaml"
        out.append({"id": c["id"], "argv": ["/usr/bin/cloud-init", "schema", "-c", path],
                    "inputs": {path: src}})
    return out


def run(agent, cache, nubo, workroot, cases, keep=False, chunks=1):
    """{case id: result} of AGENT on CASES, in CHUNKS sandboxes side by side."""
    indir = tempfile.mkdtemp(prefix="schema-examples.in.", dir=workroot)
    try:
        cmds = commands(cases, indir)
        parts = [cmds[i::chunks] for i in range(chunks)]
        results = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=chunks) as pool:
            futs = [pool.submit(offline.run_agent, agent, cache, nubo, workroot, p, keep, "schema")
                    for p in parts if p]
            for fut in futs:
                res, work = fut.result()
                results.update(res)
                if keep:
                    print(f"    kept: {work}")
                else:
                    shutil.rmtree(work, ignore_errors=True)
        return results
    finally:
        shutil.rmtree(indir, ignore_errors=True)


def verdict(result):
    """What the command said, for the report: its error (stderr) if it failed, else its stdout."""
    text = (result["stderr"] if result["rc"] else result["stdout"]).strip() or result["stdout"].strip()
    return " ".join(text.split())


def compare(cache, nubo, workroot, keep=False):
    """Yields (label, [(item, lines_a, lines_b)]) for every case: cloud-init's verdict, nubo's."""
    cases = load_cases()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        fa = pool.submit(run, "cloud-init", cache, nubo, workroot, cases, keep, 2)
        fb = pool.submit(run, "nubo", cache, nubo, workroot, cases, keep, 1)
        ci, nb = fa.result(), fb.result()
    for c in cases:
        a, b = ci[c["id"]], nb[c["id"]]
        diffs = []
        if a["rc"] != b["rc"]:
            diffs.append(("exit", [str(a["rc"]), verdict(a)], [str(b["rc"]), verdict(b)]))
        yield label(c), diffs

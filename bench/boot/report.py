#!/usr/bin/env python3
"""bench/boot/report.py — parses one boot's files, and reports the boots.

    report.py --parse DIR --image NAME --ok 0|1 --host-ssh-ms MS   -> one JSON line
    report.py --report boots.jsonl [--smp N]                        -> markdown

--parse reads what bench/boot/run collected in DIR: journal.log (journalctl
-o short-monotonic), units.txt (systemctl show of the four units and ssh),
systemd-analyze.txt, cloud-init.log, analyze-show.txt. Times are seconds
after kernel start (the guest's CLOCK_MONOTONIC) unless named otherwise.
"""
import argparse
import datetime
import json
import os
import re
import statistics
import sys

UNITS = ["cloud-init-local.service", "cloud-init.service",
         "cloud-config.service", "cloud-final.service"]


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def first_login(journal):
    """Monotonic seconds of sshd's first accepted public-key login."""
    for line in journal.splitlines():
        if "Accepted publickey for" in line:
            m = re.match(r"\[\s*([0-9.]+)\]", line)
            if m:
                return float(m.group(1))
    return None


def parse_units(text):
    units, cur = {}, {}
    for line in text.splitlines() + [""]:
        if not line.strip():
            if "Id" in cur:
                units[cur["Id"]] = cur
            cur = {}
            continue
        k, _, v = line.partition("=")
        cur[k] = v
    return units


def usec(u, key):
    try:
        v = int(u.get(key, "0"))
    except ValueError:
        return 0
    return v


def unit_span(u):
    s = usec(u, "InactiveExitTimestampMonotonic") or usec(u, "ExecMainStartTimestampMonotonic")
    e = max(usec(u, "ActiveEnterTimestampMonotonic"), usec(u, "ExecMainExitTimestampMonotonic"))
    return s / 1e6, e / 1e6


def unit_times(units):
    """(first start, last end, sum of each unit's own duration), seconds."""
    starts, ends, own = [], [], 0.0
    for name in UNITS:
        u = units.get(name)
        if not u:
            continue
        s = usec(u, "InactiveExitTimestampMonotonic") or usec(u, "ExecMainStartTimestampMonotonic")
        e = max(usec(u, "ActiveEnterTimestampMonotonic"), usec(u, "ExecMainExitTimestampMonotonic"))
        if not s or not e:
            continue
        starts.append(s)
        ends.append(e)
        own += (e - s) / 1e6
    if not starts:
        return None, None, None
    return min(starts) / 1e6, max(ends) / 1e6, own


def analyze_total(text):
    """systemd-analyze's total ("... = 1min 2.345s"), seconds."""
    m = re.search(r"=\s*([0-9a-z. ]+?)\s*$", text.splitlines()[0] if text else "")
    if not m:
        return None
    total = 0.0
    for num, unit in re.findall(r"([0-9.]+)(min|ms|s)", m.group(1)):
        total += float(num) * {"min": 60, "s": 1, "ms": 0.001}[unit]
    return total


LOG_TS = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ")


def keygen_seconds(log):
    """Host-key generation inside the agent's units: each `ssh-keygen -t TYPE`
    run in cloud-init.log, from its line to the next line of the log (both
    agents log the command before running it: cloud-init's subp "Running
    command [...]", nubo's "running ssh-keygen -t ..."), and, for the runs
    nubo started in init --local, the time init waited for each ("took the
    TYPE host key run ... (waited Ns)"); summed over key types."""
    stamps = []
    for line in log.splitlines():
        m = LOG_TS.match(line)
        if not m:
            continue
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timestamp() \
            + int(m.group(2)) / 1000
        stamps.append((t, line))
    total, types = 0.0, []
    for i, (t, line) in enumerate(stamps):
        k = re.search(r"ssh-keygen'?,? '?-t'?,? '?(\w+)", line)
        if k and i + 1 < len(stamps):
            total += stamps[i + 1][0] - t
            types.append(k.group(1))
            continue
        # nubo starts ssh-keygen in init --local, in the background; init's
        # ssh module then logs how long it waited for each run: that wait is
        # the part of key generation inside nubo's units.
        k = re.search(r"took the (\w+) host key run started in init-local \(waited ([0-9.]+)s\)", line)
        if k:
            total += float(k.group(2))
            types.append(k.group(1))
    return (total if types else None), types


def analyze_show(text):
    """`cloud-init analyze show` of the first boot record: stage totals and
    each event's duration (config-* modules and the datasource steps)."""
    stages, events, stage = {}, {}, None
    for line in text.splitlines():
        if line.startswith("-- Boot Record") and stages:
            break
        m = re.match(r"Starting stage: (\S+)", line)
        if m:
            stage = m.group(1)
        m = re.match(r"Finished stage: \((\S+)\) ([0-9.]+) seconds", line)
        if m:
            stages[m.group(1)] = float(m.group(2))
        m = re.match(r"\|`->(.*) @[0-9.]+s \+([0-9.]+)s", line)
        if m and stage:
            name = m.group(1)
            mm = re.match(r"(config-\S+) ran successfully", name)
            name = mm.group(1) if mm else name.split(":")[0]
            events[f"{stage}/{name}"] = float(m.group(2))
    return stages, events


def parse(d, image, ok, host_ms):
    units = parse_units(read(os.path.join(d, "units.txt")))
    start, end, own = unit_times(units)
    kg, kg_types = keygen_seconds(read(os.path.join(d, "cloud-init.log")))
    stages, events = analyze_show(read(os.path.join(d, "analyze-show.txt")))
    ssh = units.get("ssh.service", {})
    gap = None
    if "cloud-init-local.service" in units and "cloud-init.service" in units:
        init_start = unit_span(units["cloud-init.service"])[0]
        local_end = unit_span(units["cloud-init-local.service"])[1]
        gap = init_start - local_end if init_start and local_end else None
    rec = {
        "image": image, "dir": os.path.basename(d), "ok": ok,
        "host_ssh_s": host_ms / 1000 if ok else None,
        "first_login_s": first_login(read(os.path.join(d, "journal.log"))),
        "sshd_active_s": usec(ssh, "ActiveEnterTimestampMonotonic") / 1e6 or None,
        "systemd_analyze_s": analyze_total(read(os.path.join(d, "systemd-analyze.txt"))),
        "units_first_start_s": start, "units_last_end_s": end,
        "units_span_s": (end - start) if start is not None else None,
        "units_own_s": own,
        "local_to_init_gap_s": gap,
        "keygen_s": kg, "keygen_types": kg_types,
        "units_own_minus_keygen_s": (own - (kg or 0)) if own is not None else None,
        "stages": stages, "events": events,
    }
    return rec


def med(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None, "-"
    m = statistics.median(vals)
    return m, f"{m:.2f} s ({min(vals):.2f}..{max(vals):.2f})"


def report(path, smp):
    recs = [json.loads(l) for l in open(path) if l.strip()]
    # Re-read each boot's raw files where they are: parsing fixes apply to old runs.
    for i, r in enumerate(recs):
        d = os.path.join(os.path.dirname(os.path.abspath(path)), r["dir"])
        if os.path.isdir(d):
            recs[i] = parse(d, r["image"], r["ok"], int((r["host_ssh_s"] or 0) * 1000))
    images = ["nubo", "cloud-init", "no-agent"]
    by = {i: [r for r in recs if r["image"] == i] for i in images}
    rows = [
        ("first SSH login after kernel start (guest clock)", "first_login_s"),
        ("ssh answered, host clock from qemu start (0.3 s polls)", "host_ssh_s"),
        ("sshd active (ssh.service ActiveEnter)", "sshd_active_s"),
        ("systemd-analyze total", "systemd_analyze_s"),
        ("agent units, first start to last end", "units_span_s"),
        ("agent units, sum of the four units' durations", "units_own_s"),
        ("init-local's end to init's start (network bring-up)", "local_to_init_gap_s"),
        ("host-key generation (ssh-keygen runs, from the log)", "keygen_s"),
        ("agent's own time in its units, host keys excluded", "units_own_minus_keygen_s"),
    ]
    out = []
    n = {i: len([r for r in by[i] if r["ok"]]) for i in images}
    out.append(f"Boots: " + ", ".join(f"{i} {n[i]}/{len(by[i])}" for i in images)
               + f" (alternating, TCG, {smp} vCPU, 1 GiB). Median (min..max).\n")
    out.append("| | nubo | cloud-init 22.4.2 | no agent | nubo/cloud-init | nubo − no agent |")
    out.append("|---|---|---|---|---|---|")
    M = {}
    for label, key in rows:
        cells, ms = [], {}
        for i in images:
            m, s = med([r[key] for r in by[i] if r["ok"]])
            ms[i] = m
            cells.append(s)
        M[key] = ms
        ratio = f"{ms['nubo'] / ms['cloud-init']:.3f}" if ms["nubo"] is not None and ms["cloud-init"] else "-"
        diff = f"{ms['nubo'] - ms['no-agent']:+.2f} s" if ms["nubo"] is not None and ms["no-agent"] is not None else "-"
        out.append(f"| {label} | " + " | ".join(cells) + f" | {ratio} | {diff} |")
    out.append("")
    # Per stage and per module (cloud-init analyze show), medians.
    for agent in ["nubo", "cloud-init"]:
        rs = [r for r in by[agent] if r["ok"]]
        if not rs:
            continue
        st = sorted({k for r in rs for k in r["stages"]})
        if st:
            out.append(f"{agent}, `cloud-init analyze show` stage totals (median s): "
                       + ", ".join(f"{s} {statistics.median([r['stages'].get(s, 0) for r in rs]):.3f}" for s in st))
    rs = [r for r in by["nubo"] if r["ok"]]
    if rs:
        ev = {k for r in rs for k in r["events"]}
        meds = sorted(((statistics.median([r["events"].get(k, 0) for r in rs]), k) for k in ev), reverse=True)
        out.append("")
        out.append("nubo's per-module timings (`cloud-init analyze show`, median of the boots, the 12 largest):\n")
        out.append("| event | median | min..max |")
        out.append("|---|---|---|")
        for m, k in meds[:12]:
            vals = [r["events"].get(k, 0) for r in rs]
            out.append(f"| {k} | {m:.3f} s | {min(vals):.3f}..{max(vals):.3f} |")
        kt = rs[0].get("keygen_types")
        out.append(f"\nHost-key types generated (nubo): {', '.join(kt) if kt else 'none found in the log'}")
    out.append("\nTargets (issue 10):\n")
    fl = M["first_login_s"]
    own = M["units_own_minus_keygen_s"]

    def verdict(ok):
        return "**met**" if ok else "**missed**"
    if fl["nubo"] is not None and fl["no-agent"] is not None:
        d = fl["nubo"] - fl["no-agent"]
        out.append(f"- first SSH login ≤ no-agent + 1 s: {verdict(d <= 1.0)} (nubo − no agent = {d:+.2f} s)")
    else:
        out.append("- first SSH login ≤ no-agent + 1 s: not measured")
    if fl["nubo"] is not None and fl["cloud-init"]:
        r = fl["nubo"] / fl["cloud-init"]
        out.append(f"- first SSH login ≤ 1/3 of cloud-init's: {verdict(r <= 1 / 3)} (ratio {r:.3f} = 1/{1 / r:.1f})")
    else:
        out.append("- first SSH login ≤ 1/3 of cloud-init's: not measured")
    if own["nubo"] is not None and own["cloud-init"]:
        r = own["nubo"] / own["cloud-init"]
        out.append(f"- own time in the four units, host keys excluded, ≤ 1/20 of cloud-init's: {verdict(r <= 1 / 20)} "
                   f"(ratio {r:.3f} = 1/{1 / r:.1f}; {own['nubo']:.2f} s vs {own['cloud-init']:.2f} s)")
    else:
        out.append("- own time in the four units ≤ 1/20 of cloud-init's: not measured")
    print("\n".join(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parse")
    ap.add_argument("--image")
    ap.add_argument("--ok", type=int, default=1)
    ap.add_argument("--host-ssh-ms", type=int, default=0)
    ap.add_argument("--report")
    ap.add_argument("--smp", default="?")
    a = ap.parse_args()
    if a.parse:
        print(json.dumps(parse(a.parse, a.image, a.ok, a.host_ssh_ms)))
    elif a.report:
        report(a.report, a.smp)
    else:
        ap.error("--parse DIR or --report FILE")


if __name__ == "__main__":
    main()

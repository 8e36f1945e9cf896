#!/usr/bin/python3
"""Differential compatibility suite: Debian's cloud-init vs nubo on the same NoCloud seeds.

See tests/compat/README.md. Entry point is tests/compat/run, which installs the apt
dependencies and then runs this file.
"""
import argparse
import atexit
import concurrent.futures
import difflib
import fcntl
import fnmatch
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
COMPAT = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(COMPAT))
sys.dont_write_bytecode = True  # keep the source tree clean (we run as root)
sys.path.insert(0, HERE)
import dump  # noqa: E402
import netconvert  # noqa: E402
import schemacheck  # noqa: E402
import openstack_env  # noqa: E402

STAGES = [
    ("init-local", ["/usr/bin/cloud-init", "init", "--local"]),
    ("init", ["/usr/bin/cloud-init", "init"]),
    ("config", ["/usr/bin/cloud-init", "modules", "--mode", "config"]),
    ("final", ["/usr/bin/cloud-init", "modules", "--mode", "final"]),
]
SEED_FILES = ["meta-data", "user-data", "vendor-data", "network-config"]
DATASOURCE_CFG = "datasource_list: [ NoCloud, None ]\n"
OPENSTACK_DATASOURCES = ("OpenStack", "ConfigDrive")
# What Nova's libvirt driver puts in SMBIOS; product_uuid is the instance's uuid (from meta_data).
OPENSTACK_DMI = {"product_name": "OpenStack Nova", "sys_vendor": "OpenStack Foundation",
                 "product_version": "26.1.0", "product_family": "Virtual Machine"}
PENDING_ISSUES = {"4", "5", "8", "network"}
NUBO_ALIASES = ["cloud-init"]  # symlinks to nubo in /usr/bin; extended from the build dir
HASH_RE = re.compile(r"\$[0-9a-z]{1,2}\$[./0-9A-Za-z$]+")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- trees

def ensure_trees(cache_root, rebuild):
    recipe = os.path.join(HERE, "build-trees.sh")
    with open(recipe, "rb") as f:
        key = hashlib.sha256(f.read()).hexdigest()[:16]
    cache = os.path.join(cache_root, key)
    os.makedirs(cache_root, exist_ok=True)
    with open(os.path.join(cache_root, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if rebuild and os.path.exists(cache):
            shutil.rmtree(cache)
        if not os.path.exists(os.path.join(cache, "default-config", "cloud.cfg")):
            log(f"compat: building sandbox trees in {cache} (recipe {key}); this takes minutes")
            t0 = time.monotonic()
            subprocess.run([recipe, cache], check=True)
            log(f"compat: trees built in {time.monotonic() - t0:.0f}s")
    return cache


# ---------------------------------------------------------------- scenarios

class Scenario:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        meta_path = os.path.join(path, "scenario.yaml")
        self.meta = {}
        if os.path.exists(meta_path):
            with open(meta_path) as f:
                self.meta = yaml.safe_load(f) or {}
        unknown = set(self.meta) - {"description", "files", "markers", "boots", "gzip_user_data",
                                     "ignore_changes", "timeout", "seed_dir", "datasource", "dmi",
                                     "local_repo", "settings"}
        if unknown:
            raise SystemExit(f"{meta_path}: unknown keys {sorted(unknown)}")
        # OpenStack scenarios (datasource: OpenStack or ConfigDrive): metadata/ is served on
        # 169.254.169.254 to a real NIC, config-drive/ becomes a config-2 ISO on a loop device.
        self.datasource = self.meta.get("datasource")
        if self.datasource is not None and self.datasource not in OPENSTACK_DATASOURCES:
            raise SystemExit(f"{meta_path}: datasource must be one of {OPENSTACK_DATASOURCES}")
        self.metadata_root = os.path.join(path, "metadata")
        if not os.path.isdir(self.metadata_root):
            self.metadata_root = None
        self.config_drive = os.path.join(path, "config-drive")
        if not os.path.isdir(self.config_drive):
            self.config_drive = None
        if self.datasource and not (self.metadata_root or self.config_drive):
            raise SystemExit(f"{path}: datasource {self.datasource} needs metadata/ or config-drive/")
        # tree/: files put into the target root as they are (modes kept); debs/<pkg>/: package
        # trees built into a local apt repository at local_repo (see README, "Adding a scenario").
        self.tree = os.path.join(path, "tree")
        if not os.path.isdir(self.tree):
            self.tree = None
        self.debs = os.path.join(path, "debs")
        if not os.path.isdir(self.debs):
            self.debs = None
        self._repo = None
        self._repo_lock = threading.Lock()

    def local_repo(self, workroot=None):
        """Builds debs/* once per run (dpkg-deb, dpkg-scanpackages, a Release with SHA256) into a
        flat repository directory; returns it, or None without debs/."""
        if not self.debs:
            return None
        with self._repo_lock:
            if self._repo:
                return self._repo
            out = tempfile.mkdtemp(prefix=f"{self.name}.repo.", dir=workroot)
            atexit.register(shutil.rmtree, out, True)
            repo, build = os.path.join(out, "repo"), os.path.join(out, "build")
            os.mkdir(repo)
            shutil.copytree(self.debs, build)
            env = dict(os.environ, SOURCE_DATE_EPOCH="0")
            for n in sorted(os.listdir(build)):
                for dirpath, _, filenames in os.walk(os.path.join(build, n)):
                    for f in filenames + [""]:
                        os.utime(os.path.join(dirpath, f), (0, 0))
                subprocess.run(["dpkg-deb", "--root-owner-group", "--build", os.path.join(build, n),
                                repo], check=True, env=env, stdout=subprocess.DEVNULL)
            packages = subprocess.run(["dpkg-scanpackages", "--multiversion", "."], cwd=repo,
                                      check=True, env=env, capture_output=True).stdout
            with open(os.path.join(repo, "Packages"), "wb") as f:
                f.write(packages)
            sha = hashlib.sha256(packages).hexdigest()
            with open(os.path.join(repo, "Release"), "w") as f:
                f.write(f"Origin: nubo-compat\nLabel: nubo-compat\nSuite: compat\n"
                        f"Codename: compat\nDate: Thu, 01 Jan 1970 00:00:00 UTC\n"
                        f"SHA256:\n {sha} {len(packages)} Packages\n")
            self._repo = repo
            return repo

    def openstack_trees(self, work):
        """Copies metadata/ and config-drive/ into WORK (symlinks resolved, so scenarios can
        share a tree; user_data gzipped with gzip_user_data); returns {name: copy}."""
        out = {}
        for name, src in (("metadata", self.metadata_root), ("config-drive", self.config_drive)):
            if not src:
                continue
            dst = os.path.join(work, name)
            shutil.copytree(src, dst, symlinks=False)
            for dirpath, _, filenames in os.walk(dst):
                os.chmod(dirpath, 0o755)
                for n in filenames:
                    p = os.path.join(dirpath, n)
                    os.chmod(p, 0o644)
                    if n == "user_data" and self.meta.get("gzip_user_data"):
                        with open(p, "rb") as f:
                            data = gzip.compress(f.read(), mtime=0)
                        with open(p, "wb") as f:
                            f.write(data)
            out[name] = dst
        return out

    def dmi(self):
        """{sysfs file: [value, mode]} for /sys/class/dmi/id, or None (no fake DMI)."""
        if not self.datasource:
            return None
        values = dict(OPENSTACK_DMI)
        for tree in (self.metadata_root, self.config_drive):
            md = tree and os.path.join(tree, "openstack/latest/meta_data.json")
            if md and os.path.exists(md):
                try:
                    with open(md) as f:
                        values["product_uuid"] = str(json.load(f)["uuid"]).lower()
                except (ValueError, KeyError, TypeError):
                    pass  # a scenario with broken meta_data.json
                break
        values.update(self.meta.get("dmi") or {})
        secret = {"product_uuid", "product_serial", "board_serial", "chassis_serial"}
        return {k: [str(v), 0o400 if k in secret else 0o444]
                for k, v in values.items() if v is not None}

    def given_hashes(self):
        found = set()
        for dirpath, _, filenames in os.walk(self.path):
            for n in filenames:
                with open(os.path.join(dirpath, n), errors="replace") as f:
                    found.update(HASH_RE.findall(f.read()))
        return sorted(found)

    def prepare(self, prep, default_cfg, workroot=None):
        """Fills PREP with what goes into the tree before the first boot (same for both agents)."""
        etc = os.path.join(prep, "etc/cloud")
        os.makedirs(os.path.join(etc, "cloud.cfg.d"))
        own_cfg = os.path.join(self.path, "cloud.cfg")
        shutil.copyfile(own_cfg if os.path.exists(own_cfg) else
                        os.path.join(default_cfg, "cloud.cfg"), os.path.join(etc, "cloud.cfg"))
        shutil.copyfile(os.path.join(default_cfg, "cloud.cfg.d/05_logging.cfg"),
                        os.path.join(etc, "cloud.cfg.d/05_logging.cfg"))
        with open(os.path.join(etc, "cloud.cfg.d/90_datasource.cfg"), "w") as f:
            f.write(f"datasource_list: [ {self.datasource}, None ]\n" if self.datasource
                    else DATASOURCE_CFG)
        cfgd = os.path.join(self.path, "cloud.cfg.d")
        if os.path.isdir(cfgd):
            for n in sorted(os.listdir(cfgd)):
                shutil.copyfile(os.path.join(cfgd, n), os.path.join(etc, "cloud.cfg.d", n))
        seed = os.path.join(prep, self.meta.get("seed_dir", "var/lib/cloud/seed/nocloud").lstrip("/"))
        os.makedirs(seed)
        for n in SEED_FILES if not self.datasource else []:
            src = os.path.join(self.path, n)
            if not os.path.exists(src):
                continue
            if n == "user-data" and self.meta.get("gzip_user_data"):
                with open(src, "rb") as f:
                    data = gzip.compress(f.read(), mtime=0)
                with open(os.path.join(seed, n), "wb") as f:
                    f.write(data)
            else:
                shutil.copyfile(src, os.path.join(seed, n))
        os.chmod(prep, 0o755)
        for dirpath, dirnames, filenames in os.walk(prep):
            for n in dirnames:
                os.chmod(os.path.join(dirpath, n), 0o755)
            for n in filenames:
                os.chmod(os.path.join(dirpath, n), 0o644)
        repo = self.local_repo(workroot)
        if repo:
            dst = os.path.join(prep, self.meta.get("local_repo", "/srv/compat-repo").lstrip("/"))
            shutil.copytree(repo, dst)
        if self.tree:
            shutil.copytree(self.tree, prep, symlinks=True, dirs_exist_ok=True)


# The parts that run after the scenarios, without a boot; `--only` names them.
OFFLINE_PARTS = ("net-convert", "schema-examples")


def offline_part_runs(args, part):
    """Whether PART runs: always, unless --self-check, or an --only that does not name it."""
    return not args.self_check and (not args.only or any(
        fnmatch.fnmatch(part, w) for o in args.only for w in o.split(",")))


def warn_stale(e):
    print(f"warning: stale known-difference (matched nothing): scenario={','.join(e['scenario'])} "
          f"item={','.join(e['item'])} ({label(e)})")


def warn_stale_pseudo(known, prefix):
    """Entries only for pseudo-scenarios PREFIX* that matched nothing."""
    for e in known.entries:
        if e["hits"] == 0 and all(g.startswith(prefix) for g in e["scenario"]):
            warn_stale(e)


def load_scenarios(only):
    # NUBO_COMPAT_SCENARIOS: another scenarios directory (examples/run uses it).
    root = os.environ.get("NUBO_COMPAT_SCENARIOS") or os.path.join(COMPAT, "scenarios")
    names = sorted(n for n in os.listdir(root) if os.path.isdir(os.path.join(root, n)))
    if only:
        wanted = [p for o in only for p in o.split(",")]
        names = [n for n in names if any(fnmatch.fnmatch(n, w) for w in wanted)]
        if not names and not any(fnmatch.fnmatch(p, w) for w in wanted for p in OFFLINE_PARTS):
            raise SystemExit(f"compat: no scenario matches {wanted}")
    return [Scenario(os.path.join(root, n)) for n in names]


# ---------------------------------------------------------------- running

def run_agent(agent, tree, scenario, cache, nubo, workroot, timeout, copy=False, delay_ms=0,
              stages=None):
    """Runs the four stages (or STAGES) of AGENT on a fresh overlay of TREE; returns (dump,
    outdir, secs). delay_ms: added to every metadata server response (bench/openstack_crawl)."""
    stages = stages or STAGES
    t0 = time.monotonic()
    work = tempfile.mkdtemp(prefix=f"{scenario.name}.{agent}.", dir=workroot)
    for d in ("upper", "work", "merged", "prep", "out"):
        os.mkdir(os.path.join(work, d))
    prep = os.path.join(work, "prep")
    scenario.prepare(prep, os.path.join(cache, "default-config"), workroot)
    if agent == "nubo":
        os.makedirs(os.path.join(prep, "usr/bin"), exist_ok=True)
        shutil.copyfile(nubo, os.path.join(prep, "usr/bin/nubo"))
        os.chmod(os.path.join(prep, "usr/bin/nubo"), 0o755)
        for alias in NUBO_ALIASES:
            os.symlink("nubo", os.path.join(prep, "usr/bin", alias))
    boots = int(scenario.meta.get("boots", 1))
    stage_timeout = int(scenario.meta.get("timeout", timeout))
    job = {
        "lower": os.path.join(cache, tree), "upper": os.path.join(work, "upper"),
        "work": os.path.join(work, "work"), "merged": os.path.join(work, "merged"),
        "prep": prep, "outdir": os.path.join(work, "out"), "boots": boots,
        "timeout": stage_timeout, "stages": stages, "copy": copy,
        "clear": ["/etc/cloud/cloud.cfg", "/etc/cloud/cloud.cfg.d"],
        "dump": {"files": scenario.meta.get("files", []),
                 "markers": scenario.meta.get("markers", []),
                 "settings": scenario.meta.get("settings", []),
                 "ignore_changes": scenario.meta.get("ignore_changes", []) +
                 ["/usr/bin/" + a for a in NUBO_ALIASES],
                 "given_hashes": scenario.given_hashes()},
    }
    argv = ["unshare", "--mount", "--uts", "--ipc", "--pid", "--net", "--fork",
            "/usr/bin/python3", os.path.join(HERE, "sandbox.py"), os.path.join(work, "job.json")]
    env = None
    if scenario.datasource:  # its own netns with eth0, the servers, the config drive
        trees = scenario.openstack_trees(work)
        drive = trees.get("config-drive")
        if drive and not openstack_env.kernel_mounts("iso9660"):
            # This kernel cannot mount a config-2 ISO (nor vfat): give both agents the same
            # tree as cloud-init's config-drive seed dir instead (see README).
            shutil.copytree(drive, os.path.join(prep, "var/lib/cloud/seed/config_drive"))
            drive = None
        env = openstack_env.OpenStackEnv(os.path.join(work, "out"), trees.get("metadata"),
                                         drive, delay_ms=delay_ms)
        argv = env.enter_argv() + [a for a in argv if a != "--net"]
        job["dmi"] = scenario.dmi()
        job["sysview"] = os.path.join(work, "sysview")
        os.mkdir(job["sysview"])
    try:
        if env:
            env.start()
            job["block_devices"] = env.block_devices
        with open(os.path.join(work, "job.json"), "w") as f:
            json.dump(job, f, indent=1)
        with open(os.path.join(work, "out", "sandbox.log"), "wb") as out:
            try:
                rc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT,
                                    timeout=boots * len(stages) * stage_timeout + 120).returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
    finally:
        if env:
            env.stop()
    dump_path = os.path.join(work, "out", "dump.json")
    if rc != 0 or not os.path.exists(dump_path):
        with open(os.path.join(work, "out", "sandbox.log"), errors="replace") as f:
            tail = f.read()[-3000:]
        raise RuntimeError(f"sandbox for {scenario.name}/{agent} failed ({rc}), kept {work}:\n{tail}")
    with open(dump_path) as f:
        d = json.load(f)
    with open(os.path.join(work, "out", "dump.txt"), "w") as f:
        f.write(dump.render(d))
    return d, work, time.monotonic() - t0


# ---------------------------------------------------------------- comparing

class Known:
    def __init__(self, path):
        self.path = path
        with open(path) as f:
            self.entries = yaml.safe_load(f) or []
        for i, e in enumerate(self.entries):
            where = f"{path}: entry {i + 1}"
            if not isinstance(e, dict) or "item" not in e or "reason" not in e:
                raise SystemExit(f"{where}: needs at least 'item' and 'reason'")
            extra = set(e) - {"scenario", "item", "reason", "pending", "bug"}
            if extra:
                raise SystemExit(f"{where}: unknown keys {sorted(extra)}")
            if "pending" in e and str(e["pending"]) not in PENDING_ISSUES:
                raise SystemExit(f"{where}: pending must be one of {sorted(PENDING_ISSUES)}")
            e.setdefault("scenario", "*")
            if isinstance(e["scenario"], str):
                e["scenario"] = [e["scenario"]]
            if isinstance(e["item"], str):
                e["item"] = [e["item"]]
            e["hits"] = 0

    @staticmethod
    def covers(e, scenario):
        return any(fnmatch.fnmatchcase(scenario, g) for g in e["scenario"])

    def match(self, scenario, item):
        for e in self.entries:
            if self.covers(e, scenario) and any(fnmatch.fnmatchcase(item, g) for g in e["item"]):
                e["hits"] += 1
                return e
        return None


def label(e):
    if "bug" in e:
        return f"BUG: {e['bug']}"
    if "pending" in e:
        return f"pending #{e['pending']}: {e['reason']}"
    return f"accepted: {e['reason']}"


def classify(known, name, diffs, totals, verbose, max_items=None):
    """Sorts one scenario's differences, [(item, diff lines)], into known
    (counted by kind in totals) and unlisted; returns the lines to print and
    the number known. Without verbose, known items are one line per entry,
    listing at most max_items of them."""
    n_known = 0
    body = []
    grouped = {}  # known entry id -> (entry, items): one line per entry
    for item, lines in diffs:
        e = known.match(name, item)
        if e:
            n_known += 1
            kind = "bug" if "bug" in e else "pending" if "pending" in e else "accepted"
            totals[kind] += 1
            grouped.setdefault(id(e), (e, []))[1].append(item)
            if verbose:
                body.append(f"[known] {item} -- {label(e)}")
                body += ["    " + l for l in lines]
        else:
            body.append(f"[UNLISTED] {item}")
            body += ["    " + l for l in lines]
    if not verbose:
        for e, items in grouped.values():
            shown = ", ".join(items if max_items is None else items[:max_items])
            if max_items is not None and len(items) > max_items:
                shown += f", ... ({len(items)} items)"
            body.append(f"[known] {shown} -- {label(e)}")
    totals["known"] += n_known
    totals["unlisted"] += len(diffs) - n_known
    return body, n_known


def compare(a, b, name_a, name_b):
    """Returns [(item, difflines)] for items whose lines differ."""
    diffs = []
    for item in list(a) + [k for k in b if k not in a]:
        la, lb = a.get(item, ["<no such item>"]), b.get(item, ["<no such item>"])
        if la != lb:
            diffs.append((item, list(difflib.unified_diff(
                la, lb, f"{name_a}/{item}", f"{name_b}/{item}", lineterm="", n=2))))
    return diffs


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(prog="tests/compat/run", description=__doc__)
    ap.add_argument("--nubo", default=os.path.join(REPO, "build/nubo"),
                    help="nubo binary to test (default: build/nubo in the repo)")
    ap.add_argument("--only", action="append", help="scenario name or glob (repeatable, comma list)")
    ap.add_argument("--keep", action="store_true", help="keep sandbox dirs and dumps")
    ap.add_argument("--verbose", "-v", action="store_true",
                    help="also print the diff of every known difference (default: one line per entry)")
    ap.add_argument("--self-check", choices=["cloud-init", "nubo"],
                    help="run AGENT twice per scenario and require identical dumps (normalisation check)")
    ap.add_argument("--jobs", "-j", type=int, default=max(1, (os.cpu_count() or 2) // 2),
                    help="scenarios run in parallel (each runs both agents at once)")
    ap.add_argument("--timeout", type=int, default=120, help="seconds per stage")
    ap.add_argument("--cache", default=os.environ.get("NUBO_COMPAT_CACHE", "/var/cache/nubo-compat"))
    ap.add_argument("--workdir", default=os.environ.get("NUBO_COMPAT_WORKDIR", "/var/tmp/nubo-compat"))
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached trees")
    ap.add_argument("--copy", action="store_true",
                    help="give each sandbox a cp -a copy of the tree instead of an overlayfs "
                         "(automatic fallback when overlayfs cannot be mounted)")
    ap.add_argument("--known", default=os.path.join(COMPAT, "known-differences.yaml"))
    args = ap.parse_args()

    if os.geteuid() != 0:
        raise SystemExit("compat: needs root (namespaces, overlayfs, chroot)")
    agents = ("cloud-init", "nubo")
    if args.self_check:
        agents = (args.self_check, args.self_check)
    nubo = os.path.abspath(args.nubo)
    if "nubo" in agents and not os.access(nubo, os.X_OK):
        raise SystemExit(f"compat: nubo binary {nubo} not found or not executable "
                         "(build it, or pass --nubo PATH)")
    scenarios = load_scenarios(args.only)
    known = Known(args.known) if not args.self_check else Known(os.devnull)
    cache = ensure_trees(args.cache, args.rebuild)
    os.makedirs(args.workdir, exist_ok=True)
    with open(os.path.join(cache, "versions")) as f:
        print("compat: reference " + ", ".join(l.replace("\t", " ") for l in f.read().split("\n") if l.startswith("cloud-init")))
    if "nubo" in agents:
        print(f"compat: nubo {nubo}")

    if "nubo" in agents:
        # Install the argv[0] aliases the build made next to the binary (as its install rules
        # do), e.g. build/cloud-init-per -> nubo; cloud-init -> nubo always.
        d = os.path.dirname(nubo)
        NUBO_ALIASES[:] = sorted({"cloud-init"} | {
            n for n in os.listdir(d) if os.path.islink(os.path.join(d, n))
            and os.readlink(os.path.join(d, n)) == os.path.basename(nubo)})
        print(f"compat: nubo aliases in /usr/bin: {', '.join(NUBO_ALIASES)}")
    if "nubo" in agents:  # one snapshot for the whole run, even if the build changes meanwhile
        snap = os.path.join(args.workdir, f"nubo.{os.getpid()}")
        shutil.copyfile(nubo, snap)
        os.chmod(snap, 0o755)
        with open(snap, "rb") as f:
            print(f"compat: nubo sha256 {hashlib.sha256(f.read()).hexdigest()[:16]}")
        nubo = snap

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2 * args.jobs)

    def run_one(sc):
        t0 = time.monotonic()
        futs = [pool.submit(run_agent, ag, "cloud-init" if ag == "cloud-init" else "base", sc,
                            cache, nubo, args.workdir, args.timeout, args.copy) for ag in agents]
        res = [f.result() for f in futs]
        return sc, res, time.monotonic() - t0

    names = ("cloud-init", "nubo") if not args.self_check else ("run1", "run2")
    totals = {"match": 0, "known": 0, "unlisted": 0, "pending": 0, "bug": 0, "accepted": 0}
    errors = 0
    outer = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs)
    futures = [outer.submit(run_one, sc) for sc in scenarios]
    t_all = time.monotonic()
    for fut in futures:
        try:
            sc, res, secs = fut.result()
        except RuntimeError as e:
            print(f"=== ERROR {e}")
            errors += 1
            continue
        (da, wa, sa), (db, wb, sb) = res
        diffs = compare(da, db, *names)
        timing = f"({names[0]} {sa:.1f}s, {names[1]} {sb:.1f}s)"
        if not diffs:
            totals["match"] += 1
            print(f"=== {sc.name}: match {timing}")
        else:
            body, n_known = classify(known, sc.name, diffs, totals, args.verbose, max_items=6)
            print(f"=== {sc.name}: {len(diffs)} differences, {n_known} known, "
                  f"{len(diffs) - n_known} unlisted {timing}")
            print("\n".join(body))
        if args.keep:
            print(f"    kept: {wa} {wb}")
        else:
            for w in (wa, wb):
                shutil.rmtree(w, ignore_errors=True)
    # Network rendering: cloud-init's and nubo's `devel net-convert` on tests/fixtures/net
    # (lib/netconvert.py), unless --only names scenarios only.
    nc_total = nc_match = 0
    if offline_part_runs(args, "net-convert"):
        t_nc = time.monotonic()
        try:
            for name, diffs, _ in netconvert.compare(cache, nubo, args.workdir, args.keep):
                nc_total += 1
                if not diffs:
                    nc_match += 1
                    print(f"=== {name}: match")
                    continue
                diffs = [(item, list(difflib.unified_diff(la, lb, f"cloud-init/{item}", f"nubo/{item}",
                                                          lineterm="", n=2)))
                         for item, la, lb in diffs]
                body, n_known = classify(known, name, diffs, totals, args.verbose)
                print(f"=== {name}: {len(diffs)} differences, {n_known} known, {len(diffs) - n_known} unlisted")
                print("\n".join(body))
        except RuntimeError as e:
            print(f"=== ERROR {e}")
            errors += 1
        print(f"compat: net-convert {nc_match}/{nc_total} conversions match "
              f"({time.monotonic() - t_nc:.0f}s)")
        warn_stale_pseudo(known, "net-convert:")
    # cloud-init's own schema examples: both agents' `schema -c` verdicts
    # (lib/schemacheck.py, tests/fixtures/schema-examples), unless --only names scenarios only.
    if offline_part_runs(args, "schema-examples"):
        t_sc = time.monotonic()
        sc_total = sc_same = 0
        try:
            for name, diffs in schemacheck.compare(cache, nubo, args.workdir, args.keep):
                sc_total += 1
                if not diffs:
                    sc_same += 1
                    if args.verbose:
                        print(f"=== {name}: match")
                    continue
                diffs = [(item, [f"-{a}" for a in la] + [f"+{b}" for b in lb]) for item, la, lb in diffs]
                body, n_known = classify(known, name, diffs, totals, args.verbose)
                if n_known < len(diffs) or args.verbose:
                    print(f"=== {name}: {len(diffs)} differences, {n_known} known, {len(diffs) - n_known} unlisted")
                    print("\n".join(body))
        except RuntimeError as e:
            print(f"=== ERROR {e}")
            errors += 1
        print(f"compat: schema examples {sc_same}/{sc_total} same verdict ({time.monotonic() - t_sc:.0f}s)")
        warn_stale_pseudo(known, "schema:")
    # An entry is stale if it matched nothing although every scenario it covers ran.
    ran = {s.name for s in scenarios}
    everything = {s.name for s in load_scenarios(None)}
    stale = [e for e in known.entries if e["hits"] == 0 and
             {n for n in everything if known.covers(e, n)} <= ran and
             any(known.covers(e, n) for n in ran)]
    for e in stale:
        warn_stale(e)
    print(f"compat: {len(scenarios)} scenarios in {time.monotonic() - t_all:.0f}s; differences: "
          f"{totals['known'] + totals['unlisted']} total, {totals['known']} listed "
          f"({totals['pending']} pending, {totals['bug']} bug, {totals['accepted']} accepted), "
          f"{totals['unlisted']} unlisted; {len(stale)} stale entries; {errors} errors")
    if "nubo" in agents:
        os.unlink(nubo)
    print(f"compat: {totals['match']}/{len(scenarios)} scenarios match")
    return 1 if totals["unlisted"] or errors else 0


if __name__ == "__main__":
    sys.exit(main())

"""Dumps what an agent did to a sandbox tree, normalised so two runs of one agent compare equal.

dump_state() returns an ordered dict: item key -> list of text lines. Item keys are what
known-differences.yaml matches (with globs), e.g. `passwd:debian`, `shadow:debian`,
`group:sudo`, `sudoers.d:90-cloud-init-users`, `authorized_keys:/home/debian/.ssh/authorized_keys`,
`hostname:kernel`, `file:/etc/motd`, `changed:/etc/foo`, `exit:boot1:init-local`.
"""
import fnmatch
import grp  # noqa: F401  (names come from the tree, never the host)
import hashlib
import os
import re
import stat

# Agent bookkeeping and things covered by a dedicated item: not listed under `changed:`.
IGNORED_CHANGES = [
    "/var/lib/cloud", "/var/lib/cloud/*", "/var/log", "/var/log/*", "/run", "/run/*", "/tmp",
    "/tmp/*", "/var/tmp", "/var/tmp/*", "/etc/cloud", "/etc/cloud/*", "/usr/bin/nubo",
    "/usr/bin/cloud-init", "/etc/ssh/ssh_host_*", "/etc/passwd", "/etc/shadow", "/etc/group",
    "/etc/gshadow", "/etc/subuid", "/etc/subgid", "/etc/passwd-", "/etc/shadow-", "/etc/group-",
    "/etc/gshadow-", "/etc/subuid-", "/etc/subgid-", "/etc/.pwd.lock", "/etc/hostname",
    "/etc/hosts", "/etc/sudoers", "/etc/sudoers.d/*", "/etc/ssh/sshd_config",
    "/etc/ssh/sshd_config.d/*", "*/__pycache__", "*/__pycache__/*", "/root/.cache",
    "/root/.cache/*", "/var/cache/debconf/*", "/proc", "/sys", "/dev", "/etc/machine-id",
]
NETWORK_FILES = ["/etc/network/interfaces", "/etc/network/interfaces.d/*", "/etc/netplan/*",
                 "/etc/systemd/network/*", "/etc/NetworkManager/system-connections/*",
                 "/etc/resolv.conf"]
MAX_INLINE = 16384


def read_db(root, name):
    rows = []
    try:
        with open(f"{root}/etc/{name}", encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                if line and not line.startswith("#"):
                    rows.append(line.split(":"))
    except FileNotFoundError:
        pass
    return rows


class Names:
    """uid/gid -> name from the tree's own databases."""

    def __init__(self, root):
        self.users = {int(r[2]): r[0] for r in read_db(root, "passwd") if len(r) > 2 and r[2].isdigit()}
        self.groups = {int(r[2]): r[0] for r in read_db(root, "group") if len(r) > 2 and r[2].isdigit()}

    def owner(self, st):
        return f"{self.users.get(st.st_uid, st.st_uid)}:{self.groups.get(st.st_gid, st.st_gid)}"


def pw_token(pw, given):
    """Keeps the kind of a password field, not its value."""
    if pw == "":
        return "<empty>"
    if pw in ("*", "!", "!!", "!*", "x"):
        return pw
    if pw.startswith("!"):
        return "!" + pw_token(pw[1:], given)
    if pw.startswith("$") or re.fullmatch(r"[./0-9A-Za-z]{13}", pw):
        return "<hash:given>" if pw in given else "<hash>"
    return "<not-a-hash>"


def meta(path, names):
    st = os.lstat(path)
    kind = "dir" if stat.S_ISDIR(st.st_mode) else "link" if stat.S_ISLNK(st.st_mode) \
        else "file" if stat.S_ISREG(st.st_mode) else "other"
    s = f"{kind} {stat.S_IMODE(st.st_mode):04o} {names.owner(st)}"
    if kind == "link":
        s += " -> " + os.readlink(path)
    return s


def content_lines(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) > MAX_INLINE:
        return [f"<{len(data)} bytes sha256={hashlib.sha256(data).hexdigest()[:16]}>"]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [f"<binary {len(data)} bytes sha256={hashlib.sha256(data).hexdigest()[:16]}>"]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    else:
        lines.append("<no newline at end of file>")
    return ["| " + l for l in lines]


CREATED_BY = re.compile(r"^\| # Created by .* on .*\d\d:\d\d:\d\d.*$")


def file_item(root, path, names, sort_lines=False):
    """Meta line plus content. sort_lines: order carries no meaning (authorized_keys; cloud-init
    writes keys in Python set order, which changes from run to run)."""
    full = root + path
    if not os.path.lexists(full):
        return ["<absent>"]
    out = [meta(full, names)]
    if os.path.isfile(full) and not os.path.islink(full):
        lines = [CREATED_BY.sub("| # Created by <agent> on <date>", l) for l in content_lines(full)]
        out += sorted(lines) if sort_lines else lines
    elif os.path.isdir(full) and not os.path.islink(full):
        for e in sorted(os.listdir(full)):
            out.append(f"  {e}: {meta(full + '/' + e, names)}")
    return out


def glob_paths(root, pattern):
    """Paths inside the tree matching a shell glob (only the last component may have a glob)."""
    d, base = os.path.split(pattern)
    if not any(c in base for c in "*?["):
        return [pattern]
    try:
        entries = sorted(os.listdir(root + d))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [f"{d}/{e}" for e in entries if fnmatch.fnmatch(e, base)]


def walk_upper(upper):
    """Overlay mode: tree paths present in the upper dir (created, modified or deleted), with
    the path of their new state (None when deleted: a whiteout)."""
    for dirpath, dirnames, filenames in os.walk(upper):
        rel = dirpath[len(upper):] or "/"
        for n in dirnames + filenames:
            p = rel.rstrip("/") + "/" + n
            st = os.lstat(upper + p)
            whiteout = stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
            yield p, None if whiteout else upper + p


def walk_copy(root, lower):
    """Copy mode (the tree is a `cp -a` of lower): paths whose type, mode, owner, size or mtime
    changed, new paths, and deleted ones."""
    def key(st):
        if stat.S_ISDIR(st.st_mode):
            return (st.st_mode, st.st_uid, st.st_gid)
        return (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns)

    for dirpath, dirnames, filenames in os.walk(root):
        rel = dirpath[len(root):] or "/"
        for n in dirnames + filenames:
            p = rel.rstrip("/") + "/" + n
            try:
                if key(os.lstat(lower + p)) == key(os.lstat(root + p)):
                    continue
            except FileNotFoundError:
                pass
            yield p, root + p
    for dirpath, dirnames, filenames in os.walk(lower):
        rel = dirpath[len(lower):] or "/"
        for n in list(dirnames) + filenames:
            p = rel.rstrip("/") + "/" + n
            if not os.path.lexists(root + p):
                if n in dirnames:
                    dirnames.remove(n)
                yield p, None


def same_file(a, b):
    try:
        sa, sb = os.lstat(a), os.lstat(b)
    except FileNotFoundError:
        return False
    if (sa.st_mode, sa.st_uid, sa.st_gid) != (sb.st_mode, sb.st_uid, sb.st_gid):
        return False
    if stat.S_ISDIR(sa.st_mode):
        return True
    if stat.S_ISLNK(sa.st_mode):
        return os.readlink(a) == os.readlink(b)
    if stat.S_ISREG(sa.st_mode):
        with open(a, "rb") as fa, open(b, "rb") as fb:
            return fa.read() == fb.read()
    return False


def dump_state(root, lower, upper, stages, kernel_hostname, spec):
    """upper: the overlay upper dir, or None when ROOT is a full copy of LOWER."""
    names = Names(root)
    given = set(spec.get("given_hashes", []))
    d = {}
    for r in stages:
        d[f"exit:boot{r['boot']}:{r['stage']}"] = ["timeout" if r["timed_out"] else str(r["rc"])]

    for r in read_db(root, "passwd"):
        d[f"passwd:{r[0]}"] = [":".join(r)]
    for r in read_db(root, "shadow"):
        r = r + [""] * (9 - len(r))
        r[1] = pw_token(r[1], given)
        if r[2] not in ("", "0"):
            r[2] = "<date>"
        d[f"shadow:{r[0]}"] = [":".join(r)]
    for r in read_db(root, "group"):
        r = r + [""] * (4 - len(r))
        r[3] = ",".join(sorted(m for m in r[3].split(",") if m))
        d[f"group:{r[0]}"] = [":".join(r)]
    for r in read_db(root, "gshadow"):
        r = r + [""] * (4 - len(r))
        r[1] = pw_token(r[1], given)
        r[2] = ",".join(sorted(m for m in r[2].split(",") if m))
        r[3] = ",".join(sorted(m for m in r[3].split(",") if m))
        d[f"gshadow:{r[0]}"] = [":".join(r)]
    for db in ("subuid", "subgid"):
        d[db] = file_item(root, f"/etc/{db}", names)

    d["file:/etc/sudoers"] = file_item(root, "/etc/sudoers", names)
    for p in glob_paths(root, "/etc/sudoers.d/*"):
        d[f"sudoers.d:{os.path.basename(p)}"] = file_item(root, p, names)

    # Home directories of human users (and root): the directory, what is in it, .ssh.
    homes = {"root": "/root"}
    for r in read_db(root, "passwd"):
        if len(r) > 5 and r[2].isdigit() and 1000 <= int(r[2]) < 65534:
            homes[r[0]] = r[5]
    for user, home in sorted(homes.items()):
        lines = file_item(root, home, names)[:1]
        full = root + home
        if os.path.isdir(full):
            for dirpath, dirnames, filenames in os.walk(full):
                dirnames.sort()
                if dirpath[len(full):].count("/") >= 2:
                    dirnames[:] = []
                for n in sorted(dirnames + filenames):
                    if n == ".cache":
                        continue
                    p = dirpath + "/" + n
                    lines.append(f"  {p[len(full):]}: {meta(p, names)}")
        d[f"home:{user}"] = lines

    # Every authorized_keys file anywhere a sshd could be pointed at.
    for top in ("/root", "/home", "/etc/ssh", "/var", "/srv", "/opt"):
        for dirpath, dirnames, filenames in os.walk(root + top):
            dirnames[:] = [x for x in dirnames if x not in ("cloud",)] \
                if dirpath == root + "/var/lib" else dirnames
            for n in filenames:
                if n.startswith("authorized_keys"):
                    p = dirpath[len(root):] + "/" + n
                    d[f"authorized_keys:{p}"] = file_item(root, p, names, sort_lines=True)

    d["hostname:file"] = file_item(root, "/etc/hostname", names)
    d["hostname:kernel"] = [kernel_hostname]
    d["hosts"] = file_item(root, "/etc/hosts", names)
    d["sshd_config"] = file_item(root, "/etc/ssh/sshd_config", names)
    for p in glob_paths(root, "/etc/ssh/sshd_config.d/*"):
        d[f"sshd_config.d:{os.path.basename(p)}"] = file_item(root, p, names)
    keys = []
    for p in glob_paths(root, "/etc/ssh/ssh_host_*_key"):
        t = os.path.basename(p)[len("ssh_host_"):-len("_key")]
        keys.append(t + (" +pub" if os.path.exists(root + p + ".pub") else " (no .pub)"))
    d["ssh-host-keys"] = keys or ["<none>"]

    for pat in NETWORK_FILES:
        for p in glob_paths(root, pat):
            d[f"network:{p}"] = file_item(root, p, names)

    listed = set()
    for pat in spec.get("files", []):
        # A glob that matches nothing adds no item (its files show up as missing on the side
        # that lacks them); a plain path that does not exist is `<absent>`.
        for p in glob_paths(root, pat):
            d[f"file:{p}"] = file_item(root, p, names)
            listed.add(p)

    # A file rendered from a template whose comments are each agent's own wording (nubo's
    # packaging/templates/): its settings, the lines that are neither blank nor comments, with
    # runs of blanks made one, so a known difference can accept the file:PATH item (the
    # comments) while these must still match.
    for pat in spec.get("settings", []):
        for p in glob_paths(root, pat):
            full = root + p
            if not os.path.isfile(full) or os.path.islink(full):
                d[f"settings:{p}"] = ["<absent>"]
                continue
            lines = [" ".join((l[2:] if l.startswith("| ") else l).split())
                     for l in content_lines(full)]
            d[f"settings:{p}"] = [l for l in lines if l and not l.startswith("#")]

    markers = [str(m) for m in spec.get("markers", [])]
    if markers:
        lines = []
        try:
            with open(root + "/var/log/cloud-init-output.log", errors="replace") as f:
                for line in f:
                    if any(m in line for m in markers):
                        lines.append(line.rstrip("\n"))
        except FileNotFoundError:
            lines.append("<no /var/log/cloud-init-output.log>")
        d["output-markers"] = lines

    # Anything else the run changed, created or deleted (the overlay's upper dir), so effects
    # nobody thought of listing still show up.
    covered = set(listed) | {p for k in d for p in [k.split(":", 1)[-1]] if p.startswith("/")}
    ignore = IGNORED_CHANGES + [h for h in homes.values()] + [h + "/*" for h in homes.values()] \
        + spec.get("ignore_changes", [])
    changes = walk_upper(upper) if upper else walk_copy(root, lower)
    for p, u in sorted(changes):
        if p in covered or any(fnmatch.fnmatch(p, g) for g in ignore):
            continue
        l = lower + p
        if u is None:
            d[f"changed:{p}"] = ["deleted"]
            continue
        st = os.lstat(u)
        if os.path.lexists(l) and (stat.S_ISDIR(st.st_mode) or same_file(u, l)):
            continue  # copied up / touched, but unchanged (or a directory holding changes)
        state = "modified" if os.path.lexists(l) else "new"
        line = f"{state} {meta(u, names)}"
        if stat.S_ISREG(st.st_mode):
            with open(u, "rb") as f:
                line += f" sha256={hashlib.sha256(f.read()).hexdigest()[:16]}"
        d[f"changed:{p}"] = [line]
    return d


def render(d):
    out = []
    for k, v in d.items():
        out.append(f"### {k}")
        out += v
    return "\n".join(out) + "\n"

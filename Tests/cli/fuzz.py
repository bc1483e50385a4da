#!/usr/bin/env python3
"""Seeded randomized differential tester: GNU cp is the oracle.

Each case builds a random small tree twice (files, sparse files, directories with set-id and
sticky modes, symlinks relative, absolute, dangling and looping, hard links, FIFOs, xattrs,
existing destinations of every type), picks a random GNU option set and operand shape, runs
/bin/cp in one copy and zcp in the other, as root or as an ordinary user, with -j 1, the
default or -j 4, and compares exit status, stdout, stderr and the whole resulting tree.

Every divergence is printed with a one-line reproducer (a shell command), and so is every
divergence excused as deliberate, with its reason; the excuses are counted by reason. The last
line is 'fuzz: N passed, E excused, M failed'.

    fuzz.py --seed 1 --cases 300          a slice (Scripts/test runs fixed seeds)
    fuzz.py --seed 7 --case 42 --show     one case: its reproducer and both outcomes
    fuzz.py --seeds 1-20 --cases 500      a longer run
"""
import argparse, hashlib, os, random, shlex, shutil, stat, subprocess, sys, tempfile

GNU_CP = os.environ.get("GNU_CP", "/bin/cp")
STAMPS = [1600000000, 1500000000, 1700000000]  # source, older destination, newer destination
NOBODY = 65534
IS_ROOT = os.geteuid() == 0
TIMEOUT = 10

NAMES = ["a", "b", "c", "sub", "l", "x y", "h"]


class Case:
    """One random case: setup commands (run by sh in an empty directory) and cp's arguments."""

    def __init__(self, seed, index, user_choices=None):
        self.seed, self.index = seed, index
        r = random.Random(f"{seed}:{index}")
        self.r = r
        self.user = r.choice(user_choices or (["root", "nobody"] if IS_ROOT else ["self"]))
        self.jobs = r.choice([["-j", "1"], [], ["-j", "4"]])
        self.options = self.pick_options()
        # An empty $SIMPLE_BACKUP_SUFFIX means "~", as an empty --suffix does.
        self.env = {"SIMPLE_BACKUP_SUFFIX": ""} if r.random() < 0.15 else {}
        self.recursive = any(o in self.options for o in ("-r", "-R", "-a"))
        self.fifos = self.recursive and "--copy-contents" not in self.options
        self.setup = []
        self.chmods = []
        self.entries = []  # (path, kind) made under s
        self.build_tree()
        self.args = self.options + self.pick_operands()

    # Options -------------------------------------------------------------------------------
    def pick_options(self):
        r = self.r
        pool = [
            (["-r"], 6), (["-R"], 3), (["-a"], 6), (["-d"], 2), (["-p"], 3), (["-P"], 2),
            (["-L"], 3), (["-H"], 2), (["-l"], 3), (["-s"], 3), (["-f"], 4), (["-n"], 2),
            (["-u"], 2), (["-b"], 3), (["--backup=numbered"], 1), (["--backup=existing"], 1), (["--backup=t"], 1),
            (["-S", ".bak"], 1), (["--suffix="], 1), (["--remove-destination"], 3),
            (["--parents"], 2), (["-x"], 1), (["-v"], 4), (["--attributes-only"], 1),
            (["--preserve=mode"], 1), (["--preserve=ownership"], 1), (["--preserve=timestamps"], 1),
            (["--preserve=links"], 2), (["--preserve=xattr"], 1), (["--preserve=all"], 1),
            (["--no-preserve=mode"], 1), (["--no-preserve=links"], 1), (["--no-preserve=timestamps"], 1),
            (["--no-preserve=all"], 2), (["--no-preserve=mode,ownership"], 1), (["--no-preserve=xattr,timestamps"], 1),
            (["--preserve=mode,timestamps"], 1), (["--preserve=links,mode"], 1),
            (["--sparse=always"], 1), (["--sparse=never"], 1), (["--strip-trailing-slashes"], 1),
            (["--copy-contents"], 1), (["--reflink=auto"], 1), (["--reflink=never"], 1),
            (["-T"], 1),
        ]
        n = r.choice([0, 1, 1, 2, 2, 2, 3, 3, 4])
        flat = [o for o, w in pool for _ in range(w)]
        chosen = []
        for _ in range(n):
            o = r.choice(flat)
            if o not in chosen:
                chosen.append(o)
        return [a for o in chosen for a in o]

    # Trees ---------------------------------------------------------------------------------
    def sh(self, cmd):
        self.setup.append(cmd)

    def content(self, path):
        r = self.r
        size = r.choice([0, 5, 5, 100, 5000, 70000])
        if size == 0:
            self.sh(f": > {q(path)}")
        elif size < 1000:
            self.sh(f"printf '%s\\n' {q(path + '-' + str(r.randrange(100)))} > {q(path)}")
        else:
            ch = r.choice("xyz")
            self.sh(f"head -c {size} /dev/zero | tr '\\0' {ch} > {q(path)}")

    def make_file(self, path):
        r = self.r
        kind = r.choice(["file"] * 5 + ["sparse", "empty"])
        if kind == "sparse":
            self.sh(f"truncate -s {r.choice([1, 2])}M {q(path)}")
            self.sh(f"printf data | dd of={q(path)} bs=1 seek={r.randrange(1, 900000)} conv=notrunc status=none")
        elif kind == "empty":
            self.sh(f": > {q(path)}")
        else:
            self.content(path)
        if r.random() < 0.2:
            self.sh(f"setfattr -n user.k{r.randrange(3)} -v v{r.randrange(9)} {q(path)}")
        if r.random() < 0.3:
            self.chmods.append(f"chmod {r.choice(['600', '644', '755', '4755', '2755', '444', '640', '1755'])} {q(path)}")
        return "file"

    def build_dir(self, d, depth, entries):
        r = self.r
        names = r.sample(NAMES, r.randint(1, 4))
        made = []
        for name in names:
            p = f"{d}/{name}"
            roll = r.random()
            if roll < 0.35 or not made and roll < 0.6:
                kind = self.make_file(p)
            elif roll < 0.55 and depth < 2:
                self.sh(f"mkdir {q(p)}")
                self.build_dir(p, depth + 1, entries)
                if r.random() < 0.4:
                    self.chmods.append(f"chmod {r.choice(['2755', '1777', '700', '750', '4755', '3775', '755'])} {q(p)}")
                kind = "dir"
            elif roll < 0.85:
                # Absolute targets stay inside the case's own directory: a copy through a
                # followed symlink may write, or chmod, what it points to.
                target = r.choice(
                    [m for m, _ in made] + ["missing", ".", "..", name, "$PWD/g", "$PWD/f", "../f"]
                    if made else ["missing", ".", "..", name, "$PWD/g", "$PWD/f"])
                tq = q(target) if not target.startswith("$PWD") else '"' + target + '"'
                self.sh(f"ln -s {tq} {q(p)}")
                kind = "symlink"
            elif roll < 0.93 and any(k == "file" for _, k in made):
                src = r.choice([m for m, k in made if k == "file"])
                self.sh(f"ln {q(d + '/' + src)} {q(p)}")
                kind = "file"
            elif self.fifos:
                self.sh(f"mkfifo {q(p)}")
                if r.random() < 0.5:
                    self.chmods.append(f"chmod {r.choice(['1666', '2644', '4644', '6755', '1600', '640'])} {q(p)}")
                kind = "fifo"
            else:
                kind = self.make_file(p)
            made.append((name, kind))
            entries.append((p, kind))

    def build_tree(self):
        r = self.r
        self.sh("mkdir s")
        self.build_dir("s", 1, self.entries)
        self.make_file("f")
        self.sh("ln -s f fl")
        # An existing destination directory whose names collide with the source's.
        self.sh("mkdir t")
        for name in r.sample(NAMES, r.randint(0, 4)):
            p = f"t/{name}"
            kind = r.choice(["file", "dir", "dirlink", "dangling", "filelink", "hardlink", "loop"])
            if kind == "file":
                self.content(p)
            elif kind == "dir":
                self.sh(f"mkdir {q(p)}")
                if r.random() < 0.5:
                    self.content(p + "/" + r.choice(NAMES))
            elif kind == "dirlink":
                self.sh(f"ln -s ../s {q(p)}")
            elif kind == "dangling":
                self.sh(f"ln -s missing {q(p)}")
            elif kind == "filelink":
                self.sh(f"ln -s ../f {q(p)}")
            elif kind == "hardlink":
                files = [e for e, k in self.entries if k == "file"]
                if files:
                    self.sh(f"ln {q(r.choice(files))} {q(p)}")
                else:
                    self.content(p)
            elif kind == "loop":
                self.sh(f"ln -s {q(name)} {q(p)}")
            if r.random() < 0.3:
                self.sh(f"touch -h -d @{r.choice(STAMPS[1:])} {q(p)}")
        if "--parents" in self.options and r.random() < 0.6:
            # The destination already has the source's parents, some of them symlinks to
            # directories elsewhere in it: --parents goes through them.
            self.sh("mkdir -p t/s t/real")
            for p, k in self.entries:
                if k == "dir" and r.random() < 0.6:
                    rel = p[len("s/"):]
                    parent = os.path.dirname(rel)
                    if parent:
                        self.sh(f"mkdir -p {q('t/s/' + parent)}")
                    real = "t/real/" + rel.replace("/", "_")
                    self.sh(f"mkdir -p {q(real)}")
                    up = "../" * (rel.count("/") + 2)
                    self.sh(f"ln -s {q(up + real)} {q('t/s/' + rel)}")
                    if r.random() < 0.3:
                        self.sh(f"touch -d @{STAMPS[1]} {q(real)}")
        self.sh("ln -s missing dl")
        self.sh("ln -s t tl")
        self.content("g")
        # Times: the source's stamp everywhere, then the destinations' own.
        self.setup.insert(len(self.setup), f"find s f fl -exec touch -h -d @{STAMPS[0]} {{}} +")
        self.sh(f"touch -h -d @{r.choice(STAMPS)} g")
        self.setup.extend(reversed(self.chmods))

    # Operands ------------------------------------------------------------------------------
    def pick_operands(self):
        r = self.r
        entries = [p for p, k in self.entries if k != "fifo" or self.recursive]
        sources = ["s", "s", "s/.", "s/", "f", "fl", "nope", "dl", "g", "t", "s/sub/..", "./f"] + entries * 2
        dests = ["d", "d", "t", "t", "g", "s", "dl", "tl", "t/", "nodir/x", "d/"] + [
            p for p, k in self.entries if k != "fifo"]
        srcs = [r.choice(sources) for _ in range(r.choice([1, 1, 1, 2, 3]))]
        dest = r.choice(dests)
        subdirs = [p for p, k in self.entries if k == "dir"]
        if subdirs and r.random() < 0.1:
            # A directory copied into one of its own subdirectories.
            srcs, dest = [r.choice(["s", "s/.", "s/"])], r.choice(subdirs)
        if "-T" in self.options:
            return [srcs[0], dest]
        if r.random() < 0.12:
            return ["-t", dest] + srcs
        return srcs + [dest]

    def command(self):
        return " ".join(q(a) for a in self.args)

    def reproducer(self):
        setup = "; ".join(self.setup)
        who = "" if self.user != "nobody" else "setpriv --reuid=65534 --regid=65534 --clear-groups "
        jobs = " ".join(self.jobs)
        env = "".join(f"{k}={q(v)} " for k, v in self.env.items())
        return (f"[seed {self.seed} case {self.index}, {self.user}{', zcp ' + jobs if jobs else ''}] "
                f"umask 022; {setup}; {env}{who}cp {self.command()}")


def q(s):
    return shlex.quote(s)


# Running ---------------------------------------------------------------------------------
def run_side(case, root, program, extra):
    env = dict(os.environ, LC_ALL="C")
    env.pop("POSIXLY_CORRECT", None)
    env.pop("SIMPLE_BACKUP_SUFFIX", None)
    env.pop("VERSION_CONTROL", None)
    env.update(case.env)
    prefix = []
    if case.user == "nobody":
        os.chown(root, NOBODY, NOBODY)
        prefix = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
    script = "umask 022; set -e; " + "; ".join(case.setup)
    s = subprocess.run(prefix + ["sh", "-c", script], cwd=root, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if s.returncode != 0:
        raise RuntimeError(f"setup failed: {s.stderr.decode(errors='replace')}")
    try:
        p = subprocess.run(prefix + [program] + extra + case.args, cwd=root, env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
        status, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        status, out, err = "timeout", e.stdout or b"", e.stderr or b""
    def norm(b):
        text = b.decode(errors="replace").replace(root, "ROOT")
        lines = []
        for line in text.splitlines():
            if line.startswith(program + ":"):
                line = "PROG:" + line[len(program) + 1:]
            lines.append(line.replace(f"Try '{program} --help'", "Try 'PROG --help'"))
        return lines
    try:
        tree = snapshot(root, case)
    except RecursionError:
        tree = [RUNAWAY]
    return status, norm(out), norm(err), tree


def preserves_times(case):
    o = case.options
    return "-a" in o or "-p" in o or "--preserve=timestamps" in o or "--preserve=all" in o


def snapshot(root, case):
    """The tree's observable state, one line an entry."""
    groups = {}
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            line = [rel, oct(st.st_mode), f"{st.st_uid}:{st.st_gid}"]
            if stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
                line += [str(st.st_size), h.hexdigest()[:12],
                         "sparse" if st.st_blocks * 512 < st.st_size else "dense"]
            elif stat.S_ISLNK(st.st_mode):
                line.append("-> " + os.readlink(p).replace(root, "ROOT"))
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                line.append(f"dev={os.major(st.st_rdev)},{os.minor(st.st_rdev)}")
            if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
                key = (st.st_dev, st.st_ino)
                groups.setdefault(key, [])
                groups[key].append(rel)
                line.append("linked")
            try:
                for n in sorted(os.listxattr(p, follow_symlinks=False)):
                    line.append(f"xattr {n}={os.getxattr(p, n, follow_symlinks=False)!r}")
            except OSError:
                pass
            if preserves_times(case) and not stat.S_ISDIR(st.st_mode):
                line.append(f"mtime={st.st_mtime_ns if st.st_mtime in STAMPS else 'fresh'}")
            out.append(" ".join(line))
    for members in groups.values():
        out.append("link group: " + " = ".join(sorted(members)))
    return sorted(out)


# Deliberate differences and outcomes that cannot be compared, each with its reason. Gets the
# case and both outcomes; returns the reason when the divergence is one of them.
RUNAWAY = "(a tree too deep to walk)"
GNU_95_BACKUP = "PROG: --backup is mutually exclusive with -n or --update=none-fail"
GNU_91_BACKUP = "PROG: options --backup and --no-clobber are mutually exclusive"


def deliberate(case, gnu, zcp):
    # zcp has GNU 9.3+'s --update=none-fail, so it uses GNU 9.5's words for the conflict.
    if [GNU_95_BACKUP if l == GNU_91_BACKUP else l for l in gnu[2]] == zcp[2] and gnu[0] == zcp[0] \
            and gnu[1] == zcp[1] and gnu[3] == zcp[3]:
        return "GNU 9.5's message for --backup with -n"
    # GNU 9.1 carries --parents' "made the parent" from one operand to the next when the next
    # has no parent to make, then fails to make a directory that an earlier operand made;
    # zcp looks at each destination afresh.
    if "--parents" in case.options and any("cannot create directory" in l and "File exists" in l for l in gnu[2]) \
            and not any("cannot create directory" in l for l in zcp[2]):
        return "GNU 9.1's --parents reuses the previous operand's new-directory flag"
    into = lambda o: any("into itself" in l for l in o[2])
    # GNU 9.1 copies a directory into itself through a symlink (-rl, -rL) until names grow too
    # long; zcp stops where its table of copied directories says so.
    if gnu[3] == [RUNAWAY] and zcp[3] != [RUNAWAY] and into(zcp):
        return "GNU 9.1 recurses into its own copy until ENAMETOOLONG"
    return None


def compare(case, base, zcp_bin):
    g_root = tempfile.mkdtemp(prefix="g.", dir=base)
    z_root = tempfile.mkdtemp(prefix="z.", dir=base)
    for d in (g_root, z_root):
        os.chmod(d, 0o755)
    try:
        gnu = run_side(case, g_root, GNU_CP, [])
        zcp = run_side(case, z_root, zcp_bin, case.jobs)
    finally:
        subprocess.run(["rm", "-rf", g_root, z_root])
    diffs = []
    if gnu[0] == "timeout" and zcp[0] == "timeout":
        raise RuntimeError("both blocked (a FIFO written to)")
    if gnu[0] != zcp[0]:
        diffs.append(f"status {gnu[0]} vs {zcp[0]}")
    ordered = case.jobs == ["-j", "1"]
    for i, what in ((1, "stdout"), (2, "stderr")):
        a, b = gnu[i], zcp[i]
        if not ordered:
            # Deliberate: with copying threads, lines come in the order files finish.
            a, b = sorted(a), sorted(b)
        if a != b:
            diffs.append(f"{what} differs")
    if gnu[3] != zcp[3]:
        diffs.append("tree differs")
    excuse = deliberate(case, gnu, zcp) if diffs else None
    if excuse:
        return [], gnu, zcp, excuse
    return diffs, gnu, zcp, None


def show(gnu, zcp):
    import difflib
    for i, what in ((0, "status"), (1, "stdout"), (2, "stderr"), (3, "tree")):
        a = gnu[i] if isinstance(gnu[i], list) else [str(gnu[i])]
        b = zcp[i] if isinstance(zcp[i], list) else [str(zcp[i])]
        if a != b:
            print(f"  --- {what} (GNU -, zcp +)")
            for line in difflib.unified_diff(a, b, lineterm="", n=1):
                if not line.startswith(("---", "+++")):
                    print("   ", line)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", help="a range of seeds, A-B")
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--case", type=int, help="run only this case")
    ap.add_argument("--show", action="store_true", help="print both outcomes of each divergence")
    ap.add_argument("--zcp", default=os.environ.get("ZCP"))
    a = ap.parse_args()
    if not a.zcp:
        sys.exit("fuzz.py: set ZCP or pass --zcp")
    zcp_bin = os.path.realpath(a.zcp)
    seeds = [a.seed]
    if a.seeds:
        lo, hi = a.seeds.split("-")
        seeds = list(range(int(lo), int(hi) + 1))
    base = tempfile.mkdtemp(prefix="zcp-fuzz.")
    os.chmod(base, 0o755)
    passed = failed = 0
    excused = {}
    # The cases touch nothing outside their own directories: files of the system stay as they were.
    def system_files():
        out = {}
        for f in ("/etc/hostname", "/etc/hosts", "/etc/passwd", "/etc/group"):
            try:
                st = os.stat(f)
                out[f] = (st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns)
            except OSError:
                out[f] = None
        return out
    before = system_files()
    try:
        for seed in seeds:
            indices = [a.case] if a.case is not None else range(a.cases)
            for i in indices:
                case = Case(seed, i)
                try:
                    diffs, gnu, zcp, excuse = compare(case, base, zcp_bin)
                except RuntimeError as e:
                    print(f"SKIP {case.reproducer()}: {e}")
                    continue
                if diffs:
                    failed += 1
                    print(f"FAIL {', '.join(diffs)}: {case.reproducer()}")
                    if a.show:
                        show(gnu, zcp)
                elif excuse:
                    # Never silent: every excused divergence is counted and shown with its reason.
                    excused[excuse] = excused.get(excuse, 0) + 1
                    print(f"EXCUSED ({excuse}): {case.reproducer()}")
                else:
                    passed += 1
                    if a.show:
                        print(f"ok   {case.reproducer()}")
    finally:
        subprocess.run(["rm", "-rf", base])
    for f, was in before.items():
        if system_files()[f] != was:
            failed += 1
            print(f"FAIL a case changed {f}, outside its directory")
    for reason, n in sorted(excused.items()):
        print(f"fuzz: excused {n}: {reason}")
    print(f"fuzz: {passed} passed, {sum(excused.values())} excused, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

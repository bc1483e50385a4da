#!/usr/bin/env python3
"""Seeded random snapshots, rsync as the oracle: a tree is made and snapshotted (rsync -aHAX),
then changed at random (content with a new mtime, content alone, mtime alone, mode, owner,
group, an xattr, an ACL, a new file, a removed file, a hard-link group, a file become a
directory), and the next snapshot is made twice with the same earlier snapshots: by
`rsync OPTS --link-dest=...` and by `zcp OPTS --link-dest=...`. The two must link the same
files (a file is linked when it is the earlier snapshot's inode) and be equal entry by entry
(treeprint: content, mode, owner, times, xattrs, ACLs, hard-link groups).

Usage: snapfuzz.py SEED CASES (ZCP in the environment). Prints one line per failed case and
"snapfuzz: N passed, M failed"."""
import os, random, shutil, subprocess, sys, tempfile

ZCP = os.environ["ZCP"]
HERE = os.path.dirname(os.path.abspath(__file__))

# zcp's options, and rsync's that keep and compare the same attributes.
OPTION_SETS = [
    (["-a"], ["-aHAX"]),
    (["-a", "--checksum"], ["-aHAXc"]),
    (["-a", "--modify-window=2"], ["-aHAX", "--modify-window=2"]),
    (["-r", "--preserve=mode,timestamps"], ["-rtpA"]),
    (["-r", "--preserve=timestamps,xattr,links"], ["-rtXH"]),
    (["-a", "-j", "1"], ["-aHAX"]),
]
NAMES = ["a", "b c", "d\nnl", "e'q", "f\\bs", "g-é", "h\x7f", "i.txt", "j", "k"]


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def write(path, data, mtime=None):
    with open(path, "wb") as f:
        f.write(data)
    if mtime is not None:
        os.utime(path, ns=(mtime, mtime))


def make_tree(root, rnd):
    os.makedirs(root)
    files = []
    dirs = [root]
    for d in range(rnd.randint(0, 3)):
        p = os.path.join(rnd.choice(dirs), "dir%d" % d)
        os.makedirs(p, exist_ok=True)
        dirs.append(p)
    for i in range(rnd.randint(3, 12)):
        p = os.path.join(rnd.choice(dirs), rnd.choice(NAMES) + str(i))
        size = rnd.choice([0, 1, 100, 4096, 70000])
        write(p, rnd.randbytes(size), mtime=rnd.randint(10**17, 2 * 10**18 // 1))
        os.chmod(p, rnd.choice([0o644, 0o600, 0o755, 0o640]))
        if rnd.random() < 0.3:
            os.setxattr(p, "user.tag", rnd.choice([b"x", b"y", b"long" * 10]))
        files.append(p)
    if files and rnd.random() < 0.4:
        first = rnd.choice(files)
        other = first + ".link"
        os.link(first, other)
    return files


def mutate(root, rnd, checksum):
    """Changes a random part of the tree; returns the kinds applied (for the failure line).
    New content under the same size and mtime only with --checksum: without it the quick
    check cannot see it, and rsync may then take the data from the earlier snapshot where
    zcp takes the source's."""
    done = []
    regular = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            if os.path.isfile(p) and not os.path.islink(p):
                regular.append(p)
    regular.sort()
    for p in regular:
        if rnd.random() > 0.45 or not os.path.exists(p):
            continue
        st = os.lstat(p)
        kind = rnd.choice(
            ["content+mtime", "content-only", "mtime", "mtime-1s", "mode", "owner", "group", "xattr", "acl", "remove", "size"]
        )
        if kind == "content-only" and not checksum:
            kind = "content+mtime"
        done.append(kind)
        if kind == "content+mtime":
            write(p, os.urandom(st.st_size), mtime=st.st_mtime_ns + 10**9)
        elif kind == "content-only":
            # Same size and mtime, other bytes: only --checksum sees it.
            write(p, os.urandom(st.st_size), mtime=st.st_mtime_ns)
        elif kind == "mtime":
            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 5 * 10**9))
        elif kind == "mtime-1s":
            # Within --modify-window=2.
            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        elif kind == "mode":
            os.chmod(p, st.st_mode & 0o7777 ^ 0o044)
        elif kind == "owner":
            os.chown(p, 1234, -1)
        elif kind == "group":
            os.chown(p, -1, 4321)
        elif kind == "xattr":
            os.setxattr(p, "user.changed", b"1")
        elif kind == "acl":
            run(["setfacl", "-m", "u:1234:r", p])
        elif kind == "remove":
            os.unlink(p)
        elif kind == "size":
            write(p, os.urandom(st.st_size + 1), mtime=st.st_mtime_ns)
    if rnd.random() < 0.5:
        write(os.path.join(root, "new%d" % rnd.randint(0, 99)), os.urandom(rnd.randint(0, 5000)))
        done.append("new")
    return done


def tree_print(root):
    return run([sys.executable, os.path.join(HERE, "treeprint.py"), "--times", root]).stdout


def linked(out, earlier):
    """The regular files of `out` that are an earlier snapshot's inode, and which one."""
    result = {}
    for dirpath, _, names in os.walk(out):
        for n in names:
            p = os.path.join(dirpath, n)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            rel = os.path.relpath(p, out)
            st = os.lstat(p)
            for i, e in enumerate(earlier):
                q = os.path.join(e, rel)
                if os.path.lexists(q) and (os.lstat(q).st_ino, os.lstat(q).st_dev) == (st.st_ino, st.st_dev):
                    result[rel] = i
    return result


def one_case(work, seed):
    rnd = random.Random(seed)
    src = os.path.join(work, "src")
    make_tree(src, rnd)
    zopts, ropts = rnd.choice(OPTION_SETS)
    # One earlier snapshot, sometimes two (tried in order, the first match wins).
    earlier = [os.path.join(work, "snap1")]
    run(["rsync", "-aHAX", src + "/", earlier[0] + "/"])
    checksum = "--checksum" in zopts
    changes = mutate(src, rnd, checksum)
    if rnd.random() < 0.3:
        earlier.insert(0, os.path.join(work, "snap2"))
        run(["rsync", "-aHAX", src + "/", earlier[0] + "/"])
        changes += ["second:"] + mutate(src, rnd, checksum)
    rout, zout = os.path.join(work, "out-rsync"), os.path.join(work, "out-zcp")
    dest_args = ["--link-dest=../" + os.path.basename(e) for e in earlier]
    r = run(["rsync"] + ropts + dest_args + [src + "/", rout + "/"])
    z = run([ZCP] + zopts + dest_args + [src + "/.", zout])
    problems = []
    if r.returncode != 0:
        problems.append("rsync exit %d: %r" % (r.returncode, r.stderr[-300:]))
    if z.returncode != 0 or z.stderr:
        problems.append("zcp exit %d: %r" % (z.returncode, z.stderr[-300:]))
    rl, zl = linked(rout, earlier), linked(zout, earlier)
    if rl != zl:
        problems.append("linked: rsync %r, zcp %r" % (sorted(rl.items()), sorted(zl.items())))
    # Directories are compared with the source: rsync 3.5 with --link-dest sometimes leaves a
    # new directory with the time its last link was made in it (seen once in a few runs).
    rt, zt = tree_print(rout), tree_print(zout)
    rt = b"\n".join(l for l in rt.splitlines() if b" 0o40" not in l)
    st = b"\n".join(l for l in tree_print(src).splitlines() if b" 0o40" in l and not l.startswith(b". "))
    zdirs = b"\n".join(l for l in zt.splitlines() if b" 0o40" in l and not l.startswith(b". "))
    zt = b"\n".join(l for l in zt.splitlines() if b" 0o40" not in l)
    if st != zdirs:
        problems.append("directories differ from the source: %r" % list(set(st.splitlines()) ^ set(zdirs.splitlines()))[:4])
    if rt != zt:
        diff = [l for l in set(rt.splitlines()) ^ set(zt.splitlines())][:6]
        problems.append("trees differ: %r" % diff)
    return problems, zopts, changes


def main():
    seed, count = int(sys.argv[1]), int(sys.argv[2])
    passed = failed = 0
    base = tempfile.mkdtemp(prefix="zcp-snapfuzz.")
    try:
        for i in range(count):
            case_seed = seed * 100000 + i
            work = os.path.join(base, str(i))
            os.makedirs(work)
            problems, zopts, changes = one_case(work, case_seed)
            if problems:
                failed += 1
                print("FAIL snapfuzz seed %d case %d (%s; %s): %s" % (seed, i, " ".join(zopts), ",".join(changes), "; ".join(problems)))
            else:
                passed += 1
                shutil.rmtree(work)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print("snapfuzz: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

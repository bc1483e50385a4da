#!/usr/bin/env python3
"""Makes the tree the backup suite copies: FILES regular files over 20 directories, of
random sizes (empty, small, 1 MiB, sparse), with modes, owners, xattrs, ACLs, hard links and
symlinks. Every file's name is unique in the tree (f<dir>_<n>), so a trace can tell them apart.
Usage: backuptree.py ROOT FILES SEED"""
import os, random, subprocess, sys

root, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
os.makedirs(root)
dirs = [os.path.join(root, f"d{i:02}") for i in range(20)]
for d in dirs:
    os.makedirs(d)
acl_files = []
files = []
for n in range(count):
    d = rng.randrange(len(dirs))
    p = os.path.join(dirs[d], f"f{d:02}_{n:05}")
    kind = rng.random()
    with open(p, "wb") as f:
        if kind < 0.05:
            pass  # empty
        elif kind < 0.12:
            f.write(rng.randbytes(1 << 20))
        elif kind < 0.15:
            f.truncate(3 << 20)  # sparse: data in the middle only
            f.seek(1 << 20)
            f.write(rng.randbytes(65536))
        else:
            f.write(rng.randbytes(rng.randrange(1, 40000)))
    os.chmod(p, rng.choice([0o644, 0o600, 0o755, 0o640, 0o444]))
    if rng.random() < 0.1:
        os.chown(p, 65534, 65534)
    if rng.random() < 0.1:
        os.setxattr(p, "user.tag", rng.randbytes(8).hex().encode())
    if rng.random() < 0.03:
        acl_files.append(p)
    files.append(p)
for p in acl_files:
    subprocess.run(["setfacl", "-m", "u:65534:r", p], check=True)
subprocess.run(["setfacl", "-d", "-m", "u:65534:rx", dirs[3]], check=True)
for i in range(40):  # hard links within and across directories
    src = rng.choice(files)
    d = rng.randrange(len(dirs))
    os.link(src, os.path.join(dirs[d], f"h{d:02}_{i:03}"))
for i in range(20):
    os.symlink(os.path.relpath(rng.choice(files), dirs[i]), os.path.join(dirs[i], f"s{i:02}"))
for d in dirs:
    os.utime(d, ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789))

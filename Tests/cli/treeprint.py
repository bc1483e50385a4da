#!/usr/bin/env python3
"""Prints a tree's observable state, one line per entry, for comparing two copies:
type, mode, owner, size, content digest, link target, allocated blocks (sparse files),
hard-link group, xattrs and ACLs, and with --times the modification time in ns."""
import hashlib, os, stat, sys

def main():
    args = sys.argv[1:]
    times = "--times" in args
    root = [a for a in args if not a.startswith("--")][0]
    groups = {}
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames) + ([] if dirpath != root else ["."]):
            p = os.path.normpath(os.path.join(dirpath, name))
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            kind = stat.S_IFMT(st.st_mode)
            line = [rel, oct(st.st_mode), f"{st.st_uid}:{st.st_gid}"]
            if stat.S_ISREG(kind):
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
                line += [str(st.st_size), h.hexdigest()[:16], f"blocks={'sparse' if st.st_blocks * 512 < st.st_size else 'dense'}"]
                if st.st_nlink > 1:
                    key = (st.st_dev, st.st_ino)
                    groups.setdefault(key, len(groups))
                    line.append(f"link-group={groups[key]}")
            elif stat.S_ISLNK(kind):
                line.append("-> " + os.readlink(p))
            elif stat.S_ISCHR(kind) or stat.S_ISBLK(kind):
                line.append(f"dev={os.major(st.st_rdev)},{os.minor(st.st_rdev)}")
            try:
                names = sorted(os.listxattr(p, follow_symlinks=False))
                for n in names:
                    line.append(f"xattr {n}={os.getxattr(p, n, follow_symlinks=False)!r}")
            except OSError:
                pass
            if times and rel != ".":
                line.append(f"mtime={st.st_mtime_ns}")
            out.append(" ".join(line))
    print("\n".join(sorted(set(out))))

main()

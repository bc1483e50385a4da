#!/usr/bin/env python3
"""Trees deeper than PATH_MAX, made and read through directory descriptors.

deeptree.py make DIR DEPTH [NAME]   DIR/<name>/<name>/... DEPTH levels, a file 'leaf' at the bottom
deeptree.py show DIR [NAME]         prints: levels, full path length, the leaf's content
(NAME: each level's name, 60 d's unless given)
"""
import os, sys

NAME = "d" * 60

def make(top, depth):
    os.mkdir(top)
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(depth):
        os.mkdir(NAME, dir_fd=fd)
        nxt = os.open(NAME, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nxt
    leaf = os.open("leaf", os.O_WRONLY | os.O_CREAT, 0o640, dir_fd=fd)
    os.write(leaf, b"bottom\n")
    os.close(leaf)
    os.close(fd)

def show(top):
    """levels, path length past the top, leaf content and mode, digest of every level's mode+mtime"""
    import hashlib
    digest = hashlib.sha1()
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    levels, length = 0, 0
    while NAME in os.listdir(fd):
        nxt = os.open(NAME, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        os.close(fd)
        fd = nxt
        st = os.fstat(fd)
        digest.update(f"{st.st_mode:o} {st.st_mtime_ns}\n".encode())
        levels += 1
        length += 1 + len(NAME)
    leaf = os.open("leaf", os.O_RDONLY, dir_fd=fd)
    data = os.read(leaf, 100).decode().strip()
    mode = oct(os.fstat(leaf).st_mode & 0o7777)
    print(levels, length, data, mode, digest.hexdigest()[:16])

if __name__ == "__main__":
    if sys.argv[1] == "make" and len(sys.argv) > 4:
        NAME = sys.argv[4]
    elif sys.argv[1] == "show" and len(sys.argv) > 3:
        NAME = sys.argv[3]
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]))
    else:
        show(sys.argv[2])

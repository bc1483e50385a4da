#!/usr/bin/env bash
# GNU cp is the oracle: each case runs /bin/cp and zcp with the same arguments on identical
# trees and compares exit status, stdout, stderr (program name normalised) and the trees.
. "$(dirname "$0")/lib.sh"

T=1600000000.123456789
stamp() { touch -h -d "@$T" "$@"; }

tree() { # a small tree: nested dirs, files, symlinks (relative, absolute, dangling), a hard link
    mkdir -p src/sub/deeper src/empty
    printf 'alpha\n' > src/a
    head -c 100000 /dev/zero | tr '\0' 'x' > src/sub/b
    printf 'deep\n' > src/sub/deeper/c
    ln -s a src/rel-link
    ln -s /etc/hostname src/abs-link
    ln -s nowhere src/dangling
    ln src/a src/hard-a
    chmod 640 src/sub/b
    chmod 750 src/sub/deeper
    find src -exec touch -h -d "@$T" {} +
}
files() { printf 'one\n' > f1; printf 'two\n' > f2; mkdir dir; stamp f1 f2 dir; }
with_dest_file() { files; printf 'old\n' > existing; stamp existing; }
special() { mkdir src; mkfifo src/fifo; printf 'x\n' > src/x; stamp src/fifo src/x src; }
sparse() { truncate -s 5M s; printf 'data' | dd of=s bs=1 seek=3000000 conv=notrunc status=none; stamp s; }
symlinks() { printf 'target\n' > t; ln -s t l; ln -s missing dl; mkdir d; ln -s d dl2; stamp t; }

# Operands and messages
differ "file to new file"            files -- f1 new
differ "file onto existing"          with_dest_file -- f1 existing
differ "files into dir"              files -- f1 f2 dir
differ "-t dir"                      files -- -t dir f1 f2
differ "-T onto file"                with_dest_file -- -T f1 existing
differ "missing source"              files -- nope new
differ "missing source, others go on" files -- nope f1 f2 dir
differ "missing operand"             files --
differ "missing destination"         files -- f1
differ "extra operand with -T"       files -- -T f1 f2 dir
differ "target not a directory"      with_dest_file -- f1 f2 existing
differ "target missing"              files -- f1 f2 nodir
differ "-t target missing"           files -- -t nodir f1
differ "directory without -r"        files -- dir dir2
differ "same file"                   files -- f1 f1
differ "same file via dir"           files -- f1 .
differ "unknown option"              files -- --frobnicate f1 x
differ "invalid --sparse"            files -- --sparse=sometimes f1 x
differ "invalid --reflink"           files -- --reflink=maybe f1 x
differ "dir onto file"               with_dest_file -- -r dir existing
differ "file onto dir"               files -- -T f1 dir
differ "trailing slash, missing dir" files -- f1 nodir/
differ "verbose"                     files -- -v f1 f2 dir

# Trees
differ "-r tree"                     tree -- -r src dst
differ "-rv tree"                    tree -- -rv src dst
differ "-r into existing dir"        tree -- -r src src/empty
differ "-r src/. into dir"           tree -- -rv src/. src/empty
differ "-a tree (times, links)"      tree --times -- -a src dst
differ "-p file"                     tree --times -- -p src/sub/b pb
differ "--preserve=timestamps"       tree --times -- --preserve=timestamps src/a pa
differ "-rL follows links"           tree -- -rL src dst
differ "-rH"                         tree -- -rH src dst
differ "-d copies link"              symlinks -- -d l l2
differ "copy through link"           symlinks -- l copied
differ "-P link onto file"           symlinks -- -P l t2
differ "dangling source"             symlinks -- dl out
differ "-r fifo recreated"           special -- -r src dst
differ "sparse file stays sparse"    sparse -- s s2
differ "--sparse=never"              sparse -- --sparse=never s s2
differ "--strip-trailing-slashes"    files -- -r --strip-trailing-slashes dir/ d2

# Extended attributes
xattrs() { tree; setfattr -n user.colour -v blue src/a; setfattr -n user.empty src/sub; stamp src/a; }
differ "-a keeps xattrs"             xattrs --times -- -a src dst
differ "-p leaves xattrs"            xattrs -- -p src/a pa
differ "--preserve=xattr"            xattrs -- --preserve=xattr src/a pa
differ "--preserve=context refused"  files -- --preserve=context f1 x
differ "-a --no-preserve=xattr"      xattrs -- -a --no-preserve=xattr src dst

finish

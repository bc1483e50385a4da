#!/usr/bin/env bash
# The filesystem matrix on real mounts: btrfs, xfs (reflink=1), ext4 (loop images), tmpfs, and
# a directory seen through bindfs --xattr-none (no xattrs, no ACLs). For every (source fs,
# destination fs) pair: content, holes, the strategy the report names, and metadata against
# GNU cp on the same inputs.
. "$(dirname "$0")/lib.sh"

M="$WORK/m"
mount_image "$M/btrfs" btrfs 400M || bad "mount btrfs"
mount_image "$M/xfs" xfs 400M -m reflink=1 || bad "mount xfs"
mount_image "$M/ext4" ext4 400M || bad "mount ext4"
mount_tmpfs "$M/tmpfs" 400M || bad "mount tmpfs"
mkdir -p "$M/ext4/plain" "$M/noxattr"
if bindfs --xattr-none "$M/ext4/plain" "$M/noxattr" 2>/dev/null; then MOUNTS+=("$M/noxattr"); else bad "bindfs"; fi

FS=(btrfs xfs ext4 tmpfs)
for fs in "${FS[@]}"; do
    mkdir -p "$M/$fs/src"
    head -c 8388608 /dev/urandom > "$M/$fs/src/dense"
    truncate -s 16M "$M/$fs/src/sparse"
    head -c 1048576 /dev/urandom | dd of="$M/$fs/src/sparse" bs=1M seek=5 conv=notrunc status=none
done
sync

# expect SRC DST: the strategy auto must take
expect() {
    if [ "$1" == "$2" ]; then
        case $1 in btrfs|xfs) echo reflink ;; ext4|tmpfs) echo copy_file_range ;; esac
    else
        echo sendfile  # copy_file_range is refused across filesystem types (EXDEV since 5.19)
    fi
}

echo "| source \\ destination | ${FS[*]} |" > "$WORK/matrix.md"
for s in "${FS[@]}"; do
    row="| $s |"
    for d in "${FS[@]}"; do
        mkdir -p "$M/$d/from-$s"
        for f in dense sparse; do
            "$ZCP" --report="$WORK/r.json" "$M/$s/src/$f" "$M/$d/from-$s/$f"
            eq "$s->$d $f: status" 0 "$?"
            check "$s->$d $f: content" cmp -s "$M/$s/src/$f" "$M/$d/from-$s/$f"
            got=$(report_field "$WORK/r.json" strategy)
            eq "$s->$d $f: strategy" "$(expect "$s" "$d")" "$got"
            if [ $f == sparse ]; then
                check "$s->$d sparse: holes kept" test "$(blocks "$M/$d/from-$s/$f")" -le $(( $(blocks "$M/$s/src/$f") + 64 ))
            fi
        done
        row+=" $got |"
    done
    echo "$row" >> "$WORK/matrix.md"
done
cat "$WORK/matrix.md"

# --reflink=never means never: no clone, and no copy_file_range where it may clone.
for fs in btrfs xfs; do
    "$ZCP" --reflink=never --debug --report="$WORK/n.json" "$M/$fs/src/dense" "$M/$fs/never" > "$WORK/n.out"
    eq "$fs --reflink=never: status" 0 "$?"
    got=$(report_field "$WORK/n.json" strategy)
    check "$fs --reflink=never: not cloned ($got)" test "$got" != reflink -a "$got" != copy_file_range
    check "$fs --reflink=never: copy offload avoided" grep -q "copy offload: avoided" "$WORK/n.out"
    sync
    check "$fs --reflink=never: no shared extents" bash -c "! filefrag -v '$M/$fs/never' | grep -q shared"
    "$ZCP" --reflink=always "$M/$fs/src/dense" "$M/$fs/always"
    eq "$fs --reflink=always: status" 0 "$?"
    sync
    check "$fs --reflink=always: extents shared" bash -c "filefrag -v '$M/$fs/always' | grep -q shared"
done
"$ZCP" --reflink=always "$M/ext4/src/dense" "$M/ext4/always" 2>"$WORK/err"
eq "ext4 --reflink=always: status" 1 "$?"
"$GNU_CP" --reflink=always "$M/ext4/src/dense" "$M/ext4/always-gnu" 2>"$WORK/gerr"
eq "ext4 --reflink=always: GNU's message" "$(sed "s|^$GNU_CP|X|" "$WORK/gerr")" "$(sed "s|^$ZCP|X|" "$WORK/err" | sed "s|always'|always-gnu'|")"

# Metadata on each destination, against GNU cp: a tree with ACLs (access and default),
# xattrs, modes, hard links and nanosecond times.
meta_tree() {
    mkdir -p "$1/t/sub"
    printf 'x\n' > "$1/t/f"; printf 'y\n' > "$1/t/sub/g"; ln "$1/t/f" "$1/t/hard"
    chmod 4750 "$1/t/f"; chmod 2770 "$1/t/sub"
    setfacl -m u:nobody:rw "$1/t/sub/g"
    setfacl -d -m u:nobody:rx "$1/t/sub"
    setfattr -n user.colour -v blue "$1/t/f" 2>/dev/null
    find "$1/t" -exec touch -h -d @1600000000.123456789 {} +
}
acls() { (cd "$1" && getfacl -R -p --absolute-names . 2>/dev/null | grep -v '^# file') ; }
attrs() { (cd "$1" && getfattr -R -d -m - --absolute-names . 2>/dev/null | grep -v '^# file' | sort) ; }
meta_tree "$M/ext4/meta"
for d in btrfs xfs ext4 tmpfs noxattr; do
    rm -rf "$M/$d/gnu" "$M/$d/zcp"
    "$GNU_CP" -a "$M/ext4/meta/t" "$M/$d/gnu" 2>"$WORK/g.err"; gs=$?
    "$ZCP" -a "$M/ext4/meta/t" "$M/$d/zcp" 2>"$WORK/z.err"; zs=$?
    eq "-a onto $d: exit status as GNU" "$gs" "$zs"
    eq "-a onto $d: messages as GNU" "$(sed -e "s|^$GNU_CP|X|" -e "s|/gnu/|/D/|g" -e "s|/gnu'|/D'|g" -e "s|/gnu’|/D’|g" "$WORK/g.err")" "$(sed -e "s|^$ZCP|X|" -e "s|/zcp/|/D/|g" -e "s|/zcp'|/D'|g" -e "s|/zcp’|/D’|g" "$WORK/z.err")"
    eq "-a onto $d: tree as GNU" "$(python3 "$HERE/treeprint.py" --times "$M/$d/gnu")" "$(python3 "$HERE/treeprint.py" --times "$M/$d/zcp")"
    eq "-a onto $d: ACLs as GNU" "$(acls "$M/$d/gnu")" "$(acls "$M/$d/zcp")"
    eq "-a onto $d: xattrs as GNU" "$(attrs "$M/$d/gnu")" "$(attrs "$M/$d/zcp")"
    for p in "-p" "--preserve=xattr" "--preserve=mode"; do
        rm -rf "$M/$d/pg" "$M/$d/pz"
        "$GNU_CP" $p "$M/ext4/meta/t/sub/g" "$M/$d/pg" 2>"$WORK/g.err"; gs=$?
        "$ZCP" $p "$M/ext4/meta/t/sub/g" "$M/$d/pz" 2>"$WORK/z.err"; zs=$?
        eq "$p onto $d: exit status as GNU" "$gs" "$zs"
        eq "$p onto $d: messages as GNU" "$(sed -e "s|^$GNU_CP|X|" -e "s|/pg|/P|g" "$WORK/g.err")" "$(sed -e "s|^$ZCP|X|" -e "s|/pz|/P|g" "$WORK/z.err")"
        check "$p onto $d: content kept" cmp -s "$M/ext4/meta/t/sub/g" "$M/$d/pz"
        eq "$p onto $d: ACL as GNU" "$(getfacl -c -p "$M/$d/pg" 2>/dev/null)" "$(getfacl -c -p "$M/$d/pz" 2>/dev/null)"
    done
    # Into a directory whose default ACL new entries inherit: -a leaves the source's ACLs
    # (none, for most entries), not the inherited ones.
    [ $d == noxattr ] && continue
    rm -rf "$M/$d/inh-g" "$M/$d/inh-z"; mkdir "$M/$d/inh-g" "$M/$d/inh-z"
    setfacl -d -m u:nobody:rwx "$M/$d/inh-g" "$M/$d/inh-z"
    "$GNU_CP" -a "$M/ext4/meta/t" "$M/$d/inh-g/"; "$ZCP" -a "$M/ext4/meta/t" "$M/$d/inh-z/"
    eq "-a into inheriting dir on $d: ACLs as GNU" "$(acls "$M/$d/inh-g")" "$(acls "$M/$d/inh-z")"
    "$GNU_CP" -p "$M/ext4/meta/t/f" "$M/$d/inh-g/pf"; "$ZCP" -p "$M/ext4/meta/t/f" "$M/$d/inh-z/pf"
    eq "-p into inheriting dir on $d: ACL as GNU" "$(getfacl -c -p "$M/$d/inh-g/pf")" "$(getfacl -c -p "$M/$d/inh-z/pf")"
done

finish

#!/usr/bin/env bash
# --link-dest, --reflink-dest, --checksum and --manifest: rsync as the oracle for what is
# linked, real filesystems for link limits and clones (ext4 at 65,000 links, btrfs, xfs),
# xxhsum -c and sha256sum -c for the manifests, and the seeded random comparison with rsync.
. "$(dirname "$0")/lib.sh"
cd "$WORK" || exit 1

# reason OUT REL: "snapshot snapshot_reason" of REL's record in the report OUT/../r.json
reason() {
    python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r=json.loads(l)
    if r["dest"].endswith("/"+sys.argv[2]) and r["type"]=="file":
        print(r.get("snapshot"), r.get("snapshot_reason"))' "$1" "$2"
}
ino() { stat -c %i "$1" 2>/dev/null || echo none; }
count_files() { find "$1" -type f -printf . | wc -c; }

# A tree, its snapshot by rsync, then one change of each kind.
mk_base() {
    rm -rf src snap
    mkdir -p src/d
    for f in same content mtime mode owner group xattr acl size gone; do printf '%s data\n' "$f" > "src/$f"; done
    printf 'deep\n' > src/d/deep
    printf 'group\n' > src/hl1; ln src/hl1 src/hl2
    touch -d '2020-01-01 00:00:00.123456789' src/* src/d/deep
    rsync -aHAX src/ snap/
    printf 'CONTENT data\n' > src/content; touch -d '2020-01-02' src/content
    touch -d '2021-01-01' src/mtime
    chmod 600 src/mode
    chown 1234 src/owner
    chgrp 4321 src/group
    setfattr -n user.new -v 1 src/xattr
    setfacl -m u:1234:r src/acl
    printf 'size data, longer\n' > src/size; touch -d '2020-01-01 00:00:00.123456789' src/size
    rm src/gone
    printf 'new\n' > src/new
}

mk_base
rsync -aHAX --link-dest=../snap src/ out-rsync/
"$ZCP" -a --link-dest=../snap --report=r.json src/. out; eq "link-dest: exit 0" 0 $?
for f in same d/deep hl1 hl2; do
    eq "link-dest: unchanged $f is the snapshot's inode" "$(ino snap/$f)" "$(ino out/$f)"
done
eq "link-dest: the source's link group stays one group" "$(ino out/hl1)" "$(ino out/hl2)"
eq "link-dest: reason same" "linked unchanged" "$(reason r.json same)"
for f in content mtime mode owner group xattr acl size; do
    check "link-dest: changed $f is a new inode" [ "$(ino snap/$f)" != "$(ino out/$f)" ]
done
eq "reason content (new mtime)" "copied mtime" "$(reason r.json content)"
eq "reason mtime" "copied mtime" "$(reason r.json mtime)"
eq "reason mode" "copied mode" "$(reason r.json mode)"
eq "reason owner" "copied owner" "$(reason r.json owner)"
eq "reason group" "copied group" "$(reason r.json group)"
eq "reason xattr" "copied xattr" "$(reason r.json xattr)"
eq "reason acl" "copied acl" "$(reason r.json acl)"
eq "reason size" "copied size" "$(reason r.json size)"
eq "reason new file" "copied absent" "$(reason r.json new)"
check "a file removed from the source is not in the snapshot" [ ! -e out/gone ]
# rsync -aHAX --link-dest made the same choices and the same tree.
for f in same content mtime mode owner group xattr acl size new d/deep hl1 hl2; do
    [ "$(ino out-rsync/$f)" == "$(ino snap/$f)" ] && r=linked || r=copied
    [ "$(ino out/$f)" == "$(ino snap/$f)" ] && z=linked || z=copied
    eq "rsync agrees on $f" "$r" "$z"
done
eq "snapshot equals rsync's (content, metadata, link groups)" \
    "$(python3 "$HERE/treeprint.py" --times out-rsync | grep -v ' 0o40')" "$(python3 "$HERE/treeprint.py" --times out | grep -v ' 0o40')"
eq "snapshot equals the source" \
    "$(python3 "$HERE/treeprint.py" --times src | grep -v '^\. ' | sed 's/ link-group=[0-9]*//')" \
    "$(python3 "$HERE/treeprint.py" --times out | grep -v '^\. ' | sed 's/ link-group=[0-9]*//')"

# --debug and --stats say the same.
rm -rf out2
"$ZCP" -a --debug --stats --link-dest=../snap src/. out2 >dbg 2>stats
check "--debug: a linked file's line" grep -q "^snapshot: linked to '../snap' (unchanged)" dbg
check "--debug: a copied file's reason" grep -q "snapshot: copied (mode)" dbg
check "--stats: linked, reflinked and copied" grep -q "linked: 3 (.* bytes), reflinked: 0 (0 bytes), copied: 9 " stats

# --checksum: same size and content decide; content changed under the same size and mtime
# is copied only with it; a mtime change alone still breaks a link (the link would keep the
# old time), as rsync -c does.
mk_base
printf 'SAME data\n' > src/same; touch -d '2020-01-01 00:00:00.123456789' src/same
rm -rf out; "$ZCP" -a --link-dest=../snap --report=r.json src/. out
check "without --checksum: same size and mtime is linked" [ "$(ino snap/same)" == "$(ino out/same)" ]
rm -rf out; "$ZCP" -a --checksum --link-dest=../snap --report=r.json src/. out
eq "--checksum: other content is copied" "copied content" "$(reason r.json same)"
eq "--checksum: the copy holds the new content" "SAME data" "$(cat out/same)"
eq "--checksum: a new mtime still copies under -a" "copied mtime" "$(reason r.json mtime)"
rm -rf out-rc; rsync -aHAXc --link-dest=../snap src/ out-rc/
for f in same mtime d/deep; do
    [ "$(ino out-rc/$f)" == "$(ino snap/$f)" ] && r=linked || r=copied
    [ "$(ino out/$f)" == "$(ino snap/$f)" ] && z=linked || z=copied
    eq "rsync -c agrees on $f" "$r" "$z"
done

# --modify-window: one second apart counts as equal with 2, not without.
rm -rf mw && mkdir -p mw/src && echo x > mw/src/f && touch -d '2020-01-01 00:00:00' mw/src/f
rsync -a mw/src/ mw/snap/ && touch -d '2020-01-01 00:00:01' mw/src/f
"$ZCP" -rp --link-dest=../snap mw/src/. mw/o1d && "$ZCP" -rp --modify-window=2 --link-dest=../snap mw/src/. mw/o2d
check "mtimes 1 s apart: copied by default" [ "$(ino mw/o1d/f)" != "$(ino mw/snap/f)" ]
check "--modify-window=2: linked" [ "$(ino mw/o2d/f)" == "$(ino mw/snap/f)" ]

# Several DIRs: tried in order, the first match wins.
mk_base
rm -rf snap0 && mkdir snap0 && printf 'other\n' > snap0/same
rm -rf out; "$ZCP" -a --link-dest=../snap0 --link-dest=../snap --report=r.json src/. out
eq "second DIR matches when the first differs" "$(ino snap/same)" "$(ino out/same)"
eq "report names the DIR linked to" "../snap" "$(report_field r.json snapshot_dir 2>/dev/null || python3 -c 'import json
print([json.loads(l) for l in open("r.json") if "/same\"" in l][0]["snapshot_dir"])')"
rm -rf out; "$ZCP" -a --link-dest="$WORK/snap" src/. out
eq "an absolute DIR" "$(ino snap/same)" "$(ino out/same)"

# Composes: -j, --exclude, --atomic, --verify, an existing destination, a file operand.
mk_base
rm -rf j1 j4
"$ZCP" -a -j 1 --link-dest=../snap src/. j1; "$ZCP" -a -j 4 --link-dest=../snap src/. j4
eq "-j 4 links what -j 1 links" "$(cd j1 && find . -type f -links +1 | sort)" "$(cd j4 && find . -type f -links +1 | sort)"
rm -rf ex; "$ZCP" -a --exclude=same --link-dest=../snap src/. ex
check "--exclude leaves a file out" [ ! -e ex/same ]
check "--exclude: the others still linked" [ "$(ino ex/d/deep)" == "$(ino snap/d/deep)" ]
rm -rf at; mkdir at; echo old > at/same; "$ZCP" -a --atomic --link-dest=../snap src/. at
eq "--atomic: an existing destination becomes the link" "$(ino snap/same)" "$(ino at/same)"
check "--atomic: no temporary left" [ -z "$(find at -name '.*zcp-*')" ]
rm -rf ve; "$ZCP" -a --verify --report=r.json --link-dest=../snap src/. ve
eq "--verify: a linked file is verified" "ok" "$(python3 -c 'import json
print([json.loads(l) for l in open("r.json") if "/same\"" in l][0].get("verify"))')"
mkdir -p fo; "$ZCP" -p --link-dest=../snap src/same fo/
eq "a file operand: looked up under the target directory" "$(ino snap/same)" "$(ino fo/same)"
mkdir -p fo2/snap && cp -a snap/same fo2/snap/same && "$ZCP" -p --link-dest=snap src/same fo2/
eq "a file copied into a directory: DIR/NAME" "$(ino fo2/snap/same)" "$(ino fo2/same)"

# --resume: a snapshot stopped part way (some files missing, one cut short, as a kill with
# --partial leaves it), rerun with --resume, equals a snapshot made in one go.
mk_base
head -c 3000000 /dev/urandom > src/big
rm -rf clean part
"$ZCP" -a --link-dest=../snap src/. clean
"$ZCP" -a --link-dest=../snap src/. part
rm part/same part/mode part/d/deep; truncate -s 1000000 part/big
"$ZCP" -a --resume --link-dest=../snap --report=r.json src/. part; eq "--resume: exit 0" 0 $?
eq "--resume: the same files linked as in one go" \
    "$(cd clean && find . -type f -links +1 | sort)" "$(cd part && find . -type f -links +1 | sort)"
eq "--resume: the same tree as in one go" \
    "$(python3 "$HERE/treeprint.py" --times clean | grep -v ' 0o40')" \
    "$(python3 "$HERE/treeprint.py" --times part | grep -v ' 0o40')"

# Bad input: nothing is copied, exit 1, a clear message.
rm -rf bad
"$ZCP" -a --link-dest=../nosuch src/. bad 2>err; eq "missing DIR: exit 1" 1 $?
check "missing DIR: says which" grep -q "link-dest: cannot open directory 'nosuch'.*No such file" err
check "missing DIR: nothing copied" [ ! -e bad ]
touch afile
"$ZCP" -a --link-dest="$WORK/afile" src/. bad 2>err; eq "DIR is a file: exit 1" 1 $?
check "DIR is a file: Not a directory" grep -q "Not a directory" err
"$ZCP" -al --link-dest=../snap src/. bad 2>err; eq "--link-dest with -l: exit 1" 1 $?
check "--link-dest with -l: says why" grep -q "cannot be combined with --link (-l)" err
"$ZCP" -as --link-dest=../snap src/. bad 2>err; eq "--link-dest with -s: exit 1" 1 $?
"$ZCP" -a --link-dest=a --reflink-dest=b src/. bad 2>err; eq "both kinds: exit 1" 1 $?
"$ZCP" -a --checksum src/. bad 2>err; eq "--checksum alone: exit 1" 1 $?
"$ZCP" -a --manifest-hash=md5 --manifest=m src/. bad 2>err; eq "unknown manifest hash: exit 1" 1 $?
check "unknown manifest hash: lists the valid ones" grep -q "xxh128" err
"$ZCP" -a --modify-window=x --link-dest=../snap src/. bad 2>err; eq "bad --modify-window: exit 1" 1 $?
check "bad input: nothing was copied" [ ! -e bad ]

# EMLINK: ext4 holds 65,000 links to a file; a snapshot's link to a file at that count
# fails, and the file is copied instead: exit 0, the reason in the report.
mount_image "$WORK/e4" ext4 256M
mkdir -p e4/src e4/snap
echo full > e4/src/f; touch -d 2020-01-01 e4/src/f; cp -a e4/src/f e4/snap/f
python3 -c 'import os
for i in range(64999): os.link("e4/snap/f", "e4/snap/l%d" % i)'
eq "ext4: the snapshot's file has 65,000 links" 65000 "$(stat -c %h e4/snap/f)"
"$ZCP" -a --link-dest=../snap --report=r.json e4/src/. e4/out 2>err; eq "EMLINK: exit 0" 0 $?
eq "EMLINK: copied, with the reason" "copied EMLINK" "$(reason r.json f)"
eq "EMLINK: the copy holds the data" "full" "$(cat e4/out/f)"
check "EMLINK: nothing on stderr" [ ! -s err ]

# EXDEV: the earlier snapshot on another filesystem.
"$ZCP" -a --link-dest="$WORK/snap" --report=r.json src/. e4/x 2>err; eq "EXDEV: exit 0" 0 $?
eq "EXDEV: copied, with the reason" "copied EXDEV" "$(reason r.json same)"

# --reflink-dest on btrfs and xfs: unchanged and attribute-only changes share the earlier
# snapshot's extents in new inodes with the source's attributes; on ext4 it copies.
shared() { filefrag -v "$1" 2>/dev/null | grep -c shared; }
for fs in btrfs xfs; do
    mount_image "$WORK/$fs" "$fs" 512M || { bad "$fs image"; continue; }
    m="$WORK/$fs"
    mkdir -p "$m/src"; head -c 1048576 /dev/urandom > "$m/src/same"; cp "$m/src/same" "$m/src/mode"
    head -c 1048576 /dev/urandom > "$m/src/changed"
    touch -d 2020-01-01 "$m/src/"*
    "$ZCP" -a "$m/src/." "$m/snap"
    chmod 600 "$m/src/mode"; head -c 1048576 /dev/urandom > "$m/src/changed"
    sync
    "$ZCP" -a --reflink-dest=../snap --report="$WORK/r.json" "$m/src/." "$m/out"; eq "$fs: exit 0" 0 $?
    for f in same mode; do
        check "$fs: $f is a new inode" [ "$(ino "$m/out/$f")" != "$(ino "$m/snap/$f")" ]
        check "$fs: $f shares extents with the snapshot" [ "$(shared "$m/out/$f")" -gt 0 ]
        eq "$fs: $f reflinked" "reflinked unchanged" "$(reason r.json $f)"
        check "$fs: $f has the source's data" cmp -s "$m/src/$f" "$m/out/$f"
    done
    eq "$fs: the attribute-only change is kept" 600 "$(stat -c %a "$m/out/mode")"
    eq "$fs: the earlier snapshot keeps its mode" 644 "$(stat -c %a "$m/snap/mode")"
    eq "$fs: changed data is copied" "copied mtime" "$(reason r.json changed)"
    check "$fs: changed data is the source's" cmp -s "$m/src/changed" "$m/out/changed"
done
if [ "$(findmnt -n -o FSTYPE "$WORK/btrfs")" == btrfs ]; then
    du_shared=$(btrfs filesystem du -s --raw "$WORK/btrfs/out" | awk 'NR==2 { print $3 }')
    check "btrfs filesystem du: the snapshot's data is shared" [ "${du_shared:-0}" -ge 2097152 ]
fi
mkdir -p e4/rsrc && echo data > e4/rsrc/f && touch -d 2020-01-01 e4/rsrc/f && cp -a e4/rsrc e4/rsnap
"$ZCP" -a --reflink-dest=../rsnap --report=r.json e4/rsrc/. e4/rout; eq "ext4 --reflink-dest: exit 0" 0 $?
eq "ext4: no clone, copied and says why" "copied EOPNOTSUPP" "$(reason r.json f)"
eq "ext4: the copy holds the data" data "$(cat e4/rout/f)"

# Manifests: hostile names; sha256sum -c and xxhsum -c check them from the same directory.
rm -rf ms && mkdir -p ms/src/sub
for n in plain 'sp ace' $'new\nline' 'back\slash' $'both\\\n' $'cr\rx' "quo'te" $'\xff\xfe' $'tab\there' 'é'; do
    head -c $((RANDOM % 5000)) /dev/urandom > "ms/src/$n"
done
echo deep > ms/src/sub/deep; ln ms/src/plain ms/src/plain-link
cd ms
"$ZCP" -a --manifest=m.sha --manifest-hash=sha256 src out; eq "sha256 manifest: exit 0" 0 $?
sha256sum -c --strict m.sha >check.out 2>&1; eq "sha256sum -c accepts it" 0 $?
eq "one line per regular file" "$(count_files out)" "$(wc -l < m.sha)"
eq "the lines sha256sum itself writes" "$(find out -type f -print0 | xargs -0 sha256sum | sort)" "$(sort m.sha)"
"$ZCP" -a -j 4 --verify --manifest=m.xxh src out-x; eq "xxh128 manifest: exit 0" 0 $?
LC_ALL=C grep -a -v '^\\' m.xxh > m.xxh-plain
xxhsum -c --strict m.xxh-plain >/dev/null 2>&1; eq "xxhsum -c accepts its lines (0.8.1: names without a newline)" 0 $?
eq "the lines xxhsum -H2 writes" \
    "$(find out-x -type f ! -name $'*\n*' ! -name $'*\r*' -print0 | xargs -0 xxhsum -H2 2>/dev/null | sort)" "$(sort m.xxh-plain)"
check "a newline name's xxh128 line is escaped as sha256sum's are" grep -a -q '^\\[0-9a-f]\{32\}  out-x/new\\nline$' m.xxh
printf X >> "out/sub/deep"
sha256sum -c m.sha >/dev/null 2>&1; eq "a changed copy fails the check" 1 $?
"$ZCP" -a --manifest=- src out-s >stdout.m; eq "--manifest=-: to standard output" "$(count_files out-s)" "$(wc -l < stdout.m)"
cd "$WORK"
rm -rf out; "$ZCP" -a --link-dest=../snap --manifest=lm src/. out
eq "linked files are in the manifest too" "$(count_files out)" "$(wc -l < lm)"
xxhsum -c lm >/dev/null 2>&1; eq "xxhsum -c: the snapshot's manifest" 0 $?

# The seeded random comparison with rsync.
out=$(python3 "$HERE/snapfuzz.py" 11 60 2>&1); echo "$out" | grep '^FAIL'
eq "random snapshots agree with rsync (seed 11, 60 cases)" "snapfuzz: 60 passed, 0 failed" "$(echo "$out" | tail -1)"

finish

#!/usr/bin/env bash
# Every strategy, forced and auto, on real filesystems: ext4 -> ext4 (loop image) and
# ext4 -> tmpfs (copy_file_range gives EXDEV there). Content, holes and the report.
. "$(dirname "$0")/lib.sh"

SRC="$WORK/ext4"; EXT="$WORK/ext4"; TMP="$WORK/tmpfs"
mount_image "$EXT" ext4 768M || { bad "mount ext4"; finish; exit 1; }
mount_tmpfs "$TMP" 512M || { bad "mount tmpfs"; finish; exit 1; }
mkdir -p "$SRC/in" "$EXT/out"

# Dense files of the sizes that matter: empty, tiny, a page -1, a page, 1 MiB + 1, 64 MiB.
for n in 0 1 4095 4096 1048577 67108864; do
    head -c "$n" /dev/urandom > "$SRC/in/dense-$n"
done
# Sparse files: 8 MiB with data only at the end, in the middle, only at the start.
mib() { head -c $(( $1 * 1048576 )) /dev/urandom; }
f="$SRC/in/hole-start";  truncate -s 8M "$f"; mib 1 | dd of="$f" bs=1M seek=7 conv=notrunc status=none
f="$SRC/in/hole-middle"; truncate -s 8M "$f"; mib 1 | dd of="$f" bs=1M seek=0 conv=notrunc status=none
                          mib 1 | dd of="$f" bs=1M seek=7 conv=notrunc status=none
f="$SRC/in/hole-end";    truncate -s 8M "$f"; mib 1 | dd of="$f" bs=1M seek=0 conv=notrunc status=none
sync

# expected STRATEGY DESTFS SIZE: what the report must name
expected() {
    local s=$1 fs=$2 size=$3
    if [ "$size" -eq 0 ]; then echo none; return; fi
    case "$s" in
        auto) [ "$fs" == ext4 ] && echo copy_file_range || echo sendfile ;;
        cfr) echo copy_file_range ;;
        rw) echo read_write ;;
        *) echo "$s" ;;
    esac
}

for fs in ext4 tmpfs; do
    [ "$fs" == ext4 ] && dst="$EXT/out" || dst="$TMP"
    for s in auto cfr sendfile splice rw; do
        for f in "$SRC"/in/*; do
            name=$(basename "$f")
            out="$dst/$s-$name"
            report="$WORK/report.json"
            "$ZCP" --strategy="$s" --report="$report" "$f" "$out" 2>"$WORK/err"
            status=$?
            if [ "$s" == cfr ] && [ "$fs" == tmpfs ]; then
                # Forced copy_file_range across filesystem types: refused, never faked.
                eq "$fs/$s/$name: exit status" 1 "$status"
                check "$fs/$s/$name: message" grep -q "copy_file_range: '$f' -> '$out': Invalid cross-device link (EXDEV); try --strategy=auto" "$WORK/err"
                check "$fs/$s/$name: no partial file" test ! -e "$out"
                continue
            fi
            eq "$fs/$s/$name: exit status" 0 "$status"
            check "$fs/$s/$name: content" cmp -s "$f" "$out"
            src_blocks=$(blocks "$f"); dst_blocks=$(blocks "$out")
            check "$fs/$s/$name: blocks $dst_blocks <= $src_blocks" test "$dst_blocks" -le "$((src_blocks + 8))"
            size=$(stat -c %s "$f")
            eq "$fs/$s/$name: report strategy" "$(expected "$s" "$fs" "$size")" "$(report_field "$report" strategy)"
            eq "$fs/$s/$name: report bytes + holes = size" "$size" \
                "$(( $(report_field "$report" bytes) + $(report_field "$report" hole_bytes) ))"
            case $name in
                hole-start|hole-end) eq "$fs/$s/$name: hole bytes" $((7 * 1048576)) "$(report_field "$report" hole_bytes)" ;;
                hole-middle) eq "$fs/$s/$name: hole bytes" $((6 * 1048576)) "$(report_field "$report" hole_bytes)" ;;
            esac
            rm -f "$out"
        done
    done
    # Forcing reflink where the filesystem cannot clone fails like GNU's --reflink=always.
    "$ZCP" --strategy=reflink "$SRC/in/dense-4096" "$dst/r" 2>"$WORK/err"
    eq "$fs/reflink forced: exit status" 1 "$?"
    check "$fs/reflink forced: message" grep -q "failed to clone '$dst/r' from '$SRC/in/dense-4096'" "$WORK/err"
    check "$fs/reflink forced: no file left" test ! -e "$dst/r"
done

# A holes-only file and a file whose last extent is a hole keep their size.
truncate -s 3M "$SRC/in/all-hole"
"$ZCP" "$SRC/in/all-hole" "$TMP/all-hole"
eq "all-hole: size" 3145728 "$(stat -c %s "$TMP/all-hole")"
eq "all-hole: no blocks" 0 "$(blocks "$TMP/all-hole")"

# procfs reports size 0: copy_file_range/sendfile/splice see nothing; the text still arrives.
"$ZCP" --report="$WORK/proc.json" /proc/self/mountinfo "$EXT/mountinfo"
check "procfs: text copied" grep -q " / " "$EXT/mountinfo"
# Which path takes over depends on the proc file (sendfile works for some seq files).
check "procfs: copy_file_range refused and recorded" grep -q '"fallbacks":\[{"strategy":"reflink".*{"strategy":"copy_file_range"' "$WORK/proc.json"
check "procfs: bytes reported" test "$(report_field "$WORK/proc.json" bytes)" -eq "$(stat -c %s "$EXT/mountinfo")"
"$ZCP" --strategy=cfr /proc/self/mountinfo "$EXT/mountinfo2" 2>"$WORK/err"
eq "procfs forced cfr: refused" 1 "$?"
check "procfs forced cfr: message" grep -q "try --strategy=auto" "$WORK/err"

# Refusals that hold for a pair of filesystems are asked once per run, then remembered.
mkdir -p "$EXT/memo"; for i in 1 2 3 4 5; do head -c 5000 /dev/urandom > "$EXT/memo/f$i"; done
strace -f -e trace=ioctl,copy_file_range -o "$WORK/memo.trace" \
    "$ZCP" -R -j 1 --report="$WORK/memo.json" "$EXT/memo" "$TMP/memo"
eq "memo: FICLONE asked once for 5 files" 1 "$(grep -c FICLONE "$WORK/memo.trace")"
eq "memo: copy_file_range asked once for 5 files" 1 "$(grep -c 'copy_file_range(' "$WORK/memo.trace")"
eq "memo: the first file's fallbacks were asked, the others remembered" "0 4 4" "$(python3 -c '
import json, sys
files = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["type"] == "file"]
asked = sum(1 for f in files for b in f["fallbacks"] if not b.get("remembered"))
remembered = [f for f in files if all(b.get("remembered") for b in f["fallbacks"]) and len(f["fallbacks"]) == 2]
print(asked - 2, len(remembered), sum(1 for f in remembered if f["strategy"] == "sendfile"))' "$WORK/memo.json")"
rm -rf "$TMP/memo"

# --compare-strategies between ext4 and tmpfs: the table, and no copy left behind.
head -c 3000000 /dev/urandom > "$EXT/cmp"
"$ZCP" --compare-strategies=2 "$EXT/cmp" "$TMP" > "$WORK/cmp.out" 2>"$WORK/cmp.err"; st=$?
eq "compare: exit status" 0 "$st"
check "compare: header names both filesystems" grep -q "(3000000 bytes, ext4) -> '$TMP' (tmpfs), 2 runs each" "$WORK/cmp.out"
check "compare: copy_file_range refused with EXDEV" grep -qE "^copy_file_range +- +- +- +- +refused: EXDEV" "$WORK/cmp.out"
check "compare: reflink refused" grep -qE "^reflink +- .*refused: EX" "$WORK/cmp.out"
for s in sendfile splice read_write; do
    check "compare: $s measured" grep -qE "^$s +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+ +ok$" "$WORK/cmp.out"
done
check "compare: auto says what it took" grep -qE "^auto .* ok \(sendfile after reflink EX[A-Z]+, copy_file_range EXDEV\)$" "$WORK/cmp.out"
eq "compare: no copies left" "" "$(ls -A "$TMP" | grep zcp-compare)"
"$ZCP" --compare-strategies "$EXT/cmp" "$EXT/cmp" "$TMP" 2>"$WORK/cmp.err"; st=$?
eq "compare: one source only" "1 $ZCP: --compare-strategies takes one SOURCE file and a DIRECTORY" "$st $(cat "$WORK/cmp.err")"

# --atomic and --fsync on a real filesystem: a new inode takes the name, nothing else is left,
# and fsync reaches the file and then the directory.
printf 'old\n' > "$EXT/atom"; chmod 640 "$EXT/atom"; before=$(stat -c %i "$EXT/atom")
strace -e trace=fsync,renameat,rename -o "$WORK/atom.trace" "$ZCP" --atomic --fsync "$EXT/cmp" "$EXT/atom"
check "--atomic: content" cmp -s "$EXT/cmp" "$EXT/atom"
check "--atomic: a new inode" test "$before" != "$(stat -c %i "$EXT/atom")"
eq "--atomic: old mode kept" 640 "$(stat -c %a "$EXT/atom")"
eq "--atomic: no temporary left" "" "$(ls -A "$EXT" | grep '\.zcp-')"
eq "--atomic --fsync: fsync, rename, fsync" "fsync rename fsync" "$(grep -oE '^(fsync|renameat2?|rename)' "$WORK/atom.trace" | sed 's/renameat2\?/rename/' | tr '\n' ' ' | sed 's/ $//')"
finish

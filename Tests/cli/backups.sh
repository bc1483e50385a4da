#!/usr/bin/env bash
# Backups that finish and are provably right, on a loop-mounted ext4 image and a small tmpfs:
# --verify against xxhsum and strace, --partial on ENOSPC and SIGTERM, and --resume after
# SIGKILL (strace's fault injection kills zcp at an exact system call) of a 1 GiB file and of
# a 2,000-file -a tree, compared with a clean copy.
. "$(dirname "$0")/lib.sh"

M="$WORK/m"
mount_image "$M/ext4" ext4 6G || bad "mount ext4"
mount_tmpfs "$M/small" 48M || bad "mount tmpfs"
E="$M/ext4"

# killed_at SYSCALL N ARGS...: zcp is killed (SIGKILL) on entering its Nth SYSCALL.
killed_at() {
    local call=$1 n=$2; shift 2
    strace -f -qq -o /dev/null -e trace="$call" -e inject="$call:signal=SIGKILL:when=$n" "$ZCP" "$@" 2>/dev/null
}
# data_offsets LOG: the source offset of every copy_file_range call in an strace log.
data_offsets() { sed -nE 's/.*copy_file_range\([0-9]+, \[([0-9]+)\].*/\1/p' "$1"; }

# --- --verify -----------------------------------------------------------------------------
head -c 6000000 /dev/urandom > "$E/v"
truncate -s 64M "$E/sparse"
head -c 1048576 /dev/urandom | dd of="$E/sparse" bs=1M seek=20 conv=notrunc status=none
expected=$(xxhsum -H2 "$E/v" | cut -d' ' -f1)
for s in auto copy_file_range sendfile splice read_write; do
    "$ZCP" --verify --strategy=$s --report="$WORK/v.json" "$E/v" "$E/v.$s"
    eq "--verify $s: status" 0 "$?"
    eq "--verify $s: verdict" ok "$(report_field "$WORK/v.json" verify)"
    eq "--verify $s: the source's XXH3-128 (as xxhsum -H2)" "$expected" "$(report_field "$WORK/v.json" xxh3)"
    check "--verify $s: content" cmp -s "$E/v" "$E/v.$s"
done
sparse_sum=$(xxhsum -H2 "$E/sparse" | cut -d' ' -f1)
for s in copy_file_range read_write; do
    strace -f -qq -o "$WORK/hole.trace" -e trace=pread64,preadv2,read "$ZCP" --verify --strategy=$s \
        --report="$WORK/v.json" "$E/sparse" "$E/sparse.$s"
    eq "--verify sparse $s: digest" "$sparse_sum" "$(report_field "$WORK/v.json" xxh3)"
    read_bytes=$(sed -nE 's/^[0-9]+ +(pread64|preadv2)\(.* = ([0-9]+)$/\2/p' "$WORK/hole.trace" | awk "{s+=\$1} END {print s+0}")
    # The 1 MiB of data, read once from the source (or hashed on the way) and once from the copy.
    check "--verify sparse $s: holes are not read ($read_bytes bytes read)" test "${read_bytes:-0}" -le $((3 << 20))
    check "--verify sparse $s: holes kept" test "$(blocks "$E/sparse.$s")" -le $(( $(blocks "$E/sparse") + 64 ))
done
# A copy into a FIFO keeps nothing to read back: it is made, not verified (and not an error).
mkfifo "$E/fifo"
cat "$E/fifo" > "$WORK/fifo.out" &
"$ZCP" --verify --report="$WORK/f.json" "$E/v" "$E/fifo"
eq "--verify into a FIFO: status" 0 "$?"
wait
check "--verify into a FIFO: the data went through" cmp -s "$E/v" "$WORK/fifo.out"
eq "--verify into a FIFO: no verdict" "" "$(grep -o '"verify"' "$WORK/f.json")"
# Trees, threads, --atomic: every file verified, none left behind as a temporary.
python3 "$HERE/backuptree.py" "$E/vtree" 300 7
for j in 1 4; do
    "$ZCP" -a --verify --atomic -j $j --stats --report="$WORK/vt.json" "$E/vtree" "$E/vtree.$j" 2>"$WORK/vt.err"
    eq "--verify tree -j $j: status" 0 "$?"
    copies=$(find "$E/vtree" -type f -printf '%i\n' | sort -u | wc -l)  # other links are linked, not copied
    eq "--verify tree -j $j: every copy verified" "$copies" "$(grep '"type":"file"' "$WORK/vt.json" | grep -c '"verify":"ok"')"
    check "--verify tree -j $j: --stats counts them" grep -q "verified: $(grep -c '"verify":"ok"' "$WORK/vt.json"), mismatches: 0" "$WORK/vt.err"
    eq "--verify tree -j $j: same tree" "$(python3 "$HERE/treeprint.py" --times "$E/vtree")" "$(python3 "$HERE/treeprint.py" --times "$E/vtree.$j")"
    eq "--verify tree -j $j: no temporaries" "" "$(find "$E/vtree.$j" -name '.*.zcp-*')"
done

# --- --partial ----------------------------------------------------------------------------
head -c 80000000 /dev/urandom > "$E/p"
"$ZCP" --partial --report="$WORK/p.json" "$E/p" "$M/small/p" 2>"$WORK/p.err"
eq "--partial ENOSPC: status" 1 "$?"
kept=$(report_field "$WORK/p.json" partial)
eq "--partial ENOSPC: the kept file is exactly the bytes written" "$kept" "$(stat -c %s "$M/small/p")"
check "--partial ENOSPC: they are the source's first bytes" cmp -s -n "$kept" "$E/p" "$M/small/p"
check "--partial ENOSPC: says so" grep -q "kept partial '$M/small/p' ($kept of 80000000 bytes)" "$WORK/p.err"
rm -f "$M/small/p"
"$ZCP" "$E/p" "$M/small/p" 2>/dev/null
eq "without --partial: nothing is kept" "" "$(ls "$M/small")"
# SIGTERM in the middle (delivered on the 100th write of read_write): stopped, prefix kept.
strace -f -qq -o /dev/null -e trace=pwrite64 -e inject=pwrite64:signal=SIGTERM:when=100 \
    "$ZCP" --partial --strategy=read_write --report="$WORK/t.json" "$E/p" "$E/p.term" 2>"$WORK/t.err"
eq "--partial SIGTERM: status" 143 "$?"
kept=$(report_field "$WORK/t.json" partial)
eq "--partial SIGTERM: kept exactly the bytes written" "$kept" "$(stat -c %s "$E/p.term")"
check "--partial SIGTERM: a prefix of the source ($kept bytes)" cmp -s -n "$kept" "$E/p" "$E/p.term"
check "--partial SIGTERM: says so" grep -q "interrupted by SIGTERM; kept partial" "$WORK/t.err"
"$ZCP" --resume --report="$WORK/t.json" "$E/p" "$E/p.term"
eq "--partial then --resume: resumed where it stopped" "$kept" "$(report_field "$WORK/t.json" resumed_at)"
check "--partial then --resume: complete" cmp -s "$E/p" "$E/p.term"

# --- --resume of a 1 GiB file killed mid-way -----------------------------------------------
head -c $((1 << 30)) /dev/urandom > "$E/big"
for atomic in "" --atomic; do
    rm -f "$E/big.copy" "$E"/.big.copy.zcp-*
    killed_at copy_file_range 5 -a $atomic "$E/big" "$E/big.copy"
    left=$( (ls "$E"/.big.copy.zcp-* 2>/dev/null || echo "$E/big.copy") | head -1)
    size=$(stat -c %s "$left")
    eq "1 GiB ${atomic:-in place}: killed after 4 calls of 64 MiB" $((4 << 26)) "$size"
    strace -f -qq -o "$WORK/r.trace" -e trace=copy_file_range,pwrite64,sendfile,splice \
        "$ZCP" -a $atomic --resume --report="$WORK/r.json" "$E/big" "$E/big.copy"
    eq "1 GiB ${atomic:-in place}: resume status" 0 "$?"
    eq "1 GiB ${atomic:-in place}: resumed_at" "$size" "$(report_field "$WORK/r.json" resumed_at)"
    eq "1 GiB ${atomic:-in place}: no data call before the resume offset" "$size" "$(data_offsets "$WORK/r.trace" | sort -n | head -1)"
    check "1 GiB ${atomic:-in place}: content" cmp -s "$E/big" "$E/big.copy"
    eq "1 GiB ${atomic:-in place}: mtime" "$(stat -c %Y.%y "$E/big")" "$(stat -c %Y.%y "$E/big.copy")"
    eq "1 GiB ${atomic:-in place}: no temporary left" "" "$(ls "$E"/.big.copy.zcp-* 2>/dev/null)"
done
rm -f "$E/big.copy"

# --atomic temporaries left by a run killed after -a gave them the source's owner (made here
# as zcp makes them: with its mark naming the source): the largest is taken up, the other
# removed; a look-alike without the mark is not zcp's and stays.
mkdir -p "$E/own"
head -c 3000000 /dev/urandom > "$E/own/s"; chown 65534 "$E/own/s"
mark=$(stat -c %d:%i "$E/own/s")
head -c 1000000 "$E/own/s" > "$E/own/.c.zcp-abcdefghijkl"; chown 65534 "$E/own/.c.zcp-abcdefghijkl"
head -c 500000 "$E/own/s" > "$E/own/.c.zcp-abcdefghijkm"
setfattr -n user.zcp.temporary -v "$mark" "$E/own/.c.zcp-abcdefghijkl" "$E/own/.c.zcp-abcdefghijkm"
head -c 2000000 "$E/own/s" > "$E/own/.c.zcp-abcdefghijkn"
"$ZCP" -a --atomic --resume --report="$WORK/o.json" "$E/own/s" "$E/own/c"
eq "temporary owned by the source's owner: resumed" 1000000 "$(report_field "$WORK/o.json" resumed_at)"
check "temporary owned by the source's owner: content" cmp -s "$E/own/s" "$E/own/c"
eq "temporary owned by the source's owner: none of zcp's left, the unmarked one kept" \
    "$E/own/.c.zcp-abcdefghijkn" "$(ls "$E"/own/.c.zcp-* 2>/dev/null)"
eq "the copy does not keep the mark" "" "$(getfattr -d -m - "$E/own/c" 2>/dev/null | grep zcp)"

# A copy whose prefix differs by one byte is copied whole, and the report says why.
head -c 3000000 "$E/p" > "$E/q.copy"
printf '\x00' | dd of="$E/q.copy" bs=1 seek=1234567 conv=notrunc status=none
cp "$E/p" "$E/q"
"$ZCP" --resume --debug --report="$WORK/q.json" "$E/q" "$E/q.copy" > "$WORK/q.out"
eq "prefix differs: status" 0 "$?"
eq "prefix differs: copied whole" whole "$(report_field "$WORK/q.json" resume)"
check "prefix differs: the reason" grep -q "differ from the source" <<<"$(report_field "$WORK/q.json" resume_reason)"
check "prefix differs: --debug says so" grep -q "copied whole (the copy's first 3000000 bytes differ" "$WORK/q.out"
check "prefix differs: content" cmp -s "$E/q" "$E/q.copy"

# The trap of `cp -au` after a crash: a short copy newer than its source is skipped by -u,
# but --resume finishes it.
head -c 500000 "$E/p" > "$E/u.copy"
touch -d '2000-01-01' "$E/q"; touch "$E/u.copy"
"$ZCP" -au --resume --report="$WORK/u.json" "$E/q" "$E/u.copy"
check "-au --resume: a short newer copy is finished" cmp -s "$E/q" "$E/u.copy"
eq "-au --resume: resumed" 500000 "$(report_field "$WORK/u.json" resumed_at)"

# An --atomic copy killed after its rename, before its mark came off: complete, but marked as
# a temporary. --resume takes the mark off without opening it.
head -c 3000 /dev/urandom > "$E/mk"; "$ZCP" -p "$E/mk" "$E/mk.copy"
setfattr -n user.zcp.temporary -v 1:2 "$E/mk.copy"; ino=$(stat -c %i "$E/mk.copy")
strace -f -qq -o "$WORK/mk.trace" -e trace=openat "$ZCP" -p --resume "$E/mk" "$E/mk.copy"
eq "a complete copy still marked: the mark goes" "" "$(getfattr -d -m user.zcp "$E/mk.copy" 2>/dev/null)"
eq "a complete copy still marked: the same file" "$ino" "$(stat -c %i "$E/mk.copy")"
check "a complete copy still marked: not opened" bash -c "! grep -q mk.copy '$WORK/mk.trace'"

# --- --resume of a 2,000-file -a tree killed mid-way -----------------------------------------
python3 "$HERE/backuptree.py" "$E/tree" 2000 11
"$GNU_CP" -a "$E/tree" "$E/clean"
want=$(python3 "$HERE/treeprint.py" --times "$E/clean")
check "backup tree: GNU's clean copy is the source's tree" test "$want" == "$(python3 "$HERE/treeprint.py" --times "$E/tree")"
for atomic in "" --atomic; do
    for j in 1 4; do
        name="tree ${atomic:-in place} -j $j"
        rm -rf "$E/t"
        killed_at openat 300 -aT $atomic -j $j "$E/tree" "$E/t"
        check "$name: killed mid-way" test "$(find "$E/t" -type f | wc -l)" -lt 2000
        python3 - "$E/tree" "$E/t" > "$WORK/complete.list" <<'EOF'
import os, sys
src, dst = sys.argv[1], sys.argv[2]
for d, _, names in os.walk(dst):
    for n in names:
        p = os.path.join(d, n)
        s = os.path.join(src, os.path.relpath(p, dst))
        a, b = os.lstat(s), os.lstat(p)
        if os.path.isfile(p) and not os.path.islink(p) and a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns:
            print(n, b.st_ino)
EOF
        strace -f -qq -o "$WORK/t.trace" -e trace=openat,open \
            "$ZCP" -aT $atomic --resume -j $j --stats "$E/tree" "$E/t" 2>"$WORK/t.err"
        eq "$name: resume status" 0 "$?"
        eq "$name: identical to a clean copy" "$want" "$(python3 "$HERE/treeprint.py" --times "$E/t")"
        check "$name: some files were complete ($(wc -l < "$WORK/complete.list"))" test -s "$WORK/complete.list"
        untouched=yes
        while read -r leaf ino; do
            now=$(find "$E/t" -name "$leaf" -printf '%i\n' | head -1)
            [ "$now" == "$ino" ] || { untouched="$leaf: inode $ino became $now"; break; }
            grep -q "\"$leaf\"" "$WORK/t.trace" && { untouched="$leaf was opened"; break; }
        done < "$WORK/complete.list"
        eq "$name: complete files untouched (same inode, never opened)" yes "$untouched"
        eq "$name: no temporaries left" "" "$(find "$E/t" -name '.*.zcp-*')"
        check "$name: --stats counts complete files" grep -qE "complete: [1-9]" "$WORK/t.err"
    done
done
# A rerun over a complete tree reads nothing and finds every file complete.
strace -f -qq -o "$WORK/c.trace" -e trace=openat,copy_file_range,pwrite64,sendfile,splice,read,pread64 \
    "$ZCP" -aT --resume --report="$WORK/c.json" "$E/tree" "$E/t"
eq "complete tree: status" 0 "$?"
eq "complete tree: every file complete" "$(grep -c '"type":"file"' "$WORK/c.json")" "$(grep -c '"resume":"complete"' "$WORK/c.json")"
# (Calls before zcp first opens the tree are the dynamic loader's.)
eq "complete tree: no data calls" 0 "$(sed -n '/openat(.*tree"/,$p' "$WORK/c.trace" | grep -cE 'copy_file_range|pwrite64|sendfile|splice|pread64|[^a-z]read\(')"
finish

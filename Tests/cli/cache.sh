#!/usr/bin/env bash
# --nocache on real filesystems: after the copy neither file holds pages it did not hold
# before (fincore), for every strategy; pages of the source cached before stay cached; the
# report and --debug say what was done (RWF_DONTCACHE on ext4 for read_write, windows written
# back and dropped for the kernel paths, nothing on tmpfs, which is its own storage).
. "$(dirname "$0")/lib.sh"
command -v fincore >/dev/null || { bad "fincore (util-linux) is not installed"; finish; exit 1; }

E="$WORK/ext4"; M="$WORK/mem"
mount_image "$E" ext4 1G || { bad "mount ext4 image"; finish; exit 1; }
mount_tmpfs "$M" 512M || { bad "mount tmpfs"; finish; exit 1; }
MiB=1048576
head -c $((64 * MiB + 12345)) /dev/urandom > "$E/src"
cached() { fincore -n -b -o RES "$1" | tr -d ' '; }
uncache() { sync "$1"; dd if="$1" iflag=nocache count=0 status=none; }   # POSIX_FADV_DONTNEED on the file
field() { report_field "$WORK/r.json" "$1"; }

uncache "$E/src"
eq "the source starts uncached" 0 "$(cached "$E/src")"
for s in auto cfr sendfile splice rw; do
    rm -f "$E/out"; uncache "$E/src"
    "$ZCP" --nocache --strategy=$s --report="$WORK/r.json" "$E/src" "$E/out"
    check "$s: the source left uncached (<= 1 MiB)" test "$(cached "$E/src")" -le $MiB
    check "$s: the copy left uncached" test "$(cached "$E/out")" -le $MiB
    check "$s: content" cmp -s "$E/src" "$E/out"   # (reads both into the cache)
    case $s in
        rw) eq "$s: report: RWF_DONTCACHE" dontcache "$(field cache)" ;;
        *) eq "$s: report: written back and dropped" dropped "$(field cache)" ;;
    esac
done

# What was cached before stays cached: the first 24 MiB read beforehand.
ra_kb=$(cat "/sys/class/bdi/$(mountpoint -d "$E")/read_ahead_kb" 2>/dev/null || echo 128)
for s in cfr rw; do
    rm -f "$E/out"; uncache "$E/src"
    dd if="$E/src" of=/dev/null bs=1M count=24 status=none
    before=$(cached "$E/src")
    "$ZCP" --nocache --strategy=$s "$E/src" "$E/out"
    check "$s: pages cached before the copy stay cached" test "$(cached "$E/src")" -ge $((24 * MiB))
    after=$(cached "$E/src")
    # Pages still being read when their window is dropped cannot be dropped (the kernel skips
    # locked pages): at most the one readahead window under way at the end may stay, more of
    # it the slower the disk answers (under load). The bound is that window, not a timing.
    check "$s: and no more than were, but one readahead window ($before bytes before, $after after, window $((ra_kb * 1024)))" \
        test "$after" -le $((before + ra_kb * 1024 + 256 * 1024))
    check "$s: the copy left uncached" test "$(cached "$E/out")" -le $MiB
done

# Sparse: holes stay holes, no window is spent on them.
truncate -s 40M "$E/sparse"; head -c $((3 * MiB)) /dev/urandom | dd of="$E/sparse" bs=1M seek=20 conv=notrunc status=none
for s in auto rw; do
    rm -f "$E/sp-out"
    "$ZCP" --nocache --strategy=$s --report="$WORK/r.json" "$E/sparse" "$E/sp-out"
    check "sparse, $s: content" cmp -s "$E/sparse" "$E/sp-out"
    eq "sparse, $s: holes kept" $((37 * MiB)) "$(field hole_bytes)"
done

# tmpfs is the file itself: nothing to drop there.
cp "$E/src" "$M/src"
"$ZCP" --nocache --report="$WORK/r.json" "$M/src" "$M/out"
eq "tmpfs -> tmpfs: kept" kept "$(field cache)"
check "tmpfs -> tmpfs: content" cmp -s "$M/src" "$M/out"
rm -f "$M/out"; sync; uncache "$E/src"
"$ZCP" --nocache --strategy=rw --report="$WORK/r.json" "$E/src" "$M/out"
eq "ext4 -> tmpfs, rw: RWF_DONTCACHE reads (tmpfs refuses it for the writes)" dontcache "$(field cache)"
check "ext4 -> tmpfs, rw: the source left uncached" test "$(cached "$E/src")" -le $MiB
check "ext4 -> tmpfs, rw: content" cmp -s "$E/src" "$M/out"

# --debug and the report say it; without --nocache, neither does.
rm -f "$E/out"
out=$("$ZCP" --debug --nocache --strategy=cfr "$E/src" "$E/out")
check "--debug: cache: dropped" grep -q ", cache: dropped" <<<"$out"
rm -f "$E/out"
"$ZCP" --report="$WORK/r.json" "$E/src" "$E/out"
check "no cache key without --nocache" test "$(grep -c '"cache"' "$WORK/r.json")" -eq 0

# A tree with -j: every file dropped, every copy right.
mkdir -p "$E/tree/a" "$E/tree/b"
for i in $(seq 1 20); do head -c $((i * 100000)) /dev/urandom > "$E/tree/a/f$i"; cp "$E/tree/a/f$i" "$E/tree/b/g$i"; done
sync; for f in "$E"/tree/*/*; do uncache "$f"; done
"$ZCP" -r -j 4 --nocache "$E/tree" "$E/tree-out"
total=0; for f in "$E"/tree/*/* "$E"/tree-out/*/*; do total=$((total + $(cached "$f"))); done
check "tree -j 4: at most a page a file left cached ($total bytes)" test "$total" -le $((80 * 4096))
check "tree -j 4: content" diff -r "$E/tree" "$E/tree-out"

finish

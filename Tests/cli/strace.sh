#!/usr/bin/env bash
# The report must say what the kernel saw: run zcp under strace and compare, per strategy,
# the bytes the copy calls returned with the report's bytes_by_strategy and fallbacks.
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || { bad "strace is not installed"; finish; exit 1; }

mount_tmpfs "$WORK/tmpfs" 256M || { bad "mount tmpfs"; finish; exit 1; }
src="$WORK/src"; head -c 5000003 /dev/urandom > "$src"
truncate -s 6M "$WORK/sparse"; head -c 70000 /dev/urandom | dd of="$WORK/sparse" bs=4096 seek=300 conv=notrunc status=none

# sum_calls LOG SYSCALL: the sum of the non-negative return values of SYSCALL in an strace log
sum_calls() { awk -v c="$2" '$0 ~ "^"c"\\(" { n=$NF; if (n ~ /^[0-9]+$/) s+=n } END { print s+0 }' "$1"; }
errs() { grep -c "^$2(.*= -1 $3" "$1"; }

trace() { # trace NAME ARGS... SRC DST: zcp under strace, calls on SRC and DST only (not the
          # dynamic loader's); leaves $WORK/$NAME.log and .json
    local name=$1; shift
    local n=$#
    strace -qq -o "$WORK/$name.log" -P "${@:n-1:1}" -P "${@:n:1}" \
        -e trace=copy_file_range,sendfile,splice,pread64,pwrite64,ioctl \
        "$ZCP" --report="$WORK/$name.json" "$@"
}

for s in cfr sendfile splice rw; do
    trace "$s" --strategy=$s "$src" "$WORK/out-$s"
    log="$WORK/$s.log"
    case $s in
        cfr) eq "cfr: kernel bytes = report" "$(sum_calls "$log" copy_file_range)" "$(report_field "$WORK/$s.json" bytes_by_strategy.copy_file_range)" ;;
        sendfile) eq "sendfile: kernel bytes = report" "$(sum_calls "$log" sendfile)" "$(report_field "$WORK/$s.json" bytes_by_strategy.sendfile)" ;;
        splice) eq "splice: kernel bytes (in + out) = 2 x report" "$(sum_calls "$log" splice)" "$(( 2 * $(report_field "$WORK/$s.json" bytes_by_strategy.splice) ))" ;;
        rw) eq "rw: kernel bytes = report" "$(sum_calls "$log" pwrite64)" "$(report_field "$WORK/$s.json" bytes_by_strategy.read_write)"
            eq "rw: bytes read = bytes written" "$(sum_calls "$log" pread64)" "$(sum_calls "$log" pwrite64)" ;;
    esac
    check "$s: content" cmp -s "$src" "$WORK/out-$s"
    eq "$s: no other copy call moved bytes" 5000003 "$(( $(sum_calls "$log" copy_file_range) + $(sum_calls "$log" sendfile) + $(sum_calls "$log" splice) / 2 + $(sum_calls "$log" pwrite64) ))"
done

# auto into tmpfs: FICLONE refused, copy_file_range refused with EXDEV at 0, sendfile moved all.
trace auto "$src" "$WORK/tmpfs/out"
log="$WORK/auto.log"
eq "auto->tmpfs: FICLONE refused once" 1 "$(grep -c 'ioctl(.*FICLONE.*= -1' "$log")"
eq "auto->tmpfs: copy_file_range EXDEV once" 1 "$(errs "$log" copy_file_range EXDEV)"
eq "auto->tmpfs: copy_file_range moved nothing" 0 "$(sum_calls "$log" copy_file_range)"
eq "auto->tmpfs: sendfile bytes = report" "$(sum_calls "$log" sendfile)" "$(report_field "$WORK/auto.json" bytes_by_strategy.sendfile)"
eq "auto->tmpfs: report fallbacks" '[{"strategy": "reflink", "errno": "EXDEV", "offset": 0}, {"strategy": "copy_file_range", "errno": "EXDEV", "offset": 0}]' "$(report_field "$WORK/auto.json" fallbacks)"
check "auto->tmpfs: content" cmp -s "$src" "$WORK/tmpfs/out"

# Sparse: only the data extents are read; the report's bytes match the kernel's.
trace sparse --strategy=cfr "$WORK/sparse" "$WORK/sparse-out"
eq "sparse: kernel bytes = report" "$(sum_calls "$WORK/sparse.log" copy_file_range)" "$(report_field "$WORK/sparse.json" bytes)"
check "sparse: fewer bytes than the size" test "$(report_field "$WORK/sparse.json" bytes)" -lt 6291456
check "sparse: content" cmp -s "$WORK/sparse" "$WORK/sparse-out"

finish

#!/usr/bin/env bash
# valgrind memcheck finds no error in a copy: coreutils' copy-FMR case (a sparse file whose
# data lies past a hole), and -a trees (ACLs, xattrs, hard links, symlinks, sparse files)
# with -j 1 and -j 4. The binary is given to valgrind without its DWARF (valgrind 3.19 cannot
# read the DWARF 5 the toolchain writes); symbols stay.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
command -v valgrind >/dev/null || { bad "valgrind is not installed"; finish; exit 1; }
strip -g -o zcp "$ZCP"
memcheck() { valgrind --error-exitcode=99 --track-origins=yes -q ./zcp "$@" 2>>vg.log; }

# copy-FMR: 1 MiB of hole, then data.
truncate -s 1M fmr; printf 'x%.0s' $(seq 4096) >> fmr
memcheck fmr fmr.copy; eq "copy-FMR file: memcheck" 0 "$?"
check "copy-FMR file: content" cmp -s fmr fmr.copy
memcheck --sparse=always --strategy=read_write fmr fmr.rw; eq "copy-FMR file, --sparse=always read_write: memcheck" 0 "$?"
python3 "$HERE/backuptree.py" tree 60 5
for j in 1 4; do
    memcheck -a -j $j tree tree.$j; eq "-a tree -j $j: memcheck" 0 "$?"
    eq "-a tree -j $j: same tree" "$(python3 "$HERE/treeprint.py" --times tree)" "$(python3 "$HERE/treeprint.py" --times tree.$j)"
done
memcheck -a --atomic --verify --report=r.json -j 4 tree tree.v; eq "-a --atomic --verify --report -j 4: memcheck" 0 "$?"
[ -s vg.log ] && { echo "valgrind said:"; head -40 vg.log; }
finish

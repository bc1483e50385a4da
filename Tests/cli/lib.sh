# Shared helpers for zcp's command-line suites: assertions, scratch space, mounts that are
# always undone, and a GNU-vs-zcp comparison. Sourced by each suite.
set -u
ZCP=$(readlink -f "${ZCP:?set ZCP to the zcp binary}")
GNU_CP=${GNU_CP:-/bin/cp}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PASS=0
FAIL=0
MOUNTS=()
WORK=$(mktemp -d "${TMPDIR:-/tmp}/zcp-cli.XXXXXX")

cleanup() {
    local m
    for ((i=${#MOUNTS[@]}-1; i>=0; i--)); do
        m=${MOUNTS[i]}
        mountpoint -q "$m" && { umount "$m" 2>/dev/null || umount -l "$m"; }
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok()   { PASS=$((PASS+1)); [ -n "${VERBOSE_TESTS:-}" ] && echo "ok   $*"; return 0; }
bad()  { FAIL=$((FAIL+1)); echo "FAIL $*"; return 0; }
check() { # check NAME COMMAND...: passes when the command succeeds
    local name=$1; shift
    if "$@"; then ok "$name"; else bad "$name"; fi
}
eq() { # eq NAME EXPECTED ACTUAL
    if [ "$2" == "$3" ]; then ok "$1"; else bad "$1: expected [$2], got [$3]"; fi
}

# mount_tmpfs DIR SIZE
mount_tmpfs() { mkdir -p "$1"; mount -t tmpfs -o "size=$2" tmpfs "$1" && MOUNTS+=("$1"); }
# mount_image DIR FSTYPE SIZE [mkfs options...]
mount_image() {
    local dir=$1 fs=$2 size=$3; shift 3
    local img="$WORK/$(basename "$dir").$fs.img"
    mkdir -p "$dir"
    truncate -s "$size" "$img"
    "mkfs.$fs" -q "$@" "$img" >/dev/null 2>&1 || { echo "mkfs.$fs failed"; return 1; }
    mount -o loop "$img" "$dir" && MOUNTS+=("$dir")
}

blocks() { stat -c %b "$1"; }
# report_field FILE KEY: the KEY of the last JSON line (python3 reads it)
report_field() {
    python3 -c 'import json,sys
lines=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
v=lines[-1]
for k in sys.argv[2].split("."): v=v[k]
print(json.dumps(v) if isinstance(v,(dict,list)) else v)' "$1" "$2"
}

# Runs GNU cp and zcp with the same arguments in two identical copies of a tree, then
# compares exit status, stdout, stderr (program name normalised) and the resulting trees.
# differ NAME SETUP_FUNCTION [--times] -- ARGS...
differ() {
    local name=$1 setup=$2; shift 2
    local times=""
    [ "$1" == "--times" ] && { times="--times"; shift; }
    [ "$1" == "--" ] && shift
    local g="${DIFF_DIR:-$WORK}/diff-gnu" z="${DIFF_DIR:-$WORK}/diff-zcp"
    rm -rf "$g" "$z"; mkdir -p "$g" "$z"
    (cd "$g" && $setup) && (cd "$z" && $setup)
    # Same timestamps for both sides, so preserved and fresh times compare alike.
    local gs zs
    (cd "$g" && "$GNU_CP" "$@" >"$WORK/g.out" 2>"$WORK/g.err"); gs=$?
    (cd "$z" && "$ZCP" ${ZCP_ARGS:-} "$@" >"$WORK/z.out" 2>"$WORK/z.err"); zs=$?
    sed -i -e "s|^$GNU_CP: |PROG: |" -e "s|Try '$GNU_CP --help'|Try 'PROG --help'|" "$WORK/g.err"
    sed -i -e "s|^$ZCP: |PROG: |" -e "s|Try '$ZCP --help'|Try 'PROG --help'|" "$WORK/z.err"
    eq "$name: exit status" "$gs" "$zs"
    if [ -n "${ZCP_STRICT_ORDER:-}" ]; then
        eq "$name: stdout" "$(cat "$WORK/g.out")" "$(cat "$WORK/z.out")"
        eq "$name: stderr" "$(cat "$WORK/g.err")" "$(cat "$WORK/z.err")"
    else
        # Deliberate: with several copying threads (zcp's default for -R on a multi-core
        # machine), -v lines and messages come in the order files finish, each line whole.
        # Scripts/test also runs this suite with -j 1 and ZCP_STRICT_ORDER=1 for GNU's order.
        eq "$name: stdout" "$(sort "$WORK/g.out")" "$(sort "$WORK/z.out")"
        eq "$name: stderr" "$(sort "$WORK/g.err")" "$(sort "$WORK/z.err")"
    fi
    eq "$name: tree" "$(python3 "$HERE/treeprint.py" $times "$g")" "$(python3 "$HERE/treeprint.py" $times "$z")"
}

finish() {
    echo "$(basename "$0" .sh): $PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
}

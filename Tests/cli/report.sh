#!/usr/bin/env bash
# man/zcp-report.5 and the report agree: the page renders; every key the code can write is
# documented there; every documented key (nested ones as "fallbacks.errno" etc.) is written by
# some test: the command-line cases below, and the unit tests whose reports hold what only an
# injected fault gives (a copy changed after it was written, a source changed while read, a
# kernel path that sees no data at offset 0), run here with ZCP_REPORT_LOG set.
. "$(dirname "$0")/lib.sh"
REPO=$(cd "$HERE/../.." && pwd)
PAGE="$REPO/man/zcp-report.5"
export LC_ALL=C

# The page renders, without warnings, and zcp(1) points to it.
check "man -l renders zcp-report.5" test "$(man -l "$PAGE" 2>/dev/null | grep -c 'JSON-lines report')" -ge 1
eq "groff: no warnings" "" "$(groff -man -ww -z "$PAGE" 2>&1)"
check "zcp.1 points to zcp-report(5)" grep -q 'zcp-report (5)' "$REPO/man/zcp.1"

# What the page documents: ".TP/.B key" under KEYS, and under each ".SS" of NESTED OBJECTS.
documented=$(awk '
    /^\.SH / { section = $2; part = ""; next }
    /^\.SS / { part = $2; next }
    /^\.TP/ { item = 1; next }
    item && /^\.B / { key = $2
        if (section == "KEYS") print key
        else if (section == "NESTED" && part != "") print part "." key
        item = 0; next }
    { item = 0 }' "$PAGE" | sort -u)
check "the page documents keys" test "$(wc -l <<<"$documented")" -gt 30

# What the code can write: the key literals of the JSON writer, the metadata attributes and
# the strategies (the keys of bytes_by_strategy).
code_keys=$( { grep -oE '\\"[a-z_0-9]+\\":' "$REPO/Sources/ZcpCore/Report/JSON.swift" | tr -d '\\":'
               grep -ohE '(note|keep)\("[a-z_]+"' "$REPO"/Sources/ZcpCore/Metadata/*.swift | sed -E 's/.*\("//; s/"$//'
               "$ZCP" --help | grep -oE 'reflink, *$|copy_file_range|sendfile|splice|read_write' | tr -d ', '
               echo reflink; } | sort -u)
flat_documented=$(sed 's/.*\.//' <<<"$documented" | sort -u)
undocumented=$(comm -23 <(echo "$code_keys") <(echo "$flat_documented"))
eq "every key in the code is documented" "" "$undocumented"

# Reports from the command line ...
LOG="$WORK/all.jsonl"; : > "$LOG"
R() { "$ZCP" --report="$WORK/r.json" "$@"; cat "$WORK/r.json" >> "$LOG"; }
S="$WORK/s"; mkdir -p "$S/src/d"
printf 'hello\n' > "$S/src/d/f"; ln -s f "$S/src/d/l"; mkfifo "$S/src/p"
truncate -s 1M "$S/src/sparse"; printf x >> "$S/src/sparse"
setfattr -n user.k -v v "$S/src/d/f" 2>/dev/null
R -a "$S/src" "$S/a"                                          # every type, metadata, fallbacks
R -a --strategy=copy_file_range,read_write "$S/src" "$S/b"    # remembered refusals
printf 'old\n' > "$S/old"; R -b "$S/src/d/f" "$S/old"         # backup
R --verify "$S/src/d/f" "$S/v"                                # verify, xxh3
R --nocache "$S/src/d/f" "$S/nc"                              # cache
head -c 3000000 /dev/urandom > "$S/big"
head -c 1000000 "$S/big" > "$S/pre"; R --resume "$S/big" "$S/pre"          # resumed
head -c 1000000 /dev/urandom > "$S/other"; R --resume "$S/big" "$S/other"  # whole, reason
cp -p "$S/big" "$S/done"; R -p --resume "$S/big" "$S/done"                 # complete
mount_tmpfs "$WORK/small" 1M && { R --partial "$S/big" "$WORK/small/big"; true; }  # error, errno, offset, partial
R "$S/missing" "$S/x" 2>/dev/null                              # error without an offset
bad_name=$(printf 'g\377h'); printf 'old\n' > "$S/$bad_name.copy"
R -b "$S/src/d/f" "$S/$bad_name.copy"                          # source/dest/backup_hex

# The failing system call a report names is the one strace saw fail with that errno.
if mountpoint -q "$WORK/small"; then
    for s in copy_file_range read_write splice; do
        rm -f "$WORK/small/"*
        strace -f -qq -o "$WORK/fail.trace" "$ZCP" --strategy=$s --report="$WORK/f.json" "$S/big" "$WORK/small/big" 2>/dev/null
        call=$(report_field "$WORK/f.json" syscall); errno=$(report_field "$WORK/f.json" errno)
        check "$s: the report's syscall ($call) failed with its errno ($errno) under strace" \
            grep -qE "^[0-9]+ +$call\(.* = -1 $errno" "$WORK/fail.trace"
    done
fi
rm -f "$S/missing-dir/x"; R "$S/missing-dir/f" "$S/y" 2>/dev/null
eq "a missing source: the call that said so" stat "$(report_field "$WORK/r.json" syscall)"

# Names that are not UTF-8 keep their bytes: two that differ only there get different records,
# each of which names its file exactly (the _hex keys), and strict parsers read every line.
printf 1 > "$S/$(printf 'g\377h')"; printf 2 > "$S/$(printf 'g\376h')"; mkdir "$S/hex"
"$ZCP" --report="$WORK/hex.json" "$S/$(printf 'g\377h')" "$S/$(printf 'g\376h')" "$S/hex/"
check "non-UTF-8 names: every name back to its bytes, each file once" python3 - "$WORK/hex.json" "$S" <<'PY'
import json, os, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
names = sorted(bytes.fromhex(r["source_hex"]) for r in lines)
assert names == sorted(os.fsencode(sys.argv[2]) + b"/g" + bytes([b]) + b"h" for b in (0xff, 0xfe)), names
for r in lines:
    assert os.path.exists(bytes.fromhex(r["dest_hex"])), r
    assert "\ufffd" in r["source"]
PY
if command -v jq >/dev/null; then check "non-UTF-8 names: jq reads the report" jq -e . "$WORK/hex.json"; fi
cat "$WORK/hex.json" >> "$LOG"

# Snapshots and manifests: a linked, a copied (with its reason) and a reflinked file (the
# reflink decision is made on any filesystem; where it cannot clone, the copy says why).
mkdir -p "$S/snap-src" && echo same > "$S/snap-src/same" && echo old > "$S/snap-src/changed"
"$ZCP" -a "$S/snap-src/." "$S/snap-old" && echo new > "$S/snap-src/changed"
"$ZCP" -a --link-dest=../snap-old --manifest="$WORK/m" --report="$WORK/snap.json" "$S/snap-src/." "$S/snap-new"
"$ZCP" -a --reflink-dest=../snap-old --report="$WORK/snap2.json" "$S/snap-src/." "$S/snap-new2"
check "snapshot records" grep -q '"snapshot_reason"' "$WORK/snap.json"
cat "$WORK/snap.json" "$WORK/snap2.json" >> "$LOG"

# ... and from the unit tests that inject what the command line cannot.
: > "$WORK/unit.jsonl"
if (cd "$REPO" && ZCP_REPORT_LOG="$WORK/unit.jsonl" swift test --filter 'VerifyTests|FaultTests|FallbackTests' >"$WORK/unit.log" 2>&1); then
    ok "unit tests with ZCP_REPORT_LOG"
else
    bad "unit tests with ZCP_REPORT_LOG: $(grep -E ': error: |Test Case .* failed' "$WORK/unit.log" | head -3)"
fi
cat "$WORK/unit.jsonl" >> "$LOG"

emitted=$(python3 - "$LOG" <<'EOF'
import json, sys
keys = set()
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    o = json.loads(line)
    for k, v in o.items():
        keys.add(k)
        if isinstance(v, dict):
            keys.update(f"{k}.{n}" for n in v)
        elif isinstance(v, list):
            keys.update(f"{k}.{n}" for e in v if isinstance(e, dict) for n in e)
print("\n".join(sorted(keys)))
EOF
)
eq "every documented key is written by some test" "" "$(comm -23 <(echo "$documented") <(echo "$emitted"))"
eq "every key written is documented" "" "$(comm -13 <(echo "$documented") <(echo "$emitted"))"

# The examples on the page are valid JSON lines of the documented keys.
examples=$(awk '/^\.ft CW/ { on = 1; buf = ""; next } /^\.ft$/ { if (buf ~ /^\{/) print buf; on = 0; next }
               on { sub(/^ /, ""); buf = buf $0 }' "$PAGE")
check "the page has examples" test "$(wc -l <<<"$examples")" -ge 3
while IFS= read -r ex; do
    check "example parses: ${ex:0:40}..." python3 -c 'import json,sys; json.loads(sys.argv[1])' "$ex"
done <<<"$examples"

finish

#!/usr/bin/env bash
# --help, the man page and the README name the same options.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$HERE/../.." && pwd)
man_text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIR]//g' "$ROOT/man/zcp.1")
for opt in $("$ZCP" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
    check "man page has $opt" grep -qF -- "$opt" <<<"$man_text"
    check "README has $opt" grep -qF -- "$opt" "$ROOT/README.md"
done
for opt in $("$ZCP" --help | grep -oE -- '^ +-[a-zA-Z]' | tr -d ' ' | sort -u); do
    check "man page has $opt" grep -qE -- "(^|[ ,])$opt([ ,]|$)" <<<"$man_text"
done
# The link order (Scripts/order-symbols) names only functions the binary has: a stale file
# places nothing and hides it; regenerate it after changes to the engine.
nm --defined-only "$ZCP" | awk '{print $3}' | sort -u > "$WORK/symbols"
stale=$(sort -u "$ROOT/Sources/zcp/link/order.txt" | comm -23 - "$WORK/symbols")
eq "link order names only functions the binary has" "" "$stale"
check "man page renders" bash -c "man -l '$ROOT/man/zcp.1' >/dev/null 2>&1"
finish

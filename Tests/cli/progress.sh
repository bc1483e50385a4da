#!/usr/bin/env bash
# --progress through a real pseudo-terminal (script(1)): drawn only on a terminal, erased
# before every -v line and message so that each stays whole, and never drawn into a file.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
mkdir t; head -c 3000000 /dev/urandom > t/a; mkfifo t/b
# The FIFO gets 1 MiB, then the rest only once the terminal shows a frame drawn during the
# stall (4.x MB, naming t/b): the test waits for that condition, not for a time (30 s at most).
feed() {
    ( head -c 1048576 /dev/zero
      for _ in $(seq 300); do
          [ -f typescript ] && grep -aq '4\.[0-9]* MB / .*t/b' typescript && break
          sleep 0.1
      done
      head -c 1048576 /dev/zero ) > t/b &
}

# On a terminal: stdout and stderr both go to the pty, as in an interactive shell.
feed
script -qfec "$ZCP -R -v -g --copy-contents -j 1 t u; $ZCP -g missing u2" /dev/null > typescript
wait
python3 - typescript <<'PY' > checks
import re, sys
raw = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
draws = re.findall(r"\r([^\r\n\x1b]*)\x1b\[K", raw)
frames = [d for d in draws if d]
print("frames", "yes" if frames else "no")
print("frame shape", "ok" if frames and all(re.match(r"[\d.]+ (B|kB|MB) / [\d.]+ (B|kB|MB)  \d+%  \d+/\d+ files  [\d.]+ (B|kB|MB)/s", f) for f in frames) else frames[:3])
print("mid-copy frame", "yes" if any(f.startswith("4.") and "t/b" in f for f in frames) else [f for f in frames][:5])
# Every line that is not a frame must start a terminal line: after \n, or right after an erase.
text = raw.replace("\r\n", "\n")
lines_ok = True
for m in re.finditer(r"'t[^\n]*' -> '[^\n]*'|zcp: [^\n]*|[^\n]*zcp: cannot stat[^\n]*", text):
    before = text[max(0, m.start() - 4):m.start()]
    if not (m.start() == 0 or before.endswith("\n") or before.endswith("\r\x1b[K")):
        lines_ok = False
print("lines whole", "yes" if lines_ok else "no")
print("v lines", len(re.findall(r"'t(/[ab])?' -> 'u(/[ab])?'", text)))
print("message", "yes" if re.search(r"cannot stat 'missing': No such file or directory", text) else "no")
PY
eq "progress: drawn on a terminal" "frames yes" "$(grep '^frames' checks)"
eq "progress: line shape (bytes / total, %, files, rate)" "frame shape ok" "$(grep '^frame shape' checks)"
eq "progress: a frame while the FIFO stalls (4.x MB, current file)" "mid-copy frame yes" "$(grep '^mid-copy' checks)"
eq "progress: -v lines and messages start their own line" "lines whole yes" "$(grep '^lines whole' checks)"
eq "progress: every -v line there" "v lines 3" "$(grep '^v lines' checks)"
eq "progress: the message there" "message yes" "$(grep '^message' checks)"

# Not a terminal: nothing but the -v lines.
rm -rf u typescript; ( head -c 2097152 /dev/zero > t/b ) &
"$ZCP" -R -v -g --copy-contents t u >out 2>err; st=$?; wait
eq "progress off a terminal: status" 0 "$st"
eq "progress off a terminal: stderr empty" "" "$(cat err)"
eq "progress off a terminal: stdout is the -v lines" "3" "$(grep -c " -> " out)"
check "progress off a terminal: no control characters" bash -c "! grep -q $'\x1b' out"
finish

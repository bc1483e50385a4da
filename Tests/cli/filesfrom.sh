#!/usr/bin/env bash
# --files-from and --from0: rsync's --files-from as the oracle, and zcp as the worker of the
# real engines: fpsync 1.5.1 with local jobs, an fpsync run killed and resumed, fpsync with
# SSH workers through an sshd of the test's own, and GNU parallel.
. "$(dirname "$0")/lib.sh"
cd "$WORK" || exit 1
# What this suite starts is stopped by its pid, also when it fails part way.
fp_pid=""; sshd_pid=""
trap '[ -n "$fp_pid" ] && kill -KILL -- -"$fp_pid" 2>/dev/null; [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null; cleanup' EXIT

# The same tree every time: names with spaces, newlines and quotes, nested directories,
# symlinks, empty directories, modes, a hard link.
mk_tree() {
    rm -rf "$1"; mkdir -p "$1/a/b/c" "$1/empty" "$1/e2/inner-empty" "$1/sp ace"
    local i
    for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
        head -c $((i * 700)) /dev/urandom > "$1/a/f$i"
        head -c $((i * 300)) /dev/urandom > "$1/a/b/g $i"
    done
    printf 'nl\n' > "$1/new"$'\n'"line"
    printf 'q\n' > "$1/sp ace/it's"
    printf 'deep\n' > "$1/a/b/c/deep"
    chmod 600 "$1/a/f3"; chmod 751 "$1/a/b"; chmod 1777 "$1/e2"
    ln -s f1 "$1/a/link"; ln -s ../nowhere "$1/a/dangling"
    ln "$1/a/f1" "$1/a/hard"
    touch -h -d '2001-02-03 04:05:06.789' "$1/a/link"
    find "$1" -depth -exec touch -h -d '2020-05-06 07:08:09.123456789' {} + 2>/dev/null
}
# The state compared: every entry's type, mode, size, content, link target, mtime (ns).
# (Not DEST itself: the engines make it before any job runs.)
state() { (cd "$1" && python3 "$HERE/treeprint.py" --times . | grep -v '^\. ' | sed 's/ link-group=[0-9]*//'); }
# The set of paths under a directory.
paths() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort); }

mk_tree src

# --files-from against rsync --files-from: the same set of paths copied, for newline and
# NUL lists, from a file and from standard input, with and without -r.
printf '%s\n' a/f1 ./a/b/g\ 2 /sp\ ace/it\'s a/b empty '# a comment' '' '; another' a/link > list.nl
printf '%s\0' a/f1 'a/b/g 2' 'new'$'\n''line' a/b/c empty e2 a/dangling > list.0
for variant in "nl:" "0:--from0" "nl:-r" "0:--from0 -r"; do
    list=list.${variant%%:*}; opts=${variant#*:}
    rm -rf r z
    # shellcheck disable=SC2086
    rsync -a $opts --files-from="$list" src/ r/ 2>/dev/null
    # shellcheck disable=SC2086
    "$ZCP" -a $opts --files-from="$list" src z 2>err; eq "rsync agrees ($list $opts): exit 0" 0 $?
    eq "rsync agrees ($list $opts): the same paths" "$(paths r)" "$(paths z)"
    check "rsync agrees ($list $opts): nothing on stderr" [ ! -s err ]
done
eq "a listed file's content and mode" "$(stat -c %a src/a/f1)$(sha256sum < src/a/f1)" "$(stat -c %a z/a/f1)$(sha256sum < z/a/f1)"
eq "a listed directory keeps its mode (-a)" 751 "$(stat -c %a z/a/b)"
eq "a directory on the way keeps its mtime (-a)" "$(stat -c %Y src/a)" "$(stat -c %Y z/a)"
rm -rf r z
rsync -a --files-from=- src/ r/ < list.nl; "$ZCP" -a --files-from=- src z < list.nl
eq "--files-from=- reads standard input" "$(paths r)" "$(paths z)"
# A missing name: GNU's message for it, the others copied, exit 1.
rm -rf z; printf 'a/f2\nnot-there\na/f4\n' > list.miss
"$ZCP" -p --files-from=list.miss src z 2>err; eq "a missing name: exit 1" 1 $?
eq "a missing name: GNU's message" "$(basename "$ZCP"): cannot stat 'src/not-there': No such file or directory" "$(sed "s|^$ZCP|$(basename "$ZCP")|" err)"
check "a missing name: the others are copied" [ -f z/a/f2 ] && check "a missing name: the last too" [ -f z/a/f4 ]
rm -rf r; rsync -a --files-from=list.miss src/ r/ 2>/dev/null
eq "a missing name: what rsync copies" "$(paths r)" "$(paths z)"
# --exclude applies to listed names; -j copies the list's files in parallel.
rm -rf z; printf 'a/f1\na/f2\na/b/g 3\n' > list.ex
"$ZCP" -a --exclude='f2' --files-from=list.ex src z; eq "--exclude leaves a listed name out" "./a ./a/b ./a/b/g 3 ./a/f1" "$(paths z | tr '\n' ' ' | sed 's/ $//')"
find src -type f ! -name $'*\n*' -printf '%P\n' > list.all
check "the list of every file (but the one with a newline)" [ "$(wc -l < list.all)" -eq 27 ]
for j in 1 4; do
    rm -rf "z$j"; "$ZCP" -a -j $j -d --files-from=list.all src "z$j"; eq "-j $j: exit 0" 0 $?
done
eq "-j 4 copies what -j 1 copies" "$(state z1)" "$(state z4)"
# With the other options: --link-dest against an earlier copy, --manifest, --report,
# --verify; --resume over a list copied in part.
rm -rf snapz lz; "$ZCP" -a -d --files-from=list.all src snapz
"$ZCP" -a -d --verify --link-dest=../snapz --manifest=lz.sha --manifest-hash=sha256 --report=lz.json \
    --files-from=list.all src lz; eq "with --link-dest, --manifest, --verify: exit 0" 0 $?
eq "with --link-dest: unchanged files are the earlier copy's" "$(stat -c %i snapz/a/f5)" "$(stat -c %i lz/a/f5)"
sha256sum -c --quiet lz.sha; eq "with --manifest: sha256sum -c checks it" 0 $?
eq "with --report: a record per listed file" "$(grep -c '"type":"file"' lz.json)" "$(grep -c . list.all)"
rm -rf rz; "$ZCP" -a -d --files-from=list.all src rz; rm rz/a/f2 rz/a/b/c/deep; truncate -s 100 rz/a/f9
"$ZCP" -a -d --resume --files-from=list.all src rz; eq "with --resume: exit 0" 0 $?
eq "with --resume: the same as a copy in one go" "$(state z1)" "$(state rz)"

# Usage errors, before anything is copied.
"$ZCP" --files-from=list.nl src src2 z 2>err; eq "two SOURCEs: exit 1" 1 $?
check "two SOURCEs: says why" grep -q "takes one SOURCE directory" err
"$ZCP" --files-from=list.nl -T src z 2>err; eq "-T: exit 1" 1 $?
"$ZCP" --files-from=list.nl src/a/f1 zf 2>err; eq "a SOURCE that is no directory: exit 1" 1 $?
check "a SOURCE that is no directory: says so" grep -q "is not a directory" err
check "nothing was made" [ ! -e zf ]
"$ZCP" --from0 src z 2>err; eq "--from0 alone: exit 1" 1 $?
"$ZCP" --files-from=nolist src z9 2>err; eq "a list that cannot be read: exit 1" 1 $?
check "a list that cannot be read: nothing made" [ ! -e z9 ]
printf '../etc/passwd\n' > list.up; "$ZCP" --files-from=list.up src z8 2>err; eq "a name above SOURCE: exit 1" 1 $?
check "a name above SOURCE: refused" grep -q "cannot go above SOURCE" err

# fpsync 1.5.1, rsync mode, with zcp as its tool: 8 jobs of at most 3 files each.
fpsync_ok() { # fpsync_ok NAME TMP DST: exit status was 0, DST equals SRC, every job's stderr empty
    eq "$1: DST equals SRC (content, modes, mtimes, symlinks, empty directories)" "$(state src)" "$(state "$3")"
    local logs; logs=$(find "$2" -name '*.stderr' | wc -l)
    check "$1: fpsync wrote job logs" [ "$logs" -gt 0 ]
    eq "$1: every job's stderr is empty" "" "$(find "$2" -name '*.stderr' -size +0 -exec cat {} +)"
}
mkdir -p fp-tmp fp-dst
fpsync -t "$WORK/fp-tmp" -n 8 -f 3 -m rsync -T "$ZCP" -o "-p" "$WORK/src/" "$WORK/fp-dst/" >fp.out 2>&1
eq "fpsync, local jobs: exit 0" 0 $?
fpsync_ok "fpsync, local jobs" "$WORK/fp-tmp" fp-dst
check "fpsync used several partitions" [ "$(find fp-tmp/parts -type f | wc -l)" -gt 4 ]

# An fpsync run killed part way (SIGKILL to its process group while one job is held), then
# taken up with fpsync -r RUNID.
mkdir -p gate fr-tmp fr-dst
cat > tool <<EOF
#!/bin/sh
# The first run's third job holds (until killed), once fpart has listed every partition (a
# run is resumable only then); after that, zcp itself.
if [ ! -e "$WORK/gate/open" ] && ! mkdir "$WORK/gate/1" 2>/dev/null && ! mkdir "$WORK/gate/2" 2>/dev/null; then
    until [ -n "\$(ls "$WORK"/fr-tmp/queue/*/fp_done "$WORK"/fr-tmp/work/*/fp_done 2>/dev/null)" ]; do sleep 0.05; done
    touch "$WORK/gate/held"
    exec sleep 86400
fi
exec "$ZCP" "\$@"
EOF
chmod +x tool
setsid fpsync -t "$WORK/fr-tmp" -n 2 -f 2 -m rsync -T "$WORK/tool" -o "-p" "$WORK/src/" "$WORK/fr-dst/" >fr.out 2>&1 &
fp_pid=$!
while [ ! -e gate/held ] && kill -0 $fp_pid 2>/dev/null; do sleep 0.05; done
check "resume: a job was held" [ -e gate/held ]
kill -KILL -- -$fp_pid 2>/dev/null; wait $fp_pid 2>/dev/null; fp_pid=""
runid=$(ls fr-tmp/queue)
check "resume: the run was left incomplete" [ "$(state src)" != "$(state fr-dst)" ]
touch gate/open
fpsync -t "$WORK/fr-tmp" -r "$runid" >fr2.out 2>&1; eq "resume: fpsync -r exits 0" 0 $?
fpsync_ok "fpsync killed and resumed" "$WORK/fr-tmp" fr-dst

# fpsync with two SSH workers (root@localhost, root@127.0.0.1) through an sshd the test
# starts: a free port, a throw-away host key, a key authorized for this test only, and an
# ssh found first on PATH that uses the test's own configuration. The machine's own ssh
# configuration is not touched; the sshd is stopped by its pid.
if [ "$(id -u)" -eq 0 ] && [ -x /usr/sbin/sshd ]; then
    mkdir -p ssh bin sh-tmp sh-shared sh-dst && chmod 700 ssh
    ssh-keygen -q -t ed25519 -N '' -f ssh/host_key && ssh-keygen -q -t ed25519 -N '' -f ssh/id
    cp ssh/id.pub ssh/authorized_keys
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat > ssh/sshd_config <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $WORK/ssh/host_key
AuthorizedKeysFile $WORK/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $WORK/ssh/sshd.pid
EOF
    cat > ssh/config <<EOF
Host localhost 127.0.0.1
    Port $port
    IdentityFile $WORK/ssh/id
    IdentitiesOnly yes
    UserKnownHostsFile /dev/null
    StrictHostKeyChecking no
    LogLevel ERROR
    BatchMode yes
EOF
    printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$WORK/ssh/config" > bin/ssh && chmod +x bin/ssh
    mkdir -p /run/sshd
    /usr/sbin/sshd -D -f "$WORK/ssh/sshd_config" -E "$WORK/ssh/sshd.log" &
    sshd_pid=$!
    for _ in $(seq 1 200); do bin/ssh root@127.0.0.1 true 2>/dev/null && break; sleep 0.05; done
    check "sshd: the test's key logs in" bin/ssh root@localhost true
    PATH="$WORK/bin:$PATH" fpsync -t "$WORK/sh-tmp" -d "$WORK/sh-shared" -n 4 -f 3 -m rsync -T "$ZCP" -o "-p" \
        -w 'root@localhost root@127.0.0.1' "$WORK/src/" "$WORK/sh-dst/" >sh.out 2>&1
    eq "fpsync, SSH workers: exit 0" 0 $?
    fpsync_ok "fpsync, SSH workers" "$WORK/sh-shared" sh-dst
    check "the workers logged in through the test's sshd" [ "$(grep -c 'Accepted publickey for root' "$WORK/ssh/sshd.log")" -ge 2 ]
    kill "$sshd_pid"; wait "$sshd_pid" 2>/dev/null; sshd_pid=""
else
    bad "fpsync over SSH needs root and sshd (openssh-server)"
fi

# GNU parallel hands zcp many names at once.
mkdir -p par-dst
(cd src && find . -type f -print0 | parallel --will-cite -0 -X -j 8 "$ZCP" --parents -p -t "$WORK/par-dst") 2>par.err
eq "GNU parallel: exit 0" 0 $?
check "GNU parallel: nothing on stderr" [ ! -s par.err ]
eq "GNU parallel: every file, its content, mode and mtime" \
    "$(cd src && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 stat -c '%n %a %s %Y' | sha256sum)" \
    "$(cd par-dst && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 stat -c '%n %a %s %Y' | sha256sum)"
eq "GNU parallel: the same data" "$(cd src && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 cat | sha256sum)" \
    "$(cd par-dst && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 cat | sha256sum)"

# Workers side by side make the same new parent directories: one that another made meanwhile
# is taken as found (GNU cp 9.1 says "cannot make directory: File exists" there). Eight at once,
# each with files of its own, 50 times, through --parents and through --files-from.
race() { # race MODE: the number of failed workers
    local fails=0 r k pids pid
    for r in $(seq 1 50); do
        rm -rf race-dst; mkdir race-dst
        pids=()
        for k in 1 2 3 4 5 6 7 8; do
            if [ "$1" == parents ]; then
                "$ZCP" --parents -p -t race-dst "src/a/b/g $k" "src/a/f$k" 2>>race.err &
            else
                printf 'a/b/g %s\0a/f%s\0a/b/c\0' "$k" "$k" | "$ZCP" -p -d --from0 --files-from=- src race-dst 2>>race.err &
            fi
            pids+=($!)
        done
        for pid in "${pids[@]}"; do wait "$pid" || fails=$((fails + 1)); done
    done
    echo "$fails"
}
: > race.err
eq "eight --parents workers at once: none fails" 0 "$(race parents)"
eq "eight --files-from workers at once: none fails" 0 "$(race list)"
eq "workers at once: nothing on stderr" "" "$(sort -u race.err)"

finish

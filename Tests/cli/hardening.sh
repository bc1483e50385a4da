#!/usr/bin/env bash
# Hardening: what another local user, or one odd file, could do to turn zcp against the user
# who runs it. The attacker is an unprivileged user (setpriv, uid nobody) who plants names,
# symlinks and files in a sticky, world-writable directory; zcp runs as root where that is
# the danger. A canary tree outside every destination must keep its checksums. Also: device,
# FIFO and socket destinations under --atomic, backups at NAME_MAX and with planted numbers,
# exabyte files and petabyte clones under -g, --stats and --report, second signals with
# hundreds of threads, pseudo-filesystem files, read-only copies for --resume and --verify,
# descriptor limits down to ulimit -n 5 and endless pattern files.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
chmod 755 "$WORK"
zerr() { sed -e "s|$ZCP: |zcp: |" "$1"; }
as_attacker() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
as_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }

# killed_at N ARGS...: zcp copies with read_write and is killed (SIGKILL) at its Nth pwrite.
killed_at() {
    local n=$1; shift
    strace -f -qq -o /dev/null -e trace=pwrite64 -e inject="pwrite64:signal=SIGKILL:when=$n" \
        "$ZCP" --strategy=read_write "$@" 2>/dev/null
}

# The canary: root's files that no attack may change.
mkdir canary
for i in 1 2 3; do echo "root's file $i" > canary/f$i; done
chmod 644 canary/*
sha256sum canary/* > canary.sums
# A sticky, world-writable directory shared with the attacker (as /tmp is).
mkdir shared && chmod 1777 shared
echo "source data" > src

# --- --compare-strategies' scratch copies ----------------------------------------------------
# The attacker plants a symlink at every name a scratch copy could have had under the old
# scheme (.zcp-compare-PID, with PID known before zcp starts) and at look-alikes.
mkfifo go
( read -r _ < go; exec "$ZCP" --compare-strategies=1 src shared >compare.out 2>&1 ) & pid=$!
as_attacker ln -s "$WORK/canary/f1" "shared/.zcp-compare-$pid"
as_attacker ln -s "$WORK/canary/f2" "shared/.zcp-compare"
echo > go; wait $pid; st=$?
eq "--compare-strategies beside planted symlinks: exit status" 0 "$st"
check "--compare-strategies: the symlink's target is untouched" sha256sum -c --quiet canary.sums
check "--compare-strategies: the planted symlink is still there (not ours to remove)" test -L "shared/.zcp-compare-$pid"
eq "--compare-strategies: no scratch copy left" "" "$(find shared -name '.zcp-compare-*' ! -type l)"
check "--compare-strategies: every strategy ran" grep -q "^read_write .* ok" compare.out

# --- Numbered backups with planted numbers -------------------------------------------------
setup_numbered() { echo 1 > a; echo 2 > b; touch 'b.~9223372036854775807~' 'b.~99999999999999999999999~' 'b.~007~'; }
differ "numbered backup past Int64 (planted)" setup_numbered -- --backup=numbered a b
setup_numbered2() { echo 1 > a; echo 2 > b; touch 'b.~9223372036854775807~'; }
differ "-b (existing) after a planted Int64.max" setup_numbered2 -- -b a b
setup_rb() { mkdir -p s d/s; echo 1 > s/x; echo 2 > s/y; echo old > d/s/x; echo old > d/s/y; touch 'd/s/x.~9223372036854775807~'; }
differ "-rb: a planted number does not stop the tree" setup_rb -- -r --backup=numbered s d

# --- Backup suffixes that are not one name component ---------------------------------------
setup_suffix() { echo new > a; echo old > c; mkdir cx; echo precious > cx/y; }
differ "-S with a slash falls back to ~" setup_suffix -- -b -S x/y a c
differ "-S /abs falls back to ~" setup_suffix -- -b -S /y a c
differ "SIMPLE_BACKUP_SUFFIX with a slash falls back to ~" setup_suffix -- --backup=simple a c
SIMPLE_BACKUP_SUFFIX=x/y differ "\$SIMPLE_BACKUP_SUFFIX=x/y" setup_suffix -- -b a c

# --- Names near NAME_MAX -------------------------------------------------------------------
name() { head -c "$1" /dev/zero | tr '\0' n; }
for len in 253 254 255; do
    eval "setup_long_$len() { echo new > a; echo old > \$(name $len); }"
    differ "-b onto a $len-byte name" "setup_long_$len" -- -b a "$(name $len)"
done
setup_long_num() { echo new > a; echo old > "$(name 250)"; }
differ "--backup=numbered onto a 250-byte name" setup_long_num -- --backup=numbered a "$(name 250)"
echo old > "$(name 255)"
"$ZCP" --atomic src "$(name 255)"; eq "--atomic onto a 255-byte name: exit status" 0 "$?"
eq "--atomic onto a 255-byte name: content" "source data" "$(cat "$(name 255)")"
eq "--atomic onto a 255-byte name: no temporary left" "" "$(find . -maxdepth 1 -name '.*.zcp-*')"
"$ZCP" --atomic -b src "$(name 255)"; eq "--atomic -b onto a 255-byte name: exit status" 0 "$?"
check "--atomic -b onto a 255-byte name: the backup" test -f "$(name 254 | head -c 253)~"
rm -f nnn*

# --- --atomic --resume and files that only look like its temporaries ------------------------
mkdir -p s d
echo "the real x" > s/x
echo "not a temporary" > d/.x.zcp-abcdefghijkl
"$ZCP" --atomic --resume s/x d/x; eq "look-alike beside the destination: exit status" 0 "$?"
eq "look-alike beside the destination: kept" "not a temporary" "$(cat d/.x.zcp-abcdefghijkl)"
eq "look-alike beside the destination: the copy" "the real x" "$(cat d/x)"
# A source file named like a temporary is data: a rerun keeps it, and the copy of x.
mkdir -p t
echo "x itself" > t/x
echo "a file named like a temporary" > t/.x.zcp-abcdefghijkl
"$ZCP" -a --atomic t tc && "$ZCP" -a --atomic --resume t/. tc/.; eq "tree with a look-alike, rerun: exit status" 0 "$?"
eq "tree with a look-alike, rerun: same tree" "$(python3 "$HERE/treeprint.py" --times t)" "$(python3 "$HERE/treeprint.py" --times tc)"
# One that is really ours (a temporary left by a killed run) is still taken up.
head -c 3000000 /dev/urandom > big
killed_at 5 --atomic big bigc
left=$(find . -maxdepth 1 -name '.bigc.zcp-*' | wc -l)
eq "a killed --atomic run leaves its temporary" 1 "$left"
"$ZCP" --atomic --resume --report=r.json big bigc; eq "--resume takes up its own temporary: exit status" 0 "$?"
eq "--resume takes up its own temporary: resumed" resumed "$(report_field r.json resume)"
check "--resume takes up its own temporary: content" cmp -s big bigc
eq "--resume: the mark does not stay on the copy" "" "$(getfattr -d -m - bigc 2>/dev/null | grep zcp)"

# --- --atomic onto devices, FIFOs and sockets ------------------------------------------------
mknod nul c 1 3
"$ZCP" --atomic src nul; eq "--atomic onto a character device: exit status" 0 "$?"
check "--atomic onto a character device: still one" test -c nul
mkfifo fifo
cat fifo > fifo.out & reader=$!
"$ZCP" --atomic src fifo; eq "--atomic onto a FIFO: exit status" 0 "$?"
[ -p fifo ] && : <> fifo || kill $reader  # a reader zcp never opened sees EOF; if replaced, it goes
wait $reader
check "--atomic onto a FIFO: still one" test -p fifo
eq "--atomic onto a FIFO: the data went through" "source data" "$(cat fifo.out)"
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' sock
"$ZCP" --atomic src sock 2>z.err; zs=$?
"$GNU_CP" src sock 2>g.err; gs=$?
eq "--atomic onto a socket: GNU's exit status" "$gs" "$zs"
eq "--atomic onto a socket: GNU's message" "$(sed "s|$GNU_CP: |zcp: |" g.err)" "$(zerr z.err)"
check "--atomic onto a socket: still one" test -S sock

# --- --atomic keeps the old name in place until the rename --------------------------------
# Killed in the middle of the copy, the destination is still there, whole and old.
head -c 5000000 /dev/urandom > new
for opts in "-b" "--remove-destination" "-a"; do
    rm -f dst dst~ dst-link; echo "old data" > dst; ln dst dst-link
    killed_at 5 --atomic $opts new dst
    eq "--atomic $opts killed mid-copy: the old destination is in place" "old data" "$(cat dst 2>&1)"
    rm -f .dst.zcp-*  # what the killed run left (--resume would take it up)
    "$ZCP" --atomic $opts new dst; eq "--atomic $opts: exit status" 0 "$?"
    check "--atomic $opts: the new data" cmp -s new dst
    eq "--atomic $opts: the other link keeps the old data" "old data" "$(cat dst-link)"
    [ "$opts" = "-b" ] && eq "--atomic -b: the backup" "old data" "$(cat dst~)"
    eq "--atomic $opts: no temporary left" "" "$(find . -maxdepth 1 -name '.dst*.zcp-*')"
done
# A failed copy takes back only the backup's link it made.
mount_tmpfs "$WORK/small" 1m
echo "old data" > small/dst
"$ZCP" --atomic -b new small/dst 2>/dev/null; eq "--atomic -b on ENOSPC: exit status" 1 "$?"
eq "--atomic -b on ENOSPC: the destination as it was" "old data" "$(cat small/dst)"
eq "--atomic -b on ENOSPC: no backup, no temporary" "dst" "$(ls -A small)"

# --- The temporary is never more open than the result --------------------------------------
echo secret > s600; chmod 600 s600; echo new > n644; chmod 644 n644
strace -f -qq -o atomic.trace -e trace=openat,linkat "$ZCP" --atomic n644 s600
mode=$(sed -nE 's/.*openat\(AT_FDCWD, "\.", .*O_TMPFILE.*, (0[0-7]+)\).*/\1/p' atomic.trace)
eq "--atomic over a 0600 file: the temporary is made 0600, without a name (O_TMPFILE)" 0600 "$mode"
check "--atomic over a 0600 file: then linked to an unpredictable name (linkat never replaces)" \
    grep -qE 'linkat\(AT_FDCWD, "/proc/self/fd/[0-9]+", AT_FDCWD, "\.s600\.zcp-[a-z2-7]{12}", AT_SYMLINK_FOLLOW\) = 0' atomic.trace
eq "--atomic over a 0600 file: stays 0600" 600 "$(stat -c %a s600)"

# --- Exabyte files and petabyte clones ------------------------------------------------------
mount_tmpfs "$WORK/huge" 16m
truncate -s 5E huge/a huge/b
mkdir huge/out
"$ZCP" --stats --report=r.json huge/a huge/b huge/out 2>stats.err; eq "two 5 EiB files --stats: exit status" 0 "$?"
check "two 5 EiB files --stats: the line" grep -q "zcp: 2 files, 0 bytes" <(zerr stats.err)
eq "two 5 EiB files: report bytes" 0 "$(report_field r.json bytes)"
eq "two 5 EiB files: report hole_bytes" 5764607523034234880 "$(report_field r.json hole_bytes)"
rm -f huge/out/*
script -qfec "$ZCP -g huge/a huge/b huge/out" /dev/null > typescript; eq "two 5 EiB files -g: exit status" 0 "$?"
check "two 5 EiB files -g: copied" test -f huge/out/b
# A stalled FIFO first: frames with 10 EiB to go and a time left are drawn.
rm -f huge/out/*; mkfifo huge/f
( printf x; for _ in $(seq 300); do grep -aq 'files' typescript2 2>/dev/null && break; sleep 0.1; done ) > huge/f &
script -qfec "$ZCP -g --copy-contents -j 1 huge/f huge/a huge/out" /dev/null > typescript2; eq "-g after a stalled FIFO, then 5 EiB: exit status" 0 "$?"
: <> huge/f  # a writer zcp never opened the FIFO for is let go
wait
check "-g after a stalled FIFO: frames were drawn" grep -aq 'files' typescript2
# Reflinks on btrfs: a 100 PiB sparse file clones at once.
mount_image "$WORK/btrfs" btrfs 1G || bad "mount btrfs"
B="$WORK/btrfs"
truncate -s 100P "$B/p"; head -c 65536 /dev/urandom | dd of="$B/p" bs=64k seek=1000 conv=notrunc status=none
script -qfec "$ZCP -g --reflink=always --report=$WORK/p.json $B/p $B/p2" /dev/null > typescript3; eq "100 PiB clone -g: exit status" 0 "$?"
bytes=$(report_field p.json bytes); holes=$(report_field p.json hole_bytes)
eq "100 PiB clone: bytes + hole_bytes = size" "$(stat -c %s "$B/p")" "$((bytes + holes))"
check "100 PiB clone: bytes are the shared data, not the size ($bytes)" test "$bytes" -le 1048576
truncate -s 5E "$B/e1" "$B/e2"; mkdir "$B/out"
"$ZCP" --reflink=always --stats "$B/e1" "$B/e2" "$B/out" 2>stats.err; eq "two 5 EiB clones --stats: exit status" 0 "$?"
check "two 5 EiB clones --stats: the line" grep -q "zcp: 2 files, 0 bytes.*reflink: 2" <(zerr stats.err)
# --reflink=always --resume onto a partial copy clones the whole file.
head -c 3000000 /dev/urandom > "$B/r"; head -c 1000000 "$B/r" > "$B/r2"
"$ZCP" --reflink=always --resume "$B/r" "$B/r2"; eq "--reflink=always --resume onto a partial copy: exit status" 0 "$?"
check "--reflink=always --resume: content" cmp -s "$B/r" "$B/r2"
# --sparse=always: zeros made holes are holes, not bytes.
head -c 1000000 /dev/urandom > z; head -c 3000000 /dev/zero >> z; head -c 1000000 /dev/urandom >> z
"$ZCP" --sparse=always --report=r.json z z2
eq "--sparse=always: bytes + hole_bytes = size" 5000000 "$(( $(report_field r.json bytes) + $(report_field r.json hole_bytes) ))"

# --- A second stop signal, with hundreds of threads ----------------------------------------
# Each copy_file_range is held 8 s by strace before it runs, so every copy's temporary exists;
# once more than 256 do (the old fixed table's size), SIGTERM and SIGINT come, both handled
# when the first thread is let go: the second one removes every temporary in flight and exits.
mkdir many; for i in $(seq 1 600); do echo "$i" > many/f$i; done
wait_for() { # wait_for COUNT DIR: until at least COUNT temporaries exist there (60 s at most)
    for _ in $(seq 600); do [ "$(find "$2" -name '.*.zcp-*' 2>/dev/null | wc -l)" -ge "$1" ] && return 0; sleep 0.1; done
    return 1
}
(ulimit -n 8192; exec strace -f -qq -o /dev/null -e trace=copy_file_range -e inject=copy_file_range:delay_enter=8000000 \
    "$ZCP" -r -j 600 --atomic many many2 2>/dev/null) & tracer=$!
check "-j 600: more than 256 copies in flight" wait_for 300 many2
zpid=$(pgrep -P $tracer -x zcp)
kill -TERM "$zpid"; kill -INT "$zpid"
wait $tracer
eq "-j 600, two signals: no temporary left" 0 "$(find many2 -name '.*.zcp-*' | wc -l)"
# Both signals handled on the thread that is making a temporary: its linkat has given the
# file a name, not yet registered (strace holds the call as it returns; killing strace lets
# it go at once, with the signals pending). The handler cannot wait for its own thread, so
# the removal is that thread's, once the name is registered.
mkdir mid; echo one > one
(exec strace -f -qq -o /dev/null -e trace=linkat -e inject=linkat:delay_exit=60000000 \
    sh -c '"$0" -j 1 --atomic one mid/one 2>/dev/null; echo $? > mid.rc' "$ZCP") & tracer=$!
check "mid-creation: the temporary has its name" wait_for 1 mid
zpid=$(pgrep -P "$(pgrep -P $tracer)" -x zcp)
kill -TERM "$zpid"; kill -INT "$zpid"; kill -KILL $tracer
{ wait $tracer; } 2>/dev/null
for _ in $(seq 600); do [ -s mid.rc ] && break; sleep 0.1; done
check "mid-creation, two signals: exit status 128 + the second ($(cat mid.rc))" grep -qx '130\|143' mid.rc
eq "mid-creation, two signals: no temporary left" "" "$(ls -A mid)"
# One signal under -j 8: only the files in flight are told as interrupted, not the queued ones.
(exec strace -f -qq -o /dev/null -e trace=copy_file_range -e inject=copy_file_range:delay_enter=3000000 \
    "$ZCP" -r -j 8 --atomic many many3 2>one.err) & tracer=$!
check "-j 8: copies in flight" wait_for 8 many3
kill -TERM "$(pgrep -P $tracer -x zcp)"
wait $tracer
n=$(grep -c interrupted one.err)
check "-j 8, one SIGTERM: at most the 8 files in flight are interrupted ($n)" test "$n" -le 8
eq "-j 8, one SIGTERM: no temporary left" 0 "$(find many3 -name '.*.zcp-*' | wc -l)"

# --- Pseudo-filesystems ---------------------------------------------------------------------
SYSF=/sys/kernel/mm/transparent_hugepage/enabled
[ -r $SYSF ] || SYSF=/sys/kernel/profiling
for s in auto sendfile splice read_write; do
    rm -f sysout
    "$ZCP" --strategy=$s --report=r.json $SYSF sysout; eq "sysfs file, $s: exit status (GNU's)" 0 "$?"
    eq "sysfs file, $s: content" "$(cat $SYSF)" "$(cat sysout)"
    eq "sysfs file, $s: not 'changed'" "" "$(grep -o source_changed r.json)"
done

# --- Permissions: an ordinary user's own read-only and write-only copies ---------------------
mkdir user && chown nobody:nogroup user
as_user sh -c 'head -c 3000000 /dev/urandom > user/ro && chmod 444 user/ro'
as_user bash -c "$(declare -f killed_at); ZCP=$ZCP killed_at 5 -a user/ro user/ro.copy"
check "a killed -a copy of a 0444 file leaves a partial copy" test -f user/ro.copy
as_user "$ZCP" -a --resume user/ro user/ro.copy; eq "non-root --resume of a read-only file: exit status" 0 "$?"
check "non-root --resume of a read-only file: content" cmp -s user/ro user/ro.copy
eq "non-root --resume of a read-only file: mode" 444 "$(stat -c %a user/ro.copy)"
as_user bash -c "$(declare -f killed_at); ZCP=$ZCP killed_at 5 -a --atomic user/ro user/ro.atomic"
as_user "$ZCP" -a --atomic --resume user/ro user/ro.atomic; eq "non-root --atomic --resume of a read-only file: exit status" 0 "$?"
check "non-root --atomic --resume of a read-only file: content" cmp -s user/ro user/ro.atomic
as_user sh -c 'echo old > user/wo && chmod 200 user/wo && echo new > user/n'
as_user "$ZCP" --verify user/n user/wo; eq "non-root --verify onto an own 0200 file: exit status (as cp)" 0 "$?"
eq "non-root --verify onto an own 0200 file: mode kept" 200 "$(stat -c %a user/wo)"
eq "non-root --verify onto an own 0200 file: content" new "$(cat user/wo)"
as_user sh -c 'echo ol > user/wo2 && chmod 200 user/wo2'
as_user "$ZCP" --resume user/n user/wo2; eq "non-root --resume onto an own 0200 file: exit status" 0 "$?"
eq "non-root --resume onto an own 0200 file: content" new "$(cat user/wo2)"

# --- Owner already right on a filesystem that refuses chown ---------------------------------
mkdir nochown-back nochown
if bindfs --chown-deny nochown-back nochown 2>/dev/null; then
    MOUNTS+=("$WORK/nochown")
    echo suid > suid; chmod 4755 suid
    "$ZCP" -a suid nochown/suid 2>chown.err; eq "-a onto a filesystem refusing chown, owner already right: exit status (GNU's)" 0 "$?"
    eq "-a onto a filesystem refusing chown: no message" "" "$(cat chown.err)"
    eq "-a onto a filesystem refusing chown: set-user-ID kept" 4755 "$(stat -c %a nochown/suid)"
else
    bad "bindfs --chown-deny mount"
fi

# --- Limits ---------------------------------------------------------------------------------
mkdir -p lim/a/b/c; for d in lim lim/a lim/a/b lim/a/b/c; do echo x > $d/f; echo y > $d/g; done
# 8 descriptors: directories held, one at a time; 5 to 7: walked by path, as GNU cp does.
for n in 5 6 7 8; do
    (ulimit -n $n; "$ZCP" -a lim lim$n 2>lim.err); eq "4-level tree -a under ulimit -n $n: exit status" 0 "$?"
    eq "4-level tree -a under ulimit -n $n: same tree" "$(python3 "$HERE/treeprint.py" --times lim)" "$(python3 "$HERE/treeprint.py" --times lim$n)"
    mkdir -p into$n; (ulimit -n $n; "$ZCP" -r lim into$n/); eq "into a directory under ulimit -n $n: exit status" 0 "$?"
    eq "into a directory under ulimit -n $n: same tree" "$(python3 "$HERE/treeprint.py" lim)" "$(python3 "$HERE/treeprint.py" into$n/lim)"
done
timeout 20 "$ZCP" --exclude-from=/dev/zero src ex 2>ex.err; eq "--exclude-from=/dev/zero: exit status" 1 "$?"
eq "--exclude-from=/dev/zero: message" "zcp: cannot read exclude patterns from '/dev/zero': a line is longer than 4096 bytes" "$(zerr ex.err)"

# --- --nocache and a sparse source ----------------------------------------------------------
mount_image "$WORK/e4" ext4 256M || bad "mount ext4"
E="$WORK/e4"
truncate -s 100M "$E/sparse"
for o in 5 30 60 90; do head -c 3145728 /dev/urandom | dd of="$E/sparse" bs=1M seek=$o conv=notrunc status=none; done
for s in auto read_write; do
    rm -f "$E/sp-out"; sync; dd if="$E/sparse" iflag=nocache count=0 status=none
    "$ZCP" --nocache --strategy=$s "$E/sparse" "$E/sp-out"
    res=$(fincore -n -b -o RES "$E/sparse" | tr -d ' ')
    check "--nocache, sparse source, $s: at most 1 MiB of it left cached ($res bytes)" test "$res" -le 1048576
    check "--nocache, sparse source, $s: content" cmp -s "$E/sparse" "$E/sp-out"
done

check "the canary tree is untouched" sha256sum -c --quiet canary.sums
finish

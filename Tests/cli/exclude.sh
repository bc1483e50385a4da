#!/usr/bin/env bash
# --exclude and --exclude-from have rsync's meaning: for each pattern case, `rsync -a
# --exclude ... src/ r/` and `zcp -a --exclude ... src z` must copy the same set of paths.
# Then what rsync has no counterpart for: operands are never excluded, --debug names what was
# left out and -v does not, bad patterns and unreadable files stop the run before anything is
# copied, and an excluded name is neither opened nor statted (strace).
. "$(dirname "$0")/lib.sh"
command -v rsync >/dev/null || { bad "rsync is not installed"; finish; exit 1; }

T="$WORK/t"
mkdir -p "$T" && cd "$T" || exit 1
mkdir -p src/node_modules/pkg src/build/sub/build src/docs/img src/dir1/foo src/x/y/z src/empty src/.git/objects
(cd src && touch a.txt b.tmp c.log .hidden README node_modules/pkg/index.js node_modules/x.tmp \
    build/out.o build/build build/sub/build/deep.o docs/a.txt docs/img/logo.png docs/img/build \
    foo dir1/foo/bar dir1/foo/baz.tmp "sp ace.txt" "br[ack]et" "star*name" "q?uest" x/y/z/file.c \
    x/y/file.c x/file.h file.c 1.txt 2.txt 10.txt Abc.TXT .git/config .git/objects/ab \
    && ln -s a.txt link && ln -s docs dirlink && ln -s nowhere dangling)

paths() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort); }

# same_as_rsync NAME ARGS...: the exclude arguments given to both
same_as_rsync() {
    local name=$1; shift
    rm -rf r z
    rsync -a "$@" src/ r/ 2>"$WORK/rsync.err" || { bad "$name: rsync failed: $(cat "$WORK/rsync.err")"; return; }
    "$ZCP" -a "$@" src z 2>"$WORK/zcp.err" || { bad "$name: zcp failed: $(cat "$WORK/zcp.err")"; return; }
    eq "$name" "$(paths r)" "$(paths z)"
}

cases=(
    '*.tmp' 'node_modules' 'node_modules/' 'build/' 'build' '/build' '/foo' 'foo' 'foo/'
    'dir1/foo' 'foo/bar' '/dir1/foo/bar' '*/foo' 'x/**/file.c' '**/file.c' '/**/file.c' 'x/**'
    '/x/y/**' '**.c' '**/build/**' '**/build' '?.txt' '[0-9].txt' '[!a]*.txt' '[^a-c]*' '*.[ch]'
    '[[:upper:]]*' '.*' 'sp ace.txt' 'br\[ack\]et' 'star\*name' 'q\?uest' 'q?uest' 'dir1/foo/***'
    'docs/***' '/build/***' '*' '**' 'img' 'link' 'dirlink/' 'dangling' 'sub/build/' '/x/y' 'y/z'
    'x/*/file.c' '*.TXT' 'a*' '*/' '[]a]*' '.git/' '/.git/objects' 'objects/'
)
for p in "${cases[@]}"; do
    same_as_rsync "--exclude=$p" --exclude="$p"
done
# Patterns are bytes, as names are: an invalid byte leaves out the name with that byte, not
# one with U+FFFD (what a lossy decoding of the pattern would match); from a file too.
touch "src/$(printf 'g\377h')" "src/$(printf 'g\357\277\275h')" "src/$(printf '\376x')"
same_as_rsync "--exclude with a byte that is not UTF-8" --exclude="$(printf 'g\377h')"
same_as_rsync "--exclude with a wildcard and such a byte" --exclude="$(printf '\376*')"
printf 'g\377h\n' > "$WORK/bytes.list"
same_as_rsync "--exclude-from with such a byte" --exclude-from="$WORK/bytes.list"
rm -f "src/$(printf 'g\377h')" "src/$(printf 'g\357\277\275h')" "src/$(printf '\376x')"
same_as_rsync "several --exclude" --exclude='*.tmp' --exclude=/docs --exclude='build/'
same_as_rsync "--exclude PATTERN (separate word)" --exclude '*.c'

printf '# build output\n*.o\n\n; editor files\n*.tmp\r\n/docs/\n' > "$WORK/list"
same_as_rsync "--exclude-from (comments, blank line, CRLF)" --exclude-from="$WORK/list"
rm -rf z; "$ZCP" -a --exclude-from=- src z < "$WORK/list"
rm -rf r; rsync -a --exclude-from="$WORK/list" src/ r/
eq "--exclude-from=- reads standard input" "$(paths r)" "$(paths z)"
check "at least 30 pattern cases against rsync" test "${#cases[@]}" -ge 30

# Operands are never excluded, however a pattern reads.
rm -rf z; mkdir z; "$ZCP" -r --exclude='*.txt' --exclude=src src/a.txt src z
check "an operand matching a pattern is copied" test -f z/a.txt
check "a directory operand matching a pattern is copied" test -d z/src
check "below it, the pattern applies" test ! -e z/src/a.txt
check "below it, the rest is copied" test -f z/src/c.log

# The anchor is the top of each operand.
rm -rf z; mkdir z; "$ZCP" -r --exclude=/y src/x z
check "/y anchored at the operand's top" test ! -e z/x/y
check "the operand's other entries" test -f z/x/file.h

# --debug says what it left out; -v does not.
rm -rf z
out=$("$ZCP" -r --debug --exclude='*.tmp' --exclude=node_modules src z)
check "--debug: excluded file" grep -qxF "excluded 'src/b.tmp'" <<<"$out"
check "--debug: excluded directory" grep -qxF "excluded 'src/node_modules'" <<<"$out"
check "--debug: nothing below an excluded directory" test "$(grep -c "node_modules/" <<<"$out")" -eq 0
rm -rf z
out=$("$ZCP" -rv --exclude='*.tmp' src z)
check "-v: silent about excluded files" test "$(grep -c "b.tmp" <<<"$out")" -eq 0
check "-v: the others listed" grep -qF "'src/c.log' -> 'z/c.log'" <<<"$out"

# Bad patterns and unreadable files: a message, status 1, nothing copied.
bad_pattern() { # bad_pattern NAME EXPECTED-MESSAGE ARGS...
    local name=$1 msg=$2; shift 2
    rm -rf z
    "$ZCP" -r "$@" src z 2>"$WORK/err"; local status=$?
    eq "$name: status" 1 "$status"
    eq "$name: message" "$msg" "$(cat "$WORK/err")"
    check "$name: nothing copied" test ! -e z
}
bad_pattern "unclosed [" "$ZCP: invalid exclude pattern '[ab': '[' without a closing ']'" --exclude='[ab'
bad_pattern "lone backslash" "$ZCP: invalid exclude pattern 'a\\': it ends in a lone '\\'" --exclude='a\'
bad_pattern "empty pattern" "$ZCP: invalid exclude pattern '': it matches nothing" --exclude=
bad_pattern "missing file" "$ZCP: cannot read exclude patterns from '$WORK/none': No such file or directory" \
    --exclude-from="$WORK/none"
printf '*.o\n[x\n' > "$WORK/badlist"
bad_pattern "bad line in a file" "$ZCP: invalid exclude pattern '[x' in '$WORK/badlist': '[' without a closing ']'" \
    --exclude-from="$WORK/badlist"
bad_pattern "a directory as the file" "$ZCP: cannot read exclude patterns from '$WORK': Is a directory" \
    --exclude-from="$WORK"

# The name alone decides: an excluded entry is not opened or statted. A directory-only
# pattern needs the type, which readdir gives here (ext4): still no call on the name.
if command -v strace >/dev/null; then
    rm -rf z
    strace -f -qq -o "$WORK/ex.log" -e trace=%file,%stat "$ZCP" -r --exclude='*.tmp' --exclude=node_modules \
        --exclude='build/' src z
    grep -v execve "$WORK/ex.log" > "$WORK/calls.log"
    check "strace: no call names an excluded file" test "$(grep -c 'b\.tmp\|x\.tmp\|baz\.tmp' "$WORK/calls.log")" -eq 0
    check "strace: no call names an excluded directory" test "$(grep -c 'node_modules' "$WORK/calls.log")" -eq 0
    check "strace: directory-only pattern, the directory not opened" \
        test "$(grep -c '"build", O_RDONLY|O_DIRECTORY' "$WORK/calls.log")" -eq 0
    check "strace: nothing below it reached" test "$(grep -c 'out\.o\|deep\.o' "$WORK/calls.log")" -eq 0
    check "strace: the file named like it, copied" test -f z/docs/img/build
    check "strace: other files are opened" grep -q 'a\.txt' "$WORK/ex.log"
fi

# With -j, --progress and -L: the same set as -j 1.
rm -rf z1 z4; "$ZCP" -r -j 1 --exclude='*.c' --exclude='docs/' src z1; "$ZCP" -r -j 4 --exclude='*.c' --exclude='docs/' src z4
eq "-j 4 excludes what -j 1 does" "$(paths z1)" "$(paths z4)"
rm -rf r z; rsync -a -L --exclude='docs/' --exclude=dangling src/ r/ 2>/dev/null; "$ZCP" -rL --exclude='docs/' --exclude=dangling src z
eq "-L: a symlink to an excluded directory is a directory" "$(paths r)" "$(paths z)"

cd /
finish

#!/usr/bin/env bash
# Release files (Scripts/package): two runs give byte-identical files; lintian finds no error
# in the .deb; the .deb installs with apt-get, puts every file where Debian puts it, copies,
# shows its man pages, completes in bash, and dpkg -r removes every file; the tarball's
# bin/zcp copies where it is unpacked; SHA256SUMS checks; the version is the CHANGELOG's.
. "$(dirname "$0")/lib.sh"
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
installed=""
uninstall() { [ -n "$installed" ] && dpkg -r zcp >/dev/null 2>&1; installed=""; }
trap 'uninstall; cleanup' EXIT

Scripts/package > "$WORK/first.out" 2>"$WORK/first.err"; eq "Scripts/package: exit status" 0 "$?"
version=$(sed -n 's/^zcp //p;q' <("$ZCP" --version))
arch=$(dpkg --print-architecture)
deb="dist/zcp_${version}_$arch.deb"; tgz="dist/zcp-$version-linux-$arch.tar.gz"
eq "the files it names" "$deb
$tgz
dist/SHA256SUMS" "$(cat "$WORK/first.out")"
eq "CHANGELOG.md's newest entry is zcp --version's" "$version" "$(sed -nE 's/^## ([^ ]+) .*/\1/p' CHANGELOG.md | head -1)"
check "SHA256SUMS checks" bash -c "cd dist && sha256sum -c --quiet SHA256SUMS"
mkdir "$WORK/first"; cp dist/* "$WORK/first/"
Scripts/package > /dev/null 2>&1; eq "second run: exit status" 0 "$?"
for f in "$deb" "$tgz" dist/SHA256SUMS; do
    check "reproducible: $(basename "$f") byte-identical" cmp -s "$f" "$WORK/first/$(basename "$f")"
done

# --- The .deb -------------------------------------------------------------------------------
eq "Section" utils "$(dpkg-deb -f "$deb" Section)"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libacl1 libxxhash0; do check "Depends names $lib ($depends)" grep -q "$lib" <<<"$depends"; done
# SHA-256 comes from libcrypto's static archive: start-up loads glibc, libacl and libxxhash
# only (the shared libcrypto took about 0.7 ms of every start-up to load and relocate).
eq "shared libraries the binary loads (besides the loader)" "libacl.so.1 libc.so.6 libm.so.6 libxxhash.so.0" \
    "$(readelf -d "$ZCP" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -v '^ld-linux' | sort | tr '\n' ' ' | sed 's/ $//')"
check "Depends does not name libssl ($depends)" bash -c "! grep -q libssl <<<'$depends'"
check "a real Description" test "$(dpkg-deb -f "$deb" Description | wc -l)" -gt 5
lintian --tag-display-limit 0 "$deb" > "$WORK/lintian.out" 2>&1
eq "lintian: no error" "" "$(grep '^E:' "$WORK/lintian.out")"
# (The one warning, hardening-no-pie, is deliberate: zcp is linked without PIE for start-up.)
eq "lintian: no warning but no-pie" "" "$(grep '^W:' "$WORK/lintian.out" | grep -v hardening-no-pie)"
files="/usr/bin/zcp /usr/share/man/man1/zcp.1.gz /usr/share/man/man5/zcp-report.5.gz
/usr/share/bash-completion/completions/zcp /usr/share/zsh/vendor-completions/_zcp
/usr/share/fish/vendor_completions.d/zcp.fish /usr/share/doc/zcp/copyright /usr/share/doc/zcp/changelog.gz"
eq "the .deb holds what it should, owned by root" "$(for f in $files; do echo "root/root .$f"; done | sort)" \
    "$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $2, $6}' | sort)"
if dpkg -s zcp >/dev/null 2>&1; then
    bad "zcp is installed as a package already: not touching it"
else
    installed=yes
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$deb" > "$WORK/apt.out" 2>&1
    eq "apt-get install ./$deb: exit status" 0 "$?"
    for f in $files; do check "installed: $f" test -f "$f"; done
    check "installed: /usr/bin/zcp is stripped" bash -c "! file /usr/bin/zcp | grep -q 'not stripped'"
    echo data > "$WORK/a"
    /usr/bin/zcp "$WORK/a" "$WORK/b"; eq "the installed zcp copies: exit status" 0 "$?"
    check "the installed zcp copies: content" cmp -s "$WORK/a" "$WORK/b"
    eq "man finds zcp-report(5)" /usr/share/man/man5/zcp-report.5.gz "$(man -w zcp-report 2>/dev/null)"
    check "the changelog names this version" bash -c "zcat /usr/share/doc/zcp/changelog.gz | head -1 | grep -q '^zcp ($version)'"
    mkdir -p "$WORK/shell"
    printf 'zcp --stra\n' | python3 "$HERE/shellpty.py" bash /usr "$WORK/shell" > "$WORK/bash.out" 2>"$WORK/bash.err"
    eq "bash completes 'zcp --stra' from the installed script" "zcp --strategy=" "$(cat "$WORK/bash.out")"
    dpkg -r zcp > /dev/null 2>&1; eq "dpkg -r zcp: exit status" 0 "$?"
    installed=""
    left=""; for f in $files; do [ -e "$f" ] && left="$left $f"; done
    eq "dpkg -r removes every file" "" "$left"
fi

# --- The tarball ----------------------------------------------------------------------------
mkdir "$WORK/unpack"
tar -xzf "$tgz" -C "$WORK/unpack"
top="$WORK/unpack/zcp-$version"
for f in bin/zcp share/man/man1/zcp.1.gz share/man/man5/zcp-report.5.gz share/bash-completion/completions/zcp \
         share/zsh/site-functions/_zcp share/fish/vendor_completions.d/zcp.fish LICENSE README.md INSTALL; do
    check "tarball: zcp-$version/$f" test -f "$top/$f"
done
eq "tarball: entries owned by 0:0" "0/0" "$(tar -tvzf "$tgz" --numeric-owner | awk '{print $2}' | sort -u)"
"$top/bin/zcp" "$WORK/a" "$WORK/c"; eq "tarball: bin/zcp copies where it is unpacked" 0 "$?"
check "tarball: content" cmp -s "$WORK/a" "$WORK/c"
check "LICENSE is the Apache License 2.0" grep -q "Apache License" LICENSE
finish

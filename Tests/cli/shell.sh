#!/usr/bin/env bash
# Completions: Scripts/install puts them where bash (bash-completion), zsh and fish look, they
# name exactly the options the parser takes (and --help lists), and Tab in each real shell, on
# a pseudo-terminal, completes option names, their values (lists after a comma too) and files.
. "$(dirname "$0")/lib.sh"
REPO=$(cd "$HERE/../.." && pwd)
for sh in bash zsh fish; do command -v $sh >/dev/null || { bad "$sh is not installed"; finish; exit 1; }; done
[ -f /usr/share/bash-completion/bash_completion ] || { bad "bash-completion is not installed"; finish; exit 1; }

P="$WORK/prefix"
(cd "$REPO" && PREFIX="$P" Scripts/install >"$WORK/install.log" 2>&1) || { bad "Scripts/install: $(tail -3 "$WORK/install.log")"; finish; exit 1; }
for f in bin/zcp share/man/man1/zcp.1 share/man/man5/zcp-report.5 share/bash-completion/completions/zcp \
         share/zsh/site-functions/_zcp share/fish/vendor_completions.d/zcp.fish; do
    check "installed: $f" test -s "$P/$f"
done
bash_file="$P/share/bash-completion/completions/zcp"
zsh_file="$P/share/zsh/site-functions/_zcp"
fish_file="$P/share/fish/vendor_completions.d/zcp.fish"

# One option table: --help, the parser and the three scripts name the same options.
export LC_ALL=C
help_longs=$("$ZCP" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sed 's/^--//' | sort -u)
help_shorts=$("$ZCP" --help | grep -oE -- '^ +-[a-zA-Z]\b|, -[a-zA-Z]\b' | grep -oE '[a-zA-Z]$' | sort -u)
bash_words=$(grep -oE -- "compgen -W '--archive[^']*'" "$bash_file" | sed 's/^compgen -W //' | tr " '" '\n\n')
bash_longs=$(grep -E '^--' <<<"$bash_words" | sed 's/^--//; s/=$//' | sort -u)
bash_shorts=$(grep -E '^-[a-zA-Z]$' <<<"$bash_words" | sed 's/^-//' | sort -u)
zsh_longs=$(grep -oE -- "--[a-z][a-z0-9-]+(=-?)?(\[|\})" "$zsh_file" | sed -E 's/^--//; s/(=-?)?(\[|\})$//' | sort -u)
zsh_shorts=$(grep -oE -- "^ *'-[a-zA-Z]\+?\[|\{-[a-zA-Z]\+?," "$zsh_file" | grep -oE '[a-zA-Z]' | sort -u)
fish_longs=$(grep '^complete -c zcp' "$fish_file" | grep -oE -- " -l [a-z0-9-]+" | sed 's/ -l //' | sort -u)
fish_shorts=$(grep '^complete -c zcp' "$fish_file" | grep -oE -- " -s [a-zA-Z]" | sed 's/ -s //' | sort -u)
check "bash: options found" test "$(wc -l <<<"$bash_longs")" -gt 40
eq "--help's long options = bash's" "$help_longs" "$bash_longs"
eq "--help's short options = bash's" "$help_shorts" "$bash_shorts"
eq "zsh: the same long options" "$bash_longs" "$zsh_longs"
eq "zsh: the same short options" "$bash_shorts" "$zsh_shorts"
eq "fish: the same long options" "$bash_longs" "$fish_longs"
eq "fish: the same short options" "$bash_shorts" "$fish_shorts"
# Each is one the parser takes (an option it did not know would end the run before --help).
for o in $bash_longs; do
    case $o in
        help|version) continue ;;
        jobs|compare-strategies) arg="=2" ;;
        strategy) arg="=auto" ;;
        sparse|reflink) arg="=auto" ;;
        update) arg="=all" ;;
        backup) arg="=simple" ;;
        preserve|no-preserve) arg="=mode" ;;
        report|exclude-from|target-directory|link-dest|reflink-dest|manifest|files-from) arg="=$WORK" ;;
        manifest-hash) arg="=sha256" ;;
        modify-window) arg="=1" ;;
        suffix|exclude|context) arg="=x" ;;
        *) arg="" ;;
    esac
    "$ZCP" "--$o$arg" --help >/dev/null 2>"$WORK/opt.err"
    eq "the parser takes --$o" "0 " "$? $(grep -v warning "$WORK/opt.err")"
done

# Tab in each shell. Each case: what is typed before Tab, and the line it must become
# (a trailing space or zsh's removable ',' after a finished list item aside).
W="$WORK/typing"; mkdir -p "$W/somedir" && touch "$W/Package.swift" "$W/README.md"
cases=(
    'zcp --stra|zcp --strategy='
    'zcp --strategy=co|zcp --strategy=copy_file_range'
    'zcp --strategy=sendfile,sp|zcp --strategy=sendfile,splice'
    'zcp --strategy=splice,read_write,se|zcp --strategy=splice,read_write,sendfile'
    'zcp --reflink=al|zcp --reflink=always'
    'zcp --sparse=ne|zcp --sparse=never'
    'zcp --update=none-|zcp --update=none-fail'
    'zcp --backup=numb|zcp --backup=numbered'
    'zcp --preserve=mode,own|zcp --preserve=mode,ownership'
    'zcp --no-preserve=xa|zcp --no-preserve=xattr'
    'zcp --verif|zcp --verify'
    'zcp --exclude-f|zcp --exclude-from='
    'zcp --target-d|zcp --target-directory='
    'zcp -j 3|zcp -j 32'
    'zcp --jobs=3|zcp --jobs=32'
    'zcp Pack|zcp Package.swift'
    'zcp -t som|zcp -t somedir/'
    'zcp -a READ|zcp -a README.md'
)
for sh in bash zsh fish; do
    printf '%s\n' "${cases[@]}" | cut -d'|' -f1 > "$WORK/typed"
    if ! python3 "$HERE/shellpty.py" "$sh" "$P" "$W" < "$WORK/typed" > "$WORK/$sh.out" 2>"$WORK/$sh.err"; then
        bad "$sh: the pseudo-terminal session failed: $(tail -2 "$WORK/$sh.err")"
        continue
    fi
    i=0
    while IFS= read -r got; do
        typed=${cases[i]%%|*}; want=${cases[i]#*|}
        trimmed=${got%" "}
        [ "$sh" = zsh ] && [[ $want != *= ]] && trimmed=${trimmed%,}
        eq "$sh: '$typed' + Tab" "$want" "$trimmed"
        [[ $want == *= ]] && eq "$sh: '$typed' + Tab: no space after '='" "$want" "$got"
        i=$((i + 1))
    done < "$WORK/$sh.out"
    eq "$sh: every case answered" "${#cases[@]}" "$i"
done

# zsh's ',' after a list item is removed by the next key, as zsh's suffixes are.
printf 'zcp --strategy=co\t \n' > "$WORK/typed"
if python3 "$HERE/shellpty.py" zsh "$P" "$W" < "$WORK/typed" > "$WORK/zsh2.out" 2>"$WORK/zsh2.err"; then
    eq "zsh: the ',' after a list item goes when a space is typed" "zcp --strategy=copy_file_range " "$(cat "$WORK/zsh2.out")"
else
    bad "zsh: the pseudo-terminal session failed: $(tail -2 "$WORK/zsh2.err")"
fi
finish

#!/usr/bin/env bash
# A bounded slice of the randomized differential tester (fuzz.py) with fixed seeds: random
# trees x random GNU option sets, as root and as an ordinary user, with -j 1, the default
# and -j 4, against GNU cp. A longer run is one command away:
#   ZCP=... python3 Tests/cli/fuzz.py --seeds 1-100 --cases 300
# The trees live on a tmpfs this suite mounts: -j 1 is compared in GNU's exact order, which
# walks directories in inode order, and a tmpfs numbers the two trees' inodes alike (ext4
# reuses the numbers of earlier cases' files, so two trees built one after the other may
# be numbered in different orders).
. "$(dirname "$0")/lib.sh"
chmod 755 "$WORK"   # the ordinary user's cases reach their trees through it
mount_tmpfs "$WORK/fuzz" 1G || { echo "cannot mount tmpfs"; exit 1; }
chmod 1777 "$WORK/fuzz"
TMPDIR="$WORK/fuzz" python3 "$HERE/fuzz.py" --zcp "$ZCP" --seeds "${FUZZ_SEEDS:-1-2}" --cases "${FUZZ_CASES:-200}"

#!/usr/bin/env bash
# A bounded slice of the randomized differential tester (fuzz.py) with fixed seeds: random
# trees x random GNU option sets, as root and as an ordinary user, with -j 1, the default
# and -j 4, against GNU cp. A longer run is one command away:
#   ZCP=... python3 Tests/cli/fuzz.py --seeds 1-100 --cases 300
set -u
ZCP=$(readlink -f "${ZCP:?set ZCP to the zcp binary}")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec python3 "$HERE/fuzz.py" --zcp "$ZCP" --seeds "${FUZZ_SEEDS:-1-2}" --cases "${FUZZ_CASES:-200}"

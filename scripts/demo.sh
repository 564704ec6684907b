#!/usr/bin/env bash
# The README's first command: installs what is missing (scripts/setup.sh), then runs the local
# demo. Extra arguments go to scripts/demo.ts (`--keep`: leave it running until Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --import tsx scripts/demo.ts "$@"

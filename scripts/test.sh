#!/usr/bin/env bash
# The whole test suite (the README's second command, and what .ci/run runs): install what is
# missing, typecheck both TypeScript projects (strict), lint, then every vitest project.
# Arguments go to vitest (e.g. `bash scripts/test.sh --project unit`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bin=node_modules/.bin
echo "== typecheck"
"$bin/tsc" --noEmit -p tsconfig.json
"$bin/tsc" --noEmit -p control-plane/tsconfig.json
"$bin/tsc" --noEmit -p control-plane/src/console/client/tsconfig.json
echo "== lint"
"$bin/biome" check .
echo "== tests"
"$bin/vitest" run "$@"

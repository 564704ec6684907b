#!/usr/bin/env bash
# The whole test suite: install what is missing, typecheck (strict), lint, then every vitest project.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== typecheck"
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p control-plane/tsconfig.json
echo "== lint"
npx biome check .
echo "== tests"
npx vitest run "$@"

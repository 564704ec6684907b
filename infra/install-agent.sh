#!/usr/bin/env bash
# Installs the bundled Rewind agent on a host, as root:
#
#   npm run build:agent                                   # on a build machine: dist/rewind.mjs
#   scp dist/rewind.mjs infra/install-agent.sh infra/systemd/rewind-agent.service root@host:/tmp/
#   ssh root@host bash /tmp/install-agent.sh /tmp/rewind.mjs
#
# (or, in a checkout on the host: sudo bash infra/install-agent.sh). It puts the bundle at
# /usr/local/lib/rewind/rewind.mjs with /usr/local/bin/rewind pointing at it, installs the systemd
# unit with this host's node in ExecStart, and starts (or restarts, after an upgrade) the agent when
# /etc/rewind/agent.json exists; otherwise it says to run `rewind agent enroll` first.
# REWIND_PREFIX, REWIND_UNIT_DIR, REWIND_CONFIG_DIR and REWIND_SYSTEMCTL=skip exist for tests.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bundle="${1:-$here/../dist/rewind.mjs}"
prefix="${REWIND_PREFIX:-/usr/local}"
unit_dir="${REWIND_UNIT_DIR:-/etc/systemd/system}"
config_dir="${REWIND_CONFIG_DIR:-/etc/rewind}"

fail() {
  echo "install-agent: $*" >&2
  exit 1
}

[[ -f "$bundle" ]] || fail "no bundle at $bundle: build it with \`npm run build:agent\`, or pass its path"
unit=""
for candidate in "$here/systemd/rewind-agent.service" "$here/rewind-agent.service"; do
  if [[ -f "$candidate" ]]; then
    unit="$candidate"
    break
  fi
done
[[ -n "$unit" ]] || fail "no rewind-agent.service beside this script (or in systemd/)"

node="$(command -v node || true)"
[[ -n "$node" ]] || fail "node is not installed: the agent needs Node.js 20 or newer"
"$node" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  fail "node $("$node" --version) is too old: the agent needs Node.js 20 or newer"

lib="$prefix/lib/rewind"
install -d -m 0755 "$lib" "$prefix/bin"
# Copy beside, then rename: a running agent keeps its old file until it restarts.
install -m 0755 "$bundle" "$lib/.rewind.mjs.new"
mv -f "$lib/.rewind.mjs.new" "$lib/rewind.mjs"
ln -sfn "$lib/rewind.mjs" "$prefix/bin/rewind"
version="$("$node" "$lib/rewind.mjs" --version)" || fail "the installed bundle does not run: $lib/rewind.mjs --version failed"

install -d -m 0700 "$config_dir"
install -d -m 0755 "$unit_dir"
sed "s#^ExecStart=.*#ExecStart=$node $lib/rewind.mjs agent run --config $config_dir/agent.json#" "$unit" >"$unit_dir/.rewind-agent.service.new"
chmod 0644 "$unit_dir/.rewind-agent.service.new"
mv -f "$unit_dir/.rewind-agent.service.new" "$unit_dir/rewind-agent.service"
echo "installed $version: $lib/rewind.mjs, $prefix/bin/rewind, $unit_dir/rewind-agent.service"

if [[ "${REWIND_SYSTEMCTL:-}" == "skip" ]] || ! command -v systemctl >/dev/null; then
  echo "systemd not used: start the agent with $prefix/bin/rewind agent run --config $config_dir/agent.json"
  exit 0
fi
systemctl daemon-reload
if [[ -f "$config_dir/agent.json" ]]; then
  systemctl enable rewind-agent >/dev/null
  # A rollback in progress is journaled and resumed by the new agent.
  systemctl restart rewind-agent
  echo "rewind-agent (re)started: journalctl -u rewind-agent -f"
else
  echo "next: rewind agent enroll --url https://URL --token-file - --host NAME --project-dir DIR (writes $config_dir/agent.json),"
  echo "      then: systemctl enable --now rewind-agent"
fi

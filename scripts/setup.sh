#!/usr/bin/env bash
# Installs what Rewind's demo and tests need on a Debian 12 machine, idempotently and quietly:
# the Debian packages, the npm packages, and a running Docker engine. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# docker.io: the engine; busybox-static: what the demo images are built from (no registry needed);
# postgresql: initdb/pg_ctl/pg_dump for throwaway clusters; chromium: the console tests; git: code revert;
# time: GNU time, which `npm run bench` uses to measure peak memory; sqlite3: a test rewrites Durable
# Objects' SQLite files as older code left them.
need_pkgs=()
for pkg in docker.io busybox-static postgresql chromium git time sqlite3; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_pkgs+=("$pkg")
done
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages (${need_pkgs[*]}); run as root or: sudo apt-get install -y ${need_pkgs[*]}" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# A Compose CLI: rollbacks of backups without recorded container configuration rebuild and start the
# project with it, and the demo runs on it. Debian's docker-compose (1.29) when no v2 plugin answers.
if ! docker compose version >/dev/null 2>&1 && ! docker-compose version >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: no Compose CLI; run as root or: sudo apt-get install -y docker-compose" >&2
    exit 1
  fi
  echo "setup: installing Debian's docker-compose"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq docker-compose >/dev/null
fi

# A node_modules that is a link (a git worktree sharing another checkout's install) is not ours to
# replace: `npm ci` would empty the shared directory under every other user of it.
if [ -L node_modules ]; then
  [ -f node_modules/.package-lock.json ] || { echo "setup: node_modules links to $(readlink node_modules), which has no install; run npm ci there" >&2; exit 1; }
elif [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

if ! docker info >/dev/null 2>&1; then
  echo "setup: starting dockerd"
  if [ -d /run/systemd/system ]; then
    systemctl start docker
  else
    nohup dockerd >/var/log/rewind-dockerd.log 2>&1 &
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start; see /var/log/rewind-dockerd.log" >&2; exit 1; }
fi

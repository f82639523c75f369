#!/usr/bin/env bash
# Make the Python side ready on a fresh machine: uv (cached per user), the .venv, pinned deps.
# Reuses what exists; re-syncs only when requirements-dev.txt or a workspace pyproject changed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${FITSHOP_CACHE:-$HOME/.cache/fitshop}
mkdir -p "$cache"

if command -v uv >/dev/null 2>&1; then
  uv=$(command -v uv)
elif [ -x "$cache/uv/bin/uv" ]; then
  uv=$cache/uv/bin/uv
else
  echo "bootstrap: installing uv into $cache/uv (first run only)"
  python3.11 -m venv "$cache/uv" 2>/dev/null || python3 -m venv "$cache/uv"
  "$cache/uv/bin/pip" install --quiet uv
  uv=$cache/uv/bin/uv
fi

cd "$repo"
stamp=.venv/.fitshop-synced
want=$(cat requirements-dev.txt services/*/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
[ -x .venv/bin/python ] || "$uv" venv --quiet --python 3.11 .venv
export VIRTUAL_ENV=$repo/.venv
# Exact versions and hashes; workspace packages editable on top, without touching the pins.
"$uv" pip sync --quiet --require-hashes requirements-dev.txt
editables=()
for p in services/*/pyproject.toml; do editables+=(-e "$(dirname "$p")"); done
"$uv" pip install --quiet --no-deps "${editables[@]}"
echo "$want" > "$stamp"
echo "bootstrap: .venv ready ($("$uv" --version))"

#!/usr/bin/env bash
# Print the path of a virtualenv holding the project's dependencies, creating or refreshing it
# when a pyproject.toml changes. It holds the product and, for development and tests only, the
# devtools (Kite simulator, local session runner). Cached outside the clone so CI and later runs
# reuse it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${ALPHA_PANDA_CACHE:-$HOME/.cache/alpha-panda}
venv=$cache/venv
stamp=$(cat "$top/pyproject.toml" "$top/devtools/pyproject.toml" | sha256sum | cut -c1-16)
mkdir -p "$cache"
exec 9>"$cache/.venv.lock"; flock 9   # parallel callers wait for one install
if [[ ! -f $venv/.stamp || $(cat "$venv/.stamp") != "$stamp" ]]; then
  echo "venv: installing dependencies into $venv" >&2
  [[ -x $venv/bin/python ]] || python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q -U pip >&2
  "$venv/bin/pip" install -q -e "$top[dev]" -e "$top/devtools" >&2
  echo "$stamp" >"$venv/.stamp"
fi
echo "$venv"

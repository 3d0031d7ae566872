#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install the pinned requirements; `setup.sh dev` adds test tools.
# Idempotent: re-installs only when a requirements file changed since the last run.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "需要 Python 3.11 或更高版本（当前：$("$PY" --version 2>&1 || echo 未找到)）" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi

req=requirements.txt
[ "${1:-}" = "dev" ] && req=requirements-dev.txt
stamp=".venv/.installed-$(basename "$req" .txt)"
digest=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$req"
  echo "$digest" > "$stamp"
fi

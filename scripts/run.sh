#!/usr/bin/env bash
# Set up and start the app on http://localhost:8501. When no database is configured
# (OVERSIGHT_DB_URL, or db_url in .streamlit/secrets.toml) and data/oversight.db does not exist
# yet, it is created first with the demo city, and the demo accounts' one-time passwords are
# printed here, before the server starts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -z "${OVERSIGHT_DB_URL:-}" ] && [ ! -e data/oversight.db ] \
   && ! grep -Eqs '^[[:space:]]*db_url[[:space:]]*=' .streamlit/secrets.toml; then
  echo "首次启动：生成演示数据 data/oversight.db（约一分钟）"
  .venv/bin/python -m dashboard demo --db sqlite:///data/oversight.db
fi
exec .venv/bin/streamlit run app.py "$@"

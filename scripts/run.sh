#!/usr/bin/env bash
# Set up and start the app on http://localhost:8501. The first start creates data/oversight.db
# with the demo city (OVERSIGHT_DB_URL points it elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/streamlit run app.py "$@"

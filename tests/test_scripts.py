"""scripts/run.sh as a newcomer meets it: the first start creates the demo store through the CLI
before the server starts (so the one-time passwords are printed in the terminal), and only when
no database is configured and the default file does not exist yet.

Run in a copy of the script with stand-ins for `.venv/bin/python` and `streamlit` that record how
they were called, so no server starts and nothing is installed."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RECORD = '#!/usr/bin/env bash\necho "$(basename "$0") $*" >> "$(dirname "$0")/../../calls.log"\n'


@pytest.fixture()
def checkout(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "run.sh", tmp_path / "scripts" / "run.sh")
    (tmp_path / "scripts" / "setup.sh").write_text("exit 0\n")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    for name in ("python", "streamlit"):
        stub = tmp_path / ".venv" / "bin" / name
        stub.write_text(RECORD)
        stub.chmod(0o755)
    return tmp_path


def start(checkout: Path, **env: str) -> list[str]:
    base = {k: v for k, v in os.environ.items() if k != "OVERSIGHT_DB_URL"}
    subprocess.run(["bash", "scripts/run.sh"], cwd=checkout, env={**base, **env}, check=True,
                   capture_output=True, timeout=60)
    return (checkout / "calls.log").read_text().splitlines()


def test_first_start_creates_the_demo_store_before_the_server(checkout):
    assert start(checkout) == ["python -m dashboard demo --db sqlite:///data/oversight.db", "streamlit run app.py"]


def test_an_existing_default_store_is_left_as_it_is(checkout):
    (checkout / "data").mkdir()
    (checkout / "data" / "oversight.db").write_bytes(b"")
    assert start(checkout) == ["streamlit run app.py"]


def test_a_database_set_in_the_environment_is_not_filled_by_the_script(checkout):
    assert start(checkout, OVERSIGHT_DB_URL="postgresql+psycopg://u@h/x") == ["streamlit run app.py"]


def test_a_database_set_in_the_secrets_is_not_filled_by_the_script(checkout):
    (checkout / ".streamlit").mkdir()
    (checkout / ".streamlit" / "secrets.toml").write_text('db_url = "postgresql+psycopg://u@h/x"\n')
    assert start(checkout) == ["streamlit run app.py"]

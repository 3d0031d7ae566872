"""The CLI contract of DESIGN.md: `summary --json` keys and values, and one-line failures."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.cli import main
from queries import store
from tests import fixtures as fx

ROOT = Path(__file__).resolve().parents[1]
MARCH = ["--from", "2024-03-01", "--to", "2024-03-31", "--as-of", "2024-03-31"]


@pytest.fixture()
def url(tmp_path):
    u = f"sqlite:///{tmp_path}/fx.db"
    store.replace_all(u, fx.tables(), None, dataset="ledger")
    return u


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_summary_json_is_the_hand_computed_summary(url, capsys):
    code, out, _ = run(capsys, "summary", "--db", url, *MARCH, "--json")
    got = json.loads(out)
    assert code == 0
    assert {k: got[k] for k in fx.MARCH_SUMMARY} == fx.MARCH_SUMMARY  # the 件/人 keys: tests/test_persons_cli.py


def test_summary_for_a_region_given_as_a_six_digit_code(url, capsys):
    code, out, _ = run(capsys, "summary", "--db", url, *MARCH, "--region", "990102", "--json")
    got = json.loads(out)
    assert code == 0 and (got["cases_filed"], got["complaints_received"]) == (1, 1)


def test_module_entry_point_runs_as_a_subprocess(url):
    proc = subprocess.run([sys.executable, "-m", "dashboard", "summary", "--db", url, *MARCH, "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["funds_recovered_wan"] == 6.0


@pytest.mark.parametrize(("argv", "message"), [
    (["--region", "990199000000"], "区划代码不存在"),
    (["--region", "99ab"], "区划代码应为"),
    (["--from", "2024-04-01", "--to", "2024-03-01"], "晚于"),
    (["--from", "2024/13/01"], "日期格式"),
])
def test_bad_arguments_exit_non_zero_with_one_line(url, capsys, argv, message):
    code, out, err = run(capsys, "summary", "--db", url, *argv, "--json")
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


def test_an_empty_database_is_one_clear_line(tmp_path, capsys):
    code, _, err = run(capsys, "summary", "--db", f"sqlite:///{tmp_path}/none.db", "--json")
    assert code != 0 and "没有数据" in err and len(err.strip().splitlines()) == 1


def test_unknown_command_is_one_line(capsys):
    code, _, err = run(capsys, "frobnicate")
    assert code != 0 and len(err.strip().splitlines()) == 1

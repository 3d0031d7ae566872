"""The CLI of docs/cli.md: `summary --json` keys and values, and failures that are one line on
stderr with a non-zero exit — never a traceback, never a store created by a typo."""
from __future__ import annotations

import argparse
import errno
import json
import os
import re
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
    empty = f"sqlite:///{tmp_path}/empty.db"
    store.init_schema(empty)
    code, _, err = run(capsys, "summary", "--db", empty, "--json")
    assert code != 0 and "没有数据" in err and len(err.strip().splitlines()) == 1


def test_unknown_command_is_one_line(capsys):
    code, _, err = run(capsys, "frobnicate")
    assert code != 0 and len(err.strip().splitlines()) == 1


def one_line(err: str) -> str:
    """The single line a failure prints (the assertion fails if there are more, or a traceback)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("argv", [
    ["summary", "--json"],
    ["warnings", "--as-of", "2024-03-31"],
    ["briefing", "--as-of", "2024-03-31", "--out", "OUT"],
    ["import", "LEDGER"],
    ["import-geo", "LEDGER"],
])
def test_a_missing_store_is_refused_and_nothing_is_created(tmp_path, capsys, argv):
    ledger = tmp_path / "cases.csv"
    ledger.write_text("案件编号\n", encoding="utf-8")
    argv = [str(ledger) if a == "LEDGER" else str(tmp_path / "b.pptx") if a == "OUT" else a for a in argv]
    typo = tmp_path / "typo" / "sub" / "oversight.db"
    code, out, err = run(capsys, *argv, "--db", f"sqlite:///{typo}")
    assert code == 2 and out == ""
    assert one_line(err) == f"数据库不存在：{typo}；先运行 python -m dashboard init 或 demo"
    assert not (tmp_path / "typo").exists()


def test_a_directory_given_as_the_store_is_refused(tmp_path, capsys):
    code, _, err = run(capsys, "summary", "--db", f"sqlite:///{tmp_path}")
    assert code == 2 and one_line(err) == f"数据库路径是一个目录，不是 SQLite 文件：{tmp_path}"


def test_a_url_of_another_database_kind_is_refused(capsys):
    code, _, err = run(capsys, "summary", "--db", "mysql://u:secret@db.example/x")
    assert code == 2
    assert one_line(err) == "不支持的数据库类型 mysql：mysql://u:***@db.example/x（仅支持 SQLite 与 PostgreSQL）"


def test_a_malformed_url_is_refused(capsys):
    code, _, err = run(capsys, "warnings", "--db", "oversight.db", "--as-of", "2024-03-31")
    assert code == 2 and one_line(err).startswith("数据库地址无效：oversight.db")


def test_a_postgresql_server_that_does_not_answer_is_one_line_without_the_password(capsys):
    code, _, err = run(capsys, "summary", "--db", "postgresql+psycopg://u:secret@127.0.0.1:1/x")
    line = one_line(err)
    assert code == 2 and line.startswith("无法连接数据库 postgresql+psycopg://u:***@127.0.0.1:1/x：")
    assert "secret" not in line


def test_a_postgresql_database_that_does_not_exist_is_one_line(pg_url, capsys):
    from sqlalchemy.engine import make_url

    missing = make_url(pg_url).set(database="no_such_db").render_as_string(hide_password=False)
    code, _, err = run(capsys, "summary", "--db", missing)
    line = one_line(err)
    assert code == 2 and line.startswith("无法连接数据库") and "no_such_db" in line


def test_demo_refuses_a_url_of_another_database_kind(capsys):
    code, _, err = run(capsys, "demo", "--db", "mssql+pyodbc://h/x")
    assert code == 2 and one_line(err).startswith("不支持的数据库类型 mssql")


BRIEF = ["briefing", "--as-of", "2024-03-31", "--from", "2024-01-01"]


def test_briefing_into_a_missing_folder_is_one_line(url, tmp_path, capsys):
    code, _, err = run(capsys, *BRIEF, "--db", url, "--out", str(tmp_path / "missing" / "b.pptx"))
    assert code == 2 and one_line(err) == f"输出目录不存在：{tmp_path / 'missing'}"
    assert not (tmp_path / "missing").exists()


def test_briefing_into_a_directory_is_one_line(url, tmp_path, capsys):
    folder = tmp_path / "deck.pptx"
    folder.mkdir()
    code, _, err = run(capsys, *BRIEF, "--db", url, "--out", str(folder))
    assert code == 2 and one_line(err) == f"--out 是一个目录，应为文件：{folder}"


def test_briefing_into_a_read_only_folder_is_one_line(url, tmp_path, capsys, monkeypatch):
    """Root ignores file modes (CI runs as root), so the folder is made unwritable as the
    permission check sees it: os.access refuses writing into it."""
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == folder
                        else real_access(p, mode, **kw))
    code, _, err = run(capsys, *BRIEF, "--db", url, "--out", str(folder / "b.pptx"))
    assert code == 2 and one_line(err) == f"没有写入权限：{folder / 'b.pptx'}"
    assert list(folder.iterdir()) == []


def test_a_failed_write_is_one_line_and_leaves_no_file(url, tmp_path, capsys, monkeypatch):
    def disk_full(self, data):  # noqa: ANN001
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    out = tmp_path / "b.pptx"
    code, _, err = run(capsys, *BRIEF, "--db", url, "--out", str(out))
    assert code == 2 and one_line(err) == f"无法写入 {out}：{os.strerror(errno.ENOSPC)}"
    assert list(tmp_path.glob("b.pptx*")) == []


def test_briefing_into_a_missing_folder_through_the_entry_point(url, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "dashboard", *BRIEF, "--db", url,
                           "--out", "/missing/dir/b.pptx"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert one_line(proc.stderr) == "输出目录不存在：/missing/dir"


def test_an_unexpected_error_is_one_line_with_its_class(url, capsys, monkeypatch):
    from queries import metrics

    def broken(*_args, **_kwargs):
        raise RuntimeError("column 'x' not found\n  in plan: …")

    monkeypatch.setattr(metrics, "summary", broken)
    code, out, err = run(capsys, "summary", "--db", url, *MARCH, "--json")
    assert code == 1 and out == ""
    assert one_line(err) == "意外错误（RuntimeError）：column 'x' not found"


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    from dashboard.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_option_has_a_chinese_help_text(command):
    parser = _subcommands()[command]
    bare = [a.option_strings or [a.dest] for a in parser._actions if not a.help or not CJK.search(a.help)]
    assert bare == []


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_value_option_shows_a_readable_metavar(command):
    parser = _subcommands()[command]
    shown = [a.metavar for a in parser._actions if a.nargs != 0]
    assert all(m and "_" not in m for m in shown), shown
    assert "FROM_" not in parser.format_help() and "AS_OF" not in parser.format_help()


def test_help_of_a_subcommand_is_printed_and_exits_zero(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["summary", "--help"])
    assert stop.value.code == 0
    assert "--from YYYY-MM-DD" in capsys.readouterr().out


def _tree(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")} if folder.exists() else {}


def test_demo_into_another_store_leaves_the_checkout_untouched(tmp_path, capsys):
    before = _tree(ROOT / "data")
    code, out, _ = run(capsys, "demo", "--db", f"sqlite:///{tmp_path}/other.db", "--scale", "0.02", "--seed", "1")
    assert code == 0 and "演示数据已写入" in out
    assert _tree(ROOT / "data") == before


def test_benchmarks_without_the_dev_requirements_say_what_to_install():
    block = ("import runpy, sys; sys.modules['duckdb'] = None; "
             "runpy.run_module('benchmarks', run_name='__main__', alter_sys=True)")
    proc = subprocess.run([sys.executable, "-c", block, "--scale", "10"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1
    assert one_line(proc.stderr) == ("缺少开发依赖 duckdb：先运行 ./scripts/setup.sh dev"
                                     "（或 pip install -r requirements-dev.txt）")

"""The browser load test's own parts: when a rerun counts as finished, and the command itself
(one short session on a small demo), so `python -m benchmarks.load` keeps working."""
from __future__ import annotations

import json

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks import load


def _frame(**fields) -> bytes:
    msg = ForwardMsg()
    for name, value in fields.items():
        if name == "markdown":
            msg.delta.new_element.markdown.body = value
        else:
            setattr(msg, name, value)
    return msg.SerializeToString()


def test_the_script_finished_message_ends_a_run():
    assert load.ends_a_run(_frame(script_finished=ForwardMsg.FINISHED_SUCCESSFULLY))


def test_element_deltas_and_text_frames_do_not_end_a_run():
    assert not load.ends_a_run(_frame(markdown="本期无数据"))
    assert not load.ends_a_run("script_finished")


def test_percentiles_are_nearest_rank_so_p95_is_never_below_p50():
    assert (load._rank([100.0, 900.0], 0.50), load._rank([100.0, 900.0], 0.95)) == (100.0, 900.0)
    twenty = [float(v) for v in range(1, 21)]
    assert (load._rank(twenty, 0.50), load._rank(twenty, 0.95)) == (10.0, 19.0)
    assert load._rank([], 0.95) is None


@pytest.mark.parametrize(("cmdline", "kind"), [
    ("/usr/lib/chromium/chromium\0--type=renderer\0--lang=zh-CN", "browser_renderer"),
    ("/usr/lib/chromium/chromium\0--type=gpu-process", "browser_gpu"),
    ("/usr/lib/chromium/chromium\0--headless", "browser_other"),
    ("/usr/bin/python3\0-m\0pytest", None),
])
def test_processes_are_told_apart_by_their_command_line(cmdline, kind):
    assert load._kind(cmdline) == kind


@pytest.mark.browser
@pytest.mark.slow
def test_the_load_command_drives_a_session_and_reports(tmp_path):
    out = tmp_path / "load.json"
    code = load.main(["--sessions", "1", "--seconds", "4", "--scale", "0.05", "--out", str(out)])
    result = json.loads(out.read_text(encoding="utf-8"))
    assert code == 0 and result["errors"] == 0, result["error_samples"]
    assert result["interactions"] >= 2
    assert result["render_ms_p50"] <= result["render_ms_p95"]
    assert result["cpu_cores"]["server"] > 0 and result["cpu_cores"]["browser_renderer"] > 0

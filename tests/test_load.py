"""The load test's own parts: when a rerun counts as finished, what a protocol session replays
and waits for, and the command itself (short runs on a small demo), so `python -m
benchmarks.load` keeps working."""
from __future__ import annotations

import json

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks import load, wsload


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


def _first(n: int, it) -> list:
    return [next(it) for _ in range(n)]


def test_a_session_clicks_the_periods_in_turn_from_its_own_starting_point():
    assert _first(5, load.period_clicks(0)) == ["本月", "本季度", "本年", "近12个月", "本月"]


def test_a_session_never_clicks_the_period_already_shown():
    assert load.DEFAULT_PERIOD == "本年"
    assert _first(4, load.period_clicks(2)) == ["近12个月", "本月", "本季度", "本年"]


def test_sessions_clicking_back_to_back_never_wait():
    assert _first(5, load.pauses(0.0, 3)) == [0.0] * 5


def test_think_time_starts_each_session_at_its_own_offset_then_varies_around_the_mean():
    waits = _first(200, load.pauses(10.0, 3))
    assert 0 <= waits[0] < 10 and all(5 <= w < 15 for w in waits[1:])
    assert 9 < sum(waits[1:]) / len(waits[1:]) < 11 and len(set(waits)) == len(waits)


def test_think_times_repeat_per_session_and_differ_between_sessions():
    assert _first(4, load.pauses(10.0, 1)) == _first(4, load.pauses(10.0, 1))
    assert _first(4, load.pauses(10.0, 1)) != _first(4, load.pauses(10.0, 2))


def _rerun_request(hashes: list[str]) -> bytes:
    msg = BackMsg()
    msg.rerun_script.query_string = "period=month"
    msg.rerun_script.cached_message_hashes.extend(hashes)
    return msg.SerializeToString()


def test_a_replayed_rerun_request_drops_the_recording_browsers_message_cache():
    msg = BackMsg()
    msg.ParseFromString(wsload.replayable(_rerun_request(["a1", "b2"])))
    assert (msg.rerun_script.query_string, list(msg.rerun_script.cached_message_hashes)) == ("period=month", [])


def test_only_rerun_requests_are_replayed():
    heartbeat = BackMsg()
    heartbeat.app_heartbeat = True
    assert wsload.replayable(heartbeat.SerializeToString()) is None
    assert wsload.replayable("text frame") is None


@pytest.mark.parametrize(("status", "ends"), [
    (ForwardMsg.FINISHED_SUCCESSFULLY, True),
    (ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY, True),
    (ForwardMsg.FINISHED_EARLY_FOR_RERUN, False),  # st.rerun(): the run the client waits for comes next
])
def test_a_protocol_session_waits_for_the_run_that_is_not_cut_short(status, ends):
    assert wsload._finishes_run(_frame(script_finished=status)) == (ends, None)


def test_an_exception_on_the_page_is_reported_by_a_protocol_session():
    msg = ForwardMsg()
    msg.delta.new_element.exception.message = "division by zero"
    assert wsload._finishes_run(msg.SerializeToString()) == (False, "division by zero")
    assert wsload._finishes_run(_frame(markdown="本期无数据")) == (False, None)


@pytest.mark.parametrize(("cmdline", "kind"), [
    ("/usr/lib/chromium/chromium\0--type=renderer\0--lang=zh-CN", "browser_renderer"),
    ("/usr/lib/chromium/chromium\0--type=gpu-process", "browser_gpu"),
    ("/usr/lib/chromium/chromium\0--headless", "browser_other"),
    ("/usr/bin/python3\0-m\0pytest", None),
])
def test_processes_are_told_apart_by_their_command_line(cmdline, kind):
    assert load._kind(cmdline) == kind


def test_a_session_given_a_number_of_clicks_makes_exactly_that_many_whatever_the_time():
    long_past, far_ahead = -1.0, float("inf")
    assert [load.keep_clicking(done, long_past, 2) for done in range(4)] == [True, True, False, False]
    assert not load.keep_clicking(2, far_ahead, 2)


def test_a_session_without_a_number_of_clicks_clicks_until_its_deadline():
    assert load.keep_clicking(10_000, float("inf"), None)
    assert not load.keep_clicking(0, -1.0, None)


def _is_ms(value) -> bool:
    return isinstance(value, float) and value >= 0


def _well_formed_cpu(cores: dict) -> None:
    """Average cores busy per kind of process: how busy, never asserted (it depends on the
    machine); only that each figure is there and is a number."""
    assert {"server", "browser_renderer", "machine"} <= set(cores), cores
    assert all(isinstance(v, float) and v >= 0 for v in cores.values()), cores


@pytest.mark.browser
@pytest.mark.slow
def test_the_load_command_drives_a_session_and_reports(tmp_path):
    out = tmp_path / "load.json"
    code = load.main(["--sessions", "1", "--clicks", "2", "--scale", "0.05", "--out", str(out)])
    result = json.loads(out.read_text(encoding="utf-8"))
    assert code == 0 and result["errors"] == 0, result["error_samples"]
    assert (result["clicks_per_session"], result["seconds"]) == (2, None)
    assert (result["interactions"], result["browser_clicks"], result["protocol_runs"]) == (2, 2, 0)
    assert _is_ms(result["render_ms_p50"]) and _is_ms(result["render_ms_p95"])
    assert result["render_ms_p50"] <= result["render_ms_p95"]  # nearest rank over the same two clicks
    assert _is_ms(result["first_round_ms_max"])  # both clicks are in the first round
    assert (result["server_run_ms_p50"], result["server_run_ms_p95"]) == (None, None)  # no protocol session
    assert isinstance(result["server_peak_rss_mb"], float) and result["server_peak_rss_mb"] > 0
    _well_formed_cpu(result["cpu_cores"])


@pytest.mark.browser
@pytest.mark.slow
def test_protocol_sessions_run_beside_a_browser_and_are_timed_apart(tmp_path):
    out = tmp_path / "load.json"
    code = load.main(["--sessions", "3", "--browsers", "1", "--clicks", "2", "--scale", "0.05", "--out", str(out)])
    result = json.loads(out.read_text(encoding="utf-8"))
    assert code == 0 and result["errors"] == 0, result["error_samples"]
    assert (result["browser_sessions"], result["protocol_sessions"]) == (1, 2)
    assert (result["browser_clicks"], result["protocol_runs"], result["interactions"]) == (2, 4, 6)
    assert _is_ms(result["render_ms_p50"]) and result["render_ms_p50"] <= result["render_ms_p95"]
    assert _is_ms(result["server_run_ms_p50"]) and result["server_run_ms_p50"] <= result["server_run_ms_p95"]
    _well_formed_cpu(result["cpu_cores"])


def test_more_browsers_than_sessions_is_refused():
    assert load.main(["--sessions", "2", "--browsers", "3"]) == 2


def test_a_number_of_clicks_below_one_is_refused(capsys):
    assert load.main(["--sessions", "1", "--clicks", "0"]) == 2
    assert "--clicks" in capsys.readouterr().err

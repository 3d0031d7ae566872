"""The deployment the README describes: two app processes on one PostgreSQL database behind
nginx configured by deploy/nginx.conf (the file as shipped, only its addresses changed).

A browser must stay on the process its session lives in; browsers must spread over all
processes; a write to the database must reach every process."""
from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

import polars as pl
import pytest

from benchmarks import load, proxy
from queries import accounts, store
from tests import fixtures as fx
from tests.conftest import _reset_pg
from tests.test_maps import FX_GEOJSON

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Correct-Horse-42"
MARCH = "period=自定义&range=2024-03-01&range=2024-03-31&as_of=2024-03-31"
FLAGS = load.FLAGS


def test_the_readme_shows_the_nginx_config_that_is_shipped_and_tested():
    shipped = proxy.CONF.read_text(encoding="utf-8")
    assert "```nginx\n" + shipped + "```" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_rendering_replaces_only_the_upstream_servers_and_the_listening_port():
    conf = "upstream u {\n    hash $r consistent;\n    server 127.0.0.1:8501;\n    server 127.0.0.1:8502;\n}\n" \
           "server {\n    listen 8080;\n    location / { proxy_pass http://u; }\n}\n"
    assert proxy.render(conf, 9000, [7001, 7002, 7003]) == (
        "upstream u {\n    hash $r consistent;\n    server 127.0.0.1:7001;\n    server 127.0.0.1:7002;\n"
        "    server 127.0.0.1:7003;\n}\nserver {\n    listen 127.0.0.1:9000;\n    location / { proxy_pass http://u; }\n}\n")


def test_a_config_without_upstream_servers_is_refused():
    with pytest.raises(ValueError, match="server 127.0.0.1:PORT"):
        proxy.render("server {\n    listen 8080;\n}\n", 9000, [7001])


@pytest.fixture(scope="module")
def deployment(pg_url, nginx_path, tmp_path_factory):
    """Two app processes sharing one snapshot folder, as the README advises, behind nginx;
    the tests' own writes use the same folder, as an import through a third process would."""
    _reset_pg(pg_url)
    store.replace_all(pg_url, fx.tables(), FX_GEOJSON, dataset="ledger")
    accounts.create(store.engine_for(pg_url), "alice", PASSWORD, role="staff", display_name="甲",
                    region_code=None)
    snapshots = tmp_path_factory.mktemp("snapshots")
    servers = load.start_servers(pg_url, 2, autologin=None, snapshots=str(snapshots))
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("OVERSIGHT_SNAPSHOT_DIR", str(snapshots))
            for _, port in servers:
                load.wait_healthy(f"http://127.0.0.1:{port}/")
            with proxy.Nginx(load._port(), [port for _, port in servers]) as front:
                yield pg_url, front, snapshots
    finally:
        load.stop_servers(servers)


def _get(front: proxy.Nginx, path: str, route: str | None = None):
    headers = {"Cookie": f"{proxy.ROUTE_COOKIE}={route}"} if route else {}
    return urllib.request.urlopen(urllib.request.Request(front.url + path, headers=headers), timeout=60)


def _served_by(front: proxy.Nginx, route: str) -> set[str]:
    return {up for up, _, _, r in front.requests() if r == route}


def test_a_new_browser_gets_a_route_cookie_and_keeps_to_one_process(deployment):
    _, front, _ = deployment
    cookie = _get(front, "").headers["Set-Cookie"]
    route = re.fullmatch(rf"{proxy.ROUTE_COOKIE}=([0-9a-f]{{32}}); Path=/; HttpOnly; SameSite=Lax", cookie)
    assert route is not None, cookie
    for _ in range(5):
        assert _get(front, "_stcore/health", route.group(1)).status == 200
    served = [(up, path) for up, _, path, r in front.requests() if r == route.group(1)]
    assert len(served) == 6 and len({up for up, _ in served}) == 1


def _routes_per_process(front: proxy.Nginx) -> dict[str, str]:
    """A route cookie that lands on each process, found by asking."""
    for i in range(40):
        _get(front, "_stcore/health", f"probe{i}")
    return {up: r for up, _, _, r in front.requests() if r.startswith("probe")}


def test_browsers_are_spread_over_every_process(deployment):
    _, front, _ = deployment
    assert set(_routes_per_process(front)) == {f"127.0.0.1:{p}" for p in front.backends}


def _overview(context, front: proxy.Nginx):
    """The overview in a new tab, signed in; returns the page and the script errors it raised."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{front.url}?{MARCH}", wait_until="load")
    # A new tab of a signed-in browser resumes its session (the session cookie): the form shows
    # only for the first tab of each context.
    page.wait_for_selector('[data-testid="stMetric"], [aria-label="用户名"]', timeout=60_000)
    if page.get_by_label("用户名").count():
        page.get_by_label("用户名").fill("alice")
        page.get_by_label("密码", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    return page, errors


def _cases_filed(page) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(has_text="立案数").first
    return card.locator('[data-testid="stMetricValue"]').inner_text()


@pytest.mark.browser
@pytest.mark.slow
def test_each_process_serves_whole_sessions_and_sees_a_write_made_elsewhere(deployment, chromium_path):
    from playwright.sync_api import sync_playwright

    url, front, snapshots = deployment
    routes = _routes_per_process(front)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=FLAGS)
        contexts = {}
        for process, route in routes.items():
            contexts[process] = browser.new_context(locale="zh-CN", viewport={"width": 1600, "height": 1000})
            contexts[process].add_cookies([{"name": proxy.ROUTE_COOKIE, "value": route, "url": front.url}])
        before = {process: _overview(ctx, front) for process, ctx in contexts.items()}
        assert {process: _cases_filed(page) for process, (page, _) in before.items()} == {
            process: "2 件 2 人" for process in routes}

        # A case filed in March, written to the database by neither process.
        c5 = fx.tables().cases.filter(pl.col("case_id") == "c1").with_columns(case_id=pl.lit("c5"))
        store.upsert(url, {"cases": c5})
        after = {process: _overview(ctx, front) for process, ctx in contexts.items()}
        assert {process: _cases_filed(page) for process, (page, _) in after.items()} == {
            process: "3 件 3 人" for process in routes}
        # The first version was read from the database once and left in the shared folder; the
        # write carried it forward, so neither process had to read the new version from PostgreSQL.
        assert sorted(p.name for p in snapshots.iterdir() if p.name.startswith("v")) == [
            f"v{store.data_version(url)}"]
        assert [e for _, errors in [*before.values(), *after.values()] for e in errors] == []
        browser.close()
    for process, route in routes.items():
        paths = {path for up, _, path, r in front.requests() if r == route}
        assert _served_by(front, route) == {process}
        assert any(path.startswith("/_stcore/stream") for path in paths)  # the websocket too


def test_every_page_response_carries_the_intranet_security_headers(deployment):
    _, front, _ = deployment
    for path in ("", "cases", "_stcore/health"):
        headers = _get(front, path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp and "object-src 'none'" in csp
        assert "http:" not in csp and "https:" not in csp and "*" not in csp  # no outside host allowed
        assert (headers["X-Frame-Options"], headers["X-Content-Type-Options"], headers["Referrer-Policy"]) == \
            ("SAMEORIGIN", "nosniff", "same-origin")


def test_metrics_are_not_served_through_the_front(deployment):
    """Streamlit 1.67 serves /_stcore/metrics to anyone and has no option to turn it off."""
    _, front, _ = deployment
    with pytest.raises(urllib.error.HTTPError) as refused:
        _get(front, "_stcore/metrics")
    assert refused.value.code == 404

"""nginx in front of several app processes, configured by `deploy/nginx.conf` itself, so the
load test and the deployment tests exercise the configuration the README tells operators to use.

Only the addresses change: the upstream's servers become the processes started here and nginx
listens on a free loopback port. Everything else (the route cookie, websocket upgrade, time-outs)
is the file as shipped. Each request is logged with the process that served it, which is how
the tests see that a browser stayed on one process and that sessions were spread over all."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "deploy" / "nginx.conf"
NGINX = "/usr/sbin/nginx"
ROUTE_COOKIE = "oversight_route"
_SERVER_LINE = re.compile(r"^(\s*)server 127\.0\.0\.1:\d+;\n", re.M)
_LISTEN = re.compile(r"^(\s*)listen \d+;", re.M)


def render(conf: str, listen_port: int, backends: list[int]) -> str:
    """The shipped configuration with its upstream servers and listening port replaced."""
    first = _SERVER_LINE.search(conf)
    if first is None or _LISTEN.search(conf) is None:
        raise ValueError("deploy/nginx.conf has no `server 127.0.0.1:PORT;` or `listen PORT;` line")
    indent = first.group(1)
    servers = "".join(f"{indent}server 127.0.0.1:{p};\n" for p in backends)
    conf = conf[:first.start()] + servers + _SERVER_LINE.sub("", conf[first.start():])
    return _LISTEN.sub(lambda m: f"{m.group(1)}listen 127.0.0.1:{listen_port};", conf, count=1)


def _main_conf(prefix: Path) -> str:
    temps = "\n".join(f"    {kind}_temp_path {prefix}/tmp/{kind};"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
{temps}
    include {prefix}/oversight.conf;
    log_format route '$upstream_addr $status "$request_uri" $oversight_route';
    access_log {prefix}/access.log route;
}}
"""


class Nginx:
    """A throwaway nginx serving `deploy/nginx.conf` on `listen_port` for `backends` (ports)."""

    def __init__(self, listen_port: int, backends: list[int]) -> None:
        if not Path(NGINX).exists():
            raise FileNotFoundError("nginx 未安装（apt-get install nginx）")
        self.port, self.backends = listen_port, backends
        self.prefix = Path(tempfile.mkdtemp(prefix="oversight-nginx-"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> "Nginx":
        (self.prefix / "tmp").mkdir()
        # Run as root, nginx's workers become `nobody` and must reach their temp folders.
        for path in (self.prefix, self.prefix / "tmp"):
            os.chmod(path, 0o777)
        (self.prefix / "oversight.conf").write_text(
            render(CONF.read_text(encoding="utf-8"), self.port, self.backends), encoding="utf-8")
        (self.prefix / "nginx.conf").write_text(_main_conf(self.prefix), encoding="utf-8")
        check = subprocess.run([NGINX, "-t", "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf")],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx 配置无效：{check.stderr.strip()}")
        self.proc = subprocess.Popen([NGINX, "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf"),
                                      "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                urllib.request.urlopen(self.url + "_stcore/health", timeout=2)
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("nginx 未能启动")

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.prefix, ignore_errors=True)

    def requests(self) -> list[tuple[str, int, str, str]]:
        """(process address, status, path, route) of each request served so far."""
        out = []
        log = self.prefix / "access.log"
        for line in log.read_text(encoding="utf-8").splitlines() if log.exists() else []:
            upstream, status, rest = line.split(" ", 2)
            path, route = rest.rsplit(" ", 1)
            out.append((upstream, int(status), path.strip('"'), route))
        return out

    def sessions_per_process(self) -> dict[str, int]:
        """Websocket sessions opened on each process (one per page a browser or client opened)."""
        counts = Counter(up for up, _, path, _ in self.requests() if path.startswith("/_stcore/stream"))
        return {f"127.0.0.1:{p}": counts.get(f"127.0.0.1:{p}", 0) for p in self.backends}

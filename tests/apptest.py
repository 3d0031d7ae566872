"""AppTest helpers: the app's path, and a signed-in session without typing a password.

Setting the account in session state is what a successful sign-in does on the server; a browser
cannot do this, which is why the sign-in itself has its own tests."""
from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from queries.accounts import Account

APP = str(Path(__file__).resolve().parents[1] / "app.py")
# How long one script run may take before AppTest gives up: a deadline for a run that must finish,
# not a speed check, so it is generous (60 s was exceeded with every core busy and a load of 50).
RUN_TIMEOUT_S = 600


def account(role: str = "staff", region: str | None = None, username: str = "tester") -> Account:
    return Account(username=username, display_name="测试用户", role=role, region_code=region,
                   totp_enabled=False, demo=False)


def signed_in(role: str = "staff", region: str | None = None, params: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S)
    at.session_state["account"] = account(role, region)
    at.session_state["last_seen"] = time.time()
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at

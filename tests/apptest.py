"""AppTest helpers: the app's path, and a signed-in session without typing a password.

`signed_in` does on the server what a successful sign-in does: it creates (or updates) the
account in the database named by OVERSIGHT_DB_URL, opens a server-side session for it and puts
both in session state. A browser cannot do this, which is why the sign-in itself has its own
tests. Every rerun re-reads the account, so it must exist in the database."""
from __future__ import annotations

import os
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from queries import accounts, sessions, store
from queries.accounts import Account

APP = str(Path(__file__).resolve().parents[1] / "app.py")
# How long one script run may take before AppTest gives up: a deadline for a run that must finish,
# not a speed check, so it is generous (60 s was exceeded with every core busy and a load of 50).
RUN_TIMEOUT_S = 600


def account(role: str = "staff", region: str | None = None, username: str = "tester") -> Account:
    """The account `username` with this role and region, stored in the test database."""
    engine = store.engine_for(os.environ["OVERSIGHT_DB_URL"])
    if accounts.get(engine, username) is None:
        accounts.create(engine, username, accounts.generate_password(), role=role, display_name="测试用户",
                        region_code=region)
    else:
        accounts.update(engine, username, role=role, region_code=region, disabled=False)
    found = accounts.get(engine, username)
    assert found is not None
    return found


def signed_in(role: str = "staff", region: str | None = None, params: dict | None = None,
              username: str = "tester") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S)
    who = account(role, region, username)
    at.session_state["account"] = who
    at.session_state["session_token"] = sessions.open_session(
        store.engine_for(os.environ["OVERSIGHT_DB_URL"]), who, method="test")
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at


def open_tab(at: AppTest, key: str, label: str) -> AppTest:
    """Open the tab `label` of the tabs keyed `key` (tabs that track their state: only the open
    one is drawn), as a click on it does: its label into the key's state, then a rerun."""
    at.session_state[key] = label
    return at.run()


def plain(text: str) -> str:
    """A static table's cell (dashboard/small_table.py) as the reader sees it: its markdown
    escapes resolved."""
    from dashboard.safe import WORD_JOINER

    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).replace(WORD_JOINER, "")


def table_rows(at: AppTest, first_header: str) -> list[dict]:
    """The rows of the one static table whose first header reads `first_header`, as shown."""
    found = [t.value for t in at.table if plain(str(t.value.columns[0])) == first_header]
    assert len(found) == 1, [list(t.value.columns) for t in at.table]
    return [{plain(k): plain(v) for k, v in row.items()} for row in found[0].to_dict("records")]

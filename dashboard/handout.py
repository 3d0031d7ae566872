"""The only door data leaves by: an audited, per-click hand-out of one file.

A Streamlit download button with bytes puts the file at a `/media/<hash>` address as soon as
the page is drawn, served to anyone with the address until the session ends — before anyone
clicked, without an audit row. Here every export button is *deferred* (Streamlit ≥ 1.52 accepts
a callable for `data` and calls it only when the button is clicked), and the callable

1. checks that the session which drew the button is still signed in as the same account
   (`auth.current`, with that session's state),
2. writes the audit row (account, table, rows, filters, purpose) — if that fails, no file,
3. only then builds the bytes and returns them to Streamlit, which stores them and gives the
   browser an address,
4. and asks Streamlit to drop unreferenced downloads a few seconds later, so the address dies
   right after the browser fetched it (Streamlit's own clean-up would wait for later reruns).

Which role may take which kind of file away is `may_take`; the README's accounts section
shows the same table.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from dashboard import auth
from dashboard.ui import tr
from queries import audit, store
from queries.accounts import Account

_LOG = logging.getLogger(__name__)

# What each kind of file needs: the deck and the one-page summary are the leader's meeting
# material (aggregates and the top warnings they already see on screen); record-level tables
# and the 督办单 (responsible units and persons, one row per record) are staff work; the audit
# log belongs to the audit administrator only.
DOORS: dict[str, str] = {"briefing": "browse", "summary": "browse", "details": "export",
                         "warnings": "export", "audit_log": "read_audit"}
# Seconds a handed-out file stays fetchable: the browser asks for it at once.
EXPIRY_S = 5.0
# How long the rerun after a click waits for the hand-out to finish, to say how it went.
OUTCOME_WAIT_S = 60.0


def may_take(account: Account, door: str) -> bool:
    """Whether `account` may take files of kind `door` away."""
    return account.can(DOORS[door])


class Refused(Exception):
    """No file: the message (Chinese, for the page) says why."""


@dataclass
class Ticket:
    """One drawn export button: what its click will audit and hand out."""
    url: str
    username: str
    door: str
    target: str
    rows: int
    detail: dict
    build: Callable[[], bytes]
    done: threading.Event = field(default_factory=threading.Event)
    outcome: str | None = None  # None until a click finished: "ok" or the refusal message


def release(ticket: Ticket, signed_in: Callable[[], Account | None]) -> bytes:
    """The click: same account still signed in, audit row committed, then the bytes.
    Fails closed — any problem raises `Refused` and nothing is built."""
    try:
        account = signed_in()
        if account is None or account.username != ticket.username or not may_take(account, ticket.door):
            raise Refused(tr("handout.signed_out"))
        try:
            audit.record(store.engine_for(ticket.url), event="export", account=account.username,
                         target=ticket.target, rows=ticket.rows, outcome="success", detail=ticket.detail)
        except Exception as exc:  # noqa: BLE001 - any failure to write the row means no file
            _LOG.exception("export refused: the audit row could not be written")
            raise Refused(tr("handout.audit_failed")) from exc
        data = ticket.build()
        ticket.outcome = "ok"
        return data
    except Refused as exc:
        ticket.outcome = str(exc)
        raise
    except Exception:
        ticket.outcome = tr("handout.failed")
        _LOG.exception("export failed while building the file")
        raise
    finally:
        ticket.done.set()


def _expire_soon() -> None:
    """Drop handed-out files nobody references (a deferred download's stored file is never
    referenced by a session) after EXPIRY_S: Streamlit's public clean-up marks on the first
    call and deletes on the second, so a file another session produced in between is kept
    for its own fetch."""
    if not runtime.exists():
        return
    manager = runtime.get_instance().media_file_mgr

    def sweep(left: int) -> None:
        manager.remove_orphaned_files()
        if left:
            threading.Timer(EXPIRY_S, sweep, args=(left - 1,)).start()

    threading.Timer(EXPIRY_S, sweep, args=(1,)).start()


def _deferred(ticket: Ticket) -> Callable[[], bytes]:
    """The callable Streamlit runs on click, in a worker thread: it borrows the drawing
    session's context so `auth.current` reads that session's sign-in."""
    ctx = get_script_run_ctx(suppress_warning=True)

    def hand_out() -> bytes:
        thread = threading.current_thread()
        before = get_script_run_ctx(suppress_warning=True)
        add_script_run_ctx(thread, ctx)
        try:
            data = release(ticket, lambda: auth.current(ticket.url) if ctx is not None else None)
        finally:
            add_script_run_ctx(thread, before)
        _expire_soon()
        return data

    return hand_out


def door(label: str, *, key: str, door: str, url: str, account: Account, target: str, rows: int,
         detail: dict, build: Callable[[], bytes], file_name: str, mime: str, purpose: str | None,
         icon: str = ":material/download:", container=None) -> None:
    """An export button. `purpose` None means this door asks none; an empty one disables the
    button (a disabled deferred button leaves nothing a client could call)."""
    where = container or st
    state_key = f"handout_{key}"
    last: Ticket | None = st.session_state.get(state_key)
    needs_purpose = purpose is not None and not purpose.strip()
    ticket = Ticket(url=url, username=account.username, door=door, target=target, rows=rows,
                    detail={**detail, **({"purpose": purpose.strip()} if purpose is not None else {})},
                    build=build)
    clicked = where.download_button(label, _deferred(ticket), file_name=file_name, mime=mime, key=key, icon=icon,
                                    disabled=needs_purpose or not may_take(account, door))
    st.session_state[state_key] = ticket
    if clicked and last is not None:
        last.done.wait(OUTCOME_WAIT_S)
        if last.outcome is None:
            where.error(tr("handout.failed"))
        elif last.outcome != "ok":
            where.error(last.outcome)
        else:
            where.caption(tr("handout.done"))

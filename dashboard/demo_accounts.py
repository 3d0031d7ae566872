"""Demo accounts for several levels and every role, with fresh random passwords.

The passwords are returned to the caller to print once (CLI or server console) and are stored
only as argon2 hashes; the sign-in page lists the demo accounts, marked 演示账户, without them.
"""
from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from queries import accounts, store


def create_demo_accounts(url: str, regions: pl.DataFrame, township: str) -> dict[str, tuple[str, str]]:
    """Replace earlier demo accounts; returns {username: (password, description)}."""
    engine = store.engine_for(url)
    accounts.metadata.create_all(engine, tables=[accounts.ACCOUNTS])
    with engine.begin() as conn:
        conn.execute(accounts.ACCOUNTS.delete().where(accounts.ACCOUNTS.c.demo == sa.true()))
    names = dict(zip(regions["code"], regions["name"]))
    district = township[:6] + "000000"
    plan = [
        ("leader", "市纪委领导", "leader", None),
        ("staff", "市纪委工作人员", "staff", None),
        ("district_staff", f"{names.get(district, district)}工作人员", "staff", district),
        ("township_staff", f"{names.get(township, township)}工作人员", "staff", township),
        ("sysadmin", "系统管理员", "sysadmin", None),
        ("auditor", "审计管理员", "auditor", None),
    ]
    out = {}
    for username, display, role, region in plan:
        password = accounts.generate_password()
        accounts.create(engine, username, password, role=role, display_name=display,
                        region_code=region, demo=True)
        out[username] = (password, display)
    return out


def print_passwords(passwords: dict[str, tuple[str, str]]) -> None:
    print("演示账户（密码仅显示这一次）：")
    for username, (password, display) in passwords.items():
        print(f"  {username:<16} {password:<16} {display}")

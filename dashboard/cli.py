"""Command line: the stable interface scripts and scheduled jobs call (docs/cli.md).

The CLI is an operator's tool: whoever holds the database URL sees everything in it. Every
failure is one clear line on stderr and a non-zero exit, never a traceback. Only `demo` creates a
store: every other command opens an existing one through `_existing_store`, so a typo in `--db`
is reported instead of silently creating an empty database.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import NoReturn

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from queries import metrics, store
from queries.filters import Filters, Scope
from queries.regions import normalize_code


class CliError(Exception):
    """A problem with the arguments or the input, reported as one line."""


class _Parser(argparse.ArgumentParser):
    """argparse with a Chinese -h and errors raised as one line, not usage + error."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - argparse's own signature
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def error(self, message: str) -> NoReturn:
        raise CliError(f"参数错误：{message}")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{text!r}") from None


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--scale 应为正数：{text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"--scale 应为正数：{text!r}")
    return value


def _region(url: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        code = normalize_code(raw)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    regions = store.load_tables(url).regions
    if regions.filter(pl.col("code") == code).is_empty():
        raise CliError(f"区划代码不存在：{raw}")
    return code


def _tables(url: str):
    """Tables as every page sees them: missing due dates computed from the statutory limits."""
    from queries.deadlines import with_deadlines

    return with_deadlines(store.load_tables(url), _config())


def _config():
    from queries.forms import FormsConfigError, mapping
    from queries.warnings_config import ConfigError, load

    try:
        mapping()  # the 四种形态 table: checked before any figure is computed
        return load()
    except (ConfigError, FormsConfigError) as exc:
        raise CliError(str(exc)) from None


_HINT = "先运行 python -m dashboard init 或 demo"


def _first_line(exc: BaseException) -> str:
    """The driver's own first line (SQLAlchemy's wrapper prefix dropped), or the class name."""
    inner = getattr(exc, "orig", None) or exc
    return (str(inner).strip().splitlines() or [type(inner).__name__])[0]


def _shown(url: str) -> str:
    """A URL as it may be printed: never with its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def _store_url(url: str) -> sa.URL:
    """The parsed `--db`, refused in one line unless it is a SQLite or PostgreSQL URL."""
    try:
        u = make_url(url)
    except sa.exc.ArgumentError:
        raise CliError(f"数据库地址无效：{url}（应为 sqlite:///路径 或 postgresql+psycopg://…）") from None
    if u.get_backend_name() not in ("sqlite", "postgresql"):
        raise CliError(f"不支持的数据库类型 {u.get_backend_name()}：{_shown(url)}"
                       "（仅支持 SQLite 与 PostgreSQL）")
    return u


def _connect(url: str) -> None:
    """Fail with one line when the server cannot be reached (wrong host, password, database)."""
    try:
        with store.engine_for(url).connect():
            pass
    except store.StoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - driver errors vary; the first line says enough
        raise CliError(f"无法连接数据库 {_shown(url)}：{_first_line(exc)}") from None


def _existing_store(url: str) -> str:
    """The `--db` of every command that must not create a store (all but demo and init).

    A SQLite file that does not exist is refused before anything touches it: opening it would
    create the file and its directories. A PostgreSQL URL must connect (its database is created
    by the operator, never by us)."""
    u = _store_url(url)
    if u.get_backend_name() == "sqlite":
        path = u.database or ""
        if path in ("", ":memory:"):
            raise CliError(f"数据库不存在：{_shown(url)}（应为 SQLite 文件路径）；{_HINT}")
        if Path(path).is_dir():
            raise CliError(f"数据库路径是一个目录，不是 SQLite 文件：{path}")
        if not Path(path).is_file():
            raise CliError(f"数据库不存在：{path}；{_HINT}")
    _connect(url)
    return url


def _new_store(url: str) -> str:
    """The `--db` of a command that may create the store (demo, init): a SQLite or PostgreSQL
    URL, a SQLite path that is not a directory, a PostgreSQL server that answers."""
    u = _store_url(url)
    if u.get_backend_name() == "sqlite":
        path = u.database or ""
        if path in ("", ":memory:"):
            raise CliError(f"请给出 SQLite 文件路径（内存数据库在命令结束时即消失）：{_shown(url)}")
        if Path(path).is_dir():
            raise CliError(f"数据库路径是一个目录，不是 SQLite 文件：{path}")
        parent = Path(path).resolve().parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            raise CliError(f"无法在此创建数据库（{parent} 不可写或不是目录）：{path}")
    _connect(url)
    return url


def _open(url: str) -> str:
    """An existing store that holds data: what every read command needs."""
    _existing_store(url)
    try:
        empty = store.is_empty(url)
    except Exception as exc:  # noqa: BLE001 - driver errors vary; the first line says enough
        raise CliError(f"无法打开数据库 {_shown(url)}：{_first_line(exc)}") from None
    if empty:
        raise CliError(f"数据库中没有数据（请先运行 demo 或 import）：{_shown(url)}")
    return url


def _output_file(raw: str, suffix: str) -> Path:
    """An output path checked before any work: the right suffix, an existing writable folder,
    not a directory itself — so a long computation never ends in a failed write."""
    out = Path(raw)
    if out.suffix.lower() != suffix:
        raise CliError(f"--out 应为 {suffix} 文件：{raw}")
    if out.is_dir():
        raise CliError(f"--out 是一个目录，应为文件：{raw}")
    parent = out.parent
    if not parent.is_dir():
        raise CliError(f"输出目录不存在：{parent}")
    if not os.access(parent, os.W_OK | os.X_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise CliError(f"没有写入权限：{raw}")
    return out


def _write_atomically(out: Path, data: bytes) -> None:
    """Write beside the target, then rename: never a half-written file under the real name."""
    tmp = out.with_name(out.name + ".part")
    try:
        tmp.write_bytes(data)
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CliError(f"无法写入 {out}：{exc.strerror or exc}") from None


def cmd_demo(args: argparse.Namespace) -> int:
    from dashboard.demo import write_demo
    from dashboard.demo_accounts import print_passwords

    _new_store(args.db)
    data, passwords = write_demo(args.db, scale=args.scale, seed=args.seed, end=args.end, progress=True)
    t = data.tables
    print(f"演示数据已写入 {_shown(args.db)}：区划 {t.regions.height:,} · 案件 {t.cases.height:,} · "
          f"信访 {t.complaints.height:,} · 整改 {t.rectifications.height:,} · "
          f"进度月报 {t.progress_updates.height:,}")
    print_passwords(passwords)
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    url = _open(args.db)
    as_of = args.as_of or date.today()
    start = args.from_ or as_of.replace(month=1, day=1)
    end = args.to or as_of
    if start > end:
        raise CliError(f"--from {start} 晚于 --to {end}")
    region = _region(url, args.region)
    result = metrics.full_summary(_tables(url), Filters(start, end, region=region), Scope(), as_of)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        from dashboard.i18n import t

        for key, value in result.items():
            if isinstance(value, dict):  # dispositions, complaints_by_channel: one line per word
                value = "、".join(f"{word} {n}" for word, n in value.items()) or "—"
            print(f"{t('metric.' + key)}\t{value}")
    return 0


def cmd_warnings(args: argparse.Namespace) -> int:
    from queries import warnings as W

    url = _open(args.db)
    region = _region(url, args.region)
    rows = W.evaluate(_tables(url), Filters(args.as_of, args.as_of, region=region), Scope(), args.as_of,
                      _config())
    c = W.counts(rows)
    if args.json:
        out = {"as_of": args.as_of.isoformat(), "region": region, "count": rows.height,
               "counts_by_rule": c["by_rule"], "counts_by_level": c["by_level"],
               "warnings": rows.with_columns(pl.col("due_on").cast(pl.String)).to_dicts()}
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        print(f"截至 {args.as_of}：预警 {rows.height:,} 条 · " +
              " · ".join(f"{k} {v:,}" for k, v in c["by_level"].items()))
        for r in rows.head(50).iter_rows(named=True):
            path = "/".join(x for x in (r["district"], r["township"], r["village"]) if x)
            print(f"{r['level']} {r['rule']} {r['record_id']}\t{path}\t{r['reason']}")
    return 0


def cmd_import_geo(args: argparse.Namespace) -> int:
    """Boundary files as downloaded (DataV / amap FeatureCollections, bare geometries named by
    their code), in any coordinate system, stored as WGS-84; all files or nothing."""
    from queries import geo

    url = _open(args.db)
    files = []
    for name in args.files:
        path = Path(name)
        try:
            too_big = geo.size_error(path.stat().st_size, path.name)
            if too_big:  # before reading: a country's file would take the memory of the machine
                raise CliError(too_big)
            files.append((path.name, path.read_bytes()))
        except FileNotFoundError:
            raise CliError(f"文件不存在：{path}") from None
        except IsADirectoryError:
            raise CliError(f"应为文件，而不是目录：{path}") from None
        except OSError as exc:
            raise CliError(f"无法读取 {path}：{exc.strerror or exc}") from None
    regions = store.load_tables(url).regions
    check = geo.check_files(files, regions, code_property=args.code_property, crs=args.crs)
    for note in check.notes:
        print(f"提示：{note}", file=sys.stderr)
    if check.errors:
        for err in check.errors:
            print(err, file=sys.stderr)
        raise CliError(f"边界文件有 {len(check.errors)} 处问题，未写入任何数据")
    diff = store.save_boundaries(url, check.collection)
    print(f"已导入 {len(check.collection['features']):,} 个区划边界（{geo.diff_report(diff)}）")
    missing = geo.missing_report(regions, {f["properties"]["code"] for f in store.load_boundaries(url)["features"]})
    if missing:
        print(missing)
    return 0


def _import_stream(url: str, path: str, who: str) -> int:
    """A large CSV: checked and written in batches, so memory stays bounded by the batch."""
    from tqdm import tqdm

    from queries import audit, ingest

    print("大文件：分批校验…", file=sys.stderr)
    table, problems, batches = ingest.stream_csv(path, store.load_tables(url).regions, today=date.today())
    if problems:
        for problem in problems:
            print(problem.line(), file=sys.stderr)
        audit.record(store.engine_for(url), event="import", account=who, target=Path(path).name,
                     outcome="failure", detail={"problems": len(problems)})
        raise CliError(f"发现 {len(problems)} 处问题（行 · 列 · 值 · 问题 见上），未写入任何数据")
    with tqdm(desc="写入", unit="行", file=sys.stderr) as bar:
        n = store.upsert_batches(url, table, batches(), progress=lambda done: bar.update(done - bar.n))
    audit.record(store.engine_for(url), event="import", account=who, target=Path(path).name, outcome="success",
                 rows=n, detail={table: n})
    print(f"已导入：{ingest.table_label(table)} {n:,} 行")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Check every file whole, then write all of it in one transaction, or nothing. Not scoped to
    a jurisdiction: the CLI is the operator's tool (whoever holds the database URL)."""
    import getpass

    _config()  # the persons sheet is checked against the 四种形态 table

    from queries import audit, ingest

    _existing_store(args.db)
    store.init_schema(args.db)  # an existing but new store (init) gets its tables
    for p in args.files:
        if not Path(p).is_file():
            raise CliError(f"文件不存在：{p}")
    names = ", ".join(Path(p).name for p in args.files)
    who = f"cli:{getpass.getuser()}"
    big = [p for p in args.files if Path(p).suffix.lower() == ".csv"
           and Path(p).stat().st_size > ingest.STREAM_THRESHOLD_BYTES]
    if big and len(args.files) == 1:
        return _import_stream(args.db, big[0], who)
    known = store.load_tables(args.db)
    result = ingest.read_paths(args.files, known.regions, today=date.today())
    for note in result.notes:
        print(note, file=sys.stderr)
    if not result.ok:
        for problem in result.problems:
            print(problem.line(), file=sys.stderr)
        audit.record(store.engine_for(args.db), event="import", account=who, target=names,
                     outcome="failure", detail={"problems": len(result.problems)})
        raise CliError(f"发现 {len(result.problems)} 处问题（行 · 列 · 值 · 问题 见上），未写入任何数据")
    result = ingest.carry_link_dates(result, known.cases)
    from tqdm import tqdm

    with tqdm(total=sum(f.height for f in result.frames.values()), desc="写入", unit="行",
              disable=sum(f.height for f in result.frames.values()) < 50_000) as bar:
        counts = store.upsert(args.db, result.writes(), progress=lambda done, _: bar.update(done - bar.n))
    audit.record(store.engine_for(args.db), event="import", account=who, target=names, outcome="success",
                 rows=sum(counts.values()), detail=counts)
    print("已导入：" + " · ".join(f"{ingest.table_label(t)} {n:,} 行" for t, n in counts.items()))
    return 0


def _existing(url: str) -> str:
    """A store that already exists, else one line: read commands never create one (engine_for
    would make the SQLite file and its folder)."""
    if store.is_sqlite(url):
        from pathlib import Path

        from sqlalchemy.engine import make_url

        path = make_url(url).database
        if not path or path == ":memory:" or not Path(path).is_file():
            raise CliError(f"数据库不存在：{_shown(url)}（先运行 init、demo 或 import）")
    return url


def _first_admin(engine: sa.Engine, username: str) -> str:
    """The store's first 系统管理员 with a generated one-time password, returned to print once;
    the account can do nothing until it has chosen its own password at first sign-in."""
    from queries import accounts

    return accounts.create_with_one_time_password(engine, username, "sysadmin", None, "系统管理员")


def cmd_init(args: argparse.Namespace) -> int:
    """An empty store for a real commission: no demo, ever, and its first system administrator.
    A store that already holds ledgers, boundaries or accounts is refused untouched."""
    import getpass

    from queries import accounts, audit
    from queries.status import holds_anything

    url = args.db
    try:
        engine = store.engine_for(url)
        if holds_anything(engine):
            raise CliError(f"数据库中已有数据或账户，init 只用于新建的空库：{_shown(url)}")
        store.init_schema(url)
    except (CliError, store.StoreError):
        raise
    except Exception as exc:  # noqa: BLE001 - driver errors vary; the first line says enough
        raise CliError(f"无法打开数据库 {_shown(url)}：{str(exc).splitlines()[0]}") from None
    try:
        password = _first_admin(engine, args.admin)
    except accounts.AccountError as exc:
        raise CliError(f"无法创建管理员账户：{exc}") from None
    store.mark_dataset(url, store.LEDGERS)
    audit.record(engine, event="account", account=f"cli:{getpass.getuser()}", target=args.admin,
                 outcome="success", detail={"action": "init", "role": "sysadmin"})
    print(f"已新建空库 {_shown(url)}（不含演示数据）")
    print(f"系统管理员：{args.admin}  一次性密码：{password}")
    print("密码仅显示这一次；请登录后立即修改，并按提示启用动态口令。")
    print("下一步：python -m dashboard import 区划台账.xlsx --db ...（见 README “部署到本地区”）")
    return 0


LEVEL_NAMES = {"city": "市", "district": "区县", "township": "乡镇（街道）", "village": "村（社区）"}


def cmd_status(args: argparse.Namespace) -> int:
    from queries.ingest import table_label
    from queries.status import status

    url = _existing(args.db)
    try:
        result = status(store.engine_for(url))
    except store.StoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - driver errors vary; the first line says enough
        raise CliError(f"无法打开数据库 {_shown(url)}：{str(exc).splitlines()[0]}") from None
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"数据库：{_shown(url)}")
    print(f"内容：{'演示数据' if result['demo'] else '本地台账'} · 数据版本 {result['data_version']}")
    print("台账行数：" + " · ".join(f"{table_label(t)} {n:,}" for t, n in result["rows"].items()))
    print("区划：" + " · ".join(f"{LEVEL_NAMES[k]} {n:,}" for k, n in result["regions_by_level"].items()))
    print("边界：" + " · ".join(f"{LEVEL_NAMES[k]} {n:,}" for k, n in result["boundaries_by_level"].items()))
    print(f"缺少标注点（经度/纬度）的区划：{result['label_points_missing']:,}")
    print(f"账户：{result['accounts']:,}")
    return 0


def cmd_briefing(args: argparse.Namespace) -> int:
    """The meeting deck for a scheduled job: the same slides as the 汇报 page."""
    from dashboard import briefing
    from queries.regions import name_of, root_code

    url = _open(args.db)
    as_of = args.as_of
    start = args.from_ or as_of.replace(month=1, day=1)
    end = args.to or as_of
    if start > end:
        raise CliError(f"--from {start} 晚于 --to {end}")
    out = _output_file(args.out, ".pptx")
    region = _region(url, args.region)
    tables = _tables(url)
    name = name_of(tables.regions, region or root_code(tables.regions))
    deck = briefing.slides(tables, Filters(start, end, region=region), Scope(), as_of, _config(), name)
    _write_atomically(out, briefing.to_pptx(deck, "命令行"))
    print(f"已生成 {out}（{len(deck.slides)} 页）")
    return 0


DB_HELP = ("数据库地址（SQLAlchemy URL，如 sqlite:///data/oversight.db 或 postgresql+psycopg://用户@主机/库名）；"
           "默认取环境变量 OVERSIGHT_DB_URL，否则 sqlite:///data/oversight.db")


def add_db(parser: argparse.ArgumentParser, creates: bool = False) -> None:
    """`--db`, the same on every command. The default is not shown: it may hold a password."""
    parser.add_argument("--db", default=store.resolve_url(), metavar="URL",
                        help=DB_HELP + ("；不存在时创建" if creates else "；必须已存在（不会新建）"))


def add_as_of(parser: argparse.ArgumentParser, required: bool) -> None:
    """`--as-of`: the "today" of overdue figures and warnings."""
    parser.add_argument("--as-of", dest="as_of", type=_date, required=required, default=None,
                        metavar="YYYY-MM-DD",
                        help="截至日期：逾期与预警按这一天计算" + ("（必填）" if required else "（默认今天）"))


def add_period(parser: argparse.ArgumentParser) -> None:
    """`--from` / `--to`: the statistical period, inclusive; both default from `--as-of`."""
    parser.add_argument("--from", dest="from_", type=_date, default=None, metavar="YYYY-MM-DD",
                        help="统计期间起始日（含；默认截至日期所在年的 1 月 1 日）")
    parser.add_argument("--to", type=_date, default=None, metavar="YYYY-MM-DD",
                        help="统计期间结束日（含；默认截至日期）")


def add_region(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", default=None, metavar="CODE",
                        help="只看这一区划及其下级：区划代码（4、6、9 或 12 位，不足 12 位右补 0）；默认全市")


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="输出 JSON（供脚本读取），而不是表格文本")


def build_parser() -> argparse.ArgumentParser:
    """Every command and option, each with a Chinese help text and a readable metavar
    (tests/test_cli.py checks both; docs/cli.md lists them, tests/test_docs.py checks that)."""
    parser = _Parser(prog="python -m dashboard", description="基层监督驾驶舱 命令行")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="命令")

    demo = sub.add_parser("demo", help="生成示例市演示数据（覆盖库中全部数据），并打印演示账户的一次性密码")
    add_db(demo, creates=True)
    demo.add_argument("--scale", type=_scale, default=1.0, metavar="N",
                      help="数据量倍数（1 = 三年约 4,500 件案件、60,000 件信访；默认 1）")
    demo.add_argument("--seed", type=int, default=7, metavar="S", help="随机种子：相同种子生成相同数据（默认 7）")
    demo.add_argument("--end", type=_date, default=None, metavar="YYYY-MM-DD", help="数据截止日期（默认今天）")
    demo.set_defaults(func=cmd_demo)

    summary = sub.add_parser("summary", help="统计期间的核心指标")
    add_db(summary)
    add_period(summary)
    add_region(summary)
    add_as_of(summary, required=False)
    add_json(summary)
    summary.set_defaults(func=cmd_summary)

    warn = sub.add_parser("warnings", help="截至某日的预警清单")
    add_db(warn)
    add_as_of(warn, required=True)
    add_region(warn)
    add_json(warn)
    warn.set_defaults(func=cmd_warnings)

    geo_cmd = sub.add_parser("import-geo", help="导入区划边界（GeoJSON：DataV/高德下载的文件可直接导入；"
                                                "只替换文件中出现的区划）")
    geo_cmd.add_argument("files", nargs="+", metavar="FILE.geojson",
                         help="边界文件：FeatureCollection，或以区划代码命名的单个几何（如 330109.geojson）")
    add_db(geo_cmd)
    geo_cmd.add_argument("--crs", choices=("wgs84", "gcj02", "bd09"), default="wgs84", metavar="wgs84|gcj02|bd09",
                         help="文件的坐标系：wgs84（天地图等）、gcj02（高德、DataV、腾讯）、bd09（百度）；存储为 WGS-84")
    geo_cmd.add_argument("--code-property", dest="code_property", default=None, metavar="NAME",
                         help="区划代码所在的要素属性名（默认依次找 code、adcode）")
    geo_cmd.set_defaults(func=cmd_import_geo)

    imp = sub.add_parser("import", help="导入台账（.xlsx / .csv；先整体校验，有问题则不写入）")
    imp.add_argument("files", nargs="+", metavar="FILE",
                     help="台账文件（.xlsx 或 .csv，可给多个；一并校验，一个事务写入）")
    add_db(imp)
    imp.set_defaults(func=cmd_import)

    init = sub.add_parser("init", help="新建空库（不含演示数据）并创建第一个系统管理员")
    add_db(init, creates=True)
    init.add_argument("--admin", required=True, metavar="NAME", help="系统管理员用户名（字母、数字、下划线和点）")
    init.set_defaults(func=cmd_init)

    stat = sub.add_parser("status", help="库中有什么：台账行数、各级区划与边界、账户")
    add_db(stat)
    add_json(stat)
    stat.set_defaults(func=cmd_status)

    brief = sub.add_parser("briefing", help="生成汇报用 PowerPoint（可编辑的原生图表与表格）")
    add_db(brief)
    add_as_of(brief, required=True)
    add_period(brief)
    add_region(brief)
    brief.add_argument("--out", required=True, metavar="FILE.pptx",
                       help="输出文件（.pptx；所在目录须已存在，同名文件被替换）")
    brief.set_defaults(func=cmd_briefing)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except store.StoreError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head`: not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except (sa.exc.DBAPIError, OSError) as exc:  # e.g. the failure's audit row on a read-only store
        message = store.storage_problem(exc)
        if message is None:
            print(f"文件操作失败：{exc.filename + '：' if getattr(exc, 'filename', None) else ''}{getattr(exc, 'strerror', None) or _first_line(exc)}", file=sys.stderr)
            return 1
        print(message, file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the last net: one line with the class, never a traceback
        print(f"意外错误（{type(exc).__name__}）：{_first_line(exc)}", file=sys.stderr)
        return 1

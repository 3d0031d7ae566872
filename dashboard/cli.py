"""Command line: the stable interface scripts and scheduled jobs call (see DESIGN.md).

The CLI is an operator's tool: whoever holds the database URL sees everything in it. Every
failure is one clear line on stderr and a non-zero exit, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import NoReturn

import polars as pl

from queries import metrics, store
from queries.filters import Filters, Scope
from queries.regions import normalize_code


class CliError(Exception):
    """A problem with the arguments or the input, reported as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not usage + error
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
    from queries.warnings_config import ConfigError, load

    try:
        return load()
    except ConfigError as exc:
        raise CliError(str(exc)) from None


def _open(url: str) -> str:
    """Fail with one line when the database is unreachable or holds no data."""
    try:
        if store.is_empty(url):
            raise CliError(f"数据库中没有数据（请先运行 demo 或 import）：{url}")
    except CliError:
        raise
    except Exception as exc:  # noqa: BLE001 - driver errors vary; the first line says enough
        raise CliError(f"无法打开数据库 {url}：{str(exc).splitlines()[0]}") from None
    return url


def cmd_demo(args: argparse.Namespace) -> int:
    from dashboard.demo import write_demo
    from dashboard.demo_accounts import print_passwords

    data, passwords = write_demo(args.db, scale=args.scale, seed=args.seed, end=args.end, progress=True)
    t = data.tables
    print(f"演示数据已写入 {args.db}：区划 {t.regions.height:,} · 案件 {t.cases.height:,} · "
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
    result = metrics.summary(_tables(url), Filters(start, end, region=region), Scope(), as_of)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        from dashboard.i18n import t

        for key, value in result.items():
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
    from pathlib import Path

    from queries import geo

    url = _open(args.db)
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CliError(f"文件不存在：{path}") from None
    except UnicodeDecodeError:
        raise CliError(f"文件不是 UTF-8 编码的 GeoJSON：{path}") from None
    check = geo.check_geojson(text, store.load_tables(url).regions)
    for note in check.notes:
        print(f"已修复：{note}", file=sys.stderr)
    if check.errors:
        for err in check.errors:
            print(err, file=sys.stderr)
        raise CliError(f"边界文件有 {len(check.errors)} 处问题，未写入任何数据")
    store.save_boundaries(url, check.collection)
    print(f"已导入 {len(check.collection['features']):,} 个区划边界"
          + (f"（自动修复 {len(check.notes)} 处）" if check.notes else ""))
    return 0


def _import_stream(url: str, path: str, who: str) -> int:
    """A large CSV: checked and written in batches, so memory stays bounded by the batch."""
    from pathlib import Path

    from tqdm import tqdm

    from queries import audit, ingest

    print("大文件：分批校验…", file=sys.stderr)
    table, problems, batches = ingest.stream_csv(path, store.load_tables(url).regions)
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
    """Check every file whole, then write all of it in one transaction, or nothing."""
    import getpass
    from pathlib import Path

    from queries import audit, ingest

    store.init_schema(args.db)
    for p in args.files:
        if not Path(p).is_file():
            raise CliError(f"文件不存在：{p}")
    names = ", ".join(Path(p).name for p in args.files)
    who = f"cli:{getpass.getuser()}"
    big = [p for p in args.files if Path(p).suffix.lower() == ".csv"
           and Path(p).stat().st_size > ingest.STREAM_THRESHOLD_BYTES]
    if big and len(args.files) == 1:
        return _import_stream(args.db, big[0], who)
    result = ingest.read_paths(args.files, store.load_tables(args.db).regions)
    if not result.ok:
        for problem in result.problems:
            print(problem.line(), file=sys.stderr)
        audit.record(store.engine_for(args.db), event="import", account=who, target=names,
                     outcome="failure", detail={"problems": len(result.problems)})
        raise CliError(f"发现 {len(result.problems)} 处问题（行 · 列 · 值 · 问题 见上），未写入任何数据")
    from tqdm import tqdm

    with tqdm(total=sum(f.height for f in result.frames.values()), desc="写入", unit="行",
              disable=sum(f.height for f in result.frames.values()) < 50_000) as bar:
        counts = store.upsert(args.db, result.frames, progress=lambda done, _: bar.update(done - bar.n))
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
            raise CliError(f"数据库不存在：{url}（先运行 init、demo 或 import）")
    return url


def _first_admin(engine, username: str) -> str:
    """The store's first 系统管理员 with a generated one-time password, returned to print once."""
    from queries import accounts

    password = accounts.generate_password()
    accounts.create(engine, username, password, role="sysadmin", display_name="系统管理员", region_code=None)
    return password


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
            raise CliError(f"数据库中已有数据或账户，init 只用于新建的空库：{url}")
        store.init_schema(url)
    except (CliError, store.StoreError):
        raise
    except Exception as exc:  # noqa: BLE001 - driver errors vary; the first line says enough
        raise CliError(f"无法打开数据库 {url}：{str(exc).splitlines()[0]}") from None
    try:
        password = _first_admin(engine, args.admin)
    except accounts.AccountError as exc:
        raise CliError(f"无法创建管理员账户：{exc}") from None
    store.mark_dataset(url, store.LEDGERS)
    audit.record(engine, event="account", account=f"cli:{getpass.getuser()}", target=args.admin,
                 outcome="success", detail={"action": "init", "role": "sysadmin"})
    print(f"已新建空库 {url}（不含演示数据）")
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
        raise CliError(f"无法打开数据库 {url}：{str(exc).splitlines()[0]}") from None
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"数据库：{url}")
    print(f"内容：{'演示数据' if result['demo'] else '本地台账'} · 数据版本 {result['data_version']}")
    print("台账行数：" + " · ".join(f"{table_label(t)} {n:,}" for t, n in result["rows"].items()))
    print("区划：" + " · ".join(f"{LEVEL_NAMES[k]} {n:,}" for k, n in result["regions_by_level"].items()))
    print("边界：" + " · ".join(f"{LEVEL_NAMES[k]} {n:,}" for k, n in result["boundaries_by_level"].items()))
    print(f"缺少标注点（经度/纬度）的区划：{result['label_points_missing']:,}")
    print(f"账户：{result['accounts']:,}")
    return 0


def cmd_briefing(args: argparse.Namespace) -> int:
    """The meeting deck for a scheduled job: the same slides as the 汇报 page."""
    from pathlib import Path

    from dashboard import briefing
    from queries.regions import name_of, root_code

    url = _open(args.db)
    as_of = args.as_of
    start = args.from_ or as_of.replace(month=1, day=1)
    end = args.to or as_of
    if start > end:
        raise CliError(f"--from {start} 晚于 --to {end}")
    if not args.out.lower().endswith(".pptx"):
        raise CliError(f"--out 应为 .pptx 文件：{args.out}")
    region = _region(url, args.region)
    tables = _tables(url)
    name = name_of(tables.regions, region or root_code(tables.regions))
    deck = briefing.slides(tables, Filters(start, end, region=region), Scope(), as_of, _config(), name)
    out = Path(args.out)
    tmp = out.with_suffix(".pptx.part")
    tmp.write_bytes(briefing.to_pptx(deck, "命令行"))
    tmp.replace(out)  # never a half-written deck under the real name
    print(f"已生成 {out}（{len(deck.slides)} 页）")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m dashboard", description="基层监督驾驶舱 命令行")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="生成示例市演示数据（覆盖库中全部数据）")
    demo.add_argument("--db", default=store.resolve_url(), help="SQLAlchemy 数据库地址")
    demo.add_argument("--scale", type=_scale, default=1.0, help="数据量倍数")
    demo.add_argument("--seed", type=int, default=7, help="随机种子")
    demo.add_argument("--end", type=_date, default=None, help="数据截止日期（默认今天）")
    demo.set_defaults(func=cmd_demo)

    summary = sub.add_parser("summary", help="统计期间的核心指标")
    summary.add_argument("--db", default=store.resolve_url())
    summary.add_argument("--from", dest="from_", type=_date, default=None)
    summary.add_argument("--to", type=_date, default=None)
    summary.add_argument("--region", default=None, help="区划代码（6、9 或 12 位）")
    summary.add_argument("--as-of", dest="as_of", type=_date, default=None)
    summary.add_argument("--json", action="store_true")
    summary.set_defaults(func=cmd_summary)

    warn = sub.add_parser("warnings", help="截至某日的预警清单")
    warn.add_argument("--db", default=store.resolve_url())
    warn.add_argument("--as-of", dest="as_of", type=_date, required=True)
    warn.add_argument("--region", default=None, help="区划代码（6、9 或 12 位）")
    warn.add_argument("--json", action="store_true")
    warn.set_defaults(func=cmd_warnings)

    geo_cmd = sub.add_parser("import-geo", help="导入区划边界（GeoJSON，要素属性 code 为12位区划代码）")
    geo_cmd.add_argument("file")
    geo_cmd.add_argument("--db", default=store.resolve_url())
    geo_cmd.set_defaults(func=cmd_import_geo)

    imp = sub.add_parser("import", help="导入台账（.xlsx / .csv；先整体校验，有问题则不写入）")
    imp.add_argument("files", nargs="+")
    imp.add_argument("--db", default=store.resolve_url())
    imp.set_defaults(func=cmd_import)

    init = sub.add_parser("init", help="新建空库（不含演示数据）并创建第一个系统管理员")
    init.add_argument("--db", default=store.resolve_url())
    init.add_argument("--admin", required=True, help="系统管理员用户名（字母、数字、下划线和点）")
    init.set_defaults(func=cmd_init)

    stat = sub.add_parser("status", help="库中有什么：台账行数、各级区划与边界、账户")
    stat.add_argument("--db", default=store.resolve_url())
    stat.add_argument("--json", action="store_true")
    stat.set_defaults(func=cmd_status)

    brief = sub.add_parser("briefing", help="生成汇报用 PowerPoint（可编辑的原生图表与表格）")
    brief.add_argument("--db", default=store.resolve_url())
    brief.add_argument("--as-of", dest="as_of", type=_date, required=True)
    brief.add_argument("--from", dest="from_", type=_date, default=None)
    brief.add_argument("--to", type=_date, default=None)
    brief.add_argument("--region", default=None)
    brief.add_argument("--out", required=True)
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

"""The demo city 示例市: regions, boundaries and three years of ledgers, reproducible from a seed.

Volumes and mixes follow what a prefecture-level commission sees in a year (about 1,500 cases,
20,000 complaints and 3,000 rectification items), with seasonality (quiet Spring Festival,
busy second and fourth quarters), a mild upward trend, and three findings planted for a leader
to discover: a township whose rectifications run late, a village with a burst of repeat
complaints, and a field whose cases jump in one quarter. What is open at any date is mostly
weeks to months old, as in a working year: hard complaints, complex cases and missed 回访 links
run late and are settled in the end, leaving a small tail past a year. Everything is vectorised
so that `--scale` can reach millions of rows for benchmarks.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from dashboard import demo_geo
from queries import store
from queries.regions import level_of
from queries.schema import Tables, conform

FIELDS = ["集体三资", "惠民惠农", "乡村振兴", "教育医疗", "养老社保", "生态环保", "食品药品",
          "执法司法", "工程建设", "其他"]
FIELD_P = [0.18, 0.16, 0.12, 0.09, 0.08, 0.07, 0.05, 0.07, 0.12, 0.06]
PROBLEM_TYPES = ["侵占挪用", "优亲厚友", "吃拿卡要", "虚报冒领", "形式主义官僚主义", "违规收送礼金",
                 "失职失责", "其他"]
CASE_SOURCES = ["信访举报", "巡察移交", "审计移交", "监督检查", "自查自纠", "其他"]
RANKS = ["县处级", "乡科级", "一般干部", "村(社区)干部", "其他"]
UNIT_TYPES = ["村(社区)", "乡镇(街道)", "区县部门", "学校", "医院", "国有企业", "其他"]
CHANNELS = ["来信", "来访", "电话", "网络", "12388", "微信群", "坝坝会", "其他"]
# How the demo's complaints and leads arrive (渠道), in the words of docs/data-model.md: most come
# from the public (online reporting first, then phone, letters, 12388, visits, village channels),
# and about one in five is a lead handed over by 巡察, audit or the commission's own supervision
# (queries.schema.LEAD_CHANNELS).
CHANNEL_MIX = {"网络": 0.24, "电话": 0.15, "来信": 0.13, "12388": 0.11, "来访": 0.08, "微信群": 0.04,
               "坝坝会": 0.02, "其他": 0.03, "巡察移交": 0.07, "监督检查": 0.06, "审计移交": 0.03,
               "明查暗访": 0.02, "自查自纠": 0.02}
SATISFACTION = ["满意", "基本满意", "不满意", "未评价"]
# Each 专项治理项目 with the district bureau that leads it.
PROJECT_LEADS = {"农村集体“三资”管理专项整治": "农业农村局", "群众身边不正之风和腐败问题集中整治": "民政局",
                 "惠民富民政策落实专项监督": "人力资源和社会保障局", "高标准农田建设专项治理": "自然资源局",
                 "养老服务领域专项整治": "民政局", "校园餐专项整治": "教育局", "医保基金管理专项整治": "医疗保障局",
                 "乡村振兴项目资金监管": "农业农村局"}
PROJECTS = list(PROJECT_LEADS)
RECT_SOURCES = ["以案促改", "巡察反馈", "审计", "监督检查", "明查暗访", "群众反映"]
BUREAUS = ["农业农村局", "民政局", "教育局", "卫生健康局", "住房和城乡建设局", "自然资源局",
           "水务局", "医疗保障局", "人力资源和社会保障局", "市场监督管理局"]
DESCRIPTIONS = ["村集体资产底数不清、台账不全", "惠农补贴发放不及时、公示不到位", "工程项目未按规定招投标",
                "低保认定不精准", "村级财务报销手续不规范", "食堂食材采购管理不严", "医保基金使用不规范",
                "项目资金拨付滞后", "集体土地发包合同不规范", "养老服务补贴审核把关不严"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰涛明超秀英华平刚桂兰建国志红玉梅文斌宇浩凯鹏辉霞丹")
NOTES = ["已完成问题摸排", "正在制定整改方案", "正在推进整改", "已完成大部分整改", "整改进入收尾阶段"]
NOTE_STAGE_FROM = [0, 15, 30, 70, 90]  # progress % from which each note above applies

# Per-year volumes at scale 1.
CASES_PER_YEAR, COMPLAINTS_PER_YEAR, RECTS_PER_YEAR = 1_500, 20_000, 3_000
# Relative monthly activity (Jan..Dec): quiet around the Spring Festival, busy Q2 and Q4.
MONTH_WEIGHT = np.array([0.85, 0.6, 1.0, 1.05, 1.1, 1.1, 0.95, 0.95, 1.0, 1.0, 1.1, 1.2])
JUMP_FIELD = "集体三资"


@dataclass(frozen=True)
class Planted:
    """What a leader must be able to find in the demo."""

    slow_township: str
    repeat_village: str
    jump_field: str
    jump_quarter_start: date


@dataclass(frozen=True)
class DemoData:
    tables: Tables
    boundaries: dict
    planted: Planted


def _quarter_start(d: date) -> date:
    return date(d.year, (d.month - 1) // 3 * 3 + 1, 1)


def _previous_quarter_start(d: date) -> date:
    q = _quarter_start(d)
    return _quarter_start(q - timedelta(days=1))


class _Calendar:
    """Day offsets from `start`, with weights for seasonality and a yearly trend."""

    def __init__(self, start: date, end: date):
        self.start = start
        self.days = (end - start).days + 1
        offsets = np.arange(self.days)
        dates = np.datetime64(start) + offsets
        months = dates.astype("datetime64[M]").astype(int) % 12
        trend = 1 + 0.10 * offsets / 365
        weights = MONTH_WEIGHT[months] * trend
        self.p = weights / weights.sum()

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(self.days, size=n, p=self.p)

    def to_dates(self, offsets: np.ndarray) -> np.ndarray:
        return np.datetime64(self.start) + offsets.astype("timedelta64[D]")


def _pick(rng: np.random.Generator, options: list[str], n: int, p: list[float] | None = None) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=n, p=p)]


def _names(rng: np.random.Generator, n: int) -> np.ndarray:
    sur = _pick(rng, SURNAMES, n)
    g1 = _pick(rng, GIVEN, n)
    g2 = np.where(rng.random(n) < 0.6, _pick(rng, GIVEN, n), "")
    return sur + g1 + g2


def _ids(prefix: str, days: np.ndarray) -> np.ndarray:
    """Ledger-style ids numbered in date order within each year: AJ2025000123."""
    order = np.argsort(days, kind="stable")
    years = days.astype("datetime64[Y]").astype(int) + 1970
    out = np.empty(days.size, dtype=object)
    seq: dict[int, int] = {}
    for i in order:
        y = int(years[i])
        seq[y] = seq.get(y, 0) + 1
        out[i] = f"{prefix}{y}{seq[y]:07d}"
    return out


def _dates_or_null(days: np.ndarray, keep: np.ndarray) -> pl.Series:
    """datetime64 days → a polars Date series, null where `keep` is False."""
    s = pl.Series(days.astype("datetime64[D]"))
    return s.set(pl.Series(~keep), None) if (~keep).any() else s


def _regions_frame(regions: list[demo_geo.Region], rng: np.random.Generator) -> pl.DataFrame:
    villages = [r for r in regions if r.level == "village"]
    pop = {}
    for r in villages:
        urban = r.name.endswith("社区")
        pop[r.code] = int(rng.integers(3000, 9000) if urban else rng.integers(800, 4500))
    for level in ("township", "district", "city"):
        for r in regions:
            if r.level == level:
                pop[r.code] = sum(v for c, v in pop.items()
                                  if c != r.code and c.startswith(r.code[: {"township": 9, "district": 6, "city": 4}[level]])
                                  and level_of(c) == _child(level))
    rows = []
    key_watch = set()
    for d in (r for r in regions if r.level == "district"):
        vs = [v.code for v in villages if v.code.startswith(d.code[:6])]
        for code in rng.choice(vs, size=2, replace=False):
            key_watch.add(str(code))
    for r in regions:
        lon, lat = demo_geo.label_point(r.polygon)
        rows.append({"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code,
                     "lon": lon, "lat": lat, "population": pop[r.code], "key_watch": r.code in key_watch})
    return pl.DataFrame(rows)


def _child(level: str) -> str:
    return {"city": "district", "district": "township", "township": "village"}[level]


def _weighted_codes(regions: pl.DataFrame, level: str, rng: np.random.Generator, n: int) -> np.ndarray:
    sub = regions.filter(pl.col("level") == level)
    w = sub["population"].to_numpy().astype(float)
    return sub["code"].to_numpy()[rng.choice(sub.height, size=n, p=w / w.sum())]


def generate(scale: float = 1.0, seed: int = 7, end: date | None = None, progress: bool = False) -> DemoData:
    """Build the demo city. Same (scale, seed, end), same data."""
    from tqdm import tqdm

    end = end or date.today()
    start = end.replace(year=end.year - 3) + timedelta(days=1)
    rng = np.random.default_rng(seed)
    # Delays drawn from a generator of their own (how late a hard complaint, a stalled case or a
    # caught-up link comes), so that every other column of a seed stays as it was.
    late = np.random.default_rng([seed, 23])
    bar = tqdm(total=6, desc="生成演示数据", disable=not progress, unit="步")

    geo = demo_geo.build(rng)
    regions = _regions_frame(geo, rng)
    boundaries = demo_geo.feature_collection(geo)
    bar.update(1)

    cal = _Calendar(start, end)
    names = dict(zip(regions["code"], regions["name"]))
    townships = regions.filter(pl.col("level") == "township").sort("population", descending=True)
    slow_township = townships["code"][int(rng.integers(3, 12))]
    villages = regions.filter(pl.col("level") == "village")
    repeat_village = villages.sort("code")["code"][int(rng.integers(0, villages.height))]
    jump_q = _previous_quarter_start(end)
    planted = Planted(slow_township, repeat_village, JUMP_FIELD, jump_q)

    cases = _cases(rng, late, regions, names, cal, scale, end, planted)
    bar.update(1)
    complaints = _complaints(rng, late, regions, cal, scale, end, cases, planted)
    bar.update(1)
    rects, updates = _rectifications(rng, regions, names, cal, scale, end, cases, planted, bar)
    from dashboard import demo_persons

    more = demo_persons.add({"cases": cases, "complaints": complaints}, regions, cal, end, scale, seed)
    bar.close()
    tables = Tables(regions=conform("regions", regions), cases=conform("cases", more["cases"]),
                    complaints=conform("complaints", more["complaints"]),
                    rectifications=conform("rectifications", rects),
                    progress_updates=conform("progress_updates", updates),
                    persons=conform("persons", more["persons"]), link_events=conform("link_events", more["link_events"]))
    return DemoData(tables, boundaries, planted)


def _cases(rng, late, regions, names, cal, scale, end, planted) -> pl.DataFrame:
    n = max(1, round(CASES_PER_YEAR * 3 * scale))
    unit_type = _pick(rng, UNIT_TYPES, n, [0.45, 0.25, 0.12, 0.06, 0.05, 0.04, 0.03])
    village = _weighted_codes(regions, "village", rng, n)
    township = np.array([c[:9] + "000" for c in village], dtype=object)
    district = np.array([c[:6] + "000000" for c in village], dtype=object)
    region = np.where(unit_type == "村(社区)", village,
                      np.where(unit_type == "乡镇(街道)", township, district))
    field = _pick(rng, FIELDS, n, FIELD_P)
    filed = cal.sample(rng, n)

    # The planted jump: extra cases of one field filed in one quarter (about 3× its usual level).
    q0 = (planted.jump_quarter_start - cal.start).days
    q1 = (_quarter_start(planted.jump_quarter_start + timedelta(days=95)) - cal.start).days
    usual = n * FIELD_P[FIELDS.index(planted.jump_field)] / 12
    extra = max(2, round(2 * usual))
    if q0 >= 0:
        n += extra
        unit_type = np.r_[unit_type, np.full(extra, "村(社区)", dtype=object)]
        v_extra = _weighted_codes(regions, "village", rng, extra)
        region = np.r_[region, v_extra]
        village = np.r_[village, v_extra]
        field = np.r_[field, np.full(extra, planted.jump_field, dtype=object)]
        filed = np.r_[filed, rng.integers(q0, min(q1, cal.days), size=extra)]

    filed_d = cal.to_dates(filed)
    clue = filed_d - rng.integers(5, 60, n).astype("timedelta64[D]")
    duration = np.clip(rng.lognormal(np.log(95), 0.5, n), 30, 300).astype(int)
    # About one case in thirty is complex (several subjects, 留置, waiting on an audit): it runs
    # months longer, a few of them past a year.
    stalled = rng.random(n) < 0.03
    extra = np.maximum(90, late.lognormal(np.log(200), 0.6, n)).astype(int)
    duration = np.where(stalled, duration + extra, duration)
    closed_d = filed_d + duration.astype("timedelta64[D]")
    end64 = np.datetime64(end)
    closed = closed_d <= end64

    party = np.where(closed, rng.choice([0, 1, 1, 1, 2, 3], n), 0)
    gov = np.where(closed, rng.choice([0, 0, 1, 1, 2], n), 0)
    org = np.where(closed, rng.choice([0, 0, 1, 2], n), 0)
    judicial = np.where(closed, (rng.random(n) < 0.06).astype(int), 0)
    account = np.where(closed, rng.choice([0, 0, 0, 1, 2], n), 0)
    involved = np.round(rng.lognormal(np.log(8), 1.0, n), 2)
    recovered = np.where(closed, np.round(involved * rng.uniform(0.3, 1.0, n), 2), np.nan)

    def link(p: float, lo: int, hi: int, after: np.ndarray,
             catch_up: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        d = after + rng.integers(lo, hi, n).astype("timedelta64[D]")
        held = rng.random(n) < p
        if catch_up is not None:
            # A link missed at first is mostly held late (a first wait, then about a median
            # more), within the year; about one in twenty is never held.
            first, median = catch_up
            wait = first + late.lognormal(np.log(median), 0.7, n).astype(int)
            caught = ~held & (late.random(n) < 0.95)
            d = np.where(caught, after + wait.astype("timedelta64[D]"), d)
            held |= caught
        return d, closed & held & (d <= end64)

    exposed_d, exposed = link(0.8, 3, 40, closed_d)
    reflect_d, reflect = link(0.9, 7, 45, closed_d)
    revisit_d, revisit = link(0.85, 30, 120, closed_d, catch_up=(120, 90))
    feedback_d, feedback = link(0.95, 5, 40, revisit_d, catch_up=(40, 30))
    feedback &= revisit

    bureau = _pick(rng, BUREAUS, n)
    code_name = np.vectorize(lambda c: names.get(c, ""), otypes=[object])
    region_name = code_name(region)
    unit_name = np.select(
        [unit_type == "村(社区)", unit_type == "乡镇(街道)", unit_type == "区县部门", unit_type == "学校",
         unit_type == "医院", unit_type == "国有企业"],
        [np.char.add(region_name.astype(str), np.where(np.char.endswith(region_name.astype(str), "社区"),
                                                        "居民委员会", "村民委员会")),
         np.char.add(region_name.astype(str), "人民政府"),
         np.char.add(region_name.astype(str), bureau.astype(str)),
         np.char.add(region_name.astype(str), "第一中学"),
         np.char.add(region_name.astype(str), "人民医院"),
         np.char.add(region_name.astype(str), "城市建设投资有限公司")],
        default=np.char.add(region_name.astype(str), "供销合作社"))

    case_id = _ids("AJ", filed_d).astype(str)
    df = pl.DataFrame({
        "case_id": case_id, "region_code": region.astype(str), "unit_name": unit_name.astype(str),
        "unit_type": unit_type.astype(str), "field": field.astype(str),
        "problem_type": _pick(rng, PROBLEM_TYPES, n).astype(str),
        "source": _pick(rng, CASE_SOURCES, n, [0.45, 0.2, 0.08, 0.17, 0.05, 0.05]).astype(str),
        "subject_rank": _pick(rng, RANKS, n, [0.01, 0.09, 0.35, 0.5, 0.05]).astype(str),
        "clue_received_on": _dates_or_null(clue, np.ones(n, bool)),
        "filed_on": _dates_or_null(filed_d, np.ones(n, bool)),
        "closed_on": _dates_or_null(closed_d, closed),
        "party_discipline": party, "gov_sanction": gov, "org_handling": org,
        "transferred_judicial": judicial, "accountability": account,
        "amount_involved": involved, "amount_recovered": recovered,
        "exposed_on": _dates_or_null(exposed_d, exposed),
        "reflection_on": _dates_or_null(reflect_d, reflect),
        "revisit_on": _dates_or_null(revisit_d, revisit),
        "feedback_on": _dates_or_null(feedback_d, feedback),
    }).with_columns(pl.col("amount_recovered").fill_nan(None))
    # A couple of process inversions (流程倒置) for the warning rules to find.
    k = max(2, n // 1000)
    bad = df.filter(pl.col("closed_on").is_not_null()).head(k)["case_id"]
    return df.with_columns(
        pl.when(pl.col("case_id").is_in(bad.implode()))
        .then(pl.col("filed_on") - pl.duration(days=12)).otherwise(pl.col("closed_on")).alias("closed_on"))


def _complaints(rng, late, regions, cal, scale, end, cases, planted) -> pl.DataFrame:
    n = max(1, round(COMPLAINTS_PER_YEAR * 3 * scale))
    region = _weighted_codes(regions, "village", rng, n)
    received = cal.to_dates(cal.sample(rng, n))
    is_repeat = rng.random(n) < 0.04
    # The planted hot spot: repeat complaints from one village in the last two months.
    burst = 8
    end64 = np.datetime64(end)
    region = np.r_[region, np.full(burst, planted.repeat_village, dtype=object)]
    received = np.r_[received, end64 - rng.integers(5, 60, burst).astype("timedelta64[D]")]
    is_repeat = np.r_[is_repeat, np.ones(burst, bool)]
    n += burst

    limit = rng.choice([15, 30, 60], n, p=[0.2, 0.65, 0.15])
    due = received + limit.astype("timedelta64[D]")
    handling = np.maximum(1, np.round(limit * rng.lognormal(np.log(0.55), 0.45, n))).astype(int)
    # About one complaint in thirty is hard to settle (several departments, a second 核查): it runs
    # past its limit by weeks to months, rarely by more than a year, and is closed in the end.
    hard = rng.random(n) < 0.03
    overrun = np.maximum(1, late.lognormal(np.log(45), 0.9, n)).astype(int)
    handling = np.where(hard, limit + overrun, handling)
    closed_d = received + handling.astype("timedelta64[D]")
    closed = closed_d <= end64
    sat = np.where(closed, _pick(rng, SATISFACTION, n, [0.7, 0.18, 0.05, 0.07]), None)
    in_scope = rng.random(n) < 0.75
    case_ids = cases["case_id"].to_numpy()
    converted = in_scope & (rng.random(n) < 0.04)
    case_id = np.where(converted, case_ids[rng.integers(0, len(case_ids), n)], None)
    ids = _ids("XF", received)
    return pl.DataFrame({
        "complaint_id": ids.astype(str), "region_code": region.astype(str),
        "received_on": _dates_or_null(received, np.ones(n, bool)),
        "channel": _pick(rng, list(CHANNEL_MIX), n, list(CHANNEL_MIX.values())).astype(str),
        "field": _pick(rng, FIELDS, n, FIELD_P).astype(str),
        "in_scope": in_scope, "is_repeat": is_repeat, "anonymous": rng.random(n) < 0.35,
        "due_on": _dates_or_null(due, np.ones(n, bool)),
        "closed_on": _dates_or_null(closed_d, closed),
        "satisfaction": pl.Series(sat.tolist(), dtype=pl.String),
        "case_id": pl.Series(case_id.tolist(), dtype=pl.String),
    })


def _rectifications(rng, regions, names, cal, scale, end, cases, planted, bar):
    n = max(1, round(RECTS_PER_YEAR * 3 * scale))
    village = _weighted_codes(regions, "village", rng, n)
    # The planted slow township gets a larger share of items, most of them late.
    slow_villages = regions.filter((pl.col("level") == "village")
                                   & pl.col("code").str.starts_with(planted.slow_township[:9]))["code"].to_numpy()
    n_slow = max(6, round(n * 0.012))
    village = np.r_[village, slow_villages[rng.integers(0, len(slow_villages), n_slow)]]
    n += n_slow
    at_township = rng.random(n) < 0.4
    township = np.array([c[:9] + "000" for c in village], dtype=object)
    region = np.where(at_township, township, village)
    slow = np.array([c.startswith(planted.slow_township[:9]) for c in village])

    started = cal.to_dates(cal.sample(rng, n))
    span = rng.integers(30, 181, n)
    due = started + span.astype("timedelta64[D]")
    factor = rng.lognormal(np.log(0.85), 0.3, n)
    factor = np.where(slow, factor * 2.6, factor)
    take = np.maximum(5, np.round(span * factor)).astype(int)
    completed_d = started + take.astype("timedelta64[D]")
    end64 = np.datetime64(end)
    completed = completed_d <= end64

    d_code = np.array([c[:6] + "000000" for c in village], dtype=object)
    code_name = np.vectorize(lambda c: names.get(c, ""), otypes=[object])
    project = _pick(rng, PROJECTS, n)
    bureau = np.vectorize(PROJECT_LEADS.get, otypes=[object])(project)
    unit = np.where(at_township | slow, np.char.add(code_name(township).astype(str), "人民政府"),
                    np.char.add(code_name(d_code).astype(str), bureau.astype(str)))
    persons = _names(rng, 400)
    person = persons[rng.integers(0, 400, n)]
    verified = completed & (rng.random(n) < 0.8)
    verified_d = completed_d + rng.integers(5, 40, n).astype("timedelta64[D]")
    verified &= verified_d <= end64
    funds = np.where(completed & (rng.random(n) < 0.3), np.round(rng.lognormal(np.log(5), 1, n), 2), np.nan)
    rules = np.where(completed, rng.choice([0, 0, 1, 1, 2, 3], n), 0)
    case_ids = cases["case_id"].to_numpy()
    case_id = np.where(rng.random(n) < 0.15, case_ids[rng.integers(0, len(case_ids), n)], None)
    item_id = _ids("ZG", started)
    bar.update(1)

    # Monthly progress reports every 30 days from the start, stopping at completion or `end`;
    # the slow township stops reporting two to four months before `end` (stale updates).
    stop = np.where(completed, completed_d, end64)
    stale = slow & ~completed
    stop = np.where(stale, stop - rng.integers(60, 120, n).astype("timedelta64[D]"), stop)
    months = np.maximum(0, ((stop - started).astype(int) - 1) // 30)
    idx = np.repeat(np.arange(n), months)
    k = np.arange(idx.size) - np.repeat(np.cumsum(months) - months, months)
    rep_d = started[idx] + ((k + 1) * 30).astype("timedelta64[D]")
    frac = ((k + 1) * 30) / np.maximum(take[idx], 1)
    noise = rng.uniform(0.8, 1.0, idx.size)
    pct = np.minimum(95, np.floor(100 * frac * noise * np.where(slow[idx], 0.5, 1.0)))
    updates = pl.DataFrame({"item_id": item_id[idx].astype(str), "reported_on": _dates_or_null(rep_d, np.ones(idx.size, bool)),
                            "progress_pct": pct.astype(float)})
    final = pl.DataFrame({"item_id": item_id[completed].astype(str),
                          "reported_on": _dates_or_null(completed_d[completed], np.ones(int(completed.sum()), bool)),
                          "progress_pct": np.full(int(completed.sum()), 100.0)})
    updates = (pl.concat([updates, final])
               .unique(["item_id", "reported_on"], keep="last", maintain_order=True)
               .sort("item_id", "reported_on")
               .with_columns(pl.col("progress_pct").cum_max().over("item_id")))
    # A report's words follow its progress (a 2 % item has not "mostly finished"); one in five
    # still reads the stage before, as real reports lag their figures.
    lag = rng.integers(0, len(NOTES), updates.height) == 0
    stage = np.searchsorted(NOTE_STAGE_FROM, updates["progress_pct"].to_numpy(), side="right") - 1
    stage = np.clip(stage - lag, 0, len(NOTES) - 1)
    updates = updates.with_columns(
        pl.when(pl.col("progress_pct") >= 100).then(pl.lit("已完成整改"))
        .otherwise(pl.Series(np.asarray(NOTES, dtype=object)[stage].astype(str)))
        .alias("note"))
    bar.update(1)
    last = updates.group_by("item_id").agg(pl.col("reported_on").max().alias("last_update_on"),
                                           pl.col("progress_pct").max().alias("progress_pct"))
    df = pl.DataFrame({
        "item_id": item_id.astype(str), "region_code": region.astype(str),
        "project": project.astype(str), "source": _pick(rng, RECT_SOURCES, n).astype(str),
        "description": _pick(rng, DESCRIPTIONS, n).astype(str), "responsible_unit": unit.astype(str),
        "responsible_person": person.astype(str),
        "started_on": _dates_or_null(started, np.ones(n, bool)), "due_on": _dates_or_null(due, np.ones(n, bool)),
        "completed_on": _dates_or_null(completed_d, completed), "verified_on": _dates_or_null(verified_d, verified),
        "funds_recovered": funds, "rules_established": rules,
        "case_id": pl.Series(case_id.tolist(), dtype=pl.String),
    }).with_columns(pl.col("funds_recovered").fill_nan(None))
    df = df.join(last, on="item_id", how="left").with_columns(pl.col("progress_pct").fill_null(0.0))
    # Process inversions: a couple of items "completed" before they were started.
    k = max(2, n // 2000)
    bad = df.filter(pl.col("completed_on").is_not_null()).head(k)["item_id"]
    df = df.with_columns(
        pl.when(pl.col("item_id").is_in(bad.implode()))
        .then(pl.col("started_on") - pl.duration(days=5)).otherwise(pl.col("completed_on")).alias("completed_on"))
    bar.update(1)
    return df, updates


def write_demo(url: str, scale: float = 1.0, seed: int = 7, end: date | None = None,
               progress: bool = False) -> tuple[DemoData, dict[str, tuple[str, str]]]:
    """Generate and replace the store's contents in one transaction (boundaries included: the
    app reads them from the store) and create the demo accounts; returns the data and the
    accounts' one-time passwords. Nothing is written outside the store."""
    from tqdm import tqdm

    from dashboard.demo_accounts import create_demo_accounts

    data = generate(scale=scale, seed=seed, end=end, progress=progress)
    rows = sum(getattr(data.tables, t).height for t in store.TABLE_NAMES)
    with tqdm(total=rows, desc="写入数据库", disable=not progress, unit="行", unit_scale=True) as bar:
        store.replace_all(url, data.tables, data.boundaries, dataset="demo", progress=bar.update)
    passwords = create_demo_accounts(url, data.tables.regions, data.planted.slow_township)
    return data, passwords

"""Every label the UI shows, in one catalogue: 简体中文 first, English second.

Pages and components ask for `t("key")`; nothing user-visible is spelled anywhere else, so a
missing translation is a test failure, not a surprise in a meeting.
"""
from __future__ import annotations

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

CATALOGUE: dict[str, tuple[str, str]] = {
    # app chrome
    "app.title": ("基层监督驾驶舱", "Grassroots Oversight Dashboard"),
    "app.demo_badge": ("演示数据", "Demo data"),
    "app.first_run": ("首次运行：正在生成演示数据（示例市），约需半分钟…",
                      "First run: generating demo data (示例市), about half a minute…"),
    "app.db_error": ("无法连接数据库：{error}", "Cannot open the database: {error}"),
    "nav.section.cockpit": ("驾驶舱", "Cockpit"),
    "nav.overview": ("总览", "Overview"),
    "lang.label": ("语言 / Language", "语言 / Language"),
    # filter bar
    "filter.header": ("筛选", "Filters"),
    "filter.period": ("统计期间", "Period"),
    "period.month": ("本月", "This month"),
    "period.quarter": ("本季度", "This quarter"),
    "period.year": ("本年", "This year"),
    "period.last12": ("近12个月", "Last 12 months"),
    "period.custom": ("自定义", "Custom"),
    "filter.range": ("起止日期", "Date range"),
    "filter.as_of": ("截至日期", "As of"),
    "filter.as_of_help": ("逾期、办结等口径以此日期为准", "Overdue and closure figures are measured on this date"),
    "filter.district": ("区县", "District"),
    "filter.township": ("乡镇（街道）", "Township"),
    "filter.village": ("村（社区）", "Village"),
    "filter.all_districts": ("全部区县", "All districts"),
    "filter.all_townships": ("全部乡镇", "All townships"),
    "filter.all_villages": ("全部村（社区）", "All villages"),
    "filter.fields": ("领域", "Fields"),
    "filter.fields_all": ("全部领域", "All fields"),
    "filter.reset": ("重置筛选", "Reset filters"),
    "filter.range_incomplete": ("请选择完整的起止日期", "Choose both a start and an end date"),
    "scope.caption": ("{region} · {start} 至 {end} · 截至 {as_of}", "{region} · {start} to {end} · as of {as_of}"),
    # metrics
    "metric.cases_filed": ("立案数", "Cases filed"),
    "metric.persons_disciplined": ("处分人数", "Persons disciplined"),
    "metric.org_handling": ("组织处理人数", "Organisational handling"),
    "metric.transferred_judicial": ("移送司法人数", "Transferred to judiciary"),
    "metric.accountability": ("问责人数", "Held accountable"),
    "metric.exposed": ("通报曝光", "Publicly exposed"),
    "metric.funds_recovered_wan": ("追缴挽回资金", "Funds recovered"),
    "metric.complaints_received": ("信访件数", "Complaints received"),
    "metric.complaints_closed": ("办结件数", "Complaints closed"),
    "metric.closure_rate": ("办结率", "Closure rate"),
    "metric.on_time_rate": ("按期办结率", "On-time closure rate"),
    "metric.satisfaction_rate": ("满意率", "Satisfaction rate"),
    "metric.conversion_rate": ("线索转化率", "Lead-to-case rate"),
    "metric.rectifications_total": ("交办整改事项", "Rectification items assigned"),
    "metric.rectifications_completed": ("已完成整改", "Rectifications completed"),
    "metric.completion_rate": ("整改完成率", "Rectification completion rate"),
    "metric.on_time_completion_rate": ("按期完成率", "On-time completion rate"),
    "metric.rectifications_overdue": ("逾期事项", "Overdue items"),
    "metric.rules_established": ("建立制度数", "Rules established"),
    # metric definitions (help texts; the one place a definition is worded)
    "def.cases_filed": ("立案日期在统计期间内的案件数", "Cases whose filing date falls in the period"),
    "def.persons_disciplined": ("审结日期在期间内案件的党纪处分与政务处分人数之和",
                                "Party and government sanctions in cases closed in the period"),
    "def.funds_recovered_wan": ("期间内审结案件的追缴金额 + 期间内完成整改的清缴挽回资金（万元）",
                                "Recovered in cases closed plus rectifications completed in the period (10k yuan)"),
    "def.complaints_received": ("受理日期在期间内的信访举报件数", "Complaints received in the period"),
    "def.closure_rate": ("期间内受理、截至日期前已办结的件数 ÷ 受理件数",
                         "Of complaints received in the period, share closed by the as-of date"),
    "def.satisfaction_rate": ("（满意 + 基本满意）÷ 已评价件数", "(Satisfied + fairly satisfied) / evaluated"),
    "def.completion_rate": ("完成时限在期间内的整改事项中，截至日期前已完成的比例",
                            "Of items due in the period, share completed by the as-of date"),
    "def.rectifications_overdue": ("截至日期时已过完成时限且未完成的整改事项（存量，不受期间影响）",
                                   "Items past due and not completed on the as-of date (a stock; period ignored)"),
    # units and changes
    "unit.count": ("件", ""),
    "unit.people": ("人", ""),
    "unit.wan": ("万元", "10k yuan"),
    "unit.yi": ("亿元", "100m yuan"),
    "change.yoy": ("同比", "YoY"),
    "change.mom": ("环比", "vs prev."),
    "change.pp": ("{sign}{value} 个百分点", "{sign}{value} pp"),
    "change.na": ("无可比数据", "no comparison"),
    # overview
    "overview.title": ("总览", "Overview"),
    "overview.kpis": ("核心指标", "Key figures"),
    "overview.sparkline_help": ("近12个月走势", "Last 12 months"),
    "overview.ranking": ("下级区域排名", "Ranking of sub-regions"),
    "overview.ranking_metric": ("排名指标", "Rank by"),
    "overview.per10k": ("按每万人口", "Per 10,000 residents"),
    "overview.no_children": ("当前区域没有下级区域。", "This region has no sub-regions."),
    "overview.rank_axis_per10k": ("{metric}（每万人）", "{metric} (per 10,000 residents)"),
    "empty.period": ("本期无数据", "No data for this period"),
    "empty.hint": ("可尝试放宽统计期间或区域。", "Try a wider period or region."),
    # accounts and sign-in
    "auth.signin": ("登录", "Sign in"),
    "auth.username": ("用户名", "User name"),
    "auth.password": ("密码", "Password"),
    "auth.totp": ("动态口令（已绑定时填写）", "One-time code (if enrolled)"),
    "auth.totp_help": ("绑定了动态口令的账户需填写6位数字", "Accounts with a second factor enter the 6-digit code"),
    "auth.submit": ("登录", "Sign in"),
    "auth.failed": ("用户名或密码错误", "Wrong user name or password"),
    "auth.locked": ("连续登录失败次数过多，账户已锁定，请约 {minutes} 分钟后再试",
                    "Too many failed attempts: the account is locked for about {minutes} min"),
    "auth.need_totp": ("请输入动态口令", "Enter your one-time code"),
    "auth.expired": ("长时间未操作，会话已超时，请重新登录", "Your session expired after inactivity; sign in again"),
    "auth.demo_accounts": ("演示账户", "Demo accounts"),
    "auth.demo_hint": ("演示账户的密码在生成演示数据时于命令行输出一次。",
                       "Demo account passwords were printed once on the console when the demo data was generated."),
    "auth.role": ("角色", "Role"),
    "auth.region": ("管辖范围", "Jurisdiction"),
    "auth.whole_city": ("全市", "Whole city"),
    "auth.oidc": ("使用统一身份认证登录", "Sign in with single sign-on"),
    "auth.signed_in_as": ("{name}（{role}）", "{name} ({role})"),
    "auth.signout": ("退出登录", "Sign out"),
    "auth.no_pages": ("当前角色没有可用页面。", "No pages for this role."),
    "role.leader": ("领导", "Leader"),
    "role.staff": ("工作人员", "Staff"),
    "role.sysadmin": ("系统管理员", "System administrator"),
    "role.auditor": ("审计管理员", "Audit administrator"),
    # --- trends (趋势) ---
    # --- end trends ---
    # --- warnings (预警) ---
    # --- end warnings ---
    # --- maps (地图) ---
    # --- end maps ---
    # --- detail tables and exports (明细) ---
    # --- end detail ---
    # --- import and data management (数据管理) ---
    # --- end import ---
}


def t(key: str, lang: str = DEFAULT_LANG, **kwargs: object) -> str:
    """The label for `key` in `lang`, formatted with kwargs; the key itself if unknown."""
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    text = entry[LANGS.index(lang)] if lang in LANGS else entry[0]
    return text.format(**kwargs) if kwargs else text

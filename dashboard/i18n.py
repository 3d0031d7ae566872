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
    "app.loading": ("正在载入台账数据…", "Loading the ledgers…"),
    "app.refreshing": ("台账数据已更新，正在后台载入新数据，完成后本页自动刷新；当前显示的是更新前的数据。",
                       "The ledgers were updated; the new data is loading in the background and this "
                       "page refreshes when it is ready. The figures shown are from before the update."),
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
                                "Recovered in cases closed plus rectifications completed in the period"),
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
    "partial.to_day": ("（截至{day}日）", " (to {ordinal})"),
    "partial.to_date": ("（截至{month}月{day}日）", " (to {day} {mon})"),
    "partial.immature": ("未到期", "not yet due"),
    "partial.same_days": ("（相同天数）", " (same days)"),
    "partial.caption": ("{bucket}尚未结束：浅色斜纹柱为截至 {as_of} 的部分数据，同比、环比按相同天数比较"
                        "（如 12月1–2日 比 11月1–2日）；比率类指标的未结束期间、以及信访件尚未全部到期的月份的办结率、满意率记为“未到期”，不画成下降。",
                        "{bucket} is not over: the light, hatched bar holds data to {as_of} only; its YoY and "
                        "change on previous compare the same number of days (1–2 Dec with 1–2 Nov); a rate in "
                        "a period not yet over, or a complaint rate of a month whose complaints are not all due, "
                        "is marked 'not yet due' rather than drawn as a fall."),
    "partial.cards": ("{period}尚未结束：数据截至 {as_of}，同比、环比按相同天数比较；卡片走势图只含已结束的月份（办结率、满意率只含信访件均已到期的月份）。",
                      "{period} is not over: figures to {as_of}; YoY and change on previous compare the same "
                      "number of days; the card sparklines show finished months only (closure and satisfaction rates: months whose complaints are all due)."),
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
    # accounts page (系统管理员) and audit page (审计管理员)
    "nav.section.admin": ("系统管理", "Administration"),
    "nav.accounts": ("账户管理", "Accounts"),
    "nav.audit": ("审计日志", "Audit log"),
    "acct.title": ("账户管理", "Accounts"),
    "acct.list": ("账户列表", "Accounts"),
    "acct.create": ("新建账户", "New account"),
    "acct.display_name": ("姓名", "Name"),
    "acct.role": ("角色", "Role"),
    "acct.region": ("管辖范围", "Jurisdiction"),
    "acct.password": ("初始密码（留空则自动生成）", "Initial password (blank: generate)"),
    "acct.submit_create": ("创建", "Create"),
    "acct.created": ("已创建账户 {username}。初始密码（仅显示这一次）：{password}",
                     "Account {username} created. Initial password (shown once): {password}"),
    "acct.pick": ("选择账户", "Account"),
    "acct.save": ("保存角色与管辖范围", "Save role and jurisdiction"),
    "acct.saved": ("已保存", "Saved"),
    "acct.disable": ("停用", "Disable"), "acct.enable": ("启用", "Enable"),
    "acct.reset": ("重置密码", "Reset password"),
    "acct.reset_done": ("新密码（仅显示这一次）：{password}", "New password (shown once): {password}"),
    "acct.totp_on": ("绑定动态口令", "Enrol one-time codes"),
    "acct.totp_off": ("解绑动态口令", "Remove one-time codes"),
    "acct.totp_secret": ("请在验证器应用中添加（仅显示这一次）：{uri}", "Add to an authenticator app (shown once): {uri}"),
    "acct.col.disabled": ("已停用", "Disabled"), "acct.col.totp": ("动态口令", "2FA"),
    "acct.col.locked_until": ("锁定至", "Locked until"), "acct.col.demo": ("演示账户", "Demo"),
    "acct.self": ("不能停用当前登录的账户", "You cannot disable the account you are signed in with"),
    "audit.title": ("审计日志", "Audit log"),
    "audit.event": ("事件", "Event"), "audit.account": ("账户", "Account"),
    "audit.since": ("起始日期", "From"),
    "audit.export": ("导出审计日志（CSV）", "Export audit log (CSV)"),
    "audit.count": ("共 {n} 条记录", "{n} records"),
    "audit.event.signin": ("登录", "Sign-in"), "audit.event.signout": ("退出", "Sign-out"),
    "audit.event.export": ("导出", "Export"), "audit.event.import": ("导入", "Import"),
    "audit.event.account": ("账户变更", "Account change"), "audit.event.setting": ("设置变更", "Setting change"),
    # briefing (汇报)
    "nav.briefing": ("汇报", "Briefing"),
    "brief.choose": ("选择并排序幻灯片", "Slides and their order"),
    "brief.prev": ("上一页", "Previous"), "brief.next": ("下一页", "Next"),
    "brief.counter": ("第 {i} / {n} 页", "Slide {i} of {n}"),
    "brief.download": ("下载 PowerPoint（可编辑）", "Download PowerPoint (editable)"),
    "brief.summary": ("下载一页纸摘要（A4）", "Download one-page summary (A4)"),
    "brief.generating": ("正在生成汇报材料…", "Generating the deck…"),
    "brief.fullscreen": ("全屏放映（隐藏侧栏）", "Full screen (hide sidebar)"),
    "brief.sentences": ("可直接用于书面报告的表述", "Sentences for a written report"),
    "brief.keys": ("键盘 ← → 翻页", "Keys ← → turn the slides"),
    # --- trends (趋势) ---
    "nav.trends": ("趋势", "Trends"),
    "trend.title": ("趋势与对比", "Trends and comparisons"),
    "trend.metric": ("指标", "Metric"),
    "trend.every": ("粒度", "Granularity"),
    "trend.every.1mo": ("月", "Month"), "trend.every.3mo": ("季度", "Quarter"), "trend.every.1y": ("年", "Year"),
    "trend.tab.series": ("同比环比", "Year on year"),
    "trend.tab.composition": ("构成", "Composition"),
    "trend.tab.regions": ("区域对比", "Regions"),
    "trend.tab.funnel": ("五个环节", "Five links"),
    "trend.tab.handling": ("办理时长", "Handling time"),
    "trend.this": ("本期", "This period"), "trend.last": ("去年同期", "Same period last year"),
    "trend.mom_title": ("环比变化", "Change on previous"),
    "trend.mom_yearly": ("年度粒度下环比即同比，见上图。", "At year granularity the change on the previous "
                         "bucket is the year-on-year change: see the chart above."),
    "trend.by": ("按", "By"),
    "trend.by.field": ("领域", "Field"), "trend.by.source": ("来源", "Source"), "trend.by.channel": ("渠道", "Channel"),
    "trend.no_breakdown": ("该指标不能按此维度分解。", "This metric cannot be split this way."),
    "trend.anomalies": ("异常波动", "Anomalies"),
    "trend.anomaly_line": ("{month} {region} {category} {metric} 较常态高 {ratio} 倍",
                           "{month} {region} {category} {metric}: {ratio}× its usual level"),
    "trend.no_anomalies": ("本期未发现异常波动。", "No anomalies in this period."),
    "trend.click_hint": ("点击柱形可将统计期间切换到该月份（季度、年度）。",
                         "Click a bar to narrow the period to it."),
    "trend.funnel_table": ("各区县环节推进情况", "Links by district"),
    "trend.stall": ("流失率", "Stall"),
    "trend.complaint_days": ("信访办理天数", "Complaint handling days"),
    "trend.rect_days": ("整改用时（天）", "Rectification lead time (days)"),
    "trend.limit": ("时限（中位数）", "Limit (median)"),
    "trend.days_axis": ("天", "Days"),
    # --- end trends ---
    # --- warnings (预警) ---
    "nav.warnings": ("预警", "Warnings"),
    "warn.title": ("预警督办", "Warnings and follow-up"),
    "warn.stock_note": ("预警为截至日期的存量，不受统计期间影响；区域与领域筛选有效。",
                        "Warnings are a stock at the as-of date: the period does not apply, region and field filters do."),
    "warn.level.红": ("红色预警", "Red"), "warn.level.橙": ("橙色预警", "Orange"), "warn.level.黄": ("黄色预警", "Yellow"),
    "warn.tab.list": ("预警清单", "Warning list"),
    "warn.tab.units": ("推进缓慢单位", "Slow units"),
    "warn.tab.projects": ("专项治理项目", "Governance projects"),
    "warn.filter.level": ("预警等级", "Level"),
    "warn.filter.rule": ("预警规则", "Rule"),
    "warn.filter.unit": ("责任单位", "Responsible unit"),
    "warn.filter.project": ("专项治理项目", "Project"),
    "warn.filter.all": ("全部", "All"),
    "warn.count_line": ("共 {n} 条预警", "{n} warnings"),
    "warn.none": ("截至当日无预警。", "No warnings on this date."),
    "warn.select_hint": ("点击表格左侧选择一行，查看该事项的详情与历史。",
                         "Select a row to see the record and its history."),
    "warn.export": ("导出督办单（Excel）", "Export follow-up sheet (Excel)"),
    "warn.top10": ("重点预警（前10条）", "Top 10 warnings"),
    "warn.counts": ("预警数量", "Open warnings"),
    "warn.more": ("查看全部预警", "All warnings"),
    "warn.col.rule": ("规则", "Rule"), "warn.col.level": ("等级", "Level"),
    "warn.col.record_id": ("编号", "Record"), "warn.col.record_type": ("类别", "Type"),
    "warn.col.district": ("区县", "District"), "warn.col.township": ("乡镇（街道）", "Township"),
    "warn.col.village": ("村（社区）", "Village"), "warn.col.unit": ("责任单位", "Unit"),
    "warn.col.person": ("责任人", "Responsible"), "warn.col.project": ("专项治理项目", "Project"),
    "warn.col.days": ("天数", "Days"), "warn.col.lag_points": ("滞后（百分点）", "Lag (pp)"),
    "warn.col.due_on": ("时限", "Due"), "warn.col.reason": ("预警原因", "Why"),
    "warn.col.opinion": ("督办意见", "Follow-up instruction"), "warn.col.feedback_due": ("反馈时限", "Reply by"),
    "record.rectification": ("整改事项", "Rectification"), "record.complaint": ("信访件", "Complaint"),
    "record.case": ("案件", "Case"), "record.village": ("村（社区）", "Village"),
    "rule.R1": ("R1 逾期未完成", "R1 overdue"), "rule.R2": ("R2 临期进度低", "R2 due soon, behind"),
    "rule.R3": ("R3 进度滞后", "R3 lagging plan"), "rule.R4": ("R4 长期未更新", "R4 no update"),
    "rule.C1": ("C1 信访逾期", "C1 complaint overdue"), "rule.C2": ("C2 信访临期", "C2 complaint due soon"),
    "rule.C3": ("C3 重复信访集中", "C3 repeat hot spot"), "rule.K1": ("K1 久拖未结", "K1 case open too long"),
    "rule.K2": ("K2 后续环节未完成", "K2 follow-up links missing"), "rule.P1": ("P1 流程倒置", "P1 dates out of order"),
    "board.townships": ("乡镇（街道）排名", "Townships"),
    "board.units": ("责任单位排名", "Responsible units"),
    "board.rank": ("排名", "Rank"), "board.items": ("整改事项", "Items"), "board.overdue": ("逾期", "Overdue"),
    "board.overdue_rate": ("逾期率", "Overdue rate"), "board.open_warnings": ("预警", "Warnings"),
    "board.overdue_change": ("逾期较上月", "Overdue vs last month"),
    "board.warnings_change": ("预警较上月", "Warnings vs last month"),
    "board.completed": ("已完成", "Completed"), "board.completion_rate": ("完成率", "Completion"),
    "board.avg_lag": ("平均滞后（百分点）", "Avg lag (pp)"), "board.lead_unit": ("牵头单位", "Lead unit"),
    "detail.title": ("事项详情", "Record detail"),
    "detail.plan": ("计划进度（直线）", "Plan (straight line)"),
    "detail.actual": ("实际进度（月报）", "Actual (monthly reports)"),
    "detail.progress_axis": ("进度（%）", "Progress (%)"),
    "detail.not_found": ("无权查看或记录不存在。", "Not found or outside your jurisdiction."),
    "detail.received": ("受理", "Received"), "detail.due": ("办理时限", "Due"), "detail.closed": ("办结", "Closed"),
    "detail.filed": ("立案", "Filed"), "detail.case_closed": ("审结", "Closed"), "detail.exposed": ("通报曝光", "Exposed"),
    "detail.reflection": ("反思剖析", "Reflection"), "detail.revisit": ("回访促建", "Revisit"),
    "detail.feedback": ("反馈整改", "Feedback"), "detail.pending": ("未完成", "pending"),
    # --- end warnings ---
    # --- maps (地图) ---
    "nav.map": ("地图", "Map"),
    "map.title": ("区域分布", "Where"),
    "map.metric": ("地图指标", "Metric"),
    "map.points": ("叠加明细点位", "Record points"),
    "map.points.none": ("不叠加", "None"),
    "map.points.cases": ("立案案件", "Cases filed"),
    "map.points.complaints": ("信访举报", "Complaints"),
    "map.points.overdue": ("逾期整改事项", "Overdue rectifications"),
    "map.density": ("信访密度（蜂窝）", "Complaint density"),
    "map.key_watch": ("提级监督村（社区）", "Villages under elevated supervision"),
    "map.rank": ("同级排名", "Rank among siblings"),
    "map.warnings": ("未处置预警", "Open warnings"),
    "map.per10k_suffix": ("（每万人）", " (per 10,000)"),
    "map.click_hint": ("点击区域可下钻到下一级；点击上方路径可返回。",
                       "Click a region to drill down; use the path above to go back up."),
    "map.village_hint": ("已到村（社区）级；点击上方路径可返回。", "Village level; use the path above to go back up."),
    "map.no_children": ("当前区域没有下级区域。", "This region has no sub-regions."),
    "map.no_boundaries": ("缺少该级区划的边界数据，请在数据管理中导入 GeoJSON 边界。",
                          "No boundaries for this level: import a GeoJSON file."),
    "map.compact": ("区域分布（信访件数）", "Where (complaints)"),
    # --- end maps ---
    # --- detail tables and exports (明细) ---
    "nav.section.details": ("明细", "Details"),
    "nav.cases": ("案件", "Cases"), "nav.complaints": ("信访举报", "Complaints"),
    "nav.rectifications": ("整改事项", "Rectifications"),
    "details.title.cases": ("案件明细", "Cases"), "details.title.complaints": ("信访举报明细", "Complaints"),
    "details.title.rectifications": ("整改事项明细", "Rectification items"),
    "details.search": ("搜索（编号、单位、领域、区域等）", "Search (id, unit, field, region…)"),
    "details.open_only": ("仅看未办结（不限期间）", "Only unfinished (any date)"),
    "details.due": ("到期情况（不限期间）", "Due status (any date)"),
    "details.due.all": ("全部", "All"), "details.due.overdue": ("逾期", "Overdue"),
    "details.due.due_soon": ("临期（{days} 天内到期）", "Due within {days} days"),
    "details.columns": ("显示列", "Columns"),
    "details.page_size": ("每页行数", "Rows per page"),
    "details.page": ("页码", "Page"),
    "details.count": ("共 {n} 条，第 {page} / {pages} 页", "{n} rows, page {page} of {pages}"),
    "details.select_hint": ("选择一行查看详情与历史。", "Select a row to see its detail and history."),
    "details.purpose": ("导出事由（必填，将记入审计日志）", "Purpose of the export (required, logged)"),
    "details.prepare": ("生成导出文件", "Prepare export"),
    "details.need_purpose": ("请先填写导出事由。", "Enter the purpose first."),
    "details.download_xlsx": ("下载 Excel", "Download Excel"),
    "details.download_csv": ("下载 CSV", "Download CSV"),
    "details.preparing": ("正在生成导出文件…", "Preparing the export…"),
    "details.export_header": ("导出", "Export"),
    # --- end detail ---
    # --- import and data management (数据管理) ---
    "nav.data": ("数据管理", "Data"),
    "data.title": ("数据管理", "Data management"),
    "data.upload": ("上传台账（.xlsx / .csv，可多选）", "Upload ledgers (.xlsx / .csv)"),
    "data.templates": ("空白台账模板", "Blank ledger templates"),
    "data.template": ("下载{table}模板", "Download {table} template"),
    "data.preview": ("校验结果", "Check"),
    "data.problems": ("发现 {n} 处问题，未写入任何数据。请修改后重新上传：",
                      "{n} problems found; nothing was written. Fix them and upload again:"),
    "data.ready": ("校验通过，可以导入：", "Checked, ready to import:"),
    "data.confirm": ("确认导入", "Import"),
    "data.done": ("已导入：{counts}", "Imported: {counts}"),
    "data.writing": ("正在写入…", "Writing…"),
    "data.geo": ("导入区划边界（GeoJSON）", "Import boundaries (GeoJSON)"),
    "data.geo_done": ("已导入 {n} 个区划边界", "Imported {n} boundaries"),
    "data.col.sheet": ("工作表", "Sheet"), "data.col.row": ("行", "Row"), "data.col.column": ("列", "Column"),
    "data.col.value": ("值", "Value"), "data.col.problem": ("问题", "Problem"),
    "data.col.table": ("台账", "Ledger"), "data.col.rows": ("行数", "Rows"),
    # --- end import ---
}


# Warning reasons are written in Chinese by queries.warnings (they go into 督办单 exports as they
# are); English readers get them from these templates, keyed by the exact Chinese template, each
# {} a value (English may reorder them by index). A reason matching none is shown as written.
REASON_EN: dict[str, str] = {
    "整改事项已超过完成时限 {} 天仍未完成（当前进度 {}%）": "{0} days past the deadline, not completed (progress {1}%)",
    "距完成时限仅剩 {} 天，进度 {}%，低于 {}%": "{0} days to the deadline, progress {1}%, below {2}%",
    "按计划应完成 {}%，实际 {}%，滞后 {} 个百分点": "planned {0}%, actual {1}%: {2} points behind",
    "已 {} 天未报送整改进度": "no progress report for {0} days",
    "信访件超过办理时限 {} 天仍未办结": "{0} days past the time limit, not closed",
    "距办理时限仅剩 {} 天，尚未办结": "{0} days to the time limit, not closed",
    "近 {} 天内重复信访 {} 件，最近一件收于 {}": "{1} repeat complaints within {0} days, the latest on {2}",
    "案件立案已 {} 天仍未审结": "filed {0} days ago, not concluded",
    "案件审结已 {} 天，“{}”环节尚未完成": "concluded {0} days ago, '{1}' not done",
    "{}（{}）早于{}（{}）": "{0} ({1}) is before {2} ({3})",
    "已于 {} 完成，但 {} 的进度月报仅 {}%": "completed on {0}, but the report of {1} shows {2}%",
}
# The steps named inside reasons.
STEP_EN = {"线索受理": "clue received", "立案": "filing", "审结": "conclusion", "回访": "revisit",
           "反馈整改": "feedback", "受理": "receipt", "办结": "closure", "交办": "assignment",
           "完成": "completion", "销号": "sign-off", "回访促建": "revisit"}


def _reason_patterns() -> list[tuple["re.Pattern[str]", str]]:
    import re

    return [(re.compile("^" + "(.+?)".join(re.escape(p) for p in zh.split("{}")) + "$"), en)
            for zh, en in REASON_EN.items()]


def reason(text: str | None, lang: str = DEFAULT_LANG) -> str | None:
    """A warning's reason in `lang` (see REASON_EN); Chinese as written."""
    if text is None or lang == "zh":
        return text
    for pattern, en in _REASONS:
        m = pattern.match(text)
        if m:
            return en.format(*(STEP_EN.get(v, v) for v in m.groups()))
    return text


def t(key: str, lang: str = DEFAULT_LANG, **kwargs: object) -> str:
    """The label for `key` in `lang`, formatted with kwargs; the key itself if unknown."""
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    text = entry[LANGS.index(lang)] if lang in LANGS else entry[0]
    return text.format(**kwargs) if kwargs else text


_REASONS = _reason_patterns()

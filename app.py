"""Entry point and router: database check, sign-in, language, filter bar, then the chosen page.

The shared chrome lives here and nowhere else; pages read the resulting view from session state.
Which pages exist depends on the account's role (三员分立): business pages for leaders and staff,
the accounts page for the system administrator, the audit log for the audit administrator.
"""
import streamlit as st

from dashboard import auth, components_setup, data, filterbar, layout, safe
from dashboard.ui import tr

st.set_page_config(page_title="基层监督驾驶舱", page_icon="static/favicon.png", layout="wide")
layout.stylesheet()  # narrow screens and long English labels (dashboard/layout.py)

# The language switch comes first, so that everything below (spinners included) speaks the
# language of a shared link; the title and demo badge are drawn above it once the store is open.
with st.sidebar:
    brand = st.container()
    filterbar.language_switch()

url = data.db_url()
try:
    with st.spinner(tr("app.first_run")):
        data.ensure_ready(url)
    served = data.version(url)
    with st.spinner(tr("app.loading"), show_time=True):
        tables = data.tables_at(url, served)
except Exception as exc:  # noqa: BLE001 - one readable line instead of a traceback
    st.error(tr("app.db_error", error=safe.md(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)))
    st.stop()

with brand:
    st.markdown(f"### {tr('app.title')}")
    badge = data.demo_badge(url)
    if badge:
        st.badge(tr(badge), icon=":material/science:", color="orange")



def detail_pages(can_import: bool) -> list:
    pages = [
        st.Page("app_pages/cases.py", title=tr("nav.cases"), icon=":material/gavel:", url_path="cases"),
        st.Page("app_pages/complaints.py", title=tr("nav.complaints"), icon=":material/mail:", url_path="complaints"),
        st.Page("app_pages/rectifications.py", title=tr("nav.rectifications"), icon=":material/task_alt:",
                url_path="rectifications"),
    ]
    if can_import:
        pages.append(st.Page("app_pages/data_admin.py", title=tr("nav.data"), icon=":material/upload_file:",
                             url_path="data"))
    return pages


def cockpit_pages() -> list:
    return [
        st.Page("app_pages/overview.py", title=tr("nav.overview"), icon=":material/dashboard:",
                default=True),
        st.Page("app_pages/map.py", title=tr("nav.map"), icon=":material/map:", url_path="map"),
        st.Page("app_pages/trends.py", title=tr("nav.trends"), icon=":material/trending_up:", url_path="trends"),
        st.Page("app_pages/warnings.py", title=tr("nav.warnings"), icon=":material/notification_important:",
                url_path="warnings"),
        st.Page("app_pages/briefing.py", title=tr("nav.briefing"), icon=":material/slideshow:", url_path="briefing"),
        # more cockpit pages are added here (one line each)
    ]


# The session is checked against the database on every run (fragments check it themselves:
# auth.fragment); a reload or a new tab resumes it from the browser's session cookie.
account = auth.current(url)
with st.sidebar:
    auth.sync_cookie()
if account is None or account.must_change:
    # Register the pages (hidden) so a deep link keeps its page through the sign-in.
    st.navigation(cockpit_pages() + detail_pages(True), position="hidden")
    if account is None:
        auth.sign_in_page(url, dict(zip(tables.regions["code"], tables.regions["name"])))
    else:  # a one-time password: nothing but choosing one's own
        auth.first_sign_in_page(url, account)
    st.stop()

auth.watermark(account)
setup = components_setup.needs_setup(tables)  # no regions yet: next steps instead of an empty cockpit


@auth.fragment(run_every=5)
def refresh_notice(served: int) -> None:
    """Shown while a newer version loads in the background; reruns the page once it is ready."""
    if data.version(url) != served:
        st.rerun(scope="app")
    st.info(tr("app.refreshing"), icon=":material/sync:")


if data.refreshing(url, served):
    refresh_notice(served)
with st.sidebar:
    st.caption(tr("auth.signed_in_as", name=safe.md(account.display_name), role=tr(f"role.{account.role}")))
    if st.session_state.pop("pw_changed", False):
        st.success(tr("auth.pw_changed"))
    with st.expander(tr("auth.my_account"), icon=":material/person:",
                     expanded=st.session_state.get("offer_totp", False)):
        auth.password_form(url, account, first=False)
        auth.totp_enrolment(url, account)
    if st.button(tr("auth.signout"), key="signout", icon=":material/logout:"):
        auth.sign_out(url)
        st.rerun()

pages: dict[str, list] = {}
if account.can("browse"):
    st.session_state["view"] = None if setup else filterbar.render(url, served, tables, account.region_code)
    pages[tr("nav.section.cockpit")] = cockpit_pages()
    pages[tr("nav.section.details")] = detail_pages(account.can("import"))
admin = []
if account.can("manage_accounts"):
    admin.append(st.Page("app_pages/accounts.py", title=tr("nav.accounts"), icon=":material/manage_accounts:",
                         url_path="accounts", default=not pages))
if account.can("read_audit"):
    admin.append(st.Page("app_pages/audit_log.py", title=tr("nav.audit"), icon=":material/policy:",
                         url_path="audit", default=not pages and not admin))
if admin:
    pages[tr("nav.section.admin")] = admin
admin_only = not account.can("browse")  # its default page is an admin page (url_path "")
if not pages:
    st.info(tr("auth.no_pages"))
    st.stop()
# One section reads best as plain links in the top bar; several as grouped menus.
page = st.navigation(next(iter(pages.values())) if len(pages) == 1 else pages, position="top")
# Below 768 px Streamlit puts the top bar into the sidebar: the same links, in the page.
layout.page_links([p for section in pages.values() for p in section])
# Before any region exists, the business pages have nothing to show: they say what to do next.
if setup and not admin_only and page.url_path not in ("data", "accounts", "audit"):
    components_setup.next_steps(account)
else:
    if setup and (page.url_path == "data" or account.can("manage_accounts")):
        components_setup.next_steps(account, brief=True)  # above the page where the step is done
    page.run()

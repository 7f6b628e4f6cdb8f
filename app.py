"""Trustfill's review app: ``trustfill app`` (or ``./run.sh``) starts it with ``streamlit run app.py``.

This file only signs the user in, binds the service to them, makes sure the knowledge base is not
empty on a first run, and lays out the pages; each page lives in ``app_pages/``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages import common
from app_pages.auth import signed_in_actor
from trustfill.errors import TrustfillError

HERE = Path(__file__).resolve().parent

st.set_page_config(page_title="Trustfill", page_icon=":material/edit_note:", layout="wide")

try:
    actor = signed_in_actor()
    svc = common.bind_service(actor)
    if not st.session_state.get("tf_sample_checked"):
        # First run on an empty database: the sample knowledge base, so the sample questionnaire works.
        if svc.ensure_sample_loaded():
            common.flash("First run: the sample knowledge base (fictional vendor Skyward Apps) was loaded.",
                         "info")
        st.session_state["tf_sample_checked"] = True
except TrustfillError as exc:  # e.g. an unusable TRUSTFILL_DATABASE_URL: say so, no traceback
    st.error(str(exc))
    st.stop()

work = [
    st.Page(common.PAGES["questionnaires"], title="Questionnaires", icon=":material/folder_open:", default=True),
    st.Page(common.PAGES["review"], title="Review", icon=":material/fact_check:"),
    st.Page(common.PAGES["export"], title="Export", icon=":material/download:"),
]
library = [
    st.Page(common.PAGES["knowledge"], title="Knowledge base", icon=":material/menu_book:"),
    st.Page(common.PAGES["overview"], title="Overview", icon=":material/insights:"),
]
sections = {"Work": work, "Knowledge": library}

# Team pages (sign-in, audit, users) come from the team workflow; shown when present and allowed.
admin = []
if (HERE / "app_pages/audit.py").exists() and actor.can("read_audit"):
    admin.append(st.Page("app_pages/audit.py", title="Audit trail", icon=":material/receipt_long:"))
if (HERE / "app_pages/users.py").exists() and actor.can("manage_users"):
    admin.append(st.Page("app_pages/users.py", title="Users", icon=":material/group:"))
if admin:
    sections["Admin"] = admin

page = st.navigation(sections)
with st.sidebar:
    st.caption(f"Signed in as **{actor.username}** ({actor.role})")
common.show_flashes()
page.run()

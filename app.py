"""Trustfill's review app: ``trustfill app`` (or ``./run.sh``) starts it with ``streamlit run app.py``.

This file only signs the user in, binds the service to them, makes sure the knowledge base is not
empty on a first run, and lays out the pages; each page lives in ``trustfill/app_pages/``.
"""

from __future__ import annotations

import streamlit as st

from trustfill.app_pages import common, remember
from trustfill.app_pages.auth import signed_in_actor
from trustfill.errors import TrustfillError

st.set_page_config(page_title="Trustfill", page_icon="📝", layout="wide")

try:
    remember.restore()  # a reload (F5) keeps a password sign-in: signed, expiring cookie
    actor = signed_in_actor()
    remember.persist(actor)
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

sections = {name: [st.Page(path, title=title, icon=icon, default=path == common.PAGES["questionnaires"])
                   for path, title, icon in pages]
            for name, pages in common.navigation_for(actor).items()}
page = st.navigation(sections)
with st.sidebar:
    st.caption(f"Signed in as **{actor.username}** ({actor.role})")
common.show_flashes()
page.run()

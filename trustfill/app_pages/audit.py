"""Audit trail: who did what and when, filterable, exportable to CSV (approvers and admins).

Run as a page by app.py (``st.Page("trustfill/app_pages/audit.py")``); ``page()`` is importable as well.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from trustfill.audit import ACTIONS
from trustfill.errors import TrustfillError


def _service():
    from trustfill.app_pages.common import service

    return service()


def _filters() -> dict:
    c = st.columns([2, 3, 2, 2, 3])
    actor = c[0].text_input("User", key="audit_actor", placeholder="any")
    actions = c[1].multiselect("Action", ACTIONS, key="audit_actions", placeholder="any")
    object_type = c[2].selectbox("Object", ["", "question", "questionnaire", "fact", "knowledge_base", "user",
                                            "settings", "audit_log", "database"], key="audit_type",
                                 format_func=lambda v: v or "any")
    object_id = c[3].text_input("Object ID", key="audit_object", placeholder="any")
    today = dt.date.today()
    days = c[4].date_input("Between (UTC)", value=(today - dt.timedelta(days=30), today), key="audit_days")
    since = until = None
    if isinstance(days, tuple | list) and len(days) == 2:
        since = dt.datetime.combine(days[0], dt.time())
        until = dt.datetime.combine(days[1] + dt.timedelta(days=1), dt.time())
    return dict(actor=actor.strip() or None, actions=actions or None, object_type=object_type or None,
                object_id=object_id.strip() or None, since=since, until=until)


def _table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{
        "When (UTC)": r["at"], "User": r["actor"], "Action": r["action"],
        "Object": f"{r['object_type']} {r['object_id']}".strip(),
        "Details": json.dumps(r["details"] or {}, ensure_ascii=False, sort_keys=True),
    } for r in rows], columns=["When (UTC)", "User", "Action", "Object", "Details"])


def page() -> None:
    st.title("Audit trail")
    st.caption("Every decision and change: uploads, matching runs, approvals, edits (before and after), "
               "facts created, edited or retired, imports, exports, sign-ins and role changes. "
               "Nobody can change or delete an entry.")
    try:
        svc = _service()
        filters = _filters()
        rows = svc.audit_log(**filters, newest_first=True, limit=5000)
    except TrustfillError as exc:
        st.error(str(exc))
        return
    st.write(f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}" + (" (newest 5000)" if len(rows) == 5000 else ""))
    st.dataframe(_table(rows), hide_index=True, width="stretch",
                 column_config={"When (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")})
    if st.button("Export these entries as CSV", icon=":material/download:", key="audit_export"):
        try:
            with tempfile.TemporaryDirectory() as tmp:
                path = svc.export_audit(Path(tmp) / "trustfill-audit.csv", **filters)
                st.session_state["audit_csv"] = path.read_bytes()
        except TrustfillError as exc:
            st.error(str(exc))
    if st.session_state.get("audit_csv"):
        st.download_button("Download trustfill-audit.csv", st.session_state["audit_csv"],
                           file_name="trustfill-audit.csv", mime="text/csv", key="audit_download")


if __name__ == "__main__":
    page()

"""The Harvest step of the Knowledge base page: upload questionnaires you already answered, and their
answers come back as proposals (new facts, new wordings of known facts, conflicts) for an approver.

Rendered by ``trustfill/app_pages/knowledge.py`` with one call; thin over ``Service.harvest_files``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from trustfill.app_pages import common
from trustfill.service import Service
from trustfill.workspace.questionnaires import safe_display_name

TYPES = ["xlsx", "xlsm", "csv"]


def harvest_section(svc: Service) -> None:
    st.subheader("Harvest answered questionnaires")
    st.caption("Start from what you already answered: each answered question becomes a proposal. One the knowledge "
               "base answers the same way is a new wording of that fact, one it answers differently a conflict, "
               "anything else a new fact. Nothing answers a questionnaire until an approver accepts it; vendor "
               "details (names, e-mails, dates, links) are left out, and the same file twice proposes nothing new.")
    if not svc.actor.can("propose_fact"):
        st.info("Editors, approvers and admins can harvest questionnaires.")
        return
    with st.container(border=True):
        nonce = st.session_state.get("hv_nonce", 0)
        files = st.file_uploader("Filled questionnaires (XLSX, XLSM or CSV of past answers)", type=TYPES,
                                 accept_multiple_files=True, key=f"hv_upload_{nonce}")
        c = st.columns(2)
        products = common.attempt(svc.products) or []
        product = c[0].text_input("Product", key="hv_product", placeholder="empty: every product",
                                  help="The product these answers are about. Known: " + (", ".join(products) or "none"))
        label = c[1].text_input("Source label", key="hv_label", placeholder="e.g. HECVAT 2024, Acme renewal",
                                help="Kept with every proposal, so reviewers see where an answer came from.")
        if st.button("Harvest", type="primary", disabled=not files, key="hv_run", icon=":material/agriculture:"):
            result = _run(svc, files, product, label)
            if result is not None:
                st.session_state["hv_result"] = _summary(result)
                st.session_state["hv_nonce"] = nonce + 1
                total = sum(result.new.values())
                common.flash(f"Harvested {len(result.files)} file(s): {total} proposal(s) "
                             f"({result.new['fact']} new facts, {result.new['alternate']} new wordings, "
                             f"{result.new['conflict']} conflicts) wait for an approver.")
                common.invalidate()
                st.rerun()
        shown = st.session_state.get("hv_result")
        if shown is not None:
            st.dataframe(shown, hide_index=True, width="stretch", key="hv_table")


def _run(svc: Service, files, product: str, label: str):
    bar = st.progress(0.0, text="Reading the files…")

    def progress(fraction: float, what: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=what.capitalize() + "…" if what != "done" else "Done")

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, f in enumerate(files):
            name = safe_display_name(f.name)
            path = Path(tmp) / f"{i}{Path(name).suffix.lower()}"  # uploads are stored under our own names
            path.write_bytes(f.getvalue())
            paths.append((path, name))
        return common.attempt(svc.harvest_files, paths, product=product, label=label, progress=progress)


def _summary(result) -> pd.DataFrame:
    return pd.DataFrame([{
        "File": f.name, "Answered": f.answered, "New facts": f.new["fact"], "New wordings": f.new["alternate"],
        "Conflicts": f.new["conflict"], "Already known": f.known, "Form fields left out": f.form_fields,
        "Unanswered": f.unanswered, "Skipped": len(f.skipped), "SHA-256": f.sha256[:12],
    } for f in result.files])

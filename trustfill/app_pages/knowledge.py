"""Knowledge base: browse and search facts, add and edit them, spot stale ones, import and export."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from knowledge.model import Fact, fact_id_from_question
from trustfill.app_pages import common

FORMATS = {".csv": "text/csv", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           ".yaml": "application/yaml", ".json": "application/json"}
STATUSES = ["active", "proposed", "retired"]

svc = common.service()
st.title("Knowledge base")

products = common.attempt(svc.products) or []
categories = common.attempt(svc.categories) or []
f = st.columns([2, 2, 3, 2.4, 1.2], vertical_alignment="bottom")
product = f[0].selectbox("Product", ["", *products], format_func=lambda p: p or "All products", key="kb_product")
category = f[1].selectbox("Category", ["", *categories], format_func=lambda c: c or "All categories",
                          key="kb_category")
search = f[2].text_input("Search", placeholder="words in the question, answer, comment, ID or tags",
                         key="kb_search")
statuses = f[3].multiselect("Status", STATUSES, default=["active", "proposed"], key="kb_statuses")
only_stale = f[4].toggle("Stale only", key="kb_stale",
                         help="Active facts past their review date, as `trustfill kb lint` lists them.")

facts = common.attempt(svc.facts, product=product or None, category=category or None,
                       search=search.strip() or None, statuses=tuple(statuses) or tuple(STATUSES)) or []
stale_ids = {x.id for x in facts} & common.stale_ids(svc)
if only_stale:
    facts = [x for x in facts if x.id in stale_ids]
by_id = {x.id: x for x in facts}

m = st.columns(4)
m[0].metric("Facts shown", len(facts))
m[1].metric("Stale", len(stale_ids), help="Active facts whose review date has passed (last review, or "
             "creation if never reviewed, plus the review interval).")
m[2].metric("Proposed", sum(1 for x in facts if x.status == "proposed"), help="Waiting for an approver.")
m[3].metric("Products", len(products))

table = pd.DataFrame([{
    "ID": x.id, "Question": x.question, "Answer": x.answer, "Category": x.category,
    "Product": x.product or "(all)", "Last reviewed": x.last_reviewed, "Stale": x.id in stale_ids,
    "Status": x.status, "Owner": x.owner, "Source": x.source,
} for x in facts], columns=["ID", "Question", "Answer", "Category", "Product", "Last reviewed", "Stale",
                            "Status", "Owner", "Source"])
event = st.dataframe(table, hide_index=True, width="stretch", height=360, on_select="rerun",
                     selection_mode="single-row", key="kb_table", column_config={
                         "Question": st.column_config.TextColumn(width="large"),
                         "Last reviewed": st.column_config.DateColumn(format="YYYY-MM-DD"),
                         "Stale": st.column_config.CheckboxColumn(help="Review is overdue"),
                     })
selected_rows = list(event.selection.rows) if event and event.selection else []
if "kb_pick_next" in st.session_state:
    st.session_state["kb_pick"] = st.session_state.pop("kb_pick_next")
if selected_rows and selected_rows != st.session_state.get("kb_last_selection"):
    st.session_state["kb_pick"] = table.iloc[selected_rows[0]]["ID"]
st.session_state["kb_last_selection"] = selected_rows


def fact_form(fact: Fact | None, key: str) -> Fact | None:
    """The fields of a fact; returns the edited Fact when submitted and valid."""
    base = fact or Fact(id="new", question="?", answer="?", last_reviewed=dt.date.today())
    with st.form(key):
        c = st.columns([2, 1])
        new_id = c[0].text_input("ID", value="" if fact is None else fact.id, disabled=fact is not None,
                                 key=f"{key}_id",
                                 help="Leave empty to derive it from the question.")
        status = c[1].selectbox("Status", STATUSES, index=STATUSES.index(base.status), key=f"{key}_status")
        question = st.text_area("Canonical question", value="" if fact is None else base.question, height=68,
                                key=f"{key}_question")
        c = st.columns([1, 3])
        answer = c[0].text_input("Answer", value="" if fact is None else base.answer, key=f"{key}_answer",
                                 help="The short value a questionnaire cell takes: Yes / No / N/A or a phrase.")
        comment = c[1].text_area("Comment", value=base.comment, height=68, key=f"{key}_comment")
        alternates = st.text_area("Other ways customers ask it (one per line)",
                                  value="\n".join(base.alternate_questions), height=90, key=f"{key}_alternates")
        c = st.columns(3)
        cat = c[0].text_input("Category", value=base.category, key=f"{key}_category")
        prod = c[1].text_input("Product", value=base.product, help="Empty: applies to every product.",
                               key=f"{key}_product")
        tags = c[2].text_input("Tags (comma-separated)", value=", ".join(base.tags), key=f"{key}_tags")
        c = st.columns(4)
        owner = c[0].text_input("Owner", value=base.owner, key=f"{key}_owner")
        source = c[1].text_input("Source / evidence", value=base.source, key=f"{key}_source")
        reviewed = c[2].date_input("Last reviewed", value=base.last_reviewed, key=f"{key}_reviewed")
        interval = c[3].number_input("Review every (days)", min_value=1, value=base.review_interval_days,
                                    key=f"{key}_interval")
        submitted = st.form_submit_button("Save fact" if fact else "Add fact", type="primary", key=f"{key}_save")
    if not submitted:
        return None
    values = dict(
        id=(fact.id if fact else new_id.strip() or fact_id_from_question(question or "fact")),
        question=question, answer=answer, comment=comment,
        alternate_questions=[line for line in alternates.splitlines() if line.strip()],
        category=cat, product=prod, tags=[t for t in tags.split(",") if t.strip()], owner=owner, source=source,
        last_reviewed=reviewed, review_interval_days=int(interval), status=status,
        version=fact.version if fact else 1)
    try:
        return Fact(**values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        st.error(f"The fact is not valid: {problems}")
        return None




def _decide(action, fact: Fact, done: str) -> None:
    saved = common.attempt(action, fact.id, expected_version=fact.version)
    if saved is not None:
        common.flash(f"Fact {fact.id} {done}.")
        st.rerun()


def proposed_section() -> None:
    """Facts proposed by editors (from hand-written answers, or added on this page): approvers accept or
    decline them; everyone else sees them (their own among them) as pending. Not used for matching
    until accepted."""
    proposed = common.attempt(svc.proposed_facts) or []
    approver = svc.actor.can("edit_fact")
    if not proposed:
        return
    st.subheader(f"Proposed facts ({len(proposed)})")
    st.caption("Accepted facts become active and answer questions from the next matching run. "
               if approver else "Waiting for an approver; they do not answer questions until accepted.")
    for x in proposed:
        with st.container(border=True):
            row = st.columns([6, 1, 1] if approver else [7, 1], vertical_alignment="center")
            row[0].markdown(f"**`{x.id}`** · {x.category or 'no category'} · {x.product or 'all products'}  \n"
                            f"*{x.question}*  \n→ **{x.answer}** {x.comment}")
            row[0].caption(f"Proposed by {x.owner or '—'} · {x.source or 'no source'}")
            if approver:
                if row[1].button("Accept", key=f"kb_accept_{x.id}", type="primary", icon=":material/check:"):
                    _decide(svc.accept_fact, x, "accepted: it is active now")
                if row[2].button("Decline", key=f"kb_decline_{x.id}", icon=":material/close:"):
                    _decide(svc.retire_fact, x, "declined (retired)")
            else:
                row[1].markdown(":orange-badge[pending]")


proposed_section()
edit, add = st.tabs(["Edit a fact", "Add a fact"])
with edit:
    if not by_id:
        st.info("No fact matches the filters.")
    else:
        if st.session_state.get("kb_pick") not in by_id:
            st.session_state["kb_pick"] = next(iter(by_id))
        fact_id = st.selectbox("Fact", list(by_id), key="kb_pick",
                               format_func=lambda i: f"{i} — {by_id[i].question[:80]}")
        fact = by_id[fact_id]
        if fact.id in stale_ids:
            reviewed = fact.last_reviewed.isoformat() if fact.last_reviewed else "never"
            st.warning(f"Stale: last reviewed {reviewed}, review interval {fact.review_interval_days} days.",
                       icon=":material/schedule:")
            if st.button("Mark reviewed today", key="kb_reviewed"):
                saved = common.attempt(svc.save_fact, fact.model_copy(update={"last_reviewed": dt.date.today()}),
                                       expected_version=fact.version)
                if saved:
                    common.flash(f"Fact {saved.id} marked reviewed today.")
                    st.rerun()
        edited = fact_form(fact, f"kb_edit_{fact.id}_{fact.version}")
        if edited is not None:
            saved = common.attempt(svc.save_fact, edited, expected_version=fact.version)
            if saved:
                common.flash(f"Saved fact {saved.id} (version {saved.version}).")
                st.rerun()
with add:
    created = fact_form(None, "kb_add")
    if created is not None:
        saved = common.attempt(svc.save_fact, created, expected_version=None)
        if saved:
            what = "proposed (an approver must accept it)" if saved.status == "proposed" else "added"
            common.flash(f"Fact {saved.id} {what}.")
            st.session_state["kb_pick_next"] = saved.id  # the picker is already drawn: select it next run
            st.rerun()

st.subheader("Import and export")
imp, exp = st.columns(2)
with imp, st.container(border=True):
    nonce = st.session_state.get("kb_up_nonce", 0)
    upload = st.file_uploader("Library file (CSV, XLSX, YAML or JSON)", type=["csv", "xlsx", "yaml", "yml", "json"],
                              key=f"kb_upload_{nonce}")
    replace = st.checkbox("Replace the whole knowledge base (otherwise add and update by ID)", key="kb_replace")
    if st.button("Import", disabled=upload is None or not svc.actor.can("import_kb"), key="kb_import"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"library{Path(upload.name).suffix.lower()}"
            path.write_bytes(upload.getvalue())
            result = common.attempt(svc.import_library, path, replace=replace, display_name=upload.name)
        if result is not None:
            common.flash(f"Imported {upload.name}: {result.added} added, {result.updated} updated, "
                         f"{result.removed} removed; {result.total} facts now.")
            st.session_state["kb_up_nonce"] = nonce + 1
            st.rerun()
with exp, st.container(border=True):
    c = st.columns(2)
    kind = c[0].selectbox("Format", list(FORMATS), format_func=lambda s: s[1:].upper(), key="kb_export_kind")
    only = c[1].selectbox("Product", ["", *products], format_func=lambda p: p or "All products",
                          key="kb_export_product")
    if st.button("Prepare export", key="kb_export"):
        with tempfile.TemporaryDirectory() as tmp:
            path = common.attempt(svc.export_library, Path(tmp) / f"knowledge-base{kind}", product=only or None)
            if path is not None:
                st.session_state["kb_export_data"] = (kind, Path(path).read_bytes())
    made = st.session_state.get("kb_export_data")
    if made:
        st.download_button("Download knowledge base", made[1], file_name=f"knowledge-base{made[0]}",
                           mime=FORMATS[made[0]], icon=":material/download:", key="kb_download", on_click="ignore")

from trustfill.app_pages.harvest import harvest_section  # noqa: E402  (the Harvest step has its own module)

harvest_section(svc)

"""Knowledge base: browse and search facts, add and edit them, spot stale ones, import and export."""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from knowledge.model import Fact, fact_id_from_question
from knowledge.proposal_ops import describe_source
from trustfill.app_pages import common

FORMATS = {".csv": "text/csv", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           ".yaml": "application/yaml", ".json": "application/json"}
STATUSES = ["active", "proposed", "retired"]

svc = common.service()
st.title("Knowledge base")
common.show_flashes()  # app.py shows them first; this covers the page opened on its own

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
m[2].metric("Proposed", sum(1 for x in facts if x.status == "proposed"),
            help="New facts waiting for an approver (listed under Proposals below).")
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




KIND_LABELS = {"alternate": "new wording", "fact": "new fact", "conflict": "conflicting answer"}


def _code(text: str) -> str:
    """Untrusted text inside markdown, shown as inline code: never a link, image or formatting."""
    return "`" + str(text).replace("`", "'").replace("\n", " ") + "`"


def _answer(answer: str, comment: str) -> str:
    return f"{answer} — {comment}" if comment else answer


def _proposal_rows(pending, facts_by_id: dict[str, Fact], names: dict[int, str]) -> pd.DataFrame:
    """One row per proposal: what it proposes beside what the knowledge base says now, and where from."""
    rows = []
    for p in pending:
        fact = facts_by_id.get(p.fact_id)
        if p.kind == "alternate":
            proposed = p.wording
            now = f"{fact.question} → {fact.answer}" if fact else "(fact gone)"
        elif p.kind == "fact":
            proposed = f"{p.wording} → {_answer(fact.answer, fact.comment)}" if fact else p.wording
            now = "(new fact: answers nothing until accepted)"
        else:
            proposed = _answer(p.payload.get("answer", ""), p.payload.get("comment", ""))
            if p.payload.get("question"):
                proposed += f" (asked as: {p.payload['question']})"
            now = _answer(fact.answer, fact.comment) if fact else "(fact gone)"
        sources = [describe_source(x, names) for x in p.sources]
        origin = sources[0] + (f" (+{len(sources) - 1} more)" if len(sources) > 1 else "") if sources else ""
        rows.append({"Kind": KIND_LABELS.get(p.kind, p.kind), "Fact": p.fact_id, "Proposed": proposed,
                     "Knowledge base now": now, "From": origin, "When": p.created_at, "ID": p.id})
    return pd.DataFrame(rows, columns=["Kind", "Fact", "Proposed", "Knowledge base now", "From", "When", "ID"])


def proposals_section() -> None:
    """The one queue of knowledge-base changes (learned wordings, new facts, conflicting answers):
    approvers pick several and accept or discard them; everyone else sees the list read-only."""
    pending = common.attempt(svc.proposals) or []
    approver = svc.actor.can("edit_fact")
    counts = {k: sum(1 for p in pending if p.kind == k) for k in KIND_LABELS}
    st.subheader(f"Proposals ({len(pending)} pending)")
    mode = common.attempt(svc.learning_mode) or "propose"
    if not pending:
        st.caption(f"Nothing waiting for an approver. Learning mode: {mode} (Settings).")
        return
    st.caption(" · ".join(f"{n} {KIND_LABELS[k]}{'s' if n != 1 else ''}" for k, n in counts.items() if n)
               + f". Learning mode: {mode}. "
               + ("Accepted wordings join their fact (and match from the next run); accepted facts become "
                  "active; an accepted conflicting answer replaces the fact's. A discarded change is never "
                  "proposed again." if approver else
                  "An approver accepts or discards these; nothing changes in the knowledge base until then."))
    facts_by_id = {x.id: x for x in common.attempt(svc.facts, statuses=None) or []}
    names = {q["id"]: q["name"] for q in common.questionnaires(svc)}
    present = [k for k in KIND_LABELS if counts[k]]
    controls = st.columns([3, 2], vertical_alignment="bottom")
    if len(present) > 1:  # e.g. accept every new wording, but read each conflicting answer first
        shown = controls[0].multiselect("Show", present, default=present, format_func=lambda k: KIND_LABELS[k] + "s",
                               key="kb_prop_kinds") or present
        pending = [p for p in pending if p.kind in shown]
    table = _proposal_rows(pending, facts_by_id, names)
    config = {"ID": st.column_config.NumberColumn(width="small"),
              "Kind": st.column_config.TextColumn(width="small"),
              "Proposed": st.column_config.TextColumn(width="medium", help="The wording, the new fact (question → "
                                                      "answer) or the conflicting answer"),
              "Knowledge base now": st.column_config.TextColumn(width="medium"),
              "From": st.column_config.TextColumn(width="medium", help="Who proposed it, from which questionnaire "
                                                  "or file, where; `trustfill kb proposals --sources` lists all"),
              "When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")}
    if not approver:
        st.dataframe(table, hide_index=True, width="stretch", key="kb_prop_view", column_config=config)
        return
    nonce = st.session_state.get("kb_prop_nonce", 0)
    pick_all = controls[1].checkbox(f"Select all {len(pending)} shown", key=f"kb_prop_all_{nonce}")
    table.insert(0, "Pick", pick_all)
    # Picks are kept by row position: key the editor on the exact list shown, so that a queue changed by
    # someone else (or another filter) starts with nothing picked rather than picks on other rows.
    listed = hashlib.sha256(",".join(str(p.id) for p in pending).encode()).hexdigest()[:12]
    st.session_state["kb_prop_table_key"] = key = f"kb_prop_table_{listed}_{pick_all}"
    edited = st.data_editor(table, hide_index=True, width="stretch", key=key,
                            disabled=[c for c in table.columns if c != "Pick"],
                            column_config={**config, "Pick": st.column_config.CheckboxColumn("Pick", width="small")})
    chosen = [int(i) for i in edited.loc[edited["Pick"], "ID"]]
    if chosen:  # the table cuts long text: the picked ones in full, with every source
        by_id = {p.id: p for p in pending}
        with st.expander(f"The {len(chosen)} picked, in full", expanded=len(chosen) <= 3):
            for i in chosen[:20]:
                line = table.loc[table["ID"] == i].iloc[0]
                # st.text, not markdown: wordings come from customers' files and must not render links or images
                st.text(f"#{i} · {line['Kind']} · {line['Fact']}\nProposed: {line['Proposed']}\n"
                        f"Knowledge base now: {line['Knowledge base now']}\nFrom: "
                        + "; ".join(describe_source(x, names) for x in by_id[i].sources))
            if len(chosen) > 20:
                st.caption(f"… and {len(chosen) - 20} more.")
    row = st.columns([1.2, 1.2, 4])
    accept = row[0].button(f"Accept {len(chosen)}", key="kb_prop_accept", type="primary", disabled=not chosen,
                           icon=":material/check:")
    discard = row[1].button(f"Discard {len(chosen)}", key="kb_prop_discard", disabled=not chosen,
                            icon=":material/close:")
    if accept or discard:
        done = common.attempt(svc.accept_proposals if accept else svc.discard_proposals, chosen)
        if done is not None:
            # IDs and fact IDs only: a flash is markdown, and wordings are the customer's text
            common.flash(f"{'Accepted' if accept else 'Discarded'} {len(done)} proposal(s): "
                         + ", ".join(f"#{p.id} ({KIND_LABELS[p.kind]}, {_code(p.fact_id)})" for p in done[:10])
                         + (" …" if len(done) > 10 else ""))
            st.session_state["kb_prop_nonce"] = nonce + 1
            common.invalidate()
            st.rerun()


proposals_section()
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

def _change_rows(changes, conflict: bool) -> pd.DataFrame:
    rows = [{"Fact": c.id, "Field": name, "Knowledge base now": _text(before), "In the file": _text(after),
             **({"Version now / in file": f"{c.kb_version} / {c.file_version}"} if conflict else {})}
            for c in changes for name, (before, after) in c.fields.items()]
    return pd.DataFrame(rows)


def _text(value) -> str:
    return " | ".join(value) if isinstance(value, list) else "" if value is None else str(value)


def import_picker():
    nonce = st.session_state.get("kb_up_nonce", 0)
    upload = st.file_uploader("Library file (CSV, XLSX, YAML or JSON)", type=["csv", "xlsx", "yaml", "yml", "json"],
                              key=f"kb_upload_{nonce}")
    replace = st.checkbox("Replace the whole knowledge base (otherwise add and update by ID)", key="kb_replace")
    if upload is None:
        st.caption("You will see what the file changes before anything is written.")
    return upload, replace


def import_preview(upload, replace: bool) -> None:
    """What the uploaded library would add / change (field by field) / leave / remove and which facts were
    edited since it was exported, full width; then import (conflicts only with an explicit confirm)."""
    nonce = st.session_state.get("kb_up_nonce", 0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"library{Path(upload.name).suffix.lower()}"
        path.write_bytes(upload.getvalue())
        preview = common.attempt(svc.preview_import, path, replace=replace, display_name=upload.name)
        if preview is None:
            return
        st.markdown(f"**Preview of** {_code(upload.name)} (nothing written yet)")
        m = st.columns(5 if replace else 4)
        m[0].metric("Added", len(preview.added))
        m[1].metric("Changed", len(preview.changed))
        m[2].metric("Unchanged", len(preview.unchanged), help="Already in the knowledge base exactly as in the "
                    "file: skipped (no new version).")
        m[3].metric("Conflicts", len(preview.conflicts), help="Edited in the knowledge base after this file was "
                    "exported: importing would overwrite that edit.")
        if replace:
            m[4].metric("Removed", len(preview.removed), help="In the knowledge base but not in the file.")
        if preview.added:
            with st.expander(f"Added ({len(preview.added)})"):
                st.dataframe(pd.DataFrame([{"Fact": x.id, "Question": x.question, "Answer": x.answer}
                                           for x in preview.added]), hide_index=True, key="kb_prev_added")
        if preview.changed:
            with st.expander(f"Changed ({len(preview.changed)}), field by field", expanded=True):
                st.dataframe(_change_rows(preview.changed, False), hide_index=True, key="kb_prev_changed")
        if preview.removed:
            with st.expander(f"Removed by replace ({len(preview.removed)})", expanded=True):
                st.dataframe(pd.DataFrame([{"Fact": x.id, "Question": x.question, "Answer": x.answer}
                                           for x in preview.removed]), hide_index=True, key="kb_prev_removed")
        force = False
        if preview.conflicts:
            st.warning(f"{len(preview.conflicts)} fact(s) were edited in the knowledge base after this file was "
                       "exported. Importing would replace those edits with the file's values below. Export again "
                       "and redo your changes in the new file, or confirm the overwrite.", icon=":material/warning:")
            st.dataframe(_change_rows(preview.conflicts, True), hide_index=True, key="kb_prev_conflicts")
            force = st.checkbox(f"Overwrite the {len(preview.conflicts)} fact(s) edited since the export",
                                key="kb_import_force")
        if not preview.writes:
            st.info("Nothing to import: the knowledge base already says everything in this file.")
        may = svc.actor.can("import_kb")
        n = len(preview.to_write(force)) + len(preview.removed)
        if st.button(f"Import {n} change(s)", key="kb_import", type="primary",
                     disabled=not may or n == 0 or (bool(preview.conflicts) and not force),
                     help=None if may else "Importing needs the approver role."):
            # Only the conflicts shown here may be overwritten: a fact edited after this preview still stops it.
            result = common.attempt(svc.import_library, path, replace=replace, display_name=upload.name,
                                    overwrite=[c.id for c in preview.conflicts] if force else [])
            if result is not None:
                common.flash(f"Imported {_code(upload.name)}: {result.added} added, {result.updated} changed, "
                             f"{result.unchanged} unchanged, {result.removed} removed"
                             + (f", {result.overwritten} edited fact(s) overwritten" if result.overwritten else "")
                             + f"; {result.total} facts now.")
                st.session_state["kb_up_nonce"] = nonce + 1
                st.session_state.pop("kb_import_force", None)
                common.invalidate()
                st.rerun()


st.subheader("Import and export")
imp, exp = st.columns(2)
with imp, st.container(border=True):
    upload, replace = import_picker()
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
if upload is not None:
    with st.container(border=True):
        import_preview(upload, replace)

from trustfill.app_pages.harvest import harvest_section  # noqa: E402  (the Harvest step has its own module)

harvest_section(svc)

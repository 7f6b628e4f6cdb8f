"""What every page of the app shares: the service for the signed-in user, the current questionnaire,
cached question tables, and one way to show a user mistake (never a traceback).

Pages stay thin: they read through ``Service`` and write through ``Service``; nothing a reviewer
decides lives only in session state.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from trustfill.errors import Conflict, TrustfillError
from trustfill.roles import Actor
from trustfill.service import Service
from trustfill.workspace.export import AnswerFit, fit_of

PAGES = {
    "questionnaires": "trustfill/app_pages/questionnaires.py",
    "review": "trustfill/app_pages/review.py",
    "export": "trustfill/app_pages/export.py",
    "knowledge": "trustfill/app_pages/knowledge.py",
    "overview": "trustfill/app_pages/overview.py",
}

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:^=&@/\"'])")
# Markdown's GFM autolinks are found in the text *after* escapes are resolved, so an escaped
# "http\:\/\/x" or "www\.x" still becomes a link; a WORD JOINER (U+2060, invisible) inside the
# trigger ("http⁠://", "www⁠.", "a⁠@b") is what keeps it text.
_AUTOLINK_TRIGGER = re.compile(r"(?i)(?<=https)(?=:)|(?<=http)(?=:)|(?<=\bwww)(?=\.)|(?=@)")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """Customer text (questions, answers, sheet and file names, error messages naming them) made
    safe to show in Markdown: every character Markdown, Streamlit's directives (``:red[..]``,
    ``:material/..:``, emoji shortcodes) or LaTeX could act on is escaped, and autolink triggers
    are broken, so an image or link in a question (``![](http://tracker.example/pixel.gif)``, a
    bare ``http://...``, ``www....`` or e-mail address) shows as the characters it is: nothing is
    fetched, nothing is clickable."""
    text = _AUTOLINK_TRIGGER.sub(WORD_JOINER, "" if text is None else str(text))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


# The navigation: (section, page file, title, icon, permission needed to see it).
NAVIGATION = [
    ("Work", PAGES["questionnaires"], "Questionnaires", ":material/folder_open:", "read"),
    ("Work", PAGES["review"], "Review", ":material/fact_check:", "read"),
    ("Work", PAGES["export"], "Export", ":material/download:", "read"),
    ("Knowledge", PAGES["knowledge"], "Knowledge base", ":material/menu_book:", "read"),
    ("Knowledge", PAGES["overview"], "Overview", ":material/insights:", "read"),
    ("Admin", "trustfill/app_pages/audit.py", "Audit trail", ":material/receipt_long:", "read_audit"),
    ("Admin", "trustfill/app_pages/users.py", "Users", ":material/group:", "manage_users"),
    # Everyone may read the settings (the page is read-only below admin); only admins change them.
    ("Admin", "trustfill/app_pages/settings.py", "Settings", ":material/settings:", "read"),
]


def navigation_for(actor: Actor) -> dict[str, list[tuple[str, str, str]]]:
    """The sections and pages ``actor`` sees: (page file, title, icon) per section, in order.

    A page hidden here still checks the role itself (the service refuses): hiding only spares
    people a page that would say no.
    """
    sections: dict[str, list[tuple[str, str, str]]] = {}
    for section, path, title, icon, permission in NAVIGATION:
        if actor.can(permission):
            sections.setdefault(section, []).append((path, title, icon))
    return sections


# Where each question stands, in the order a reviewer works through them.
STATES = ["suggested", "review", "unanswered", "edited", "approved", "rejected", "prefilled"]
STATE_LABELS = {
    "suggested": "suggested (confident)", "review": "to review", "unanswered": "unanswered",
    "edited": "edited, not approved", "approved": "approved", "rejected": "rejected",
    "prefilled": "pre-filled by customer",
}


# ---- the service
def bind_service(actor: Actor) -> Service:
    """Called once per run by app.py; pages (and their fragments) fetch it with ``service()``."""
    svc = st.session_state.get("tf_service")
    if svc is None or svc.actor != actor:
        svc = Service(actor=actor)
        st.session_state["tf_service"] = svc
    return svc


def service() -> Service:
    svc = st.session_state.get("tf_service")
    if svc is None:  # a page opened without app.py (should not happen; be safe)
        from trustfill.app_pages.auth import signed_in_actor

        svc = bind_service(signed_in_actor())
    return svc


def attempt(action: Callable[..., Any], *args, **kwargs) -> Any:
    """Run a service call; show a user mistake as an error box and return None instead of raising."""
    try:
        return action(*args, **kwargs)
    except Conflict as exc:
        st.warning(plain(exc))
        invalidate()
    except TrustfillError as exc:
        st.error(plain(exc))  # messages name the customer's files and sheets
    return None


def succeeded(action: Callable[..., Any], *args, **kwargs) -> bool:
    """Like ``attempt`` for actions that return nothing: True when it worked."""
    done = []
    attempt(lambda: done.append(action(*args, **kwargs)))
    return bool(done)




def md_escape(text: object) -> str:
    """Customer or knowledge-base text inside Streamlit Markdown, shown as typed: no link, image, emphasis,
    colour directive or emoji code can come out of it (an image link would make the browser fetch it)."""
    return plain(text).replace("\n", " ")


def kept(key: str, default: Any) -> str:
    """A widget key whose value survives a trip to another page; draw the widget with it, then ``keep``.

    Streamlit drops a widget's state when a run does not draw it (another page), so a copy lives
    under ``tf_kept`` and is put back before the widget is drawn again. Pass no ``value``/``index``
    to the widget: its value comes from session state.
    """
    if key not in st.session_state:
        st.session_state[key] = st.session_state.setdefault("tf_kept", {}).get(key, default)
    return key


def keep(*keys: str) -> None:
    saved = st.session_state.setdefault("tf_kept", {})
    for key in keys:
        if key in st.session_state:
            saved[key] = st.session_state[key]


def flash(message: str, kind: str = "success") -> None:
    """A message that survives the st.rerun() that follows an action."""
    st.session_state.setdefault("tf_flash", []).append((kind, message))


def show_flashes() -> None:
    for kind, message in st.session_state.pop("tf_flash", []):
        getattr(st, kind)(message)


# ---- the current questionnaire (defaults to the newest, so a reopened tab lands where work was)
def questionnaires(svc: Service) -> list[dict]:
    return attempt(svc.list_questionnaires) or []


def label(qn: dict) -> str:
    who = f" — {qn['customer']}" if qn.get("customer") else ""
    return f"#{qn['id']} {qn['name']}{who}"


def current_qid(listing: list[dict]) -> int | None:
    ids = [q["id"] for q in listing]
    qid = st.session_state.get("tf_qid")
    if qid in ids:
        return qid
    return ids[0] if ids else None


def set_current(qid: int) -> None:
    st.session_state["tf_qid"] = qid


def questionnaire_page_header(svc: Service, title: str, where: str) -> dict:
    """The title beside the questionnaire picker; stops the page when there is no questionnaire yet."""
    head = st.columns([1, 2], vertical_alignment="bottom")
    head[0].title(title)
    with head[1]:
        qn = pick_questionnaire(svc, where)
    if qn is None:
        st.stop()
    return qn


def pick_questionnaire(svc: Service, where: str = "main") -> dict | None:
    """A selectbox of questionnaires bound to the shared current one; None when there are none."""
    listing = questionnaires(svc)
    if not listing:
        st.info("No questionnaire yet. Upload one, or open the sample, on the **Questionnaires** page.")
        st.page_link(PAGES["questionnaires"], label="Go to Questionnaires", icon=":material/folder_open:")
        return None
    by_id = {q["id"]: q for q in listing}
    qid = current_qid(listing)
    choice = st.selectbox("Questionnaire", list(by_id), index=list(by_id).index(qid),
                          format_func=lambda i: label(by_id[i]), key=f"pick_{where}")
    set_current(choice)
    return by_id[choice]


# ---- question tables, cached per questionnaire and database change
def _fingerprint(svc: Service, qid: int) -> tuple:
    """Changes whenever any question of ``qid`` changes: every write bumps that row's version."""
    count, versions = svc.questions_fingerprint(qid)
    return (str(svc.engine.url), qid, count, versions, st.session_state.get("tf_epoch", 0))


def state_of(row: dict) -> str:
    if row["review_status"] in ("approved", "rejected"):
        return row["review_status"]
    if row["prefilled"]:
        return "prefilled"
    if row["origin"] in ("edited", "manual", "picked"):
        return "edited"
    return row["match_status"]


def _build(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    df["state"] = [state_of(r) for r in rows]
    df["score"] = df["score"].astype(float)
    df["fact_id"] = df["fact_id"].fillna("")
    df["section"] = df["section"].fillna("")
    # What export will write in each answer cell, known while reviewing (the export's own fitting).
    fits = [_fit(r) for r in rows]
    df["fits"] = [f.fits for f in fits]
    df["cell_value"] = [f.cell_value for f in fits]
    df["choices"] = [", ".join(f.choices) for f in fits]
    return df.drop(columns=["target"]).set_index("id", drop=False)


@st.cache_data(max_entries=32, show_spinner=False)
def _frame(_svc: Service, key: tuple) -> pd.DataFrame:
    return _build(_svc.questions(key[1]))


def _fit(row: dict) -> AnswerFit:
    try:
        return fit_of(row)
    except TrustfillError:  # a layout an older intake wrote: export says so; the table need not
        return AnswerFit(kind="none", choices=[], fits=True, cell_value="", comment_text="", note="")


def questions_frame(svc: Service, qid: int) -> pd.DataFrame:
    """Every question of ``qid`` as a DataFrame indexed by question ID (fresh, but only refetched on change)."""
    return _frame(svc, _fingerprint(svc, qid))


PATCH_AT_MOST = 200  # more changed rows than this (a re-match, a bulk approval): read them all again


def review_frame(svc: Service, qid: int) -> pd.DataFrame:
    """``questions_frame`` for the review page, where every click changes a row or two: the session keeps
    its last table and rereads only the rows whose version moved (one short query tells which), so a
    decision on a 1,000-row questionnaire does not read and fit 1,000 rows again."""
    versions = svc.question_versions(qid)
    key = (str(svc.engine.url), qid, st.session_state.get("tf_epoch", 0))
    held = st.session_state.setdefault("tf_review_frames", {}).get(qid)
    if held and held[0] == key and list(held[1]) == [i for i, _ in versions]:
        changed = [i for i, v in versions if held[1][i] != v]
        if not changed:
            return held[2]
        if len(changed) <= PATCH_AT_MOST:
            df = held[2].copy()
            fresh = _build(svc.questions_by_id(changed))
            for column in fresh.columns:
                df[column] = df[column].astype(object) if df[column].dtype != fresh[column].dtype else df[column]
                df.loc[fresh.index, column] = fresh[column]
            df["score"] = df["score"].astype(float)
            st.session_state["tf_review_frames"][qid] = (key, dict(versions), df)
            return df
    df = _build(svc.questions(qid))
    st.session_state["tf_review_frames"][qid] = (key, dict(versions), df)
    return df


@st.cache_data(max_entries=8, show_spinner=False)
def _stale(_svc: Service, key: tuple) -> frozenset[str]:
    return frozenset(_svc.stale_fact_ids())


def stale_ids(svc: Service) -> frozenset[str]:
    """Active facts past their review date, exactly as `trustfill kb lint` counts them.

    Recomputed only when a fact changes or the day turns (keyed on the knowledge-base fingerprint):
    a rerun costs one aggregate query, not a read of every fact.
    """
    return _stale(svc, (str(svc.engine.url), dt.date.today(), *svc.kb_fingerprint()))


def invalidate() -> None:
    """Force the next read to refetch (after a Conflict, someone else's value must show)."""
    st.session_state["tf_epoch"] = st.session_state.get("tf_epoch", 0) + 1


def progress_counts(df: pd.DataFrame) -> dict[str, int]:
    counts = {s: 0 for s in STATES}
    if not df.empty:
        for state, n in df["state"].value_counts().items():
            counts[state] = int(n)
    return counts

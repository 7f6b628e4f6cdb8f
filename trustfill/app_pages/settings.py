"""Settings: matching thresholds, upload limits and retention (admins change them; others read them).

The same service calls as `trustfill settings`, `trustfill limits` and `trustfill retention`, so the
app and the CLI store, check and audit a change identically. Run as a page by app.py;
``page()`` is importable as well.
"""

from __future__ import annotations

import streamlit as st

from trustfill.config import Limits
from trustfill.errors import TrustfillError

# Field -> (label, step) for the limits form; the help text is the field's own description.
LIMIT_LABELS = {
    "max_upload_bytes": "Upload size (MB)",
    "max_inflated_bytes": "Unzipped workbook size (MB)",
    "max_compression_ratio": "Compression ratio of one part",
    "max_sheets": "Sheets per workbook",
    "max_rows": "Rows per sheet",
    "max_columns": "Columns per sheet",
    "max_zip_entries": "Parts per workbook zip",
}
# Sizes are stored in bytes and shown in MB (52428800 means nothing to a reader; 50 MB does).
MB = 1024 * 1024
IN_MB = {"max_upload_bytes", "max_inflated_bytes"}
SEMANTIC_HINT = 'The semantic answerer is not installed: `pip install -e ".[semantic]"`, then restart the app.'


def _common():
    from trustfill.app_pages import common

    return common


def _mark(col, changed: bool, source: str | None = None) -> None:
    """A badge beside a setting: where its value comes from."""
    source = source or ("changed" if changed else "default")
    color = {"default": "gray", "changed": "orange", "settings": "orange", "environment": "blue"}[source]
    col.badge(source, color=color)


def _saved(keys: list[str], message: str) -> None:
    """After a save: the form's inputs pick up the stored values on the rerun, and say it worked."""
    for key in keys:
        st.session_state.pop(key, None)
    _common().flash(message)
    st.rerun()


def _describe(values: dict) -> str:
    def show(v) -> str:
        return ("on" if v else "off") if isinstance(v, bool) else f"{v:,g}" if isinstance(v, float) else f"{v:,}"

    return ", ".join(f"{k} = {show(v)}" for k, v in values.items())


def _differs(new: float, old: float) -> bool:
    return abs(float(new) - float(old)) > 1e-9


# ---- matching
def _matching(svc, admin: bool) -> None:
    from answerers import MatchingEngine, semantic

    common = _common()
    st.subheader("Matching")
    stored = common.attempt(svc.match_settings)
    changed = common.attempt(svc.changed_match_settings)
    if stored is None or changed is None:
        return
    # The thresholds matching will use: a threshold nobody set follows the active profile's default
    # (semantic or lexical), exactly as `trustfill settings show` reports it.
    effective = MatchingEngine([], stored).settings
    installed = semantic.installed()
    st.caption("Changes apply the next time matching runs on a questionnaire; answers already matched keep "
               "their state until you re-run matching. A threshold marked default follows the measured "
               "default for the answerers in use (it differs with the semantic answerer on or off).")
    fields = ["set_suggest", "set_review", "set_agreement", "set_semantic"]
    with st.form("settings_matching"):
        row = st.columns([4, 1], vertical_alignment="bottom")
        suggest = row[0].number_input(
            "Suggest threshold (0-100)", min_value=0.0, max_value=100.0, step=0.5, key="set_suggest",
            value=float(effective.suggest_threshold), disabled=not admin,
            help="Confidence from which a match is 'suggested' (confident enough to approve as it is).")
        _mark(row[1], "suggest_threshold" in changed)
        row = st.columns([4, 1], vertical_alignment="bottom")
        review = row[0].number_input(
            "Review threshold (0-100)", min_value=0.0, max_value=100.0, step=0.5, key="set_review",
            value=float(effective.review_threshold), disabled=not admin,
            help="Confidence below which a question is left unanswered rather than offered for review.")
        _mark(row[1], "review_threshold" in changed)
        row = st.columns([4, 1], vertical_alignment="bottom")
        agreement = row[0].number_input(
            "Suggest agreement (0-1)", min_value=0.0, max_value=1.0, step=0.05, key="set_agreement",
            value=float(stored.suggest_agreement), disabled=not admin,
            help="Share of ranking answerers that must put a fact first for a suggestion.")
        _mark(row[1], "suggest_agreement" in changed)
        row = st.columns([4, 1], vertical_alignment="bottom")
        use_semantic = row[0].toggle(
            "Semantic answerer", value=bool(stored.semantic and installed), key="set_semantic",
            disabled=not admin or not installed,
            help="Matches by meaning with a small bundled model (CPU, offline)." if installed else SEMANTIC_HINT)
        _mark(row[1], "semantic" in changed)
        if not installed:
            st.caption(SEMANTIC_HINT)
        if "answerers" in changed:
            st.caption(f"Answerers: {', '.join(stored.answerers or []) or 'none'} "
                       "(set with `trustfill settings set --answerers`).")
        submitted = st.form_submit_button("Save matching settings", type="primary", disabled=not admin)
    if submitted:
        # Only what the admin moved is stored: an untouched threshold keeps following its default.
        values = {}
        if _differs(suggest, effective.suggest_threshold):
            values["suggest_threshold"] = suggest
        if _differs(review, effective.review_threshold):
            values["review_threshold"] = review
        if _differs(agreement, stored.suggest_agreement):
            values["suggest_agreement"] = agreement
        if installed and use_semantic != stored.semantic:
            values["semantic"] = use_semantic
        if not values:
            st.info("Nothing changed.")
        elif common.succeeded(svc.set_match_settings, **values):
            _saved(fields, f"Matching settings saved: {_describe(values)}.")
    reset = st.button("Reset to defaults", key="set_match_reset", disabled=not admin or not changed,
                      help="Put every matching setting back to its measured default.")
    if reset and common.succeeded(svc.set_match_settings, **dict.fromkeys(changed)):
        _saved(fields, "Matching settings are back to their defaults.")


# ---- limits
def _limits(svc, admin: bool) -> None:
    common = _common()
    st.subheader("Upload limits")
    stored = common.attempt(svc.stored_limits)
    if stored is None:
        return
    try:
        current = svc.limits
    except TrustfillError as exc:  # e.g. an unusable TRUSTFILL_<NAME> variable
        st.error(str(exc))
        return
    from_env = Limits().model_fields_set  # an environment variable wins over anything set here
    st.caption("Every uploaded file is checked against these before it is read. A limit set by a "
               "`TRUSTFILL_<NAME>` environment variable cannot be changed here.")
    keys = [f"set_limit_{name}" for name in Limits.model_fields]
    entered = {}
    with st.form("settings_limits"):
        for name, field in Limits.model_fields.items():
            row = st.columns([4, 1], vertical_alignment="bottom")
            value = getattr(current, name)
            is_int = field.annotation is int and name not in IN_MB
            default = f"{field.default / MB:g} MB" if name in IN_MB else f"{field.default:,}"
            # No minimum here: the service checks each limit and says what is wrong with it.
            entered[name] = row[0].number_input(
                LIMIT_LABELS.get(name, name), value=value / MB if name in IN_MB else value,
                step=1 if is_int else 1.0, key=f"set_limit_{name}", format="%d" if is_int else "%g",
                disabled=not admin or name in from_env,
                help=f"{(field.description or '').capitalize()}. Default {default}.")
            if name in IN_MB:
                entered[name] = round(entered[name] * MB)
            _mark(row[1], False, "environment" if name in from_env else "settings" if name in stored else "default")
        submitted = st.form_submit_button("Save limits", type="primary", disabled=not admin)
    if submitted:
        values = {k: v for k, v in entered.items() if k not in from_env and _differs(v, getattr(current, k))}
        if not values:
            st.info("Nothing changed.")
        elif common.succeeded(svc.set_limits, **values):
            _saved(keys, f"Limits saved: {_describe(values)}.")
    reset = st.button("Reset limits to defaults", key="set_limits_reset", disabled=not admin or not stored)
    if reset and common.succeeded(svc.set_limits, **dict.fromkeys(stored)):
        _saved(keys, "Limits are back to their defaults.")


# ---- retention
def _retention(svc, admin: bool) -> None:
    common = _common()
    st.subheader("Retention")
    try:
        days = svc.retention_days()  # None means off, so attempt()'s None-on-error would be ambiguous
    except TrustfillError as exc:
        st.error(str(exc))
        return
    st.caption("Questionnaires with no activity for this many days are deleted, with everything derived "
               "from them, when `trustfill purge` runs (run it daily, e.g. from cron).")
    keys = ["set_retention_off", "set_retention_days"]
    with st.form("settings_retention"):
        row = st.columns([2, 3], vertical_alignment="bottom")
        keep = row[0].checkbox("Keep questionnaires until deleted", value=days is None, key="set_retention_off",
                               disabled=not admin)
        entered = row[1].number_input("Retention (days)", value=days or 365, step=1, key="set_retention_days",
                                      disabled=not admin, help="Used unless 'keep until deleted' is ticked.")
        submitted = st.form_submit_button("Save retention", type="primary", disabled=not admin)
    if submitted:
        new = None if keep else int(entered)
        if new == days:
            st.info("Nothing changed.")
        elif common.succeeded(svc.set_retention_days, new):
            _saved(keys, f"Retention: {new} days." if new else "Retention: off (questionnaires are kept "
                                                                "until deleted).")


# ---- learning (#16): what an approval teaches the knowledge base
LEARNING_HELP = {
    "propose": "an approval proposes the customer's wording; an approver accepts or discards it on the "
               "Knowledge base page (or `trustfill kb proposals`)",
    "auto": "an approval's wording joins its fact at once, and is taken back when the approval is reopened, "
            "rejected or its answer edited",
    "off": "approvals teach the knowledge base nothing",
}


def _learning(svc, admin: bool) -> None:
    common = _common()
    st.subheader("Learning")
    mode = common.attempt(svc.learning_mode)
    if mode is None:
        return
    st.caption("What approving a match teaches the knowledge base. Form fields (name, e-mail, date, URL) never "
               "teach. Every accepted, discarded, applied or undone change is in the audit trail.")
    with st.form("settings_learning"):
        row = st.columns([4, 1], vertical_alignment="top")
        chosen = row[0].radio("Learning mode", list(LEARNING_HELP), index=list(LEARNING_HELP).index(mode),
                              format_func=lambda m: f"{m}: {LEARNING_HELP[m]}", key="set_learning",
                              disabled=not admin)
        _mark(row[1], mode != "propose")
        submitted = st.form_submit_button("Save learning mode", type="primary", disabled=not admin)
    if submitted:
        if chosen == mode:
            st.info("Nothing changed.")
        elif common.succeeded(svc.set_learning_mode, chosen):
            _saved(["set_learning"], f"Learning mode: {chosen} ({LEARNING_HELP[chosen]}).")


def page() -> None:
    common = _common()
    st.title("Settings")
    common.show_flashes()  # app.py shows them too; this covers the page opened on its own
    svc = common.service()
    admin = svc.actor.can("settings")
    if not admin:
        st.info(f"You can read these settings; changing them needs the admin role ({svc.actor.username} is "
                f"{svc.actor.role or 'not signed in'}). Ask an admin.")
    _matching(svc, admin)
    st.divider()
    _limits(svc, admin)
    st.divider()
    _retention(svc, admin)
    st.divider()
    _learning(svc, admin)


if __name__ == "__main__":
    page()

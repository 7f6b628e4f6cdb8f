"""The detected layout of an uploaded file, shown as the sheet itself with its columns highlighted,
and the inputs a person uses to correct it (turned into ``LayoutOverrides``).

The preview reads only cell values (openpyxl never evaluates formulas or runs macros), and only
after intake has accepted the file, so its size and zip limits have already been checked.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import streamlit as st
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from trustfill.app_pages.common import plain
from trustfill.intake import LayoutOverrides
from trustfill.intake.model import Intake, SheetLayout

PREVIEW_ROWS = 25
PREVIEW_COLS = 26
COLOURS = {"question": "#dbe9fb", "answer": "#d9f2dc", "comment": "#fff4cc"}


@st.cache_data(max_entries=64, show_spinner=False)
def sheet_rows(path: str, sheet: str, first: int, last: int) -> list[list[str]]:
    """Cell text of rows ``first..last`` (1-based, inclusive) of one sheet, at most PREVIEW_COLS wide."""
    p = Path(path)
    if p.suffix.lower() == ".csv":
        raw = p.read_bytes()
        for encoding in ("utf-8-sig", "cp1252", "latin-1"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        rows = list(csv.reader(io.StringIO(text)))
        return [[c for c in r[:PREVIEW_COLS]] for r in rows[first - 1:last]]
    wb = load_workbook(p, read_only=True, data_only=True, keep_links=False)
    try:
        ws = wb[sheet]
        out = []
        for row in ws.iter_rows(min_row=first, max_row=last, max_col=PREVIEW_COLS, values_only=True):
            out.append(["" if v is None else str(v) for v in row])
        return out
    finally:
        wb.close()


def roles_of(layout: SheetLayout) -> dict[str, str]:
    """Column letter -> role, for highlighting."""
    roles = {}
    for role in ("question", "answer", "comment"):
        letter = getattr(layout, f"{role}_col")
        if letter:
            roles[letter.upper()] = role
    for letter in layout.split_answer_cols.values():
        roles.setdefault(letter.upper(), "answer")
    return roles


def preview_frame(path: str, layout: SheetLayout) -> pd.io.formats.style.Styler:
    first = layout.header_row or layout.first_row
    rows = sheet_rows(path, layout.sheet, first, first + PREVIEW_ROWS - 1)
    width = max((len(r) for r in rows), default=0)
    roles = roles_of(layout)
    width = max(width, *(column_index_from_string(c) for c in roles)) if roles else width
    width = min(width, PREVIEW_COLS)
    letters = [get_column_letter(i + 1) for i in range(width)]
    names = [f"{c} ({roles[c]})" if c in roles else c for c in letters]
    data = [(r + [""] * width)[:width] for r in rows]
    df = pd.DataFrame(data, columns=names, index=list(range(first, first + len(data))))

    def colour(col: pd.Series) -> list[str]:
        role = roles.get(col.name.split(" ")[0])
        bg = f"background-color: {COLOURS[role]}" if role else ""
        return [bg + ("; font-weight: bold" if idx == layout.header_row else "") for idx in col.index]

    return df.style.apply(colour, axis=0)


def show_layout(path: str, intake: Intake, key: str) -> list[LayoutOverrides] | None:
    """Render each detected sheet with correction inputs. Returns new overrides when the user applies them."""
    layout = intake.layout
    counts: dict[str, int] = {}
    for q in intake.questions:
        counts[q.sheet] = counts.get(q.sheet, 0) + 1
    st.markdown(f"**{len(intake.questions)} questions** found in {len(layout.sheets)} sheet(s). "
                ":blue-background[question] :green-background[answer] :orange-background[comment] "
                "columns are highlighted; correct them below if intake guessed wrong.")
    for name, why in layout.skipped.items():
        st.caption(f"Sheet **{plain(name)}** was skipped: {plain(why)}")  # the customer's sheet names
    if not layout.sheets:
        st.warning("Intake found no question sheet. Name the sheet and its question column below.")
    tabs = st.tabs([f"{plain(s.sheet)} ({counts.get(s.sheet, 0)})" for s in layout.sheets] or ["Correct the layout"])
    new: list[LayoutOverrides] = []  # only the sheets the person changed; the caller keeps earlier ones
    changed = False
    for tab, sheet in zip(tabs, layout.sheets or [None], strict=False):
        with tab:
            if sheet is not None:
                for note in sheet.notes:
                    st.caption(plain(note))
                st.dataframe(preview_frame(path, sheet), height=320, width="stretch")
            override, differs = _override_inputs(sheet, layout.skipped, f"{key}_{sheet.sheet if sheet else ''}")
            if differs and override is not None:
                new.append(override)
                changed = True
    if st.button("Re-detect with these columns", key=f"{key}_apply", disabled=not changed):
        return new
    return None


def _override_inputs(sheet: SheetLayout | None, skipped: dict[str, str], key: str):
    cols = st.columns(5)
    names = [sheet.sheet] if sheet else list(skipped)
    if not names:
        return None, False
    name = cols[0].selectbox("Sheet", names, key=f"{key}_sheet", disabled=sheet is not None)
    header = cols[1].number_input("Header row", min_value=0, step=1, key=f"{key}_header",
                                  value=(sheet.header_row or 0) if sheet else 0,
                                  help="0 when the sheet has no header row.")
    letters = {}
    for i, role in enumerate(("question", "answer", "comment")):
        current = (getattr(sheet, f"{role}_col") or "") if sheet else ""
        letters[role] = cols[2 + i].text_input(f"{role.title()} column", value=current, max_chars=3,
                                               key=f"{key}_{role}").strip().upper()
    detected = (sheet.header_row or 0, sheet.question_col, sheet.answer_col or "", sheet.comment_col or "") \
        if sheet else (0, "", "", "")
    given = (int(header), letters["question"], letters["answer"], letters["comment"])
    if not letters["question"]:
        return None, False
    override = LayoutOverrides(sheet=name, header_row=int(header) or None, question_col=letters["question"],
                               answer_col=letters["answer"] or None, comment_col=letters["comment"] or None)
    return override, given != detected

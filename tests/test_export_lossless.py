"""Filling real questionnaires loses nothing: the dev workbooks and two real HECVATs.

Each workbook is filled with answers (and comments) in the cells a person would use, then compared
with the original three ways: zip entries (untouched ones with the same compressed bytes), raw sheet
XML, and openpyxl's view (values, formulas, styles, cached values). LibreOffice then opens the filled
files and must show the answers, exactly as written, in the right cells.
"""

from __future__ import annotations

import csv
import re
import shutil
import struct
import subprocess
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string

from conftest import DEV, QUESTIONNAIRES, needs_shared
from exports import CellWrite, WriteResult, write_cells

pytestmark = [needs_shared, pytest.mark.filterwarnings("ignore::UserWarning")]

DEV_COLUMNS = {  # file prefix -> (answer column, comment column), from looking at the workbooks
    "Fabrikam": ("C", "D"),
    "Tailspin": ("C", "D"),
    "Contoso": ("E", "D"),
}
HECVAT4_SHEETS = ["Organization", "Product", "Infrastructure", "IT Accessibility", "Case-Specific", "AI",
                  "Privacy"]
HECVAT_ID = re.compile(r"^[A-Z]{4}-\d{2}$")
ANSWERS = ["Yes", "No", "N/A", "Partial", "=HYPERLINK(\"http://attacker.example\",\"click\")",
           "We encrypt data at rest with AES-256 & TLS 1.2+ <in transit>; see §4 of the ünïcödé policy.",
           "-5 days", "@SUM(A1:A9)"]
COMMENTS = ["AES-256", "", "+1 555 0100", "Line one\nLine two", "\tindented"]
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def dev_targets(path: Path) -> list[tuple[str, int, str, str]]:
    """(sheet, row, answer column, comment column) for every question of truth.csv in this workbook."""
    answer, comment = DEV_COLUMNS[path.name.split("_")[0]]
    with (DEV / "truth.csv").open(encoding="utf-8") as fh:
        return [(r["sheet"], int(r["row"]), answer, comment)
                for r in csv.DictReader(fh) if r["file"] == path.name]


def hecvat_targets(path: Path, sheets: list[str]) -> list[tuple[str, int, str, str]]:
    """Rows with a question ID (GNRL-01...) in column A: answer in C, "Additional Information" in D."""
    wb = openpyxl.load_workbook(path, read_only=True)
    out = []
    for name in sheets:
        for row in wb[name].iter_rows(min_col=1, max_col=1):
            cell = row[0]
            if isinstance(cell.value, str) and HECVAT_ID.match(cell.value):
                out.append((name, cell.row, "C", "D"))
    wb.close()
    return out


CASES = {
    **{p.name.split("_")[0]: (p, dev_targets) for p in sorted(DEV.glob("*.xlsx"))},
    "hecvat-4.14": (QUESTIONNAIRES / "hecvat-4.14-blank.xlsx", lambda p: hecvat_targets(p, HECVAT4_SHEETS)),
    "hecvat-3": (QUESTIONNAIRES / "hecvat-3-filled-opendsa-2022.xlsx",
                 lambda p: hecvat_targets(p, ["HECVAT - Full"])),
}


@dataclass
class Filled:
    src: Path
    dest: Path
    writes: list[CellWrite]
    result: WriteResult
    parts: dict[str, str]  # sheet name -> zip part


def sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name -> part, read here independently of the code under test."""
    with zipfile.ZipFile(path) as zf:
        wb = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    rid = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    out = {}
    for s in wb.iter(f"{MAIN_NS}sheet"):
        target = targets[s.get(rid)]
        out[s.get("name")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return out


@pytest.fixture(scope="module", params=sorted(CASES))
def filled(request, tmp_path_factory) -> Filled:
    src, targets_of = CASES[request.param]
    writes = []
    for i, (sheet, row, answer_col, comment_col) in enumerate(targets_of(src)):
        writes.append(CellWrite(sheet=sheet, cell=f"{answer_col}{row}", value=ANSWERS[i % len(ANSWERS)]))
        if COMMENTS[i % len(COMMENTS)]:
            comment = COMMENTS[i % len(COMMENTS)]
            writes.append(CellWrite(sheet=sheet, cell=f"{comment_col}{row}", value=comment))
    assert len(writes) > 50
    dest = tmp_path_factory.mktemp(request.param) / f"{request.param}-filled.xlsx"
    return Filled(src, dest, writes, write_cells(src, dest, writes), sheet_parts(src))


def written_parts(f: Filled) -> set[str]:
    return {f.parts[w.sheet] for w in f.result.written}


def raw_entry(path: Path, info: zipfile.ZipInfo) -> bytes:
    """An entry's compressed bytes as stored: after its local header (30 bytes + name + extra)."""
    with path.open("rb") as fh:
        fh.seek(info.header_offset)
        header = fh.read(30)
        assert header[:4] == b"PK\x03\x04"
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        fh.seek(name_len + extra_len, 1)
        return fh.read(info.compress_size)


def assert_untouched_entries_are_copied_raw(src: Path, dest: Path, may_change: set[str]) -> set[str]:
    """Same entries in the same order; each one whose content is unchanged has the same compressed bytes
    and CRC. Returns the entries whose content changed (which must be in ``may_change``)."""
    changed = set()
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dest) as b:
        assert [i.filename for i in a.infolist()] == [i.filename for i in b.infolist()]
        for ia, ib in zip(a.infolist(), b.infolist(), strict=True):
            assert ia.compress_type == ib.compress_type, ia.filename
            if a.read(ia) != b.read(ib):
                changed.add(ia.filename)
                continue
            assert (ib.CRC, ib.file_size, ib.date_time) == (ia.CRC, ia.file_size, ia.date_time), ia.filename
            assert raw_entry(dest, ib) == raw_entry(src, ia), ia.filename
    assert changed <= may_change, changed - may_change
    return changed


def styles_part(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = next(r.get("Target") for r in rels if r.get("Type", "").endswith("/styles"))
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def test_most_answers_are_written_and_every_skip_is_justified(filled):
    f = filled
    assert len(f.result.written) >= 0.8 * len(f.writes)
    for skip in f.result.skipped:
        current = grid(f.src, skip.sheet, False)[skip.cell][0]
        if skip.reason.startswith("holds a formula"):
            assert isinstance(current, str) and current.startswith("="), skip
        else:
            m = re.match(r"inside merged range (\S+);", skip.reason)
            assert m, skip
            with zipfile.ZipFile(f.src) as zf:
                assert f'<mergeCell ref="{m.group(1)}"/>' in zf.read(f.parts[skip.sheet]).decode()


def test_every_part_but_the_written_sheets_and_styles_is_copied_with_its_compressed_bytes(filled):
    f = filled
    styles = styles_part(f.src)
    changed = assert_untouched_entries_are_copied_raw(f.src, f.dest, written_parts(f) | {styles})
    assert changed == written_parts(f) | {styles}  # every fill has answers starting with = - @
    # styles.xml: only new <xf quotePrefix="1"> at the end of <cellXfs> and its count; every other byte kept.
    with zipfile.ZipFile(f.src) as a, zipfile.ZipFile(f.dest) as b:
        before, after = a.read(styles).decode(), b.read(styles).decode()
    count = re.compile(r'(<cellXfs\b[^>]*\bcount=")\d+"')
    before, after = count.sub(r'\1N"', before), count.sub(r'\1N"', after)
    head, tail = before.split("</cellXfs>")
    assert after.startswith(head) and after.endswith("</cellXfs>" + tail)
    added = after[len(head):len(after) - len(tail) - len("</cellXfs>")]
    xfs = re.findall(r"<xf\b[^>]*?(?:/>|>.*?</xf>)", added, re.S)
    assert xfs and "".join(xfs) == added and all('quotePrefix="1"' in x for x in xfs)
    # each one a copy of an existing cell style with quotePrefix added; the count says how many there are
    originals = re.findall(r"<xf\b[^>]*?(?:/>|>.*?</xf>)", head.split("<cellXfs", 1)[1], re.S)
    plain = {re.sub(r' quotePrefix="[01]"', "", x) for x in originals}
    assert all(re.sub(r' quotePrefix="1"', "", x) in plain for x in xfs)
    with zipfile.ZipFile(f.dest) as b:
        declared = int(re.search(r'<cellXfs\b[^>]*\bcount="(\d+)"', b.read(styles).decode()).group(1))
    assert declared == len(originals) + len(xfs)


@pytest.mark.parametrize("src", sorted(QUESTIONNAIRES.glob("*.xlsx")) + sorted(DEV.glob("*.xlsx")),
                         ids=lambda p: p.name)
def test_untouched_entries_of_every_shared_workbook_keep_their_compressed_bytes_and_crc(src, tmp_path):
    dest = tmp_path / "out.xlsx"
    result = write_cells(src, dest, [])
    assert not result.written
    assert assert_untouched_entries_are_copied_raw(src, dest, set()) == set()
    # and with a formula-like answer in the first sheet: only that sheet and styles.xml may change
    first = next(iter(sheet_parts(src)))
    result = write_cells(src, dest, [CellWrite(sheet=first, cell="ZZ999", value="=1+1")])
    may = {sheet_parts(src)[first], styles_part(src)} if result.written else set()
    assert assert_untouched_entries_are_copied_raw(src, dest, may) == may


def _cells(xml: str) -> dict[str, str]:
    return {re.search(r'\sr="([A-Z]+\d+)"', m.group(0)).group(1): m.group(0)
            for m in re.finditer(r"<c\s[^>]*?(?:/>|>.*?</c>)", xml, re.S)}


def _rows(xml: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r'<row\s[^>]*?r="(\d+)"[^>]*>', xml)}


def _outside_sheet_data(xml: str) -> tuple[str, str]:
    head, rest = xml.split("<sheetData", 1)
    return re.sub(r"<dimension [^>]*>", "", head), rest.split("</sheetData>", 1)[1]


def test_raw_sheet_xml_differs_only_in_answer_cells(filled):
    f = filled
    targets = {(w.sheet, w.cell) for w in f.result.written}
    target_rows = {(s, re.sub(r"[A-Z]+", "", c)) for s, c in targets}
    with zipfile.ZipFile(f.src) as a, zipfile.ZipFile(f.dest) as b:
        for sheet, part in f.parts.items():
            if part not in written_parts(f):
                continue
            before, after = a.read(part).decode(), b.read(part).decode()
            assert _outside_sheet_data(before) == _outside_sheet_data(after)
            for marker in ("<dataValidation ", "<x14:dataValidation ", "<conditionalFormatting",
                           "<x14:conditionalFormatting", "<extLst", "<sheetProtection", "<drawing",
                           "<legacyDrawing"):
                assert before.count(marker) == after.count(marker), marker
            cb, ca = _cells(before), _cells(after)
            for ref in set(cb) | set(ca):
                if (sheet, ref) not in targets:
                    assert cb.get(ref) == ca.get(ref), (sheet, ref)
            rb, ra = _rows(before), _rows(after)
            for r in set(rb) | set(ra):
                if (sheet, r) not in target_rows:
                    assert rb.get(r) == ra.get(r), (sheet, r)
                else:
                    assert re.sub(r'spans="[^"]*"', "", rb.get(r, "")) == re.sub(r'spans="[^"]*"', "", ra[r])


def test_hecvat_drop_downs_conditional_formats_and_protection_survive(tmp_path):
    h4, h3 = QUESTIONNAIRES / "hecvat-4.14-blank.xlsx", QUESTIONNAIRES / "hecvat-3-filled-opendsa-2022.xlsx"
    writes = [CellWrite(sheet="Organization", cell="C22", value="Yes"),
              CellWrite(sheet="(backend scoring)", cell="A1", value="x")]
    result = write_cells(h4, tmp_path / "h4.xlsx", writes)
    assert [w.cell for w in result.written] == ["C22"]
    # The hidden scoring sheet is protected and its cells locked: never written.
    assert [(s.sheet, s.reason) for s in result.skipped] == [
        ("(backend scoring)", "locked cell on a protected sheet")]
    with zipfile.ZipFile(tmp_path / "h4.xlsx") as zf:
        org = zf.read(sheet_parts(h4)["Organization"]).decode()
        scoring = zf.read(sheet_parts(h4)["(backend scoring)"]).decode()
    assert re.search(r'<sheetProtection [^>]*sheet="1"', scoring)
    assert org.count("<x14:dataValidation ") == 2 and "'Auto Responses'!$J$3:$J$4" in org

    result = write_cells(h3, tmp_path / "h3.xlsx",
                         [CellWrite(sheet="HECVAT - Full", cell="C40", value="Yes")])
    assert [w.cell for w in result.written] == ["C40"]
    with zipfile.ZipFile(tmp_path / "h3.xlsx") as zf:
        full = zf.read(sheet_parts(h3)["HECVAT - Full"]).decode()
    assert full.count("<conditionalFormatting") == 31 and full.count("<x14:conditionalFormatting") == 3
    assert full.count("<x14:dataValidation ") == 3 and full.count("<dataValidation ") == 2


def _style(cell) -> tuple:
    return (cell.number_format, cell.font, cell.fill, cell.border, cell.alignment, cell.protection)


@lru_cache(maxsize=32)
def grid(path: Path, sheet: str, data_only: bool) -> dict[str, tuple]:
    """coordinate -> (value, style) of every stored cell of one sheet, read once (read-only mode is
    sequential: random access would re-read the sheet each time)."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    out = {c.coordinate: (c.value, _style(c)) for row in wb[sheet].iter_rows() for c in row
           if hasattr(c, "coordinate")}
    wb.close()
    return out


def test_openpyxl_sees_only_the_answer_cells_changed(filled):
    f = filled
    targets = {(w.sheet, w.cell): w.value for w in f.result.written}
    for sheet in sorted({w.sheet for w in f.result.written}):
        for data_only in (False, True):
            before, after = grid(f.src, sheet, data_only), grid(f.dest, sheet, data_only)
            for ref in set(before) | set(after):
                if (sheet, ref) in targets:
                    assert after[ref][0] == targets[(sheet, ref)], (sheet, ref)
                    if ref in before:
                        assert after[ref][1] == before[ref][1], (sheet, ref)
                else:
                    assert before.get(ref) == after.get(ref), (sheet, ref, data_only)


def test_question_text_is_still_readable_from_cached_values(filled):
    f = filled
    if f.src.parent == DEV:
        with (DEV / "truth.csv").open(encoding="utf-8") as fh:
            truth = [r for r in csv.DictReader(fh) if r["file"] == f.src.name]
        for r in truth:
            cached = grid(f.dest, r["sheet"], True)
            texts = [v for ref, (v, _s) in cached.items() if re.fullmatch(rf"[A-Z]+{r['row']}", ref)]
            assert r["question"] in texts, r
        return
    # HECVAT question text is a VLOOKUP formula in column B: only its cached value shows it.
    seen = 0
    for w in f.result.written:
        if w.cell.startswith("C"):
            b = f"B{w.cell[1:]}"
            text = grid(f.dest, w.sheet, True)[b][0]
            assert isinstance(text, str) and text.strip(), (w.sheet, w.cell)
            assert text == grid(f.src, w.sheet, True)[b][0]
            seen += str(grid(f.dest, w.sheet, False)[b][0]).startswith("=")
    assert seen > 20  # most question texts are formulas whose cached value we kept


def test_formula_like_answers_are_exact_text_with_quote_prefix(filled):
    f = filled
    written = {(x.sheet, x.cell) for x in f.result.written}
    risky = [w for w in f.writes if w.value[:1] in "=+-@\t" and (w.sheet, w.cell) in written]
    assert risky
    wb = openpyxl.load_workbook(f.dest, read_only=True)
    for sheet in {w.sheet for w in risky}:
        cells = {c.coordinate: c for row in wb[sheet].iter_rows() for c in row if hasattr(c, "coordinate")}
        for w in (w for w in risky if w.sheet == sheet):
            cell = cells[w.cell]
            assert (cell.value, cell.data_type) == (w.value, "s"), w
            assert cell.style_array.quotePrefix, w
    wb.close()


@pytest.fixture(scope="module")
def libreoffice_csv(tmp_path_factory):
    """Every filled workbook converted by LibreOffice, all sheets: {(case, sheet): rows}."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice (soffice) is not installed; apt-get install libreoffice-calc-nogui")
    root = tmp_path_factory.mktemp("lo")
    files = []
    for name, (src, targets_of) in CASES.items():
        dest = root / f"{name}.xlsx"
        writes = [CellWrite(sheet=s, cell=f"{a}{r}", value=ANSWERS[i % len(ANSWERS)])
                  for i, (s, r, a, _c) in enumerate(targets_of(src))]
        result = write_cells(src, dest, writes)
        files.append((name, dest, result))
    # -1 = every sheet to its own CSV; 76 = UTF-8. A private profile so runs never share state.
    filt = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    proc = subprocess.run([soffice, f"-env:UserInstallation=file://{root / 'profile'}", "--headless",
                           "--convert-to", filt, "--outdir", str(root / "csv"),
                           *[str(d) for _n, d, _r in files]],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return root / "csv", files


def test_libreoffice_opens_the_filled_files_and_shows_the_answers(libreoffice_csv):
    out, files = libreoffice_csv
    for name, dest, result in files:
        by_sheet: dict[str, list[CellWrite]] = {}
        for w in result.written:
            by_sheet.setdefault(w.sheet, []).append(w)
        assert by_sheet, name
        for sheet, writes in by_sheet.items():
            converted = out / f"{dest.stem}-{sheet}.csv"
            assert converted.exists(), f"LibreOffice did not convert {name} sheet {sheet}"
            with converted.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.reader(fh))
            for w in writes:
                row = int(re.sub(r"[A-Z]+", "", w.cell))
                col = column_index_from_string(re.sub(r"\d+", "", w.cell))
                assert rows[row - 1][col - 1] == w.value, (name, sheet, w.cell)  # as text, no apostrophe

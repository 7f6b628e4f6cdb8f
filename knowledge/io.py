"""Import and export of the knowledge base as CSV, XLSX, YAML or JSON (chosen by extension).

Imports are all-or-nothing: every row is checked first and any bad row fails the whole import,
listing each bad row by number, before anything touches the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from exports.safe_csv import unneutralise as csv_unneutralise
from exports.safe_csv import write_csv
from knowledge.model import Fact, fact_id_from_question
from trustfill.config import Limits
from trustfill.errors import HeaderError, InputFileError, RowError

FORMATS = (".csv", ".xlsx", ".yaml", ".yml", ".json")
ALT_SEPARATOR = " | "

# Tabular column -> Fact field. Header names are matched case-insensitively, ignoring spaces,
# underscores and hyphens, so "Alternate_Questions" and "alternate questions" are one column.
COLUMNS = {
    "id": ["id", "fact id", "factid", "key", "ref", "reference", "identifier"],
    "question": ["question", "questions", "question text", "canonical question", "query", "prompt"],
    "answer": ["answer", "response", "short answer", "answer value", "value", "reply"],
    "comment": ["comment", "comments", "details", "detail", "explanation", "notes", "note",
                "additional information", "description", "long answer", "justification", "remarks"],
    "category": ["category", "section", "domain", "topic", "area"],
    "product": ["product", "products", "applies to", "scope"],
    "alternate_questions": ["alternate questions", "alternates", "alternative questions", "alternate question",
                            "variants", "other phrasings", "synonyms", "aliases", "also asked as"],
    "tags": ["tags", "labels", "keywords"],
    "owner": ["owner", "fact owner", "responsible"],
    "source": ["source", "evidence", "link", "evidence link", "document", "url"],
    "last_reviewed": ["last reviewed", "reviewed", "review date", "last review", "last reviewed on"],
    "review_interval_days": ["review interval days", "review interval", "review every days"],
    "status": ["status", "state"],
    # Which version of the fact the row was exported from: an import uses it to spot a fact edited in
    # the knowledge base since (knowledge/import_diff.py). Optional; a hand-made file leaves it out.
    "version": ["version", "fact version"],
}
EXPORT_HEADERS = {
    "id": "ID", "question": "Question", "answer": "Answer", "comment": "Comment", "category": "Category",
    "product": "Product", "alternate_questions": "Alternate Questions", "tags": "Tags", "owner": "Owner",
    "source": "Source", "last_reviewed": "Last Reviewed", "review_interval_days": "Review Interval Days",
    "status": "Status", "version": "Version",
}
_LIST_FIELDS = {"alternate_questions", "tags"}
_DANGEROUS_LEAD = ("=", "+", "-", "@", "\t", "\r", "\n")


def _key(header: str) -> str:
    return " ".join(str(header).replace("_", " ").replace("-", " ").lower().split())


_SYNONYMS = {_key(s): field for field, names in COLUMNS.items() for s in names}


def neutralise_cell(text: str) -> str:
    """Make a spreadsheet show ``text`` as typed instead of evaluating it as a formula."""
    return "'" + text if text.startswith(_DANGEROUS_LEAD) else text


def _unneutralise(text: str) -> str:
    # Exports before quotePrefix put an apostrophe in front; reading such a file still gives the text.
    return text[1:] if text.startswith("'") and text[1:].startswith(_DANGEROUS_LEAD) else text


# ---------------------------------------------------------------- reading

def _check_file(path: Path, limits: Limits) -> None:
    if not path.exists():
        raise InputFileError(path, "file not found. Check the path.")
    if not path.is_file():
        raise InputFileError(path, "is not a file.")
    if path.suffix.lower() not in FORMATS:
        raise InputFileError(path, f"unsupported knowledge base format '{path.suffix or '(none)'}'. "
                                   f"Use one of {', '.join(FORMATS)}.")
    if path.stat().st_size > limits.max_upload_bytes:
        raise InputFileError(path, f"file is {path.stat().st_size:,} bytes, over the "
                                   f"{limits.max_upload_bytes:,}-byte limit.")


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputFileError(path, "cannot decode the text (not UTF-8 or Windows-1252). Save it as UTF-8.")


def _rows_from_csv(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    text = _decode(path)
    # Sniff only the delimiter: the sniffer's guesses about quoting misread cells made of quotes.
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputFileError(path, f"not a readable CSV file ({exc}).") from exc
    except StopIteration:
        raise InputFileError(path, "the file is empty; it needs a header row and one row per fact.") from None
    rows = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise InputFileError(path, f"not a readable CSV file near line {reader.line_num} ({exc}). "
                                   "Check the quoting, or export the library again.") from exc
    return header, rows


def _rows_from_xlsx(path: Path, limits: Limits) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from trustfill.intake.safety import check_workbook  # the same hostile-file checks as questionnaire intake

    check_workbook(path, str(path), limits)
    import openpyxl  # local: only xlsx imports pay for it

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise InputFileError(path, f"cannot read the workbook ({type(exc).__name__}). "
                                   "Open it in Excel and save it again as .xlsx.") from exc
    try:
        ws = wb.worksheets[0]
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = ["" if v is None else _cell_text(v) for v in values]
            if header is None:
                if any(cells):
                    header = cells
                continue
            if any(c.strip() for c in cells):
                rows.append((number, cells))
    finally:
        wb.close()
    if header is None:
        raise InputFileError(path, "the first sheet is empty; it needs a header row and one row per fact.")
    while header and not header[-1].strip():
        header.pop()
    return header, rows


def _cell_text(value) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _records_from_tabular(path: Path, header: list[str], rows, problems,
                          restore=_unneutralise) -> list[tuple[int, dict]]:
    """``restore`` undoes the writer's formula neutralisation (the CSV writer's differs from the XLSX one)."""
    fields: list[str | None] = []
    for col, name in enumerate(header, start=1):
        if not str(name).strip():
            fields.append(None)
            continue
        field = _SYNONYMS.get(_key(name))
        if field is None:
            problems.append((1, f"has an unknown column '{name}' (column {col}); expected one of "
                                f"{', '.join(EXPORT_HEADERS.values())} or a usual synonym"))
        elif field in fields:
            problems.append((1, f"repeats the {EXPORT_HEADERS[field]} column ('{name}', column {col})"))
        fields.append(field)
    for required in ("question", "answer"):
        if required not in fields:
            problems.append((1, f"has no {EXPORT_HEADERS[required]} column (a knowledge base needs "
                                f"Question and Answer columns)"))
    records = []
    for number, cells in rows:
        record: dict = {}
        for field, cell in zip(fields, cells, strict=False):
            if field is None:
                continue
            cell = restore(cell.strip())
            if field in _LIST_FIELDS:
                sep = "|" if field == "alternate_questions" else ("|" if "|" in cell else ",")
                record[field] = [p.strip() for p in cell.split(sep) if p.strip()]
            elif cell:
                record[field] = cell
        records.append((number, record))
    return records


def _records_from_document(path: Path) -> list[tuple[int, dict]]:
    import yaml  # here, not at module level: every command imports this module, few read YAML (~15 ms)

    text = _decode(path)
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputFileError(path, f"not valid {path.suffix[1:].upper()}: {exc}") from exc
    except RecursionError as exc:  # hostile nesting: refuse it rather than crash
        raise InputFileError(path, "nested too deeply to be a knowledge base; expected a flat list of facts.") from exc
    if isinstance(data, dict) and isinstance(data.get("facts"), list):
        data = data["facts"]
    if not isinstance(data, list):
        raise InputFileError(path, "expected a list of facts (or a mapping with a 'facts' list).")
    records = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            records.append((number, {"__error__": "item is not a mapping of fact fields"}))
            continue
        record = {}
        for name, value in item.items():
            field = name if name in EXPORT_HEADERS else _SYNONYMS.get(_key(name))
            if field is None:
                record.setdefault("__error__", f"unknown field '{name}'")
                continue
            if field in _LIST_FIELDS and isinstance(value, str):
                value = [p.strip() for p in value.split("|") if p.strip()]
            if field == "last_reviewed" and isinstance(value, dt.date):
                value = value.isoformat()
            record[field] = value
        records.append((number, record))
    return records


def read_library(path: str | os.PathLike, limits: Limits | None = None) -> list[Fact]:
    """Read and validate a whole library file; raise RowError listing every bad row."""
    path = Path(path)
    limits = limits or Limits()
    _check_file(path, limits)
    problems: list[tuple[int, str]] = []
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header, rows = _rows_from_csv(path)
        records = _records_from_tabular(path, header, rows, problems, restore=csv_unneutralise)
    elif suffix == ".xlsx":
        header, rows = _rows_from_xlsx(path, limits)
        records = _records_from_tabular(path, header, rows, problems)
    else:
        records = _records_from_document(path)
    if problems:  # header problems make every row meaningless: report them alone
        raise HeaderError(path, [problem for _row, problem in problems])

    facts: list[Fact] = []
    seen: dict[str, int] = {}
    for number, record in records:
        if "__error__" in record:
            problems.append((number, record["__error__"]))
            continue
        if not str(record.get("question") or "").strip():
            problems.append((number, "no question"))
            continue
        if not str(record.get("answer") or "").strip():
            problems.append((number, "no answer"))
            continue
        explicit = bool(str(record.get("id") or "").strip())
        if not explicit:
            base = fact_id_from_question(str(record["question"]))
            candidate, n = base, 2
            while candidate in seen:
                candidate, n = f"{base}-{n}", n + 1
            record["id"] = candidate
        try:
            fact = Fact.model_validate(record)
        except ValidationError as exc:
            msg = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in exc.errors())
            problems.append((number, msg))
            continue
        if fact.id in seen:
            problems.append((number, f"duplicate ID '{fact.id}' (first used in row {seen[fact.id]})"))
            continue
        seen[fact.id] = number
        facts.append(fact)
    if problems:
        raise RowError(path, problems)
    return facts


# ---------------------------------------------------------------- writing

def _tabular_rows(facts: Sequence[Fact], neutralise=neutralise_cell) -> list[list[str]]:
    rows = []
    for f in facts:
        row = []
        for field in EXPORT_HEADERS:
            value = getattr(f, field)
            if field == "alternate_questions":
                text = ALT_SEPARATOR.join(value)
            elif field == "tags":
                text = ", ".join(value)
            elif value is None:
                text = ""
            elif isinstance(value, dt.date):
                text = value.isoformat()
            else:
                text = str(value)
            row.append(neutralise(text))
        rows.append(row)
    return rows


def write_library(facts: Sequence[Fact], path: str | os.PathLike) -> Path:
    """Write the library atomically in the format its extension names."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputFileError(path, f"unsupported export format '{suffix or '(none)'}'. "
                                   f"Use one of {', '.join(FORMATS)}.")
    if not path.parent.exists():
        raise InputFileError(path, f"folder {path.parent} does not exist.")
    fd, tmp_name = tempfile.mkstemp(prefix=".tf-", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if suffix == ".csv":  # the one safe CSV writer neutralises each field itself
            write_csv(tmp, list(EXPORT_HEADERS.values()), _tabular_rows(facts, neutralise=str))
        elif suffix == ".xlsx":
            import openpyxl

            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = "Knowledge base"
            ws.append(list(EXPORT_HEADERS.values()))
            # Text exactly as stored, never an apostrophe in it: a cell whose text could read as a
            # formula carries the quotePrefix style flag, which Excel and LibreOffice honour as "text".
            for row in _tabular_rows(facts, neutralise=str):
                ws.append(row)
                for cell in ws[ws.max_row]:
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                    if str(cell.value or "").startswith(_DANGEROUS_LEAD):
                        cell.quotePrefix = True
            wb.save(tmp)
        else:
            items = [f.model_dump(mode="json") for f in facts]
            with tmp.open("w", encoding="utf-8") as fh:
                if suffix == ".json":
                    json.dump(items, fh, indent=2, ensure_ascii=False)
                else:
                    import yaml

                    yaml.safe_dump(items, fh, sort_keys=False, allow_unicode=True, width=110)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path

"""Intake refuses bad files with a specific error that says what to do, and reads CSV and .xlsm."""

from __future__ import annotations

import hashlib
import zipfile

import pytest
from test_intake_helpers import SIMPLE_QUESTION_ROWS, SIMPLE_ROWS, simple_csv, simple_xlsx, vendor_workbook

from trustfill.config import Limits
from trustfill.errors import InputFileError, LimitExceeded
from trustfill.intake import read_questionnaire, register_reader, supported_extensions
from trustfill.intake.model import Intake, LayoutOverrides, WorkbookLayout

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        read_questionnaire(tmp_path / "nope.xlsx")


def test_pdf_renamed_xlsx(tmp_path):
    p = tmp_path / "q.xlsx"
    p.write_bytes(b"%PDF-1.7\n1 0 obj <<>> endobj\n")
    with pytest.raises(InputFileError, match="PDF"):
        read_questionnaire(p)


def test_text_renamed_xlsx(tmp_path):
    p = tmp_path / "q.xlsx"
    p.write_text("Question,Answer\nDo you?,Yes\n")
    with pytest.raises(InputFileError, match="text file.*\\.csv"):
        read_questionnaire(p)


def test_truncated_zip(tmp_path):
    good = vendor_workbook(tmp_path / "good.xlsx").read_bytes()
    p = tmp_path / "cut.xlsx"
    p.write_bytes(good[: len(good) // 2])
    with pytest.raises(InputFileError, match="damaged or incomplete"):
        read_questionnaire(p)


def test_legacy_xls_says_save_as_xlsx(tmp_path):
    p = tmp_path / "old.xls"
    p.write_bytes(OLE2 + b"\x00" * 600 + "Workbook".encode("utf-16-le") + b"\x00" * 600)
    with pytest.raises(InputFileError, match="save it as .xlsx"):
        read_questionnaire(p)
    renamed = tmp_path / "old.xlsx"
    renamed.write_bytes(p.read_bytes())
    with pytest.raises(InputFileError, match="legacy Excel 97-2003"):
        read_questionnaire(renamed)


def test_encrypted_workbook_says_remove_the_password(tmp_path):
    p = tmp_path / "secret.xlsx"
    p.write_bytes(OLE2 + b"\x00" * 600 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 600)
    with pytest.raises(InputFileError, match="remove the password"):
        read_questionnaire(p)


def test_word_document_renamed_xlsx(tmp_path):
    p = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(InputFileError, match="Word document"):
        read_questionnaire(p)


def test_unknown_extension_lists_supported_ones(tmp_path):
    p = tmp_path / "q.docx"
    p.write_bytes(b"x")
    with pytest.raises(InputFileError, match=r"unsupported file type '\.docx'.*\.csv.*\.xlsx"):
        read_questionnaire(p)


def test_display_name_is_what_errors_call_the_file(tmp_path):
    p = tmp_path / "8f3a1c.bin"
    p.write_bytes(b"%PDF-1.4")
    with pytest.raises(InputFileError) as err:
        read_questionnaire(p, display_name="Customer Questionnaire.xlsx")
    assert str(err.value).startswith("Customer Questionnaire.xlsx:")


def test_upload_size_limit(tmp_path):
    p = vendor_workbook(tmp_path / "v.xlsx")
    with pytest.raises(LimitExceeded, match="upload limit"):
        read_questionnaire(p, limits=Limits(max_upload_bytes=1000))


def test_zip_bomb_ratio_and_inflated_size_and_entries(tmp_path):
    p = vendor_workbook(tmp_path / "v.xlsx")
    with zipfile.ZipFile(p, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/padding.bin", b"\x00" * (4 * 1024 * 1024))
    with pytest.raises(LimitExceeded, match="zip bomb"):
        read_questionnaire(p)
    with pytest.raises(LimitExceeded, match="unpacks to"):
        read_questionnaire(p, limits=Limits(max_inflated_bytes=1024 * 1024))
    with pytest.raises(LimitExceeded, match="parts"):
        read_questionnaire(p, limits=Limits(max_zip_entries=5))


def test_row_and_column_limits(tmp_path):
    p = vendor_workbook(tmp_path / "v.xlsx")
    with pytest.raises(LimitExceeded, match="rows") as err:
        read_questionnaire(p, limits=Limits(max_rows=10))
    assert err.value.sheet == "Questionnaire"
    with pytest.raises(LimitExceeded, match="columns"):
        read_questionnaire(p, limits=Limits(max_columns=3))
    csv_path = simple_csv(tmp_path / "s.csv")
    with pytest.raises(LimitExceeded, match="rows"):
        read_questionnaire(csv_path, limits=Limits(max_rows=3))


def test_xlsm_is_read_and_left_untouched(tmp_path):
    p = vendor_workbook(tmp_path / "macro.xlsm")
    with zipfile.ZipFile(p, "a") as zf:
        zf.writestr("xl/vbaProject.bin", b"Attribute VB_Name = \"Module1\"\nSub AutoOpen()\nEnd Sub\n")
    before = hashlib.sha256(p.read_bytes()).hexdigest()
    intake = read_questionnaire(p)
    assert intake.layout.format == "xlsm"
    assert len(intake.questions) == 6
    assert hashlib.sha256(p.read_bytes()).hexdigest() == before


def test_csv_semicolon_utf8_sig(tmp_path):
    rows = [*SIMPLE_ROWS, ["3.1", "Wird die Verschlüsselung überprüft?", "", ""]]
    p = simple_csv(tmp_path / "q.csv", rows, delimiter=";", encoding="utf-8-sig")
    intake = read_questionnaire(p)
    assert [q.row for q in intake.questions] == [*SIMPLE_QUESTION_ROWS, 10]
    assert intake.questions[-1].text == "Wird die Verschlüsselung überprüft?"
    assert any("';'" in n for n in intake.layout.sheets[0].notes)


def test_csv_cp1252_fallback_is_noted(tmp_path):
    rows = [*SIMPLE_ROWS, ["3.1", "Do you store data in Zürich – or elsewhere?", "", ""]]
    p = simple_csv(tmp_path / "q.csv", rows, encoding="cp1252")
    intake = read_questionnaire(p)
    assert intake.questions[-1].text == "Do you store data in Zürich – or elsewhere?"
    assert any("cp1252" in n for n in intake.layout.sheets[0].notes)


def test_csv_formula_text_is_not_evaluated(tmp_path):
    rows = [["Question", "Answer"], ["Do you encrypt data?", '=HYPERLINK("http://evil","x")']]
    intake = read_questionnaire(simple_csv(tmp_path / "f.csv", rows))
    assert intake.questions[0].existing_answer.startswith("=HYPERLINK")


def test_xlsx_disguised_as_csv(tmp_path):
    p = tmp_path / "q.csv"
    p.write_bytes(simple_xlsx(tmp_path / "x.xlsx").read_bytes())
    with pytest.raises(InputFileError, match="Excel workbook, not a CSV"):
        read_questionnaire(p)


def test_third_party_reader_registers_like_the_built_ins(tmp_path):
    class JsonLinesReader:
        formats = ("csv",)
        extensions = (".jsonl",)

        def read(self, path, overrides, limits, *, display_name=None):
            import json
            qs = [json.loads(line)["q"] for line in path.read_text().splitlines()]
            rows = [["Question", "Answer"], *([q, ""] for q in qs)]
            return read_questionnaire(simple_csv(path.with_suffix(".csv"), rows), overrides, limits)

    register_reader(JsonLinesReader())
    assert ".jsonl" in supported_extensions()
    p = tmp_path / "q.jsonl"
    p.write_text('{"q": "Do you encrypt backups?"}\n{"q": "Is MFA enforced for staff?"}\n')
    intake = read_questionnaire(p, LayoutOverrides())
    assert isinstance(intake, Intake) and isinstance(intake.layout, WorkbookLayout)
    assert [q.text for q in intake.questions] == ["Do you encrypt backups?", "Is MFA enforced for staff?"]

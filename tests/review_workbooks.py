"""Small real workbooks and knowledge bases for the review tests (app pages, browser, benchmark).

A questionnaire whose answer cells carry a Yes/No/N/A drop-down, and a knowledge base in which some
answers fit that list ("Yes (AES-256)") and one does not ("Annually, by an independent firm"): the
case a reviewer must see before approving. ``rows`` repeats the questions to any length.
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
from openpyxl.worksheet.datavalidation import DataValidation

FACTS = [
    ("enc-rest", "Is customer data encrypted at rest?", "Yes (AES-256)", "Keys in a managed KMS.", "Encryption"),
    ("enc-transit", "Is customer data encrypted in transit?", "Yes", "TLS 1.2 or later everywhere.", "Encryption"),
    ("mfa", "Do all employees use multi-factor authentication?", "Yes", "Hardware keys for admins.", "Identity"),
    ("pentest", "Do you run independent penetration tests every year?",
     "Annually, by an independent firm", "Summary report available under NDA.", "Testing"),
    ("backup", "Are backups tested by restoring them?", "Yes, quarterly", "Restore drills are logged.",
     "Resilience"),
]
QUESTIONS = [question for _, question, *_ in FACTS] + ["Does your company hold cyber insurance?"]
NOT_FITTING = "Do you run independent penetration tests every year?"


def library_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ID", "Question", "Answer", "Comment", "Category", "Product", "Alternate Questions"])
        for fact_id, question, answer, comment, category in FACTS:
            w.writerow([fact_id, question, answer, comment, category, "", ""])
    return path


def dropdown_questionnaire(path: Path, rows: int = len(QUESTIONS)) -> Path:
    """``rows`` questions (the six above, repeated with a control number past the first round)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["#", "Question", "Response", "Comments"])
    for n in range(rows):
        text = QUESTIONS[n % len(QUESTIONS)]
        if n >= len(QUESTIONS):
            text = f"{text} (control {n // len(QUESTIONS) + 1})"
        ws.append([f"SEC-{n + 1:04d}", text, None, None])
    dv = DataValidation(type="list", formula1='"Yes,No,N/A"', allow_blank=True)
    dv.add(f"C2:C{rows + 1}")
    ws.add_data_validation(dv)
    wb.save(path)
    return path

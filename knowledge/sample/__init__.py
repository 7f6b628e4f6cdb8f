"""Sample content for a fictional vendor (Skyward Apps): a knowledge base and a customer questionnaire.

A package only so the data files ship with Trustfill (package-data applies to packages).
"""

from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent
FACTS_FILE = SAMPLE_DIR / "facts.yaml"
QUESTIONNAIRE_FILE = SAMPLE_DIR / "sample_questionnaire.xlsx"

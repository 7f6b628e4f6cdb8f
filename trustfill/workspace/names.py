"""What a user's file is called in messages and lists: light, so a forked reader can name it too."""

from __future__ import annotations

import re

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def safe_display_name(name: str) -> str:
    """The user's file name without any path: a name like '../../x.xlsx' can never steer a write."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = _UNSAFE_NAME.sub("_", base).strip(" .") or "questionnaire"
    return base[:200]

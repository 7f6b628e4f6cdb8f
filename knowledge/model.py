"""The canonical security fact a questionnaire answer comes from."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from pydantic import BaseModel, ConfigDict, Field, field_validator

_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


def fact_id_from_question(question: str, max_len: int = 60) -> str:
    """A stable, readable ID derived from the question text (used when an import has no ID)."""
    text = unicodedata.normalize("NFKD", question).encode("ascii", "ignore").decode().lower()
    slug = _SLUG_STRIP.sub("-", text).strip("-")
    if len(slug) > max_len:
        slug = slug[:max_len].rsplit("-", 1)[0] or slug[:max_len]
    return slug or "fact"


class Fact(BaseModel):
    """One thing the company asserts about its security, and how to say it in a questionnaire.

    ``answer`` is the short value a questionnaire cell takes (Yes / No / N/A or a short phrase);
    ``comment`` is the explanation that goes into a comment column.
    """

    model_config = ConfigDict(str_strip_whitespace=True, frozen=False)

    id: str = Field(min_length=1, max_length=200)
    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    comment: str = ""
    alternate_questions: list[str] = Field(default_factory=list)
    category: str = Field("", max_length=200)
    product: str = Field("", max_length=200)  # empty: applies to every product
    tags: list[str] = Field(default_factory=list)
    owner: str = Field("", max_length=200)
    source: str = ""  # evidence link or document
    last_reviewed: dt.date | None = None
    review_interval_days: int = 365
    status: str = "active"  # active | proposed | retired
    version: int = 1  # optimistic-locking counter, bumped by the store on every change

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value):
        # NUL never means anything in a fact, and PostgreSQL text cannot hold it.
        if isinstance(value, str):
            return value.replace("\x00", "")
        if isinstance(value, list):
            return [v.replace("\x00", "") if isinstance(v, str) else v for v in value]
        return value

    @field_validator("id")
    @classmethod
    def _id_is_clean(cls, value: str) -> str:
        if any(ch in value for ch in "\r\n\t"):
            raise ValueError("ID must be on one line")
        return value

    @field_validator("alternate_questions", "tags")
    @classmethod
    def _dedupe(cls, values: list[str]) -> list[str]:
        seen: set[str] = set()
        out: list[str] = []
        for v in values:
            v = (v or "").strip()
            if v and v.lower() not in seen:
                seen.add(v.lower())
                out.append(v)
        return out

    @property
    def all_questions(self) -> list[str]:
        return [self.question, *self.alternate_questions]

    def applies_to(self, product: str | None) -> bool:
        """Product scoping: product-less facts apply everywhere, others only to their product."""
        return not self.product or (product is not None and self.product.lower() == product.lower())

    def is_stale(self, today: dt.date | None = None) -> bool:
        if self.last_reviewed is None:
            return True
        today = today or dt.date.today()
        return (today - self.last_reviewed).days > self.review_interval_days

    def content_key(self) -> tuple:
        """What matters for matching; used to decide when cached embeddings must be recomputed."""
        return (self.question, tuple(self.alternate_questions), self.product, self.status)

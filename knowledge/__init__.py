"""The knowledge base: canonical security facts and their import/export."""

from knowledge.model import Fact, fact_id_from_question

__all__ = ["Fact", "fact_id_from_question"]

"""Trustfill: answers vendor security questionnaires from a reviewed knowledge base."""

__version__ = "0.1.0"

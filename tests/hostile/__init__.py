"""Hostile and broken input files for tests/test_hostile.py."""

"""Helpers shared by more than one test suite (see tests/README.md); no tests here."""

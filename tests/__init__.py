"""Tests, run with the README test command."""

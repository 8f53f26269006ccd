"""Shared helpers: small record sets built against the real sources and reference tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mineral_diplomacy.graph import RECORDS_DIR

SOURCE_003 = "003_b26980c2506844ff.txt"

# The document record every small test set needs, so that its records may cite source 003.
DOCUMENT_RECORD = f"""
- id: source/akka-ias-indias-mineral-diplomacy-strategy
  type: SourceDocument
  title: India's Mineral Diplomacy Strategy
  file_name: {SOURCE_003}
  source: {SOURCE_003}
  quote: "India's Mineral Diplomacy Strategy Posted at: 17/12/2024"
"""


@pytest.fixture
def records_dir(tmp_path: Path) -> Path:
    """An empty folder for a test's own records."""
    folder = tmp_path / "records"
    folder.mkdir()
    return folder


@pytest.fixture
def real_records(tmp_path: Path) -> Path:
    """A copy of the project's records, for tests that break one on purpose."""
    folder = tmp_path / "real-records"
    shutil.copytree(RECORDS_DIR, folder)
    return folder


def write_records(folder: Path, text: str, name: str = "test.yaml") -> Path:
    """Write a records file (the document record first) and return its path."""
    path = folder / name
    path.write_text(DOCUMENT_RECORD + text, encoding="utf-8")
    return path

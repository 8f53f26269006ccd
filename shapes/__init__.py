"""The checks: SHACL shapes (``shapes.ttl``) and the quote check, reported record by record."""

from pathlib import Path

SHAPES_FILE = Path(__file__).with_name("shapes.ttl")

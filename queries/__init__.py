"""The questions analysts ask: one YAML file per question, with its SPARQL and expected answer."""

from pathlib import Path

QUERIES_DIR = Path(__file__).parent

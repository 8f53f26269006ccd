"""The OWL ontology (Turtle, the reviewed source of truth), its vocabulary and its reasoner."""

from pathlib import Path

ONTOLOGY_FILE = Path(__file__).with_name("mineral-diplomacy.ttl")

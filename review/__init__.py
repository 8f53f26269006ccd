"""Review by domain experts: facts in plain words, review pages, a quality report, diffs in
sentences and a spreadsheet round trip. It reads what the build produced and the records; the
build's command writes its pages into each release, and the server serves them."""

from pathlib import Path

TEMPLATES_DIR = Path(__file__).with_name("templates")
REVIEWS_DIR = Path(__file__).parent.parent / "graph" / "reviews"

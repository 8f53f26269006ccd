"""The facts: hand-edited records (``records/*.yaml``) and the build that turns them into RDF."""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).parent
PROJECT_DIR = PACKAGE_DIR.parent
RECORDS_DIR = PACKAGE_DIR / "records"
COVERAGE_DIR = PACKAGE_DIR / "coverage"
LISTS_FILE = PACKAGE_DIR / "critical_mineral_lists.yaml"
GEOGRAPHY_FILE = PACKAGE_DIR / "geography.yaml"
REPLACED_FILE = PACKAGE_DIR / "replaced.yaml"
MAPPINGS_DIR = PROJECT_DIR / "mappings"
EXTERNAL_DIR = PACKAGE_DIR / "external"
BUILD_DIR = PACKAGE_DIR / "build"
CANDIDATES_DIR = PACKAGE_DIR / "candidates"  # what propose offers, before acceptance
DOCUMENTS_DIR = PACKAGE_DIR / "documents"  # the project's own source documents (add-source)
# The shared folder (sources/ and reference/) sits beside the checkout unless said otherwise.
SHARED_DIR = Path(os.environ.get("MINERAL_DIPLOMACY_SHARED", PROJECT_DIR.parent / "shared"))

"""The facts: hand-edited records (``records/*.yaml``) and the build that turns them into RDF."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).parent
PROJECT_DIR = PACKAGE_DIR.parent
RECORDS_DIR = PACKAGE_DIR / "records"
BUILD_DIR = PACKAGE_DIR / "build"
SHARED_DIR = PROJECT_DIR.parent / "shared"

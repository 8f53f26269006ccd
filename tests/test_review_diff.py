"""What changed, in sentences: between two release folders, in the changelog the build writes
against the release it replaces, and between git revisions built with their own code."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mineral_diplomacy.cli.commands import main
from mineral_diplomacy.graph import PROJECT_DIR, RECORDS_DIR, SHARED_DIR
from mineral_diplomacy.review.data import ReviewData
from mineral_diplomacy.review.diff import compare
from mineral_diplomacy.review.versions import VersionNotFound, resolve_version

IEA_MOU = "India–IEA MoU on cooperation in the critical minerals sector"
LITHIUM_PROJECTS = (
    "Two lithium projects identified under the India–Australia Critical Mineral Investment Partnership"
)
NEW_RECORD = """
- id: agreement/india-chile-test-accord
  type: MemorandumOfUnderstanding
  label: India–Chile test accord
  parties: [country/india, country/chile]
  status: {maturity: signed}
  stages: mining
  source: 003_b26980c2506844ff.txt
  quote: KABIL is also working to secure mineral supplies by acquiring
"""


def _change_records(records: Path) -> None:
    """A status moved on, a name corrected, an agreement added, a mineral added, a stage changed."""
    iea = next(records.glob("000_*.yaml"))
    text = iea.read_text(encoding="utf-8")
    old = "  status: {maturity: signed}\n  stages: governance\n"
    assert old in text
    new = "  status: {maturity: operational, as_of: 2025-06}\n  stages: finance\n  minerals: mineral/nickel\n"
    iea.write_text(text.replace(old, new), encoding="utf-8")
    kabil = next(records.glob("003_*.yaml"))
    text = kabil.read_text(encoding="utf-8").replace(
        f"  label: {LITHIUM_PROJECTS}\n", "  label: Two lithium projects in Australia\n"
    )
    kabil.write_text(text + NEW_RECORD, encoding="utf-8")


@pytest.fixture(scope="module")
def changed(published: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The published release, and a build of changed records published after it in the same
    folder (so its changelog is written against the published one)."""
    out = tmp_path_factory.mktemp("changed")
    before = (published / "current").resolve()
    shutil.copytree(before, out / "releases" / before.name, symlinks=True)
    (out / "current").symlink_to(Path("releases") / before.name)
    records = out / "records"
    shutil.copytree(RECORDS_DIR, records)
    _change_records(records)
    assert main(["build", "--records", str(records), "--out", str(out)]) == 0
    return out / "releases" / before.name, (out / "current").resolve()


EXPECTED = [
    "Added memorandum of understanding ‘India–Chile test accord’ between Chile and India, citing 003",
    f"Renamed ‘{LITHIUM_PROJECTS}’ to ‘Two lithium projects in Australia’",
    # 000 is dated 29 November 2024: a status without a date holds as of then
    f"‘{IEA_MOU}’: status now “operational” as of June 2025;"
    " before, “signed or agreed” as of 29 November 2024 (the document's date)",
    f"Added: {IEA_MOU} concerns nickel. (000)",
    f"Added: {IEA_MOU} works on finance and investment. (000)",
    f"Removed: {IEA_MOU} works on governance, policy and data. (000)",
]


def test_compare_says_what_changed_in_sentences(changed: tuple[Path, Path]) -> None:
    changes = compare(ReviewData(changed[0]), ReviewData(changed[1]))
    lines = [c.text for c in changes.changes]
    for expected in EXPECTED:
        assert expected in lines
    facts = [line for line in lines if line.startswith(("Added:", "Removed:"))]
    # the new agreement's own facts belong to its entry; the IEA MoU's name did not change
    assert all("test accord" not in line for line in facts)
    assert changes.counts["entities added"] == 1 and changes.counts["statuses changed"] == 1
    assert changes.counts["facts added"] == 2 and changes.counts["facts removed"] == 1


def test_the_build_writes_a_changelog_against_the_release_it_replaces(changed: tuple[Path, Path]) -> None:
    markdown = (changed[1] / "site" / "changelog.md").read_text()
    assert markdown.startswith(
        f"# What changed from {changed[0].name} to {changed[1].name}\n\n"
        f"From {changed[0].name} to {changed[1].name}.\n\n- 1 entities added\n"
    )
    for expected in EXPECTED:
        assert f"- {expected}\n" in markdown
    html = (changed[1] / "site" / "changelog.html").read_text()
    assert 'href="id/agreement/india-chile-test-accord.html"' in html


def test_diff_command_compares_two_releases(
    changed: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", str(changed[0]), str(changed[1])]) == 0
    markdown = capsys.readouterr().out
    assert all(f"- {expected}\n" in markdown for expected in EXPECTED)
    html = tmp_path / "changes.html"
    assert main(["diff", str(changed[0]), str(changed[1]), "--format", "html", "--output", str(html)]) == 0
    assert "India–Chile test accord" in html.read_text() and "<style>" in html.read_text()


def test_a_changed_definition_is_a_sentence(changed: tuple[Path, Path], tmp_path: Path) -> None:
    copy = tmp_path / "release"
    copy.mkdir()
    text = (changed[1] / "dataset.nq").read_text(encoding="utf-8")
    line = next(
        line
        for line in text.splitlines()
        if line.startswith(
            "<https://w3id.org/mineral-diplomacy/ontology#JointVenture> "
            "<http://www.w3.org/2004/02/skos/core#definition>"
        )
    )
    (copy / "dataset.nq").write_text(
        text.replace(line, line.replace('"@en', ' Checked."@en', 1)), encoding="utf-8"
    )
    lines = [c.text for c in compare(ReviewData(changed[1]), ReviewData(copy)).changes]
    (changed_definition,) = [line for line in lines if line.startswith("Changed the definition")]
    assert changed_definition.startswith("Changed the definition of the class ‘joint venture’: now “")
    assert " Checked.” (was “" in changed_definition


def test_an_unknown_version_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "no-such-revision", "--out", str(tmp_path)]) == 2
    assert "is neither a release folder" in capsys.readouterr().err


def test_git_revisions_are_built_with_their_own_code(changed: tuple[Path, Path], tmp_path: Path) -> None:
    """A repository holding this project at one commit: its HEAD, built with its own code, is the
    published release."""
    repo = tmp_path / "repo"
    repo.mkdir()
    folders = ("ontology", "graph", "shapes", "release", "server", "queries", "review", "cli", "mappings")
    for folder in folders:
        shutil.copytree(
            PROJECT_DIR / folder,
            repo / folder,
            ignore=shutil.ignore_patterns("build", "node_modules", "__pycache__"),
        )
    git = ["git", "-C", str(repo), "-c", "user.name=test", "-c", "user.email=test@localhost"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "the project as it is"], check=True)
    built = resolve_version("HEAD", repo, SHARED_DIR, tmp_path / "revisions")
    assert (built / "dataset.nq").read_bytes() == (changed[0] / "dataset.nq").read_bytes()
    lines = [c.text for c in compare(ReviewData(built), ReviewData(changed[1])).changes]
    assert all(expected in lines for expected in EXPECTED)
    assert resolve_version("HEAD", repo, SHARED_DIR, tmp_path / "revisions") == built  # built once
    with pytest.raises(VersionNotFound, match="neither"):
        resolve_version("HEAD~5", repo, SHARED_DIR, tmp_path / "revisions")


def test_a_first_release_says_it_has_nothing_to_compare_with(published: Path) -> None:
    """The session's build went into an empty folder: with no earlier release, the changelog says
    so in words rather than "from nothing"."""
    (release,) = [r for r in (published / "releases").iterdir()
                  if (r / "site" / "changelog.md").read_text().startswith("# What changed from nothing ")]
    page = re.sub(r"<[^>]+>", "", (release / "site" / "changelog.html").read_text())
    assert f"{release.name} is the first release built in this folder: there is no earlier release" in page


def test_a_release_with_the_same_data_says_its_changes_are_the_last_ones(published: Path) -> None:
    """A rebuild that changed only the pages holds the same dataset: its changelog shows the last
    changes of the data and says so, rather than ids that seem to have nothing to do with it."""
    from mineral_diplomacy.review.site import changes_since

    release = (published / "current").resolve()
    changes = changes_since(release, ReviewData(release))
    assert changes.lead.startswith(f"This release holds the same data as {release.name} (only the pages")

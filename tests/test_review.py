"""Review by domain experts: facts in plain words, the review pages, the shapes in words and the
quality report, on the real ontology and graph (and on broken copies of it)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from mineral_diplomacy.cli.commands import main
from mineral_diplomacy.ontology.namespaces import GRAPH, ID, MD
from mineral_diplomacy.review.data import ReviewData
from mineral_diplomacy.review.diagrams import Diagram, Edge, GraphvizUnavailable, render_svg
from mineral_diplomacy.review.report import run_checks
from mineral_diplomacy.review.verbalise import MissingSentenceForm, Verbaliser
from mineral_diplomacy.review.verdicts import Verdict

ONTOLOGY_GRAPH = f"<{GRAPH.ontology}>"


def _table(name: str) -> list[dict[str, str]]:
    import csv

    from mineral_diplomacy.graph import SHARED_DIR

    with (SHARED_DIR / "reference" / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
PARTNERSHIP = ID["agreement/india-australia-critical-mineral-investment-partnership"]
PARTNERSHIP_LABEL = "India–Australia Critical Mineral Investment Partnership (KABIL MoU, March 2022)"


@pytest.fixture(scope="module")
def release(published: Path) -> Path:
    return (published / "current").resolve()


@pytest.fixture(scope="module")
def data(release: Path) -> ReviewData:
    return ReviewData(release)


@pytest.fixture(scope="module")
def words(data: ReviewData) -> Verbaliser:
    return Verbaliser(data)


# --- Facts in plain words -----------------------------------------------------------------------


def test_every_property_the_data_uses_has_a_sentence_form(data: ReviewData, words: Verbaliser) -> None:
    used = {p for _, p, _, g in data.quads if g not in (GRAPH.ontology, GRAPH.inferred)}
    assert len(used) > 60
    assert sorted(str(p) for p in used - words.templates.keys()) == []
    for s, p, o, g in data.quads:  # and every statement reads as a sentence with no placeholder left
        if g in (GRAPH.ontology, GRAPH.inferred):
            continue
        text = words.sentence(s, p, o).text
        assert text and "{" not in text, text


def test_a_property_without_a_sentence_form_is_an_error(data: ReviewData) -> None:
    words = Verbaliser(data)
    del words.templates[MD.party]
    with pytest.raises(MissingSentenceForm, match="party"):
        words.sentence(PARTNERSHIP, MD.party, ID["country/australia"])


def test_the_kabil_mou_in_plain_words(words: Verbaliser) -> None:
    # 003: "Australia: In March 2022, KABIL (Khanij Bidesh India Ltd.) signed a Memorandum of
    # Understanding (MoU) with Australia for a Critical Mineral Investment Partnership,
    # identifying two lithium and three cobalt projects."
    def says(prop: URIRef, value: object) -> str:
        return words.sentence(PARTNERSHIP, prop, value).text  # type: ignore[arg-type]

    assert (
        says(MD.signedOn, Literal("2022-03", datatype=XSD.gYearMonth))
        == f"{PARTNERSHIP_LABEL} was signed in March 2022."
    )
    assert (
        says(MD.party, ID["organization/kabil"])
        == f"Khanij Bidesh India Ltd is one of the sides in {PARTNERSHIP_LABEL}."
    )
    assert says(MD.mineral, ID["mineral/cobalt"]) == f"{PARTNERSHIP_LABEL} concerns cobalt."
    # 002 (10 December 2025): "Only a few—most notably with Australia and Japan—are operational" is
    # said of India's partnership with Australia, which the curators take the MoU to be part of; the
    # MoU keeps its own status.
    status = [o for s, p, o, _ in words.data.by_subject[PARTNERSHIP] if p == MD.status]
    assert [says(MD.status, o) for o in status] == [
        f"{PARTNERSHIP_LABEL} has the status “signed or agreed” as of March 2022.",
    ]
    whole = ID["agreement/india-australia-critical-minerals-partnership"]
    assert says(MD.partOfEngagement, whole) == (
        f"{PARTNERSHIP_LABEL} is part of India–Australia critical minerals partnership"
        " (not named in the source).")


def test_dates_read_at_their_precision(words: Verbaliser) -> None:
    """A day, a month, a year, a financial year and a field season each read as what they are."""
    def signed(value: Literal) -> str:
        return words.sentence(PARTNERSHIP, MD.signedOn, value).text

    assert signed(Literal("2024-12-17", datatype=XSD.date)).endswith("was signed on 17 December 2024.")
    assert signed(Literal("2022-03", datatype=XSD.gYearMonth)).endswith("was signed in March 2022.")
    assert signed(Literal("2025", datatype=XSD.gYear)).endswith("was signed in 2025.")
    assert signed(Literal("2024-25", datatype=MD.financialYear)).endswith(
        "was signed in the financial year 2024-25.")
    assert signed(Literal("2020-21", datatype=MD.fieldSeason)).endswith(
        "was signed in the field season 2020-21.")


def test_amounts_read_as_one_phrase(data: ReviewData, words: Verbaliser) -> None:
    # 002: "India–Argentina lithium exploration pact worth USD 24 million"
    amounts = [(s, o) for s, p, o, _ in data.quads if p == MD.amount and "argentina" in str(s)]
    assert any(words.sentence(s, MD.amount, o).text.endswith("involves USD 24 million.") for s, o in amounts)


# --- The review pages ---------------------------------------------------------------------------


def test_the_build_writes_every_kind_of_page(release: Path, data: ReviewData) -> None:
    site = release / "site"
    for page in (
        "index.html",
        "ontology/index.html",
        "ontology/overview.svg",
        "shapes.html",
        "report.html",
        "changelog.html",
        "changelog.md",
        "changes.json",
        "review.css",
        "ontology/class-Agreement.html",
        "ontology/class-Agreement.svg",
        "ontology/property-party.html",
        "ontology/property-party.svg",
        "ontology/value-signed.html",
    ):
        assert (site / page).is_file(), page
    assert sorted(p.name for p in (site / "sources").iterdir()) == sorted(
        f"{Path(r.source).stem}.html" for r in {r.source: r for r in data.records.values()}.values()
    )
    entity_pages = {p.relative_to(site).as_posix() for p in (site / "id").rglob("*.html")}
    assert entity_pages == {f"id/{str(e)[len(str(ID)) :]}.html" for e in data.entities()}
    assert "<svg" in (site / "ontology/class-Agreement.svg").read_text()


def _sentence_items(page: str) -> list[str]:
    item = r'<li id="sentence-\d+" value="\d+" class="[a-z]+">(.*?)</li>\s*(?=<li id="sentence|</ol>)'
    return re.findall(item, page, re.S)


def test_a_source_page_shows_each_sentence_with_what_the_graph_takes_from_it(release: Path) -> None:
    page = (release / "site/sources/003_b26980c2506844ff.html").read_text()
    items = _sentence_items(page)
    kabil = next(i for i in items if "In March 2022, KABIL" in i.split('<div class="record"')[0])
    text = re.sub(r"<[^>]+>", "", kabil)
    assert (
        "It was signed in March 2022." in text
        and "Khanij Bidesh India Ltd is one of the sides in it." in text
    )
    assert "It has the status “signed or agreed” as of March 2022." in text
    assert 'href="../id/agreement/india-australia-critical-mineral-investment-partnership.html"' in kabil
    heading = next(i for i in items if '<div class="sentence">Context:</div>' in i)  # "### Context:"
    assert "States no fact: heading." in heading and "###" not in page
    assert 'class="uncovered"' not in page  # every fact-stating sentence is recorded


def test_a_source_page_shows_each_record_once(release: Path) -> None:
    """A record whose quote spans several sentences is shown under the first and named under the
    others: as many records on the page as records cite the document (from the records files)."""
    from mineral_diplomacy.graph import PROJECT_DIR, RECORDS_DIR
    from mineral_diplomacy.graph.records import read_records

    for stem in ("003_b26980c2506844ff", "002_04a4fe58c0d72f10"):
        citing = [r for r in read_records(RECORDS_DIR, PROJECT_DIR) if r.node.text("source") == f"{stem}.txt"]
        page = (release / f"site/sources/{stem}.html").read_text()
        assert page.count('<div class="record"') == len(citing), stem
        for also in re.findall(r'<div class="also">.*?href="#record-(\d+)"', page):
            assert f'id="record-{also}"' in page


def test_front_matter_lines_that_state_nothing_are_folded(release: Path) -> None:
    """000 begins with a YAML block between '---' lines holding the page's metadata and the answer
    itself: runs of its lines that state no fact are folded; its cited lines and the answer stay
    in view."""
    from mineral_diplomacy.graph import SHARED_DIR

    raw = (SHARED_DIR / "sources" / "000_20ec0fe7883e9450.txt").read_text(encoding="utf-8").splitlines()
    assert raw[0] == "---" and raw[1] == "_schema: default"
    answer = raw[raw.index("answer: >-") + 1].strip()[:60]
    page = html.unescape((release / "site/sources/000_20ec0fe7883e9450.html").read_text())
    folded = "".join(re.findall(r"<details>(.*?)</details>", page, re.S))
    shown = re.sub(r"<details>.*?</details>", "", page, flags=re.S)
    assert f'<div class="sentence">{raw[1]}</div>' in folded
    assert answer in shown and answer not in folded
    assert "of the page's metadata (front matter), stating no fact" in page


def test_every_entity_can_be_found(release: Path, data: ReviewData) -> None:
    """The entity index links every entity page once, by kind (not the retired ids of earlier
    releases); a class page lists all its instances (Country: every entity the dataset types
    md:Country); a thing without a label is called by what it is, not by its id."""
    from rdflib import Dataset

    dataset = Dataset()
    dataset.parse(release / "dataset.nq", format="nquads")
    retired = {str(s).split("/mineral-diplomacy/")[1] + ".html" for s, _, _, _ in
               dataset.quads((None, URIRef("http://purl.org/dc/terms/isReplacedBy"), None, None))}
    pages = {str(p.relative_to(release / "site")) for p in (release / "site/id").rglob("*.html")} - retired
    assert retired  # ids of earlier releases: their pages redirect, the index leaves them out
    index = (release / "site/entities.html").read_text()
    linked = re.findall(r'<li><a href="(id/[^"]+)">', index)
    assert sorted(linked) == sorted(pages) and len(linked) == len(set(linked))
    names = re.findall(r'<li><a href="id/[^"]+">([^<]+)</a>', index)
    assert not [n for n in names if n.startswith("id/")]  # memberships named in words, not by id
    countries = {s for s, _, _, _ in dataset.quads((None, RDF.type, MD.Country, None))}
    page = (release / "site/ontology/class-Country.html").read_text()
    assert f"Its instances ({len(countries)})" in page
    assert page.count('<li><a href="../id/country/') == len(countries)


def test_the_ontology_page_has_a_metadata_header_and_downloads(release: Path, data: ReviewData) -> None:
    """As pyLODE and Widoco give: version, licence, creators, prior version, citation, and the
    ontology to download (each parses back to the release's ontology graph)."""
    from rdflib import Graph
    from rdflib.namespace import DCTERMS, OWL

    from mineral_diplomacy.ontology import ONTOLOGY_FILE

    source = Graph().parse(ONTOLOGY_FILE)
    header = URIRef("https://w3id.org/mineral-diplomacy/ontology")
    page = html.unescape((release / "site/ontology/index.html").read_text())
    told = (OWL.versionInfo, OWL.versionIRI, DCTERMS.license, DCTERMS.creator, DCTERMS.bibliographicCitation)
    for prop in told:
        assert str(source.value(header, prop)) in page, prop
    prior = source.value(header, OWL.priorVersion)
    assert prior is not None and str(prior) in page and "none: this is the first" not in page
    for name, fmt in (("mineral-diplomacy.ttl", "turtle"), ("mineral-diplomacy.rdf", "xml"),
                      ("mineral-diplomacy.jsonld", "json-ld")):
        assert f'href="{name}"' in page
        assert len(Graph().parse(release / "site/ontology" / name, format=fmt)) == len(data.ontology)


def test_a_vague_mention_says_so_on_its_sentence(release: Path) -> None:
    # 002 mentions partnerships "with Australia" without naming one; the curators linked it.
    page = (release / "site/sources/002_04a4fe58c0d72f10.html").read_text()
    australia = next(i for i in _sentence_items(page) if "most notably with Australia and Japan" in i)
    assert "A vague mention" in australia and "Editorial note:" in australia


def _identified_records() -> list:  # type: ignore[type-arg]
    """The records that rest on the curators' identification, read from the records themselves."""
    from mineral_diplomacy.graph import PROJECT_DIR, RECORDS_DIR
    from mineral_diplomacy.graph.records import read_records

    return [r for r in read_records(RECORDS_DIR, PROJECT_DIR)
            if r.node.text("mention") == "vague" or r.node.text("linked_by")]


def test_entity_pages_show_what_a_fact_rests_on(release: Path) -> None:
    """Each fact a record states only through the curators' identification is marked, with who
    linked it and their note (the issue's example: the rare earths block in Malawi, which 000 only
    calls "rare earth deposits in Africa")."""
    record = next(r for r in _identified_records()  # the co-investment's targets, as the curators link them
                  if r.node.text("id") == "investment/india-msp-co-investment-lithium-rare-earths")
    page = (release / "site/id/project/msp-malawi-rare-earths-exploration.html").read_text()
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S)
    cited = [row for row in rows if html.escape(str(record.node.text("quote")), quote=False)[:60] in row]
    assert cited
    for row in cited:
        text = html.unescape(re.sub(r"\s+", " ", row))
        assert f"A link the curators made ({record.node.text('linked_by')})" in text
        assert "Curators' note: " + " ".join(str(record.node.text("note")).split())[:60] in text
    assert any('class="identified"' in r for r in re.findall(r"<tr[^>]*>", page))
    assert 'href="../../identifications.html"' in page


def test_a_link_to_another_dataset_is_cited_in_words(release: Path) -> None:
    page = (release / "site/id/country/india.html").read_text()
    assert "the links to other datasets (the mapping sets)" in page
    assert str(GRAPH.links) not in page


def test_one_page_lists_every_fact_resting_on_an_identification(release: Path) -> None:
    records = _identified_records()
    page = (release / "site/identifications.html").read_text()
    assert page.count('<div class="record">') == len(records) > 10
    vague = sum(r.node.text("mention") == "vague" for r in records)
    assert page.count("A vague mention, identified by") == vague
    index = (release / "site/index.html").read_text()
    assert f"</a>: {len(records)} records whose" in index


def test_ontology_pages_say_the_term_in_plain_words(release: Path) -> None:
    agreement = re.sub(r"<[^>]+>", "", (release / "site/ontology/class-Agreement.html").read_text())
    assert "An agreement is a kind of engagement." in agreement
    assert "Kinds of agreement:" in agreement and "memorandum of understanding" in agreement
    party = re.sub(r"<[^>]+>", "", (release / "site/ontology/property-party.html").read_text())
    assert "A statement with it reads: {object} is one of the sides in {subject}." in party
    assert re.search(r"Used \d+ times in the graph", party)
    assert party.count("— 00") >= 3  # three sample facts, each with its quote and source
    svg = (release / "site/ontology/property-party.svg").read_text()
    assert ">party<" in svg and ">actor<" in svg and ">arrangement<" in svg  # an arrangement's, an actor
    assert "An arrangement can have a party, which is an actor." in party


def test_class_pages_show_the_core_relations_their_kinds_inherit(release: Path) -> None:
    """The issue's own examples: engagement → party → actor and engagement → status → status claim,
    the first from the arrangements, the second from the undertakings an engagement is one of."""
    engagement = re.sub(r"<[^>]+>", "", (release / "site/ontology/class-Engagement.html").read_text())
    inherited = r"As any {}, an engagement can have: [^.]*\b{}"
    assert re.search(inherited.format("arrangement", r"party \(an actor\)"), engagement)
    assert re.search(inherited.format("undertaking", r"status \(a status claim\)"), engagement)
    assert "An engagement can have: via." in engagement  # its own, no range
    assert "a boolean" not in engagement and "yes-or-no value" in engagement  # other parties not named
    svg = (release / "site/ontology/class-Engagement.svg").read_text()
    assert ">party<" in svg and ">status<" in svg and ">status claim<" in svg and ">actor<" in svg
    undertaking = re.sub(r"<[^>]+>", "", (release / "site/ontology/class-Undertaking.html").read_text())
    kinds = re.search(r"Kinds of undertaking: ([^.]+)\.", undertaking)
    assert kinds is not None
    assert set(kinds.group(1).split(", ")) == {
        "engagement", "investment", "project", "policy", "trade measure", "facility",
        "agreement cited as context"}


def test_usage_counts_controlled_values_and_links(release: Path) -> None:
    """A class of controlled values is used by its values (the ontology's maturity levels), an
    identifier property by the links the mapping sets give (one per mapping of an entity the graph
    holds); neither is reported unused."""
    from rdflib import Graph

    from mineral_diplomacy.graph import MAPPINGS_DIR
    from mineral_diplomacy.ontology import ONTOLOGY_FILE

    levels = len(set(Graph().parse(ONTOLOGY_FILE).subjects(RDF.type, MD.MaturityLevel)))
    mappings = [line for line in (MAPPINGS_DIR / "wikidata.sssom.tsv").read_text().splitlines()
                if line.startswith("mdkg:")]
    for page, count in (("class-MaturityLevel", levels), ("property-wikidataId", len(mappings))):
        text = re.sub(r"<[^>]+>", "", (release / f"site/ontology/{page}.html").read_text())
        assert f"Used {count} times in the graph." in text and count > 4, page
    report = (release / "site/report.html").read_text()
    unused = report.split("Classes the data does not use", 1)[1].split("<h2", 1)[0]
    assert "maturity level" not in unused and "external graph" in unused  # none loaded here


def test_a_purpose_in_the_curators_words_is_not_called_the_sources(release: Path, data: ReviewData) -> None:
    """Purposes are written close to the source, not always in its words (some are the curators'
    paraphrase of their quote): no page calls them the source's words."""
    purposes = [(str(o), data.records[g].quote) for s, p, o, g in data.quads if p == MD.purpose]
    assert any(text.rstrip(".") not in quote for text, quote in purposes)  # a paraphrase exists
    for page in (release / "site").rglob("*.html"):
        assert "in the source's words" not in html.unescape(page.read_text()), page


def test_sentences_read_as_english(release: Path) -> None:
    """A membership is held in its organisation (not "is with" it); an outside identifier without
    a label reads with its register ("ChEBI entry CHEBI:30145", from elements.csv), not as the
    end of an IRI."""
    source = (release / "site/sources/msp-expands-norway-italy-india.html").read_text()
    msp = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", source))
    assert "It is held in Minerals Security Partnership." in msp and " is with " not in msp
    lithium = next(r for r in _table("elements.csv") if r["symbol"] == "Li")
    page = re.sub(r"<[^>]+>", "", (release / "site/id/mineral/lithium.html").read_text())
    assert f"Lithium roughly corresponds to ChEBI entry {lithium['chebi_id']}." in page
    assert "CHEBI_" not in page


def test_no_repository_path_or_bare_document_code_reads_as_a_sentence(release: Path) -> None:
    """Notes shown to reviewers name the register of the source documents in words, not by its
    path; a description does not start with a document's code and a colon ("About it: 003: ...")."""
    for page in (release / "site").rglob("*.html"):
        text = page.read_text()
        assert "../shared/" not in text, page
        assert not re.search(r"About [^:<]*(<[^>]+>[^<]*</a>)?: 00\d:", text), page


def test_what_a_deal_secures_reads_as_its_kind_of_access(release: Path, data: ReviewData) -> None:
    """A term of access reads as its kind (and for whom), never as its internal id ("secures-000")."""
    terms = {o for s, p, o, g in data.quads if p == MD.secures}
    assert terms
    for term in terms:
        kind = data.label(data.union.value(term, MD.accessKind))
        owner = next(s for s, p, o, g in data.quads if p == MD.secures and o == term)
        path = release / "site" / f"{str(owner).split('/mineral-diplomacy/')[1]}.html"
        page = html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))
        assert f"its parties seek or gain {kind}" in page, (owner, kind)
    for page in (release / "site").rglob("*.html"):
        assert "secures-0" not in page.read_text(), page


def test_the_shapes_in_words(release: Path) -> None:
    """One section per shape of shapes.ttl, each once; the record shape's says what it requires."""
    from rdflib import Graph
    from rdflib.namespace import RDF, SH

    from mineral_diplomacy.shapes import SHAPES_FILE

    shapes = Graph().parse(SHAPES_FILE)
    declared = {str(s).rsplit("#", 1)[-1] for s in shapes.subjects(RDF.type, SH.NodeShape)}
    page = (release / "site/shapes.html").read_text()
    ids = re.findall(r'<h2 id="([^"]+)">', page)
    assert sorted(ids) == sorted(declared) and len(ids) == len(set(ids))
    sections = dict(zip(ids, re.split(r'<h2 id="[^"]+">', page)[1:], strict=True))
    record = re.sub(r"<[^>]+>", "", sections["RecordShape"])
    assert "It must have exactly 1 “was derived from”, each a source document." in record


# --- The quality report -------------------------------------------------------------------------


def test_the_report_page_is_for_people(release: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Levels in words, no heading for a check that found nothing (named once, at the end), every
    item linked to its page, things called by kind and name (regions.csv: Africa is a continent
    and a UN M49 region); the same checks, with their codes, in JSON for CI."""
    import json

    page = (release / "site/report.html").read_text()
    assert "(0)</h2>" not in page and ">Nothing found</h2>" in page
    rows = re.findall(r"<tr><td>(.*?)</td>", page)
    assert rows and all(row.startswith("<a href=") for row in rows)
    text = re.sub(r"<[^>]+>", "", page)
    assert "ERROR" not in text and "Must be fixed" in text
    assert "the name of the continent Africa and of the UN M49 region Africa" in text
    assert main(["report", "--release", str(release), "--format", "json"]) == 0
    checks = json.loads(capsys.readouterr().out)
    assert {c["level"] for c in checks} <= {"ERROR", "WARN", "INFO"} and len(checks) > 20
    shown = set(re.findall(r'<h2 id="([a-z_]+)">', page))
    assert shown - {"passed"} == {c["id"] for c in checks if c["items"]}


def test_the_real_data_has_no_error(release: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--release", str(release)]) == 0
    table = capsys.readouterr().out
    assert re.search(r"ERROR\s+missing_label\s+0", table)
    assert re.search(r"INFO\s+vague_mention\s+[1-9]", table)


def _broken(release: Path, tmp_path: Path, edit) -> ReviewData:  # type: ignore[no-untyped-def]
    copy = tmp_path / "release"
    copy.mkdir()
    lines = (release / "dataset.nq").read_text(encoding="utf-8").splitlines()
    (copy / "dataset.nq").write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return ReviewData(copy)


def _quad(subject: str, prop: str, obj: str, graph: str = ONTOLOGY_GRAPH) -> str:
    return f"{subject} {prop} {obj} {graph} ."


MDI = "https://w3id.org/mineral-diplomacy/ontology#"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
DEFINITION = "<http://www.w3.org/2004/02/skos/core#definition>"
SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
OWL_CLASS = "<http://www.w3.org/2002/07/owl#Class>"
OBJECT_PROPERTY = "<http://www.w3.org/2002/07/owl#ObjectProperty>"
RECORD_GRAPH = "<https://w3id.org/mineral-diplomacy/record/003/agreement/india-australia-critical-mineral-investment-partnership>"


def _without(start: str):  # type: ignore[no-untyped-def]
    return lambda lines: [line for line in lines if not line.startswith(start)]


def _with(*quads: str):  # type: ignore[no-untyped-def]
    return lambda lines: [*lines, *quads]


def _relabel(lines: list[str]) -> list[str]:
    return [line.replace('"agreement"@en', '"agreement "@en') for line in lines]


BREAKAGES = {
    "missing_label": _without(f"<{MDI}Agreement> {RDFS_LABEL}"),
    "missing_definition": _without(f"<{MDI}Agreement> {DEFINITION}"),
    "label_whitespace": _relabel,
    "missing_sentence_form": _without(f"<{MDI}party> <{MDI}sentence>"),
    "hierarchy_cycle": _with(_quad(f"<{MDI}Engagement>", SUBCLASS, f"<{MDI}Agreement>")),
    "ontology_metadata": _without(
        "<https://w3id.org/mineral-diplomacy/ontology> <http://purl.org/dc/terms/license>"
    ),
    "naming_convention": _with(
        _quad(f"<{MDI}bad_Class>", RDF_TYPE, OWL_CLASS),
        _quad(f"<{MDI}bad_Class>", RDFS_LABEL, '"bad class"@en'),
    ),
    "duplicate_definition": _with(
        _quad(f"<{MDI}Project>", DEFINITION, '"An arrangement."@en'),
        _quad(f"<{MDI}Policy>", DEFINITION, '"An arrangement."@en'),
    ),
    "class_without_instances": _with(_quad(f"<{MDI}UnusedClass>", RDF_TYPE, OWL_CLASS)),
    "property_not_used": _with(_quad(f"<{MDI}unusedProperty>", RDF_TYPE, OBJECT_PROPERTY)),
    "property_without_domain": _with(_quad(f"<{MDI}unusedProperty>", RDF_TYPE, OBJECT_PROPERTY)),
    "free_text_only": _with(
        _quad(f"<{ID}engagement/only-words>", RDF_TYPE, f"<{MDI}Engagement>", RECORD_GRAPH),
        _quad(f"<{ID}engagement/only-words>", RDFS_LABEL, '"Only words"@en', RECORD_GRAPH),
    ),
    "untyped_reference": _with(
        _quad(
            f"<{ID}agreement/india-australia-critical-mineral-investment-partnership>",
            f"<{MDI}party>",
            f"<{ID}country/atlantis>",
            RECORD_GRAPH,
        )
    ),
}


@pytest.mark.parametrize("check", sorted(BREAKAGES))
def test_each_check_finds_what_it_looks_for(
    check: str, release: Path, data: ReviewData, tmp_path: Path
) -> None:
    before = {c.id: len(c.items) for c in run_checks(data, [], Verbaliser(data))}
    broken = _broken(release, tmp_path, BREAKAGES[check])
    words = Verbaliser(broken)
    after = {c.id: len(c.items) for c in run_checks(broken, [], words)}
    assert after[check] > before[check], check


def test_reviewers_verdicts_are_counted(data: ReviewData) -> None:
    wrong = Verdict(
        f"{RECORD_GRAPH[1:-1]} {MD.party} {ID['country/australia']}",
        "A. Reviewer",
        "2026-12-01",
        "wrong",
        "Australia signed through KABIL's counterpart",
        "a fact",
    )
    checks = {c.id: c for c in run_checks(data, [wrong], Verbaliser(data))}
    (item,) = checks["reviewed_wrong"].items
    assert "A. Reviewer, 2026-12-01: Australia signed" in item.detail


def test_report_fails_on_the_level_asked(
    release: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = _broken(release, tmp_path, _relabel).release
    assert main(["report", "--release", str(broken)]) == 1  # ERROR fails by default
    assert main(["report", "--release", str(broken), "--fail-on", "never"]) == 0
    assert main(["report", "--release", str(release), "--fail-on", "ERROR"]) == 0
    assert main(["report", "--release", str(release), "--fail-on", "INFO"]) == 1  # INFO items exist
    capsys.readouterr()
    assert main(["report", "--release", str(broken), "--format", "tsv", "--fail-on", "never"]) == 0
    tsv = capsys.readouterr().out.splitlines()
    assert tsv[0] == "check\tlevel\titem\tdetail\twhere"
    assert (
        "label_whitespace\tERROR\t'agreement '\ton agreement \tontology/mineral-diplomacy.ttl:"
        in "\n".join(tsv)
    )
    html = tmp_path / "report.html"
    assert main(["report", "--release", str(broken), "--format", "html", "--output", str(html)]) == 1
    assert 'id="label_whitespace"' in html.read_text() and "<style>" in html.read_text()


def test_report_without_a_build_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--out", str(tmp_path)]) == 2
    assert "run 'mineral-diplomacy build' first" in capsys.readouterr().err


def test_without_graphviz_the_diagrams_say_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizUnavailable, match="apt-get install -y graphviz"):
        render_svg([Diagram({"a": ("A", None), "b": ("B", None)}, [Edge("a", "b", "to")])])


def test_facts_from_the_tables_cite_their_rows(release: Path) -> None:
    """A country's reference facts cite the rows they come from: Chile's name and codes from its
    row of countries.csv, its region and continent from its row of regions.csv (read here from the
    tables themselves); the start page says which facts come from tables, not sentences."""
    import csv

    from mineral_diplomacy.graph import SHARED_DIR

    def line_of(table: str, column: str, value: str) -> int:
        with (SHARED_DIR / "reference" / table).open(encoding="utf-8", newline="") as handle:
            return next(i for i, row in enumerate(csv.DictReader(handle), start=2) if row[column] == value)

    chile = re.sub(r"<[^>]+>", "", (release / "site/id/country/chile.html").read_text())
    rows = (f"shared/reference/countries.csv, line {line_of('countries.csv', 'iso_alpha2', 'CL')}; "
            f"shared/reference/regions.csv, line {line_of('regions.csv', 'iso_alpha2', 'CL')}")
    assert f"Chile has the ISO 3166-1 alpha-3 code CHL.\n      the reference tables: {rows}" in chile
    assert "the reference tables\n" not in chile  # every table fact has its rows
    index = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", (release / "site/index.html").read_text()))
    assert "Every fact the records state comes from a sentence" in index
    assert "from the reference tables" in index
    assert "Every fact of the graph comes from a sentence" not in index


def test_every_page_names_the_release_it_describes(release: Path) -> None:
    """The pages and a workbook exported from the same release can be matched: each page's header
    names the release (the folder name a workbook's About sheet gives)."""
    for page in ("index.html", "id/country/chile.html", "ontology/class-Engagement.html"):
        assert f"release {release.resolve().name}</span>" in (release / "site" / page).read_text()


def test_a_pronoun_is_not_quoted_as_a_name(release: Path) -> None:
    """An assessment's statement is quoted where it is the subject ("“The biggest challenge …” is
    about India"), but under its own sentence the record's thing is "It", never "“it”"."""
    page = html.unescape(re.sub(r"<[^>]+>", "", (release / "site/sources/thirty-critical-minerals-list.html")
                                .read_text()))
    assert "“it”" not in page and "It is about Geological Survey of India." in page
    india = html.unescape(re.sub(r"<[^>]+>", "", (release / "site/id/country/india.html").read_text()))
    assert "“The biggest challenge is fragmentation and import dependence on China” is about India." in india

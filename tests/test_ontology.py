"""The ontology: documented terms, a complete header, consistency under HermiT, clear Java errors."""

from __future__ import annotations

import owlready2
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from mineral_diplomacy.cli.commands import main
from mineral_diplomacy.ontology import reasoning
from mineral_diplomacy.ontology.namespaces import ID, MD, ONTOLOGY_IRI
from mineral_diplomacy.ontology.vocabulary import load_ontology, vocabulary

TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
              RDFS.Datatype)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology()


def _terms(ontology: Graph) -> set[URIRef]:
    return {s for t in TERM_TYPES for s in ontology.subjects(RDF.type, t)
            if isinstance(s, URIRef) and s not in (SKOS.definition, DCTERMS.license, DCTERMS.creator)}


def test_every_class_and_property_has_label_and_definition(ontology: Graph) -> None:
    missing = sorted(str(t) for t in _terms(ontology)
                     if not ontology.value(t, RDFS.label) or not ontology.value(t, SKOS.definition))
    assert missing == []


def test_header_has_title_description_licence_creator_and_version(ontology: Graph) -> None:
    header = URIRef(ONTOLOGY_IRI)
    assert (header, RDF.type, OWL.Ontology) in ontology
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.creator,
                 OWL.versionIRI, OWL.versionInfo):
        assert ontology.value(header, prop) is not None, prop


def test_no_blank_nodes_so_output_is_deterministic(ontology: Graph) -> None:
    assert not [t for t in ontology if any(isinstance(x, BNode) for x in t)]


def test_object_properties_with_range_have_a_declared_range_class(ontology: Graph) -> None:
    classes = set(ontology.subjects(RDF.type, OWL.Class)) | set(ontology.subjects(RDF.type, RDFS.Datatype))
    for prop in ontology.subjects(RDF.type, OWL.ObjectProperty):
        for rng in ontology.objects(prop, RDFS.range):
            assert rng in classes, (prop, rng)


def test_record_keys_are_unique(ontology: Graph) -> None:
    keys = [str(k) for k in ontology.objects(None, MD.recordKey)]
    assert len(keys) == len(set(keys))


def test_vocabulary_reads_types_fields_and_values() -> None:
    voc = vocabulary()
    assert voc.types["MemorandumOfUnderstanding"] == MD.MemorandumOfUnderstanding
    assert voc.fields["parties"].iri == MD.party
    assert voc.values_of(MD.MaturityLevel) == [
        "announced", "effortInProgress", "inImplementation", "operational", "planned", "proposed", "signed",
        "underNegotiation"]


def test_closed_namespace_rejects_unknown_terms() -> None:
    with pytest.raises(AttributeError):
        _ = MD.Agreemnt


def test_hermit_finds_the_ontology_consistent(ontology: Graph) -> None:
    result = reasoning.reason(ontology, [])
    assert result.seconds > 0


def test_hermit_infers_class_memberships(ontology: Graph) -> None:
    data = Graph()
    india, deal = ID["country/india"], ID["agreement/x"]
    data.add((deal, RDF.type, MD.MemorandumOfUnderstanding))
    data.add((deal, MD.party, india))  # range md:Actor: india becomes an Actor
    data.add((deal, MD.signedOn, Literal("2022-03", datatype=URIRef(
        "http://www.w3.org/2001/XMLSchema#gYearMonth"))))  # not for HermiT: left out
    inferred = reasoning.reason(ontology, [data]).inferred
    assert (india, RDF.type, MD.Actor) in inferred
    assert (deal, RDF.type, MD.Engagement) in inferred
    assert (deal, RDF.type, MD.MemorandumOfUnderstanding) not in inferred  # asserted, not inferred


def test_hermit_detects_inconsistency(ontology: Graph) -> None:
    data = Graph()
    data.add((ID["organization/x"], RDF.type, MD.Ministry))
    data.add((ID["organization/x"], RDF.type, MD.Company))
    with pytest.raises(reasoning.Inconsistent):
        reasoning.reason(ontology, [data])
    assert reasoning.disjointness_clashes(ontology, data) == [
        (ID["organization/x"], MD.GovernmentBody, MD.Company)]


def test_missing_java_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, ontology: Graph,
                                        tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(owlready2, "JAVA_EXE", str(tmp_path / "no-such-java"))
    with pytest.raises(reasoning.ReasonerUnavailable, match="Java runtime not found"):
        reasoning.reason(ontology, [])
    assert main(["build", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "apt-get install" in err[0]
    assert not (tmp_path / "out" / "current").exists()

"""Each SHACL shape, with at least one conforming and one violating example."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from mineral_diplomacy.ontology.vocabulary import load_ontology
from mineral_diplomacy.shapes.validate import load_shapes, validate

PRELUDE = """
@prefix md:      <https://w3id.org/mineral-diplomacy/ontology#> .
@prefix ex:      <https://w3id.org/mineral-diplomacy/id/test/> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix owl:     <http://www.w3.org/2002/07/owl#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov:    <http://www.w3.org/ns/prov#> .
@prefix org:     <http://www.w3.org/ns/org#> .
@prefix wd:      <http://www.wikidata.org/entity/> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .

ex:in a md:Country ; rdfs:label "India"@en ; md:isoAlpha2 "IN" .
ex:au a md:Country ; rdfs:label "Australia"@en ; md:isoAlpha2 "AU" .
ex:kabil a md:StateOwnedEnterprise ; rdfs:label "KABIL"@en ; md:actsFor ex:in .
ex:doc a md:SourceDocument ; dcterms:title "A document"@en ; md:fileName "x.txt" ;
    md:documentType md:newsDigest .
ex:li a md:Mineral ; rdfs:label "lithium"@en .
"""

MOU = """ex:e a md:MemorandumOfUnderstanding ; rdfs:label "An MoU"@en ;
    md:party ex:in , ex:au ; md:engagementModel md:bilateral ; md:stage md:mining ;
    md:status ex:s . ex:s a md:StatusClaim ; md:maturity md:signed ;
    md:asOf "2022-03"^^xsd:gYearMonth ; md:asOfBasis md:dateInSentence ;
    md:asOfPrecision md:monthPrecision ; md:asOfEarliest "2022-03-01"^^xsd:date ;
    md:asOfLatest "2022-03-31"^^xsd:date ."""
PROPOSAL = ('ex:e a md:Proposal ; rdfs:label "CMPA"@en ; md:proposedBy ex:in ; md:stage md:trade ; '
            "md:status ex:s . ")
STATUS = """ex:s a md:StatusClaim ; md:maturity md:{maturity} ; md:asOf "2025"^^xsd:gYear ;
    md:asOfBasis md:dateInSentence ; md:asOfPrecision md:yearPrecision ;
    md:asOfEarliest "2025-01-01"^^xsd:date ; md:asOfLatest "2025-12-31"^^xsd:date ."""

# shape -> (conforming example, violating example), each added to PRELUDE
EXAMPLES: dict[str, tuple[str, str]] = {
    "LabelShape": (
        'ex:r a md:Region ; rdfs:label "Central Asia"@en ; skos:altLabel "Inner Asia"@en .',
        'ex:r a md:Region ; rdfs:label "Central Asia"@en , "Inner Asia"@en .',
    ),
    "TypedShape": (
        'ex:r a md:Region ; rdfs:label "Central Asia"@en .',
        'ex:r rdfs:label "Something untyped"@en .',
    ),
    "RecordShape": (
        'ex:rec a md:Record ; prov:wasDerivedFrom ex:doc ; md:quote "the words" ; '
        'md:describes ex:in ; md:recordLine "3"^^xsd:positiveInteger .',
        'ex:rec a md:Record ; prov:wasDerivedFrom ex:doc ; md:quote "the words" ; '
        'md:describes ex:in ; md:vagueMentionOf ex:in ; md:recordLine "3"^^xsd:positiveInteger .',
    ),
    "SourceDocumentShape": (
        'ex:d2 a md:SourceDocument ; dcterms:title "Another"@en ; md:fileName "y.txt" ; '
        "dcterms:publisher ex:kabil ; md:documentType md:explainer .",
        'ex:d2 a md:SourceDocument ; dcterms:title "Another"@en ; md:fileName "y.txt" .',
    ),
    "DateShape": (
        MOU + ' ex:e md:signedOn "2022-03"^^xsd:gYearMonth .',
        MOU + ' ex:e md:signedOn "2022-13"^^xsd:gYearMonth .',
    ),
    "EngagementShape": (
        MOU,
        'ex:e a md:Dialogue ; rdfs:label "Talks"@en ; md:stage md:trade ; md:party ex:in , ex:li .',
    ),
    "AgreementShape": (
        MOU,
        'ex:e a md:ExplorationPact ; rdfs:label "A pact"@en ; md:stage md:exploration ; md:party ex:in .',
    ),
    "PartyCountShape": (
        'ex:e a md:Initiative ; rdfs:label "x"@en ; md:engagementModel md:trilateral ; '
        "md:stage md:trade ; md:party ex:in , ex:au , ex:kabil .",
        'ex:e a md:Initiative ; rdfs:label "x"@en ; md:engagementModel md:bilateral ; '
        "md:stage md:trade ; md:party ex:in .",
    ),
    "ProposalShape": (
        PROPOSAL + STATUS.format(maturity="proposed"),
        PROPOSAL + STATUS.format(maturity="signed"),
    ),
    "JointVentureShape": (
        'ex:e a md:JointVenture ; rdfs:label "JV"@en ; md:party ex:in , ex:au ; md:stage md:processing ; '
        "md:establishes ex:kabil .",
        'ex:e a md:JointVenture ; rdfs:label "JV"@en ; md:party ex:in , ex:au ; md:stage md:processing ; '
        "md:establishes ex:au .",
    ),
    "QuantityShape": (
        "ex:q a md:Quantity ; md:value 5.9 ; md:unit md:tonne ; md:scale md:million .",
        "ex:q a md:Quantity ; md:value 5.9 ; md:scale md:million .",
    ),
    "MonetaryAmountShape": (
        "ex:m a md:MonetaryAmount ; md:value 24.0 ; md:scale md:million ; md:currency md:USD .",
        "ex:m a md:MonetaryAmount ; md:value 24.0 ; md:scale md:million .",
    ),
    "CountShape": (
        'ex:b a md:MineralBlock ; rdfs:label "Blocks"@en ; md:count "5"^^xsd:nonNegativeInteger .',
        'ex:b a md:MineralBlock ; rdfs:label "Blocks"@en ; md:count 2.5 .',
    ),
    "CountryShape": (
        "ex:in md:locatedIn ex:au .",
        'ex:c a md:Country ; rdfs:label "Atlantis"@en .',
    ),
    "MembershipShape": (
        'ex:m a org:Membership ; org:member ex:in ; org:organization ex:quad ; org:role md:member . '
        'ex:quad a md:Grouping ; rdfs:label "Quad"@en .',
        'ex:m a org:Membership ; org:member ex:in ; org:organization ex:quad . '
        'ex:quad a md:Grouping ; rdfs:label "Quad"@en .',
    ),
    "OrganisationLinksShape": (
        'ex:in md:worksThrough ex:quad . ex:quad a md:Grouping ; rdfs:label "Quad"@en .',
        "ex:in md:worksThrough ex:li .",
    ),
    "RollUpShape": (
        'ex:firm a md:Company ; rdfs:label "A firm"@en ; md:actsFor ex:kabil . '
        'ex:p a md:Project ; rdfs:label "P"@en ; md:stage md:mining ; md:participant ex:firm .',
        'ex:firm a md:Company ; rdfs:label "A firm"@en . '
        'ex:p a md:Project ; rdfs:label "P"@en ; md:stage md:mining ; md:participant ex:firm .',
    ),
    "StageShape": (
        'ex:p a md:Project ; rdfs:label "P"@en ; md:stage md:exploration .',
        'ex:p a md:Project ; rdfs:label "P"@en .',
    ),
    "StatusClaimShape": (
        STATUS.format(maturity="planned"),
        'ex:s a md:StatusClaim ; md:maturity md:planned .',
    ),
    "MaturityInStatusShape": (
        'ex:p a md:Project ; rdfs:label "P"@en ; md:stage md:mining ; md:status ex:s . '
        + STATUS.format(maturity="inImplementation"),
        'ex:p a md:Project ; rdfs:label "P"@en ; md:stage md:mining ; md:maturity md:inImplementation .',
    ),
    "TradeMeasureShape": (
        'ex:t a md:ExportRestriction ; rdfs:label "Restrictions"@en ; md:imposedBy ex:in ; '
        "md:imposedOn ex:au .",
        'ex:t a md:ExportRestriction ; rdfs:label "Restrictions"@en ; md:imposedOn ex:au .',
    ),
    "ImportDependenceShape": (
        'ex:d a md:ImportDependence ; rdfs:label "Dependence"@en ; md:importer ex:in ; md:supplier ex:au .',
        'ex:d a md:ImportDependence ; rdfs:label "Dependence"@en ; md:importer ex:in , ex:au ; '
        "md:supplier ex:au .",
    ),
    "PlaceShape": (
        'ex:b a md:MineralBlock ; rdfs:label "Block"@en ; md:locatedIn ex:au .',
        'ex:b a md:MineralBlock ; rdfs:label "Block"@en ; md:locatedIn ex:kabil .',
    ),
    "MineralShape": (
        'ex:p a md:Project ; rdfs:label "Project"@en ; md:stage md:mining ; md:mineral ex:li .',
        'ex:p a md:Project ; rdfs:label "Project"@en ; md:stage md:mining ; md:mineral ex:in .',
    ),
    "InvestmentShape": (
        'ex:i a md:Investment ; rdfs:label "Investment"@en ; md:stage md:finance ; md:investor ex:kabil .',
        'ex:i a md:Investment ; rdfs:label "Investment"@en ; md:stage md:finance .',
    ),
    "AccessTermShape": (
        MOU + ' ex:e md:secures ex:t . ex:t a md:AccessTerm ; md:accessKind md:explorationRights ; '
        "md:share ex:q . ex:q a md:Quantity ; md:value 40.0 ; md:unit md:percent .",
        MOU + " ex:e md:secures ex:t . ex:t a md:AccessTerm ; md:share ex:kabil .",
    ),
    "ResponseShape": (
        MOU + ' ex:d a md:ImportDependence ; rdfs:label "Dependence"@en ; md:importer ex:in ; '
        "md:supplier ex:au . ex:e md:addresses ex:d .",
        MOU + " ex:e md:addresses ex:au .",
    ),
    "LawAmendmentShape": (
        'ex:law a md:Law ; rdfs:label "MMDR Act"@en . '
        'ex:am a md:LawAmendment ; rdfs:label "Amendment"@en ; md:amends ex:law .',
        'ex:am a md:LawAmendment ; rdfs:label "Amendment"@en .',
    ),
    "StatisticShape": (
        'ex:s a md:Statistic ; rdfs:label "Reserves"@en ; md:measure "reserves" ; md:quantity ex:q . '
        "ex:q a md:Quantity ; md:value 5.9 ; md:unit md:tonne .",
        'ex:s a md:Statistic ; rdfs:label "Reserves"@en ; md:quantity ex:q . '
        "ex:q a md:Quantity ; md:value 5.9 ; md:unit md:tonne .",
    ),
    "RecommendationShape": (
        'ex:r a md:Recommendation ; rdfs:label "Advice"@en ; md:recommendedBy ex:doc ; '
        'md:statement "Do this." .',
        'ex:r a md:Recommendation , md:Policy ; rdfs:label "Advice"@en ; md:recommendedBy ex:doc ; '
        'md:statement "Do this." .',
    ),
    "AssessmentShape": (
        'ex:a a md:Assessment ; rdfs:label "Judgement"@en ; md:assessedBy ex:doc ; '
        'md:statement "Things are so." .',
        'ex:a a md:Assessment ; rdfs:label "Judgement"@en ; md:statement "Things are so." .',
    ),
    "CriticalMineralListShape": (
        'ex:l a md:CriticalMineralList ; rdfs:label "A list"@en ; md:issuer ex:in ; '
        'dcterms:issued "2023"^^xsd:gYear ; skos:member ex:li ; '
        'md:statedItemCount "1"^^xsd:nonNegativeInteger .',
        'ex:l a md:CriticalMineralList ; rdfs:label "A list"@en ; md:issuer ex:in ; '
        'dcterms:issued "2023"^^xsd:gYear ; skos:member ex:li ; '
        'md:statedItemCount "2"^^xsd:nonNegativeInteger .',
    ),
    "AlternativeNameShape": (
        'ex:kabil skos:altLabel "Khanij Bidesh India Ltd"@en .',
        'ex:kabil skos:altLabel "KABIL"@en .',
    ),
    "IdentifierShape": (
        'ex:in md:wikidataId "Q668" ; skos:exactMatch wd:Q668 .',
        'ex:in md:isoAlpha3 "India" ; skos:exactMatch <http://example.org/india> .',
    ),
}


def _violations(example: str) -> list[str]:
    data = load_ontology()
    data.parse(data=PRELUDE + example, format="turtle")
    return [v.shape for v in validate(data)]


def test_every_shape_has_examples() -> None:
    shapes = load_shapes()
    named = {str(s).rsplit("#", 1)[-1] for s in shapes.subjects(RDF.type, SH.NodeShape)
             if isinstance(s, URIRef)}
    assert named == set(EXAMPLES)


def test_prelude_conforms() -> None:
    assert _violations("") == []


@pytest.mark.parametrize("shape", sorted(EXAMPLES))
def test_conforming_example_passes(shape: str) -> None:
    assert _violations(EXAMPLES[shape][0]) == []


@pytest.mark.parametrize("shape", sorted(EXAMPLES))
def test_violating_example_is_caught_by_its_shape(shape: str) -> None:
    assert shape in _violations(EXAMPLES[shape][1])


def test_messages_say_what_to_fix() -> None:
    shapes = load_shapes()
    messages = [str(m) for m in shapes.objects(None, SH.message)]
    assert messages and all(" To fix: " in m for m in messages)


def test_graph_for_type_check_is_not_shared() -> None:
    """load_ontology returns a fresh graph: examples must not leak into one another."""
    first, second = load_ontology(), load_ontology()
    assert first is not second and isinstance(first, Graph)


def test_financial_years_and_field_seasons_are_dates() -> None:
    """The date shape takes a financial year or field season written as its two years, nothing else."""
    assert _violations(MOU + ' ex:e md:date "2024-25"^^md:financialYear .') == []
    assert _violations(MOU + ' ex:e md:date "2020-21"^^md:fieldSeason .') == []
    assert "DateShape" in _violations(MOU + ' ex:e md:date "FY2024-25"^^md:financialYear .')

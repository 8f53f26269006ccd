"""``propose``: one document read and its candidate records proposed, offline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ...ontology.vocabulary import Vocabulary
from ..dates import date_literal, interval
from ..documents import Document
from ..geography import Geography
from ..records import Record
from ..reference import ReferenceTables
from ..sources import SourceCollection
from .candidates import fingerprint
from .gazetteer import Gazetteer
from .reading import Reading, read_document
from .rules import Candidate, Rules


@dataclass
class Proposal:
    """A document's sentences as read, and the candidates proposed from them."""

    file: str
    readings: list[Reading]
    candidates: list[Candidate]
    held_back: int  # candidates already rejected or already in the records


def document_facts(file: str, records: list[Record], documents: list[Document]) -> dict[str, str]:
    """What the rules need to know of the document: its file, id, date and publisher's name."""
    for document in documents:
        if document.file == file:
            return {
                "file": file,
                "entity_id": document.entity_id,
                "issued": document.issued,
                "publisher": document.publisher,
            }
    facts = {"file": file, "entity_id": f"source/{Path(file).stem}", "issued": "", "publisher": "publisher"}
    for record in records:
        if record.node.text("file_name") == file:
            facts["entity_id"] = record.node.text("id") or facts["entity_id"]
    for record in records:
        if record.node.text("id") == facts["entity_id"]:
            facts["issued"] = record.node.text("issued") or record.node.text("modified") or facts["issued"]
            if publisher := record.node.text("publisher"):
                facts["publisher"] = publisher.partition("/")[2]
    return facts


def _day(value: str) -> date | None:
    literal = date_literal(value) if value else None
    return interval(literal)[1] if literal is not None else None


def propose(
    file: str,
    sources: SourceCollection,
    records: list[Record],
    reference: ReferenceTables,
    lists_file: Path | None,
    documents: list[Document],
    vocabulary: Vocabulary,
    rejected: set[str],
    geography: Geography | None = None,
) -> Proposal:
    """Read ``file`` against a gazetteer of ``records`` (which should not include the document's
    own, for a fair test) and propose candidates, leaving out those rejected before and those
    whose record is already among ``records``."""
    gazetteer = Gazetteer.build(records, reference, lists_file, geography)
    facts = document_facts(file, records, documents)
    readings = read_document(sources.raw(file), gazetteer, _day(facts["issued"]))
    rules = Rules(vocabulary, records, gazetteer.reference_kinds)
    existing = {(r.node.text("id"), r.node.text("quote")) for r in records if r.node.text("source") == file}
    candidates: list[Candidate] = []
    held_back = 0
    for index, reading in enumerate(readings):
        for candidate in rules.propose(reading, readings[index - 1] if index else None, facts):
            if (
                fingerprint(candidate.record) in rejected
                or (candidate.record["id"], candidate.record["quote"]) in existing
            ):
                held_back += 1
            else:
                candidates.append(candidate)
    return Proposal(file, readings, candidates, held_back)

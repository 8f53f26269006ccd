"""The project's own documents, read beside the seed documents in ``shared/sources/``.

``mineral-diplomacy add-source FILE`` copies a text into ``graph/documents/`` unchanged and adds
its metadata to ``graph/documents/documents.yaml``: title, publisher, date and how that date is
known, document type, address, licence, when it was received, and the digest of the text. The
build describes each document from that entry (in the provenance graph) and refuses a text that
no longer has its digest: quotes are checked against the text, so it is never edited after it is
added. The entries' other fields may be corrected by hand (``publisher_id`` once the publisher is
described by a record, for example).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import yaml
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from ..ontology.namespaces import ID, MD, Triple, local
from .dates import HOW_TO_WRITE, date_literal
from .problems import BuildFailed, Problem
from .records import read_records_file
from .slugs import slugify
from .sources import SourceCollection, normalise

REGISTER = "documents.yaml"
REQUIRED = ("file", "title", "publisher", "issued", "date_known_from", "document_type", "received", "sha256")
OPTIONAL = ("publisher_id", "address", "licence", "note")
HEADER = """\
# The project's own source documents: one entry per text in this folder, written by
# 'mineral-diplomacy add-source'. Never edit a text (its sha256 is checked by the build); the other
# fields may be corrected here, e.g. 'publisher_id: organization/...' once a record describes the
# publisher. See README.md, "A new document into the graph".
"""


class DocumentRefused(ValueError):
    """The file cannot be added; nothing was written."""


@dataclass(frozen=True)
class Document:
    """One of the project's documents, as its register entry describes it."""

    file: str
    title: str
    publisher: str  # the publisher's name, as given
    issued: str  # a date as records write it: 2023-09, 2022-01-03 ...
    date_known_from: str  # how the date is known
    document_type: str  # a DocumentType of the ontology: governmentRelease ...
    received: str  # when the text was received (ISO 8601)
    sha256: str
    publisher_id: str | None = None
    address: str | None = None
    licence: str | None = None
    note: str | None = None
    line: int = 0  # of the entry in the register

    @property
    def entity_id(self) -> str:
        return f"source/{Path(self.file).stem}"


def register_path(directory: Path) -> Path:
    return directory / REGISTER


def read_documents(directory: Path, display: str = "graph/documents") -> list[Document]:
    """The register's entries; raises BuildFailed naming the file and line of a malformed one."""
    path = register_path(directory)
    if not path.exists():
        return []
    where = f"{display}/{REGISTER}"
    documents, problems = [], []
    for entry in read_records_file(path, where):
        values = {key: entry.node.text(key) for key in entry.node.fields}
        missing = [key for key in REQUIRED if not values.get(key)]
        unknown = sorted(set(values) - set(REQUIRED) - set(OPTIONAL))
        if missing or unknown:
            problems.append(
                Problem(
                    where,
                    entry.line,
                    "document-entry",
                    f"This entry lacks {', '.join(missing) or 'nothing'}"
                    + (f" and has fields the register does not know: {', '.join(unknown)}" if unknown else "")
                    + ".",
                    f"An entry has {', '.join(REQUIRED)}; it may have {', '.join(OPTIONAL)}.",
                )
            )
            continue
        documents.append(Document(**{k: v for k, v in values.items() if v is not None}, line=entry.line))
    if problems:
        raise BuildFailed("read", problems)
    return documents


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_texts(
    directory: Path, documents: list[Document], display: str = "graph/documents"
) -> list[Problem]:
    """A problem for each registered text that is missing or no longer the text that was added."""
    problems = []
    for document in documents:
        path = directory / document.file
        if not path.is_file() or digest(path.read_bytes()) != document.sha256:
            problems.append(
                Problem(
                    f"{display}/{REGISTER}",
                    document.line,
                    "document-changed",
                    f"The text {display}/{document.file} is missing or changed since it "
                    "was added; quotes are checked against the text as received.",
                    "Restore the file as it was received (version control has it); to "
                    "take in a new version, add it as a new document.",
                )
            )
    return problems


def description(
    document: Document, types: Collection[object], known_ids: set[str], display: str = "graph/documents"
) -> tuple[list[Triple], list[Problem]]:
    """The document's description from its entry, and the problems in the entry's values."""
    where, problems = f"{display}/{REGISTER}", []
    iri = ID[document.entity_id]
    triples: list[Triple] = [
        (iri, RDF.type, MD.SourceDocument),
        (iri, MD.fileName, Literal(document.file)),
        (iri, DCTERMS.title, Literal(document.title)),
        (iri, MD.publisherName, Literal(document.publisher)),
        (iri, MD.dateKnownFrom, Literal(document.date_known_from, lang="en")),
        (iri, MD.receivedOn, Literal(document.received, datatype=XSD.dateTime)),
    ]
    issued = date_literal(document.issued)
    if issued is None:
        problems.append(
            Problem(
                where,
                document.line,
                "document-entry",
                f"'issued: {document.issued}' is not a date.",
                HOW_TO_WRITE,
            )
        )
    else:
        triples.append((iri, DCTERMS.issued, issued))
    kind = MD[document.document_type]
    if kind not in types:
        problems.append(
            Problem(
                where,
                document.line,
                "document-entry",
                f"'{document.document_type}' is not a document type of the ontology.",
                f"Use one of: {', '.join(sorted(local(t, 'md') or str(t) for t in types))}.",
            )
        )
    else:
        triples.append((iri, MD.documentType, kind))
    if document.publisher_id:
        if document.publisher_id not in known_ids:
            problems.append(
                Problem(
                    where,
                    document.line,
                    "document-entry",
                    f"'publisher_id: {document.publisher_id}' is not described by any record.",
                    "Accept or write the publisher's record first, or remove "
                    "publisher_id (the name is kept).",
                )
            )
        else:
            triples.append((iri, DCTERMS.publisher, ID[document.publisher_id]))
    if document.address:
        triples.append((iri, DCTERMS.source, URIRef(document.address)))
    if document.licence:
        triples.append((iri, DCTERMS.license, Literal(document.licence, lang="en")))
    return triples, problems


# -- adding a document ----------------------------------------------------------------------------


def read_text(file: Path) -> tuple[bytes, str]:
    """The file's bytes and text; refuses a binary, non-UTF-8 or empty file."""
    try:
        data = file.read_bytes()
    except OSError as error:
        raise DocumentRefused(f"{file}: cannot be read ({error.strerror})") from error
    if b"\x00" in data:
        raise DocumentRefused(f"{file}: a binary file (it holds NUL bytes); add the document's text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DocumentRefused(
            f"{file}: not UTF-8 text (byte {error.start} is 0x{data[error.start]:02x}); "
            "convert it to UTF-8 first, e.g. iconv -f windows-1252 -t utf-8"
        ) from error
    if not any(ch.isalpha() for ch in text):
        raise DocumentRefused(f"{file}: the document is empty (no words)")
    return data, text


def add_document(
    file: Path,
    metadata: dict[str, str],
    directory: Path,
    sources: SourceCollection,
    document_types: set[str],
    now: datetime.datetime | None = None,
) -> Document:
    """Copy ``file`` into ``directory`` unchanged and register it with ``metadata``; refuses a
    duplicate (the same text as a document already held, under any name) and a name in use."""
    data, text = read_text(file)
    name = metadata.get("file") or f"{slugify(file.stem)}.txt"
    if not name.endswith(".txt") or "/" in name or name.startswith(".") or "_" in name:
        raise DocumentRefused(
            f"'{name}' is not a usable name: give a name like kabil-mandate.txt "
            "(letters, digits and hyphens, ending .txt)"
        )
    same = next((held for held, held_text in sources.files.items() if held_text == normalise(text)), None)
    if same is not None:
        raise DocumentRefused(f"{file}: the same text is already held as {same}; nothing was added")
    if name in sources.files:
        raise DocumentRefused(f"a document named {name} is already held; choose another name with --name")
    received = (
        metadata.get("received")
        or (now or datetime.datetime.now(datetime.UTC)).replace(microsecond=0).isoformat()
    )
    fields = {
        "file": name,
        **{k: v for k, v in metadata.items() if k != "file" and v},
        "received": received,
        "sha256": digest(data),
    }
    missing = [key for key in REQUIRED if not fields.get(key)]
    unknown = sorted(set(fields) - set(REQUIRED) - set(OPTIONAL))
    if missing or unknown:
        raise DocumentRefused(
            f"{file}: metadata lacks {', '.join(missing) or 'nothing'}"
            + (f"; unknown fields: {', '.join(unknown)}" if unknown else "")
        )
    if fields["document_type"] not in document_types:
        raise DocumentRefused(
            f"{file}: '{fields['document_type']}' is not a document type; use one of: "
            f"{', '.join(sorted(document_types))}"
        )
    if date_literal(fields["issued"]) is None:
        raise DocumentRefused(f"{file}: 'issued: {fields['issued']}' is not a date. {HOW_TO_WRITE}")
    directory.mkdir(parents=True, exist_ok=True)
    register = register_path(directory)
    entry = yaml.safe_dump(
        [{k: fields[k] for k in (*REQUIRED, *OPTIONAL) if k in fields}],
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    (directory / name).write_bytes(data)
    previous = register.read_text(encoding="utf-8") if register.exists() else HEADER
    register.write_text(previous + "\n" + entry, encoding="utf-8")
    return next(d for d in read_documents(directory) if d.file == name)

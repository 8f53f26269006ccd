"""The SHACL shapes as sentences: what each shape applies to and what it requires."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from ..ontology.namespaces import local_name

_DATATYPES = {
    "date": "a date",
    "gYearMonth": "a year and month",
    "gYear": "a year",
    "decimal": "a number",
    "nonNegativeInteger": "a whole number",
    "positiveInteger": "a positive whole number",
    "string": "text",
    "boolean": "true or false",
}


def describe_shapes(shapes: Graph, ontology: Graph) -> list[dict[str, object]]:
    """Every named node shape: its name, comment, and its requirements in words."""

    def label(node: Node) -> str:
        return str(ontology.value(node, RDFS.label) or local_name(node))

    def path_words(path: Node) -> str:
        if isinstance(path, URIRef):
            return f"“{label(path)}”"
        if (alternatives := shapes.value(path, SH.alternativePath)) is not None:
            return " or ".join(f"“{label(p)}”" for p in Collection(shapes, alternatives))
        steps = list(Collection(shapes, path))
        return " of its ".join(f"“{label(p)}”" for p in reversed(steps))

    described: list[dict[str, object]] = []
    for shape in sorted(s for s in set(shapes.subjects(RDF.type, SH.NodeShape)) if isinstance(s, URIRef)):
        targets = [f"every {label(c)}" for c in sorted(shapes.objects(shape, SH.targetClass), key=str)]
        targets += [
            f"everything that has a {label(p)}"
            for p in sorted(shapes.objects(shape, SH.targetSubjectsOf), key=str)
        ]
        rules = [Rule(f"Applies to {', '.join(targets)}.")] if targets else []
        for prop in shapes.objects(shape, SH.property):
            if (path := shapes.value(prop, SH.path)) is not None:
                rules.append(_property_rule(shapes, prop, path_words(path), label))
        node_level = any(shapes.value(shape, key) is not None for key in (SH["or"], SH["not"], SH["class"]))
        if node_level and (message := shapes.value(shape, SH.message)) is not None:
            rules.append(Rule(_plain(str(message))))
        rules += [
            Rule(_plain(str(shapes.value(query, SH.message)))) for query in shapes.objects(shape, SH.sparql)
        ]
        name = str(shape).rsplit("#", 1)[-1]
        described.append(
            {
                "name": name,
                "title": _title(name),
                "comment": str(shapes.value(shape, RDFS.comment) or ""),
                "rules": list(dict.fromkeys(rules)),
            }
        )
    return described


@dataclass(frozen=True)
class Rule:
    """One requirement in words, and the pattern its values must match, if any (for a reader who
    reads regular expressions)."""

    text: str
    pattern: str = ""


def _property_rule(shapes: Graph, prop: Node, path: str, name: Callable[[Node], str]) -> Rule:
    """One property shape as a sentence."""
    least, most = shapes.value(prop, SH.minCount), shapes.value(prop, SH.maxCount)
    if least is not None and most is not None and int(str(least)) == int(str(most)):
        count = f"exactly {least} {path}"
    elif least is not None:
        count = f"at least {least} {path}"
    elif most is not None:
        count = f"at most {most} {path}"
    else:
        count = f"any {path}"
    demands = []
    if (cls := shapes.value(prop, SH["class"])) is not None:
        demands.append(f"each {_article(name(cls))}")
    if (datatype := shapes.value(prop, SH.datatype)) is not None:
        demands.append(f"written as {_DATATYPES.get(str(datatype).rsplit('#', 1)[-1], str(datatype))}")
    if (allowed := shapes.value(prop, SH["in"])) is not None:
        demands.append("one of " + ", ".join(f"“{name(v)}”" for v in Collection(shapes, allowed)))
    if shapes.value(prop, SH.languageIn) is not None:
        demands.append("in English")
    pattern = shapes.value(prop, SH.pattern)
    if pattern is not None:
        demands.append("written in a set form (the pattern below)")
    if shapes.value(prop, SH.nodeKind) == SH.IRI:
        demands.append("a web address (IRI)")
    if (length := shapes.value(prop, SH.minLength)) is not None:
        demands.append(f"at least {length} characters long")
    sentence = (
        f"It must have {count}" if least is not None or most is not None else f"Any {path} it has must be"
    )
    if least is None and most is None:
        sentence += " " + ", ".join(demands) if demands else " allowed"
    elif demands:
        sentence += ", " + ", ".join(demands)
    message = shapes.value(prop, SH.message)
    text = sentence + "." + (f" If not: {_plain(str(message))}" if message is not None else "")
    return Rule(text, str(pattern or ""))


def _plain(message: str) -> str:
    """A shape's message as the rule's words: its placeholders (filled in when a record breaks the
    rule) as the kind of value they stand for, in brackets: "{?count}" reads "[count]"."""
    return re.sub(r"\{\?(\w+)\}", r"[\1]", message).replace(" To fix:", " To fix it:")


def _article(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def _title(name: str) -> str:
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name.removesuffix("Shape")).lower()
    return words[:1].upper() + words[1:]

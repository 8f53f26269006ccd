"""Readable, stable slugs for IRIs: lower-case ASCII words joined by hyphens."""

import re
import unicodedata

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def slugify(text: str) -> str:
    """``"Côte d'Ivoire"`` -> ``"cote-d-ivoire"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def is_slug(text: str) -> bool:
    """Whether ``text`` is already a slug."""
    return SLUG_PATTERN.fullmatch(text) is not None

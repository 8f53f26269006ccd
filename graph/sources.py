"""The source documents: their files, their text, and the normalisation quotes are matched under."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

from . import DOCUMENTS_DIR

# Markup that is not part of the words: Markdown emphasis (**bold**, __bold__), backslash escapes
# (\$24) and the literal "\n" that YAML front matter leaves in one document.
_MARKUP = re.compile(r"\*\*|__|\\(?=[^\w\s])")
_LITERAL_NEWLINE = re.compile(r"\\n")
_SPACE = re.compile(r"\s+")


def markup_free(text: str) -> str:
    """Text with markup removed and literal "\\n" made a line break; lines are kept."""
    return _LITERAL_NEWLINE.sub("\n", _MARKUP.sub("", text))


def normalise(text: str) -> str:
    """Text as quotes are compared: markup removed, every run of whitespace made one space."""
    return _SPACE.sub(" ", markup_free(text)).strip()


class SourceCollection:
    """The folders of source documents (the seeds, then the project's own), read once. A file
    name is unique across them."""

    def __init__(self, *directories: Path) -> None:
        self.directories = directories

    @cached_property
    def paths(self) -> dict[str, Path]:
        """File name -> path, for every document (``*.txt``) in the folders; the first folder
        holding a name wins."""
        found: dict[str, Path] = {}
        for directory in self.directories:
            for path in sorted(directory.glob("*.txt")):
                found.setdefault(path.name, path)
        return found

    @cached_property
    def files(self) -> dict[str, str]:
        """File name -> normalised text, for every document."""
        return {name: normalise(path.read_text(encoding="utf-8")) for name, path in self.paths.items()}

    def raw(self, file: str) -> str:
        """The text of a document as it is stored."""
        return self.paths[file].read_text(encoding="utf-8")

    def contains(self, file: str, quote: str) -> bool:
        """Whether the quote occurs in the file, both normalised."""
        return normalise(quote) in self.files.get(file, "")

    def closest_passage(self, file: str, quote: str, width: int = 160) -> str:
        """The passage of the file that shares the longest run of text with the quote."""
        from difflib import SequenceMatcher

        text, wanted = self.files.get(file, ""), normalise(quote)
        match = SequenceMatcher(None, text, wanted, autojunk=False).find_longest_match()
        start = max(0, match.a - match.b)
        return text[start : start + max(len(wanted), width)]


def project_sources(shared_dir: Path, documents_dir: Path = DOCUMENTS_DIR) -> SourceCollection:
    """The seed documents (``shared/sources/``) and the project's own (``graph/documents/``)."""
    return SourceCollection(shared_dir / "sources", documents_dir)

"""Problems found in the data, reported in words a domain expert can act on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the data: where it is, which rule it breaks, and what to do."""

    file: str
    line: int
    rule: str
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: [{self.rule}] {self.message}\n    To fix: {self.fix}"


class BuildFailed(Exception):
    """The data did not pass the checks; nothing was written."""

    def __init__(self, stage: str, problems: list[Problem]) -> None:
        self.stage = stage
        self.problems = sorted(set(problems))
        super().__init__(f"{stage}: {len(self.problems)} problem(s)")

    def report(self) -> str:
        """All problems, one paragraph each, then a one-line verdict."""
        lines = [str(p) for p in self.problems]
        lines.append(
            f"Build failed at the {self.stage} step with {len(self.problems)} problem(s); "
            "nothing was written and the previous build (if any) is unchanged."
        )
        return "\n".join(lines)

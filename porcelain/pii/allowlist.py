"""`.ldvpii`: values and patterns the PII scan ignores.

One entry a line; blank lines and lines starting with `#` are skipped.

    alice@example.com          a literal value (compared exactly)
    re:.*@example\\.org         a regular expression that must match the whole value
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ldv.plumbing.errors import BadInput

FILE_NAME = ".ldvpii"


@dataclass
class Allowlist:
    values: set[str] = field(default_factory=set)
    patterns: list[re.Pattern] = field(default_factory=list)

    def allows(self, value: str) -> bool:
        return value in self.values or any(p.fullmatch(value) for p in self.patterns)

    @classmethod
    def parse(cls, text: str, source: str = FILE_NAME) -> "Allowlist":
        out = cls()
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("re:"):
                try:
                    out.patterns.append(re.compile(line[3:]))
                except re.error as e:
                    # The entry may itself be a secret: name the line, not its text.
                    raise BadInput(f"{source}:{n}: invalid regular expression ({e.msg})",
                                   hint="fix the pattern or quote it as a literal value")\
                        from None
            else:
                out.values.add(line)
        return out

    @classmethod
    def load(cls, root: Path) -> "Allowlist":
        """The work tree's `.ldvpii`, or an empty allowlist."""
        p = Path(root) / FILE_NAME
        try:
            return cls.read(p, FILE_NAME)
        except FileNotFoundError:
            return cls()

    @classmethod
    def read(cls, path: Path, source: str) -> "Allowlist":
        """Parse the file at ``path`` (UTF-8; BadInput naming ``source`` if not)."""
        data = Path(path).read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            line = data[:e.start].count(b"\n") + 1
            raise BadInput(f"{source}:{line}: not UTF-8 text",
                           hint="save the allowlist as UTF-8") from None
        return cls.parse(text, source=source)

"""PII detection and anonymization (docs/PII.md).

Glossary
  engine     presidio's AnalyzerEngine on a blank spaCy pipeline, plus the hyperscan
             prefilter compiled from its recognizer registry (registry.py)
  scanner    runs the prefilter over big buffers and presidio on candidates only
  workers    forked processes that scan the blocks of a big file (workers.py)
  finding    entity, file, line/row, field (JSON path / column), offsets, score and
             a masked preview; never the matched value
  allowlist  `.ldvpii`: values and `re:` patterns to ignore
  export     a copy of a revision with PII masked, redacted, hashed or replaced
"""
from .allowlist import Allowlist
from .scanner import Finding, ScanOptions, Scanner, Span

__all__ = ["Allowlist", "Finding", "ScanOptions", "Scanner", "Span"]

"""The one way the merge engines open DuckDB: in memory, bounded, spilling only
into the caller's private directory (spilled keys and digests are plaintext)."""
from __future__ import annotations

from pathlib import Path

import duckdb

MEMORY_LIMIT = "512MB"
THREADS = 2


def connect(spill_dir: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "threads": THREADS,
                                  "temp_directory": str(Path(spill_dir) / ".ldv-merge-spill")})

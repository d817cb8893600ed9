"""Python values from DuckDB made JSON-safe, and DuckDB type families."""
from __future__ import annotations

import base64
import datetime as _dt
import decimal
import math
import uuid

_INTS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
         "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
_FLOATS = {"FLOAT", "DOUBLE", "REAL"}
_TEMPORAL_PREFIXES = ("DATE", "TIME", "TIMESTAMP", "INTERVAL")


def kind_of(sql_type: str) -> str:
    """The family of a DuckDB type: number, text, list, time, bool or other."""
    t = sql_type.upper()
    if t in _INTS or t in _FLOATS or t.startswith("DECIMAL"):
        return "number"
    if t == "VARCHAR" or t.startswith("VARCHAR("):
        return "text"
    if t.endswith("]"):
        return "list"
    if t.startswith(_TEMPORAL_PREFIXES):
        return "time"
    if t == "BOOLEAN":
        return "bool"
    return "other"


def jsonable(value):
    """``value`` as something json.dumps writes the same way every time."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)  # keeps every digit; a float would not
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "base64:" + base64.b64encode(bytes(value)).decode()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)

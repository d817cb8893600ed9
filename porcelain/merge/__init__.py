"""Content-level merge engines: text (Git-compatible), records (JSONL/CSV/Parquet).

See docs/MERGE.md.  Everything here is a pure function of file contents; storage,
refs and merge state belong to the caller.
"""
from .attributes import Attributes, MergeSettings, merge_settings
from .base import MergeStats, RecordConflict, RecordMergeResult
from .filemerge import FileMergeResult, merge_file
from .recordmerge import merge_records
from .textmerge import Labels, TextMergeResult, conflict_markers, merge_binary, merge_text

__all__ = ["Attributes", "MergeSettings", "merge_settings", "MergeStats",
           "RecordConflict", "RecordMergeResult", "FileMergeResult", "merge_file",
           "merge_records", "Labels", "TextMergeResult", "conflict_markers",
           "merge_binary", "merge_text"]

"""ldv-server: the sync server.  It stores opaque packs and ids and never holds a key.

Glossary:
  services   the context object: metadata store + object backend + metrics + limits
  store      metadata (repos, tokens, refs, pack index, commit graph, audit):
             sqlite.py (embedded) or postgres.py (production), one SQL in store.py
  backend    where pack bytes live: a local directory or S3 (plumbing/backends)
  part       a piece of a pack upload; a pack is registered only after all its
             parts arrived and their concatenation hashes to the pack's name
  graph      commit id -> parent ids: enough to enforce fast-forward and to
             negotiate in one round trip without seeing content
"""
__version__ = "0.1.0"

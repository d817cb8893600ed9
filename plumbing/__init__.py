"""ldv's object model and everything under it.

Glossary:
  oid       a 32-byte object id: BLAKE3 keyed hash (the repository's id key) of an
            object's type byte and canonical serialization.
  chunk     a piece of a file, cut by content-defined chunking.
  blob      one file: its size and the ordered list of its chunk ids (a tree of
            chunk lists for large files).
  tree      a directory: sorted entries (name, mode, oid, size).
  commit    tree + parents + author/committer + message + lineage.
  pack      an immutable file of encrypted objects plus an encrypted header.
  keyring   the repository's random keys, encrypted under the key-encryption key.

Plumbing never prints, never reads os.environ and never imports click.
"""

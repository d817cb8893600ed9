"""The metadata store: repositories, tokens, refs, pack index, commit graph, audit.

One SQL implementation (``SqlStore``) over two dialects: sqlite.py (embedded
default) and postgres.py (production).  Queries are written with ``?``
placeholders; the PostgreSQL connection translates them.  Everything the server
knows that is not a pack lives here, so the server process itself is stateless.

Glossary:
  repo      a named repository on this server (one server, many repositories)
  ref       name -> (target commit id, sealed value, version); version counts
            updates and is what compare-and-swap compares
  pack      an uploaded, hash-verified pack; its entries are (oid, off, len, kind)
  graph     commit id -> parent ids, plus the packs each commit's push brought
"""
from __future__ import annotations

import hashlib
import secrets
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from ldv.plumbing.errors import BadInput, NonFastForward, RefConflict

from .errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from .migrations import migrations
from .validate import check_hex_id, check_ref_name, check_repo_name

ROLES = ("read", "write", "admin")
KINDS = ("data", "meta")
_BATCH = 500   # ids per IN (...) list: far below SQLite's variable limit


@dataclass(frozen=True)
class Token:
    id: int
    repo: str
    role: str
    user: str
    created_at: int
    revoked_at: int | None

    def allows(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class Ref:
    name: str
    target: str
    sealed: bytes
    version: int


@dataclass(frozen=True)
class PackInfo:
    name: str
    size: int
    kind: str
    part_size: int = 0      # 0: the whole pack is part 0


@dataclass(frozen=True)
class Entry:
    oid: str
    pack: str
    off: int
    len: int
    kind: str


@dataclass(frozen=True)
class AuditRecord:
    at: int
    repo: str
    actor: str
    action: str
    target: str
    detail: str
    remote: str
    allowed: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _batches(items: Sequence, n: int = _BATCH) -> Iterator[Sequence]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _marks(n: int) -> str:
    return ",".join("?" * n)


def check_entries(pack: str, size: int, kind: str, entries: Iterable) -> list[tuple]:
    """Validate a pack's entry list; return it as (oid, off, len, kind) tuples."""
    check_hex_id(pack)
    if kind not in KINDS:
        raise ValidationFailed(f"pack kind must be data or meta, not {kind!r}")
    if not isinstance(size, int) or size <= 0:
        raise ValidationFailed(f"bad size for pack {pack[:12]}")
    rows = []
    for entry in entries:
        try:
            oid, off, length, ekind = entry
        except (TypeError, ValueError):
            raise ValidationFailed(f"bad entry in pack {pack[:12]}: {str(entry)[:80]}",
                                   hint="entries are [oid, offset, length, kind]") from None
        check_hex_id(oid)
        if ekind not in KINDS or not isinstance(off, int) or not isinstance(length, int) \
                or off < 0 or length <= 0 or off + length > size:
            raise ValidationFailed(f"bad entry for {oid[:12]} in pack {pack[:12]}")
        rows.append((oid, off, length, ekind))
    return rows


class SqlStore(ABC):
    """Metadata store over a DB-API connection factory; see sqlite.py, postgres.py."""

    dialect = "sqlite"

    # -- connection plumbing, provided by the dialect ------------------------------

    @abstractmethod
    def _tx(self, write: bool = False):
        """A context manager yielding a cursor inside one transaction."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection(s)."""

    # -- schema ---------------------------------------------------------------------

    def schema_version(self) -> int:
        with self._tx() as cur:
            self._ensure_version_table(cur)
            cur.execute("SELECT MAX(version) FROM schema_version")
            row = cur.fetchone()
        return row[0] or 0

    def migrate(self) -> list[int]:
        """Apply pending migrations in order; return the versions applied."""
        applied = []
        for version, statements in migrations(self.dialect):
            with self._tx(write=True) as cur:
                self._lock_for_migration(cur)
                self._ensure_version_table(cur)
                cur.execute("SELECT MAX(version) FROM schema_version")
                if (cur.fetchone()[0] or 0) >= version:
                    continue
                for stmt in statements:
                    cur.execute(stmt)
                cur.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                            (version, int(time.time())))
                applied.append(version)
        return applied

    def _lock_for_migration(self, cur) -> None:
        """Serialize servers that start at once (SQLite: BEGIN IMMEDIATE does it)."""

    @staticmethod
    def _ensure_version_table(cur) -> None:
        cur.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                    "version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)")

    # -- repositories ---------------------------------------------------------------

    def create_repo(self, name: str) -> int:
        check_repo_name(name)
        with self._tx(write=True) as cur:
            cur.execute("SELECT id FROM repos WHERE name = ?", (name,))
            if cur.fetchone():
                raise BadInput(f"repository {name!r} already exists",
                               hint="pick another name or delete it first")
            cur.execute("INSERT INTO repos (name, created_at) VALUES (?, ?)",
                        (name, int(time.time())))
            cur.execute("SELECT id FROM repos WHERE name = ?", (name,))
            return cur.fetchone()[0]

    def list_repos(self) -> list[str]:
        with self._tx() as cur:
            cur.execute("SELECT name FROM repos ORDER BY name")
            return [r[0] for r in cur.fetchall()]

    _ID_TTL = 5.0   # seconds a name -> id lookup is reused (ids never change)

    def repo_id(self, name: str) -> int:
        cache = self.__dict__.setdefault("_repo_ids", {})
        hit = cache.get(name)
        if hit and time.monotonic() - hit[0] < self._ID_TTL:
            return hit[1]
        rid = self._repo_id_uncached(name)
        if len(cache) > 10_000:
            cache.clear()
        cache[name] = (time.monotonic(), rid)
        return rid

    def cached_repo_id(self, name: str) -> int | None:
        """The id of ``name`` if looked up recently (no database round trip)."""
        hit = self.__dict__.get("_repo_ids", {}).get(name)
        return hit[1] if hit and time.monotonic() - hit[0] < self._ID_TTL else None

    def _repo_id_uncached(self, name: str) -> int:
        with self._tx() as cur:
            cur.execute("SELECT id FROM repos WHERE name = ?", (name,))
            row = cur.fetchone()
        if not row:
            raise NotFound(f"no repository named {name!r}", code="repo_not_found",
                           hint="list them with `ldv-server repo list`")
        return row[0]

    def delete_repo(self, name: str) -> int:
        """Delete a repository's metadata (not its audit trail); return its id."""
        rid = self.repo_id(name)
        self.__dict__.get("_repo_ids", {}).pop(name, None)
        with self._tx(write=True) as cur:
            for table in ("tokens", "refs", "protected", "packs", "objects",
                          "commits", "commit_parents", "commit_packs", "uploads"):
                cur.execute(f"DELETE FROM {table} WHERE repo_id = ?", (rid,))
            cur.execute("DELETE FROM repos WHERE id = ?", (rid,))
        return rid

    # -- tokens ---------------------------------------------------------------------

    def create_token(self, repo: str, role: str, user: str = "") -> tuple[int, str]:
        """Make a 256-bit token; store only its SHA-256; return (id, token)."""
        if role not in ROLES:
            raise BadInput(f"unknown role {role!r}", hint="use read, write or admin")
        rid = self.repo_id(repo)
        token = "ldv_" + secrets.token_urlsafe(32)
        with self._tx(write=True) as cur:
            cur.execute("INSERT INTO tokens (repo_id, hash, role, user_name, created_at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (rid, hash_token(token), role, user or "", int(time.time())))
            cur.execute("SELECT id FROM tokens WHERE hash = ?", (hash_token(token),))
            return cur.fetchone()[0], token

    def list_tokens(self, repo: str | None = None) -> list[Token]:
        q = ("SELECT t.id, r.name, t.role, t.user_name, t.created_at, t.revoked_at"
             " FROM tokens t JOIN repos r ON r.id = t.repo_id")
        args: tuple = ()
        if repo is not None:
            q += " WHERE r.name = ?"
            args = (repo,)
        with self._tx() as cur:
            cur.execute(q + " ORDER BY t.id", args)
            return [Token(*row) for row in cur.fetchall()]

    def revoke_token(self, token_id: int) -> None:
        with self._tx(write=True) as cur:
            cur.execute("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                        (int(time.time()), token_id))
            if cur.rowcount != 1:
                raise NotFound(f"no active token with id {token_id}", code="token_not_found",
                               hint="see `ldv-server token list`")

    def authenticate(self, token: str) -> Token:
        """The active token whose hash matches; Unauthorized otherwise."""
        with self._tx() as cur:
            cur.execute("SELECT t.id, r.name, t.role, t.user_name, t.created_at, t.revoked_at"
                        " FROM tokens t JOIN repos r ON r.id = t.repo_id"
                        " WHERE t.hash = ? AND t.revoked_at IS NULL", (hash_token(token),))
            row = cur.fetchone()
        if not row:
            raise Unauthorized("unknown or revoked token",
                               hint="ask an admin for a token, then `ldv login`")
        return Token(*row)

    # -- branch protection ----------------------------------------------------------

    def protect(self, repo: str, branch: str) -> None:
        check_ref_name(branch)
        rid = self.repo_id(repo)
        with self._tx(write=True) as cur:
            cur.execute("INSERT INTO protected (repo_id, branch) VALUES (?, ?)"
                        " ON CONFLICT DO NOTHING", (rid, branch))

    def is_protected(self, repo: str, ref: str) -> bool:
        rid = self.repo_id(repo)
        short = ref.removeprefix("refs/heads/")
        with self._tx() as cur:
            cur.execute("SELECT 1 FROM protected WHERE repo_id = ? AND branch IN (?, ?)",
                        (rid, short, ref))
            return cur.fetchone() is not None

    # -- refs -----------------------------------------------------------------------

    def list_refs(self, repo: str) -> list[Ref]:
        rid = self.repo_id(repo)
        with self._tx() as cur:
            cur.execute("SELECT name, target, sealed, version FROM refs"
                        " WHERE repo_id = ? ORDER BY name", (rid,))
            return [Ref(n, t, bytes(s), v) for n, t, s, v in cur.fetchall()]

    def get_ref(self, repo: str, name: str) -> Ref | None:
        rid = self.repo_id(repo)
        with self._tx() as cur:
            cur.execute("SELECT name, target, sealed, version FROM refs"
                        " WHERE repo_id = ? AND name = ?", (rid, name))
            row = cur.fetchone()
        return Ref(row[0], row[1], bytes(row[2]), row[3]) if row else None

    def update_ref(self, repo: str, name: str, *, expected_version: int,
                   target: str | None, sealed: bytes = b"", force: bool = False) -> int:
        """Compare-and-swap ``name``: succeed only if its version is ``expected_version``
        (0: must not exist).  ``target`` None deletes.  Fast-forward is enforced
        unless ``force``; protected branches refuse force and delete.  Return the
        new version (0 after a delete)."""
        check_ref_name(name)
        rid = self.repo_id(repo)
        is_tag = name.startswith("refs/tags/")
        if target is not None:
            check_hex_id(target)
            if is_tag and target in self.lookup_objects(repo, [target]):
                pass            # an annotated tag: any uploaded object may be named
            else:
                self._require_commit(rid, target)
        if (force or target is None) and self.is_protected(repo, name):
            raise Forbidden(f"{name} is protected: no force-push, no delete",
                            code="protected_branch",
                            hint="merge the remote branch and push a fast-forward")
        current = self.get_ref(repo, name)
        if is_tag and current and target is not None and target != current.target \
                and not force:
            raise NonFastForward(f"tag {name} already exists on the remote",
                                 hint="tags do not move; delete it there first or --force")
        if not is_tag and current and target is not None and not force \
                and not self.is_ancestor(repo, current.target, target):
            raise NonFastForward(f"{name}: {target[:12]} does not contain {current.target[:12]}",
                                 hint="fetch, merge, and push again (or --force)")
        with self._tx(write=True) as cur:
            return self._swap(cur, rid, name, expected_version, target, sealed)

    def _swap(self, cur, rid, name, expected, target, sealed) -> int:
        now = int(time.time())
        if expected == 0 and target is not None:
            cur.execute("INSERT INTO refs (repo_id, name, target, sealed, version, updated_at)"
                        " VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT DO NOTHING",
                        (rid, name, target, sealed, now))
            new = 1
        elif target is None:
            cur.execute("DELETE FROM refs WHERE repo_id = ? AND name = ? AND version = ?",
                        (rid, name, expected))
            new = 0
        else:
            cur.execute("UPDATE refs SET target = ?, sealed = ?, version = version + 1,"
                        " updated_at = ? WHERE repo_id = ? AND name = ? AND version = ?",
                        (target, sealed, now, rid, name, expected))
            new = expected + 1
        if cur.rowcount != 1:
            raise RefConflict(f"{name} changed on the server (expected version {expected})",
                              hint="fetch and try again")
        return new

    # -- packs and objects ----------------------------------------------------------

    def register_pack(self, repo: str, pack: str, size: int, kind: str,
                      entries: Iterable[tuple[str, int, int, str]], part_size: int = 0) -> None:
        """Record a verified pack and its entries (the caller checked the hash)."""
        rows = check_entries(pack, size, kind, entries)
        rid = self.repo_id(repo)
        with self._tx(write=True) as cur:
            cur.execute("INSERT INTO packs (repo_id, name, size, kind, created_at, part_size)"
                        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        (rid, pack, size, kind, int(time.time()), part_size))
            cur.executemany("INSERT INTO objects (repo_id, oid, pack, off, len, kind)"
                            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                            [(rid, pack_oid, pack, o, n, k) for pack_oid, o, n, k in rows])

    def get_pack(self, repo: str, pack: str) -> PackInfo | None:
        rid = self.repo_id(repo)
        with self._tx() as cur:
            cur.execute("SELECT name, size, kind, part_size FROM packs"
                        " WHERE repo_id = ? AND name = ?",
                        (rid, pack))
            row = cur.fetchone()
        return PackInfo(*row) if row else None

    def pack_entries(self, repo: str, pack: str) -> list[Entry]:
        rid = self.repo_id(repo)
        with self._tx() as cur:
            cur.execute("SELECT oid, pack, off, len, kind FROM objects"
                        " WHERE repo_id = ? AND pack = ? ORDER BY off", (rid, pack))
            return [Entry(*r) for r in cur.fetchall()]

    def lookup_objects(self, repo: str, oids: Sequence[str]) -> dict[str, Entry]:
        """Where each known id is stored; unknown ids are left out."""
        rid = self.repo_id(repo)
        found: dict[str, Entry] = {}
        with self._tx() as cur:
            for batch in _batches(list(oids)):
                cur.execute("SELECT oid, pack, off, len, kind FROM objects WHERE repo_id = ?"
                            f" AND oid IN ({_marks(len(batch))})", (rid, *batch))
                found.update((r[0], Entry(*r)) for r in cur.fetchall())
        return found

    # -- unfinished uploads ---------------------------------------------------------

    def touch_upload(self, repo_id: int, pack: str, now: int | None = None) -> None:
        """Note that a part of ``pack`` arrived (or was found) at ``now``."""
        with self._tx(write=True) as cur:
            cur.execute("INSERT INTO uploads (repo_id, pack, seen_at) VALUES (?, ?, ?)"
                        " ON CONFLICT (repo_id, pack) DO UPDATE SET seen_at = excluded.seen_at",
                        (repo_id, pack, int(time.time()) if now is None else now))

    def end_upload(self, repo_id: int, pack: str) -> None:
        with self._tx(write=True) as cur:
            cur.execute("DELETE FROM uploads WHERE repo_id = ? AND pack = ?", (repo_id, pack))

    def uploads(self, seen_before: int | None = None) -> list[tuple[int, str, int]]:
        """(repo id, pack, seen_at) of unfinished uploads, optionally only stale ones."""
        with self._tx() as cur:
            cur.execute("SELECT repo_id, pack, seen_at FROM uploads WHERE seen_at < ?"
                        " ORDER BY repo_id, pack", (2 ** 62 if seen_before is None
                                                    else seen_before,))
            return [tuple(r) for r in cur.fetchall()]

    def is_registered(self, repo_id: int, pack: str) -> bool:
        with self._tx() as cur:
            cur.execute("SELECT 1 FROM packs WHERE repo_id = ? AND name = ?", (repo_id, pack))
            return cur.fetchone() is not None

    # -- commit graph ---------------------------------------------------------------

    def add_commits(self, repo: str, commits: dict[str, list[str]],
                    packs: Sequence[str]) -> None:
        """Register commits (id -> parents) and the packs their push brought.

        Bottom-up: every commit must already be an object in a registered pack,
        every parent a registered commit or one of this batch, every pack registered.
        """
        rid = self.repo_id(repo)
        for oid, parents in commits.items():
            check_hex_id(oid)
            for p in parents:
                check_hex_id(p)
        known = self.lookup_objects(repo, list(commits))
        missing = [c for c in commits if c not in known]
        if missing:
            raise ValidationFailed(f"commit {missing[0][:12]} is in no uploaded pack",
                                   code="missing_objects",
                                   hint="upload the packs before the commit graph")
        self._require_packs(rid, packs)
        parents = {p for ps in commits.values() for p in ps} - set(commits)
        self._require_commits(rid, sorted(parents))
        now = int(time.time())
        with self._tx(write=True) as cur:
            cur.executemany("INSERT INTO commits (repo_id, oid, created_at) VALUES (?, ?, ?)"
                            " ON CONFLICT DO NOTHING", [(rid, c, now) for c in commits])
            cur.executemany("INSERT INTO commit_parents (repo_id, child, pos, parent)"
                            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                            [(rid, c, i, p) for c, ps in commits.items()
                             for i, p in enumerate(ps)])
            cur.executemany("INSERT INTO commit_packs (repo_id, commit_oid, pack)"
                            " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                            [(rid, c, p) for c in commits for p in packs])

    def _require_packs(self, rid: int, packs: Sequence[str]) -> None:
        self._require(rid, "packs", "name", packs, lambda p: ValidationFailed(
            f"pack {p[:12]} was never uploaded", code="missing_pack",
            hint="upload and finish the pack first"))

    def _require_commits(self, rid: int, oids: Sequence[str]) -> None:
        self._require(rid, "commits", "oid", oids, lambda c: ValidationFailed(
            f"commit {c[:12]} is not on the server", code="missing_commit",
            hint="push its ancestors first (bottom-up)"))

    def _require(self, rid: int, table: str, column: str, keys: Sequence[str],
                 missing) -> None:
        """Raise ``missing(key)`` for the first of ``keys`` not in ``table``."""
        with self._tx() as cur:
            for batch in _batches(list(keys)):
                cur.execute(f"SELECT {column} FROM {table} WHERE repo_id = ? AND {column}"
                            f" IN ({_marks(len(batch))})", (rid, *batch))
                have = {r[0] for r in cur.fetchall()}
                lost = [k for k in batch if k not in have]
                if lost:
                    raise missing(lost[0])

    def known_commits(self, repo: str, oids: Sequence[str]) -> set[str]:
        """The ids among ``oids`` that are registered commits."""
        rid = self.repo_id(repo)
        out: set[str] = set()
        with self._tx() as cur:
            for batch in _batches(list(oids)):
                cur.execute(f"SELECT oid FROM commits WHERE repo_id = ? AND oid IN"
                            f" ({_marks(len(batch))})", (rid, *batch))
                out.update(r[0] for r in cur.fetchall())
        return out

    def parents_of(self, repo: str, oids: Sequence[str]) -> dict[str, list[str]]:
        """{commit: [parent ids in order]} for the registered commits among ``oids``."""
        rid = self.repo_id(repo)
        out: dict[str, list[str]] = {}
        with self._tx() as cur:
            for batch in _batches(list(oids)):
                cur.execute(f"SELECT oid FROM commits WHERE repo_id = ? AND oid IN"
                            f" ({_marks(len(batch))})", (rid, *batch))
                out.update((r[0], []) for r in cur.fetchall())
                cur.execute(f"SELECT child, pos, parent FROM commit_parents WHERE"
                            f" repo_id = ? AND child IN ({_marks(len(batch))})"
                            f" ORDER BY child, pos", (rid, *batch))
                for child, _pos, parent in cur.fetchall():
                    out[child].append(parent)
        return out

    def _require_commit(self, rid: int, oid: str) -> None:
        self._require_commits(rid, [oid])

    def is_ancestor(self, repo: str, ancestor: str, descendant: str) -> bool:
        """True if ``ancestor`` is ``descendant`` or reachable from it by parents."""
        rid = self.repo_id(repo)
        with self._tx() as cur:
            cur.execute("WITH RECURSIVE a(oid) AS (SELECT CAST(? AS TEXT)"
                        " UNION SELECT p.parent FROM a"
                        " JOIN commit_parents p ON p.repo_id = ? AND p.child = a.oid)"
                        " SELECT 1 FROM a WHERE oid = ? LIMIT 1",
                        (descendant, rid, ancestor))
            return cur.fetchone() is not None

    def missing_commits(self, repo: str, wants: Sequence[str], haves: Sequence[str],
                        depth: int | None = None) -> list[str]:
        """Commits reachable from ``wants`` (within ``depth``) and not from ``haves``.

        One recursive query, so the cost in round trips does not grow with history.
        Unknown haves are ignored (a client may send commits it never pushed)."""
        rid = self.repo_id(repo)
        wants, haves = list(wants)[:1000], list(haves)[:1000]
        if not wants:
            return []
        have_q = (f"h(oid) AS (SELECT oid FROM commits WHERE repo_id = ? AND oid IN"
                  f" ({_marks(len(haves)) or 'NULL'}) UNION SELECT p.parent FROM h"
                  f" JOIN commit_parents p ON p.repo_id = ? AND p.child = h.oid)")
        want_q = (f"w(oid, d) AS (SELECT oid, 1 FROM commits WHERE repo_id = ? AND oid IN"
                  f" ({_marks(len(wants))}) AND oid NOT IN (SELECT oid FROM h)"
                  f" UNION SELECT p.parent, w.d + 1 FROM w JOIN commit_parents p"
                  f" ON p.repo_id = ? AND p.child = w.oid WHERE w.d < ?"
                  f" AND p.parent NOT IN (SELECT oid FROM h))")
        with self._tx() as cur:
            cur.execute(f"WITH RECURSIVE {have_q}, {want_q} SELECT oid, MIN(d) FROM w"
                        f" GROUP BY oid ORDER BY MIN(d), oid",
                        (rid, *haves, rid, rid, *wants, rid, depth or 2 ** 40))
            return [r[0] for r in cur.fetchall()]

    def packs_for_commits(self, repo: str, commits: Sequence[str]) -> list[PackInfo]:
        rid = self.repo_id(repo)
        found: dict[str, PackInfo] = {}
        with self._tx() as cur:
            for batch in _batches(list(commits)):
                cur.execute("SELECT DISTINCT p.name, p.size, p.kind, p.part_size"
                            " FROM commit_packs c"
                            " JOIN packs p ON p.repo_id = c.repo_id AND p.name = c.pack"
                            f" WHERE c.repo_id = ? AND c.commit_oid IN ({_marks(len(batch))})",
                            (rid, *batch))
                found.update((r[0], PackInfo(*r)) for r in cur.fetchall())
        return sorted(found.values(), key=lambda p: (p.kind != "meta", p.name))

    # -- audit ----------------------------------------------------------------------

    def audit(self, repo: str, actor: str, action: str, target: str, *,
              allowed: bool, detail: str = "", remote: str = "") -> None:
        with self._tx(write=True) as cur:
            cur.execute("INSERT INTO audit (at, repo, actor, action, target, detail, remote,"
                        " allowed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (time.time_ns() // 1000, repo, actor, action, target, detail,
                         remote, bool(allowed)))

    def audit_log(self, repo: str | None = None, limit: int = 1000) -> list[AuditRecord]:
        q = "SELECT at, repo, actor, action, target, detail, remote, allowed FROM audit"
        args: tuple = ()
        if repo is not None:
            q += " WHERE repo = ?"
            args = (repo,)
        with self._tx() as cur:
            cur.execute(q + " ORDER BY id DESC LIMIT ?", (*args, limit))
            return [AuditRecord(*r[:7], bool(r[7])) for r in cur.fetchall()]

"""merge, --abort, --continue, checkout --ours/--theirs, cherry-pick and revert on
a real (encrypted, on-disk) repository, through the Workspace."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ldv.plumbing.errors import (BadInput, Conflict, MergeConflict, NonFastForward,
                                 RepositoryError, WouldClobber)
from ldv.plumbing.index import UNMERGED, load_index
from ldv.plumbing.keys import MasterKey
from ldv.plumbing.objects import MODE_EXEC, read_commit
from ldv.plumbing.repository import Repo
from ldv.porcelain import cherrypick, mergeops
from ldv.porcelain.mergebase import merge_bases
from ldv.porcelain.treemerge import DirectoryFileConflict
from ldv.porcelain.worktree import Identity, Workspace

ME = Identity("T", "t@example.com")
OTHER = Identity("Other", "o@example.com")


class W:
    """A work tree with short helpers: write, commit, branch, merge."""

    def __init__(self, root: Path):
        root.mkdir()
        self.root = root
        self.ws = Workspace(Repo.init(root, MasterKey.generate(), kdf="fast"))
        self.t = 1_700_000_000

    def write(self, files: dict) -> None:
        for p, data in files.items():
            full = self.root / p
            if data is None:
                full.unlink()
                continue
            full.parent.mkdir(parents=True, exist_ok=True)
            full.write_bytes(data.encode() if isinstance(data, str) else data)

    def commit(self, files: dict, msg: str = "c", author=ME) -> bytes:
        self.write(files)
        self.ws.add(["."])
        self.t += 10
        return self.ws.commit(msg, author=author, now=self.t)

    def switch(self, b: str, create: bool = False) -> None:
        self.ws.switch(b, create=create)

    def merge(self, rev: str, **kw):
        oid = self.ws.repo.refs.read(f"refs/heads/{rev}")
        self.t += 10
        return mergeops.merge(self.ws, oid, rev, author=ME, now=self.t, **kw)

    def read(self, p: str) -> str:
        return (self.root / p).read_text()

    def snapshot(self) -> dict:
        out = {}
        for dirpath, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if d != ".ldv"]
            for f in files:
                full = Path(dirpath) / f
                out[str(full.relative_to(self.root))] = (full.read_bytes(),
                                                          os.stat(full).st_mode)
        return out

    def porcelain(self) -> list[str]:
        return self.ws.status().porcelain_lines()

    def head(self) -> bytes:
        return self.ws.head_commit()


@pytest.fixture
def w(tmp_path) -> W:
    w = W(tmp_path / "r")
    w.commit({"a.txt": "1\n2\n3\n4\n5\n6\n7\n", "b.txt": "b\n"}, "base")
    return w


def diverge(w: W, ours: dict, theirs: dict) -> None:
    w.switch("side", create=True)
    w.commit(theirs, "theirs")
    w.switch("main")
    w.commit(ours, "ours")


def test_fast_forward_moves_branch_and_files(w):
    w.switch("side", create=True)
    tip = w.commit({"c.txt": "new\n"})
    w.switch("main")
    out = w.merge("side")
    assert out.kind == "fast-forward" and w.head() == tip
    assert w.read("c.txt") == "new\n" and w.porcelain() == []
    assert w.merge("side").kind == "up-to-date"


def test_no_ff_makes_a_merge_commit_with_two_parents(w):
    base = w.head()
    w.switch("side", create=True)
    tip = w.commit({"c.txt": "new\n"})
    w.switch("main")
    out = w.merge("side", ff="no")
    c = read_commit(w.ws.repo.odb, out.new)
    assert out.kind == "merge" and c.parents == [base, tip]
    assert c.tree == read_commit(w.ws.repo.odb, tip).tree
    assert c.message == "Merge branch 'side'\n"


def test_ff_only_refuses_a_diverged_branch_and_changes_nothing(w):
    diverge(w, {"a.txt": "x\n"}, {"b.txt": "y\n"})
    before, head = w.snapshot(), w.head()
    with pytest.raises(NonFastForward):
        w.merge("side", ff="only")
    assert w.snapshot() == before and w.head() == head


def test_clean_three_way_merge(w):
    diverge(w, {"a.txt": "1\nO\n3\n4\n5\n6\n7\n"},
            {"a.txt": "1\n2\n3\n4\n5\n6\nT\n", "b.txt": None, "n.txt": "n\n"})
    ours = w.head()
    out = w.merge("side")
    assert out.kind == "merge" and out.auto_merged == ["a.txt"]
    assert w.read("a.txt") == "1\nO\n3\n4\n5\n6\nT\n"
    assert not (w.root / "b.txt").exists() and w.read("n.txt") == "n\n"
    assert read_commit(w.ws.repo.odb, out.new).parents[0] == ours
    assert w.porcelain() == []


def test_conflict_then_abort_restores_exactly(w):
    w.commit({"keep.txt": "k\n"})
    diverge(w, {"a.txt": "1\nO\n3\n4\n5\n6\n7\n"},
            {"a.txt": "1\nT\n3\n4\n5\n6\n7\n", "n.txt": "n\n", "b.txt": None})
    w.write({"keep.txt": "local edit\n"})     # untouched by the merge: must survive
    before, head = w.snapshot(), w.head()
    status_before = w.porcelain()
    with pytest.raises(MergeConflict) as ei:
        w.merge("side")
    assert ei.value.exit_code == 1
    assert [c.path for c in ei.value.outcome.conflicts] == ["a.txt"]
    assert w.read("a.txt") == ("1\n<<<<<<< HEAD\nO\n=======\nT\n>>>>>>> side\n"
                               "3\n4\n5\n6\n7\n")
    assert w.porcelain() == ["UU a.txt", "D  b.txt", " M keep.txt", "A  n.txt"]
    w.write({"a.txt": "half-resolved\n"})
    mergeops.abort(w.ws)
    assert w.snapshot() == before and w.head() == head
    assert w.porcelain() == status_before
    assert mergeops.read_state(w.ws.repo) is None


def test_continue_refuses_until_resolved_then_commits(w):
    diverge(w, {"a.txt": "O\n"}, {"a.txt": "T\n"})
    ours, theirs = w.head(), w.ws.repo.refs.read("refs/heads/side")
    with pytest.raises(MergeConflict):
        w.merge("side")
    with pytest.raises(Conflict, match="unmerged"):
        mergeops.continue_(w.ws, author=ME)
    w.ws.add(["a.txt"])                      # still holds the markers
    assert w.porcelain() == ["M  a.txt"]
    with pytest.raises(Conflict, match="a.txt"):
        mergeops.continue_(w.ws, author=ME)
    w.write({"a.txt": "resolved\n"})
    w.ws.add(["a.txt"])
    oid = mergeops.continue_(w.ws, author=ME)
    c = read_commit(w.ws.repo.odb, oid)
    assert c.parents == [ours, theirs] and c.message == "Merge branch 'side'\n"
    assert w.porcelain() == [] and mergeops.read_state(w.ws.repo) is None


def test_plain_commit_concludes_a_merge(w):
    diverge(w, {"a.txt": "O\n"}, {"a.txt": "T\n"})
    with pytest.raises(MergeConflict):
        w.merge("side")
    with pytest.raises(Conflict):
        w.ws.commit("m", author=ME)
    w.write({"a.txt": "O\n"})                # resolved to ours: same tree as HEAD
    w.ws.add(["a.txt"])
    oid = w.ws.commit("merged", author=ME)
    assert len(read_commit(w.ws.repo.odb, oid).parents) == 2


def test_checkout_ours_and_theirs(w):
    diverge(w, {"a.txt": "O\n"}, {"a.txt": "T\n"})
    with pytest.raises(MergeConflict):
        w.merge("side")
    mergeops.checkout_side(w.ws, ["a.txt"], "theirs")
    assert w.read("a.txt") == "T\n" and w.porcelain() == ["UU a.txt"]
    mergeops.checkout_side(w.ws, ["a.txt"], "ours")
    assert w.read("a.txt") == "O\n"
    with pytest.raises(BadInput):
        mergeops.checkout_side(w.ws, ["b.txt"], "ours")
    w.ws.add(["a.txt"])                      # unchanged content still resolves
    assert not any(e.flags & UNMERGED for e in load_index(w.ws.repo).entries.values())


def test_modify_delete_both_ways(w):
    diverge(w, {"a.txt": None, "b.txt": "ours b\n"},
            {"a.txt": "1\n2\nT\n", "b.txt": None})
    with pytest.raises(MergeConflict) as ei:
        w.merge("side")
    kinds = {c.path: (c.code, c.kind) for c in ei.value.outcome.conflicts}
    assert kinds == {"a.txt": ("DU", "modify/delete"), "b.txt": ("UD", "modify/delete")}
    assert w.porcelain() == ["DU a.txt", "UD b.txt"]
    assert w.read("a.txt") == "1\n2\nT\n" and w.read("b.txt") == "ours b\n"
    lines = mergeops.describe(ei.value.outcome)
    assert "CONFLICT (modify/delete): a.txt deleted in HEAD and modified in side.  " \
           "Version side of a.txt left in tree." in lines
    with pytest.raises(BadInput, match="does not have our version"):
        mergeops.checkout_side(w.ws, ["a.txt"], "ours")
    w.ws.rm(["b.txt"])
    w.ws.add(["a.txt"])
    oid = mergeops.continue_(w.ws, author=ME)
    files = w.ws.files_of(read_commit(w.ws.repo.odb, oid).tree)
    assert sorted(files) == ["a.txt"]


def test_add_add(w):
    diverge(w, {"new.txt": "x\nours\n"}, {"new.txt": "x\ntheirs\n"})
    with pytest.raises(MergeConflict) as ei:
        w.merge("side")
    assert ei.value.outcome.conflicts[0].kind == "add/add"
    assert w.porcelain() == ["AA new.txt"]
    assert w.read("new.txt") == "x\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> side\n"


def test_add_add_identical_is_clean(w):
    diverge(w, {"new.txt": "same\n"}, {"new.txt": "same\n"})
    assert w.merge("side").kind == "merge" and w.read("new.txt") == "same\n"


def test_mode_change_on_one_side_content_on_the_other(w):
    w.switch("side", create=True)
    os.chmod(w.root / "a.txt", 0o755)
    w.commit({})
    w.switch("main")
    w.commit({"a.txt": "1\n2\n3\n4\n5\n6\nO\n"})
    out = w.merge("side")
    e = w.ws.files_of(read_commit(w.ws.repo.odb, out.new).tree)["a.txt"]
    assert e.mode == MODE_EXEC and w.read("a.txt").endswith("O\n")
    assert os.stat(w.root / "a.txt").st_mode & 0o100


def test_binary_conflict_keeps_ours(w):
    diverge(w, {"bin": b"\0ours"}, {"bin": b"\0theirs"})
    with pytest.raises(MergeConflict) as ei:
        w.merge("side")
    assert (w.root / "bin").read_bytes() == b"\0ours"
    assert "warning: Cannot merge binary files: bin (HEAD vs. side)" in \
        mergeops.describe(ei.value.outcome)


def test_records_merge_by_key_from_ldvattributes(w):
    base = "".join(json.dumps({"id": i, "v": i}) + "\n" for i in range(1, 6))
    w.commit({"data/t.jsonl": base, ".ldvattributes": "data/*.jsonl merge=records key=id\n"})
    ours = base.replace('"v": 1}', '"v": 10}').replace('"v": 3}', '"v": 30}')
    theirs = base.replace('"v": 2}', '"v": 20}').replace('"v": 3}', '"v": 31}') \
        + json.dumps({"id": 9, "v": 9}) + "\n"
    diverge(w, {"data/t.jsonl": ours}, {"data/t.jsonl": theirs})
    with pytest.raises(MergeConflict) as ei:
        w.merge("side")
    c = ei.value.outcome.conflicts[0]
    assert (c.driver, c.keys, c.key_count) == ("records", ["id=3"], 1)
    assert "CONFLICT (records): 1 record(s) conflict in data/t.jsonl: id=3" in \
        mergeops.describe(ei.value.outcome)
    rows = [json.loads(x) for x in w.read("data/t.jsonl").splitlines()]
    assert rows == [{"id": 1, "v": 10}, {"id": 2, "v": 20}, {"id": 3, "v": 30},
                    {"id": 4, "v": 4}, {"id": 5, "v": 5}, {"id": 9, "v": 9}]


def test_records_disjoint_edits_merge_clean(w):
    base = "".join(json.dumps({"id": i}) + "\n" for i in range(4))
    w.commit({"t.jsonl": base, ".ldvattributes": "*.jsonl merge=records key=id\n"})
    diverge(w, {"t.jsonl": base + '{"id": 7}\n'}, {"t.jsonl": base.replace('{"id": 0}\n', "")})
    w.merge("side")
    assert w.read("t.jsonl") == '{"id": 1}\n{"id": 2}\n{"id": 3}\n{"id": 7}\n'


def test_criss_cross_uses_a_virtual_base(w):
    lines = [str(i) for i in range(1, 10)]

    def text(**edits):
        return "".join(edits.get(f"l{i}", x) + "\n" for i, x in enumerate(lines, 1))

    w.commit({"a.txt": text()}, "nine lines")
    w.switch("side", create=True)
    s1 = w.commit({"a.txt": text(l8="s")}, "S1")
    w.switch("main")
    m1 = w.commit({"a.txt": text(l2="m")}, "M1")
    w.merge("side")                                   # M2 = M1 + S1
    w.switch("side")
    w.t += 10
    mergeops.merge(w.ws, m1, "M1", author=ME, now=w.t)  # S2 = S1 + M1
    w.commit({"a.txt": text(l2="m", l8="s", l1="y")}, "S3")
    w.switch("main")
    w.commit({"a.txt": text(l2="m", l8="s2")}, "M3")
    bases = merge_bases(w.ws.repo.odb, w.head(), w.ws.repo.refs.read("refs/heads/side"))
    assert sorted(bases) == sorted([m1, s1])
    # Against M1 alone line 8 would conflict (s2 vs s); the virtual base has "s".
    out = w.merge("side")
    assert out.kind == "merge" and out.bases == 2
    assert w.read("a.txt") == text(l1="y", l2="m", l8="s2")


def test_refuses_staged_changes_and_dirty_files(w):
    diverge(w, {"a.txt": "O\n"}, {"a.txt": "T\n", "b.txt": "bt\n"})
    w.write({"c.txt": "staged\n"})
    w.ws.add(["c.txt"])
    with pytest.raises(WouldClobber, match="staged"):
        w.merge("side")
    w.ws.rm(["c.txt"], cached=True)
    (w.root / "c.txt").unlink()
    w.write({"b.txt": "dirty\n"})
    before = w.snapshot()
    with pytest.raises(WouldClobber, match="b.txt"):
        w.merge("side")
    assert w.snapshot() == before and mergeops.read_state(w.ws.repo) is None


def test_directory_file_conflict_refuses_before_touching(w):
    diverge(w, {"d": "file\n"}, {"d/x": "in dir\n"})
    before = w.snapshot()
    with pytest.raises(DirectoryFileConflict):
        w.merge("side")
    assert w.snapshot() == before


def test_second_merge_while_one_is_pending(w):
    diverge(w, {"a.txt": "O\n"}, {"a.txt": "T\n"})
    with pytest.raises(MergeConflict):
        w.merge("side")
    with pytest.raises(RepositoryError, match="not concluded"):
        w.merge("side")
    w.ws.reset(w.head(), mode="hard")
    assert mergeops.read_state(w.ws.repo) is None and w.porcelain() == []


def test_cherry_pick_applies_one_change_keeping_its_author(w):
    w.switch("side", create=True)
    w.commit({"a.txt": "1\n2\n3\n4\n5\n6\nT\n"}, "first on side")
    pick = w.commit({"a.txt": "P\n2\n3\n4\n5\n6\nT\n"}, "the fix", author=OTHER)
    w.switch("main")
    head = w.head()
    out = cherrypick.cherry_pick(w.ws, pick, author=ME, now=w.t + 5)
    c = read_commit(w.ws.repo.odb, out.new)
    assert c.parents == [head] and c.message == "the fix\n"
    assert c.author == str(OTHER) and c.committer == str(ME)
    assert w.read("a.txt") == "P\n2\n3\n4\n5\n6\n7\n"
    with pytest.raises(cherrypick.EmptyPick):
        cherrypick.cherry_pick(w.ws, pick, author=ME)


def test_revert_undoes_a_change(w):
    c1 = w.commit({"a.txt": "1\nX\n3\n4\n5\n6\n7\n"}, "change two")
    w.commit({"a.txt": "1\nX\n3\n4\n5\n6\nZ\n", "n.txt": "n\n"}, "later")
    out = cherrypick.revert(w.ws, c1, author=ME)
    c = read_commit(w.ws.repo.odb, out.new)
    assert c.message == f'Revert "change two"\n\nThis reverts commit {c1.hex()}.\n'
    assert w.read("a.txt") == "1\n2\n3\n4\n5\n6\nZ\n" and w.read("n.txt") == "n\n"


def test_cherry_pick_conflict_and_continue(w):
    w.switch("side", create=True)
    pick = w.commit({"a.txt": "T\n"}, "theirs")
    w.switch("main")
    w.commit({"a.txt": "O\n"}, "ours")
    with pytest.raises(MergeConflict):
        cherrypick.cherry_pick(w.ws, pick, author=ME)
    assert w.porcelain() == ["UU a.txt"]
    w.write({"a.txt": "both\n"})
    w.ws.add(["a.txt"])
    oid = mergeops.continue_(w.ws, author=ME)
    c = read_commit(w.ws.repo.odb, oid)
    assert len(c.parents) == 1 and c.message == "theirs\n"


def test_switch_refuses_during_a_merge_unless_forced(w):
    diverge(w, {"a.txt": "O\n"}, {"a.txt": "T\n"})
    with pytest.raises(MergeConflict):
        w.merge("side")
    with pytest.raises(RepositoryError, match="resolve your current index"):
        w.switch("side")
    w.ws.switch("side", force=True)
    assert mergeops.read_state(w.ws.repo) is None and w.read("a.txt") == "T\n"
    assert w.porcelain() == []


def test_untracked_file_in_the_way_refuses(w):
    diverge(w, {"a.txt": "O\n"}, {"new.txt": "theirs\n"})
    w.write({"new.txt": "mine, untracked\n"})
    before = w.snapshot()
    with pytest.raises(WouldClobber, match="untracked"):
        w.merge("side")
    assert w.snapshot() == before


def test_symlink_changed_on_both_sides_conflicts_keeping_ours(w):
    os.symlink("a.txt", w.root / "link")
    w.commit({})
    w.switch("side", create=True)
    (w.root / "link").unlink()
    os.symlink("b.txt", w.root / "link")
    w.commit({})
    w.switch("main")
    (w.root / "link").unlink()
    os.symlink("nowhere", w.root / "link")
    w.commit({})
    with pytest.raises(MergeConflict) as ei:
        w.merge("side")
    assert ei.value.outcome.conflicts[0].kind == "symlink"
    assert os.readlink(w.root / "link") == "nowhere"
    mergeops.checkout_side(w.ws, ["link"], "theirs")
    assert os.readlink(w.root / "link") == "b.txt"


def test_csv_merges_by_record_by_default(w):
    w.commit({"t.csv": "id,v\n1,a\n2,b\n3,c\n"})
    diverge(w, {"t.csv": "id,v\n1,A\n2,b\n3,c\n"}, {"t.csv": "id,v\n1,a\n2,b\n3,C\n4,d\n"})
    out = w.merge("side")
    assert out.kind == "merge" and w.read("t.csv") == "id,v\n1,A\n2,b\n3,C\n4,d\n"


def test_merge_on_a_detached_head(w):
    diverge(w, {"a.txt": "1\nO\n3\n4\n5\n6\n7\n"}, {"b.txt": "bt\n"})
    head = w.head()
    w.ws.checkout_detached(head)
    out = w.merge("side")
    assert w.ws.head_branch() is None and w.head() == out.new
    assert w.ws.repo.refs.read("refs/heads/main") == head
    assert read_commit(w.ws.repo.odb, out.new).message == "Merge branch 'side' into HEAD\n"


def _brute_force_bases(odb, a: bytes, b: bytes) -> set[bytes]:
    from ldv.porcelain.mergebase import ancestors
    common = ancestors(odb, a) & ancestors(odb, b)
    return {c for c in common
            if not any(c != o and c in ancestors(odb, o) for o in common)}


@pytest.mark.parametrize("seed", range(6))
def test_merge_bases_equal_the_definition_on_random_dags(tmp_path, seed):
    """Best common ancestors (none descends from another), on random DAGs with
    merges: the paint-down walk finds exactly those."""
    import random

    from tests.porcelain.history import make_commit, make_repo
    r = random.Random(seed)
    repo = make_repo(tmp_path / "dag")
    commits = [make_commit(repo, {"f": b"0"}, (), "root", 1_700_000_000, branch=None)]
    for i in range(1, 40):
        parents = r.sample(commits[-8:], min(len(commits[-8:]), r.choice([1, 1, 2])))
        commits.append(make_commit(repo, {"f": str(i).encode()}, parents, f"c{i}",
                                   1_700_000_000 + i * 10 + r.randint(0, 5), branch=None))
    for _ in range(25):
        a, b = r.sample(commits, 2)
        assert set(merge_bases(repo.odb, a, b)) == _brute_force_bases(repo.odb, a, b)


def test_parquet_records_merge_by_key(w):
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    def table(vals: dict) -> bytes:
        buf = io.BytesIO()
        pq.write_table(pa.table({"id": list(vals), "v": list(vals.values())}), buf)
        return buf.getvalue()

    base = {1: "a", 2: "b", 3: "c"}
    w.commit({"t.parquet": table(base), ".ldvattributes": "*.parquet merge=records key=id\n"})
    diverge(w, {"t.parquet": table({**base, 1: "A"})},
            {"t.parquet": table({**base, 3: "C", 4: "d"})})
    w.merge("side")
    got = pq.read_table(w.root / "t.parquet").to_pydict()
    assert got == {"id": [1, 2, 3, 4], "v": ["A", "b", "C", "d"]}


def test_plain_commit_finishing_a_cherry_pick_keeps_the_original_author(w):
    w.switch("side", create=True)
    pick = w.commit({"a.txt": "T\n"}, "theirs", author=OTHER)
    w.switch("main")
    w.commit({"a.txt": "O\n"}, "ours")
    with pytest.raises(MergeConflict):
        cherrypick.cherry_pick(w.ws, pick, author=ME)
    w.write({"a.txt": "both\n"})
    w.ws.add(["a.txt"])
    oid = w.ws.commit("theirs, resolved", author=ME)
    c = read_commit(w.ws.repo.odb, oid)
    assert c.author == str(OTHER) and c.committer == str(ME) and len(c.parents) == 1
    assert mergeops.read_state(w.ws.repo) is None

"""`ldv status` against origin/BRANCH (what `ldv pull` merges), worded as git's."""
from __future__ import annotations

import ldv


def _set_origin(repo, monkeypatch, rev: str) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", repo.env["XDG_CONFIG_HOME"])
    with ldv.Repository.open(repo.root) as api:
        api.plumbing.refs.set("refs/remotes/origin/main", api.resolve_commit(rev))


def _commit(repo, text: str, path: str = "a.txt") -> None:
    repo.write(path, text + "\n")
    repo("add", path)
    repo("commit", "-q", "-m", text)


def test_no_line_without_a_fetched_branch(repo):
    assert repo("status").output.splitlines()[:2] == [
        "On branch main", "nothing to commit, working tree clean"]
    assert repo("status", "-sb").output == "## main\n"


def test_up_to_date_ahead_behind_and_diverged(repo, monkeypatch):
    _set_origin(repo, monkeypatch, "HEAD")
    assert repo("status").output == ("On branch main\n"
                                     "Your branch is up to date with 'origin/main'.\n\n"
                                     "nothing to commit, working tree clean\n")
    assert repo("status", "-sb").output == "## main...origin/main\n"

    _commit(repo, "two")
    _commit(repo, "three")
    out = repo("status").output.splitlines()
    assert out[1:3] == ["Your branch is ahead of 'origin/main' by 2 commits.",
                        '  (use "ldv push" to publish your local commits)']
    assert repo("status", "-sb").output == "## main...origin/main [ahead 2]\n"

    _set_origin(repo, monkeypatch, "HEAD")
    repo("reset", "-q", "--hard", "HEAD~2")
    out = repo("status").output.splitlines()
    assert out[1] == "Your branch is behind 'origin/main' by 2 commits, and can be fast-forwarded."
    assert repo("status", "-sb").output == "## main...origin/main [behind 2]\n"

    _commit(repo, "mine", "m.txt")
    repo.write("new.txt", "x\n")
    out = repo("status").output.splitlines()
    assert out[1:5] == ["Your branch and 'origin/main' have diverged,",
                        "and have 1 and 2 different commits each, respectively.",
                        '  (use "ldv pull" to merge the remote branch into yours)',
                        ""]
    assert out[5] == "Untracked files:"
    assert repo("status", "-sb").output == "## main...origin/main [ahead 1, behind 2]\n?? new.txt\n"
    repo("merge", "-q", "origin/main", "-m", "merge")       # what `ldv pull` would do
    assert repo("status").output.splitlines()[1] == \
        "Your branch is ahead of 'origin/main' by 2 commits."   # "mine" and the merge

"""The local workflow through the CLI, checked against what Git would print."""
from __future__ import annotations

import json


def test_status_add_commit_log(ldv):
    ldv("init", "-q")
    ldv.write("a.txt", "one\n")
    ldv.write("d/b.bin", b"\0\1\2")
    r = ldv("status", "--porcelain")
    assert r.output == "?? a.txt\n?? d/\n"
    assert "nothing added to commit but untracked files present" in ldv("status").output
    ldv("add", "a.txt")
    assert ldv("status", "-s").output == "A  a.txt\n?? d/\n"
    r = ldv("commit", "-m", "first")
    assert r.output.startswith("[main (root-commit) ") and r.output.endswith("] first\n")
    ldv("add", ".")
    ldv("commit", "-m", "second", "-m", "body text")
    assert ldv("status").output.endswith("nothing to commit, working tree clean\n")
    log = ldv("log").output
    assert log.count("\ncommit ") == 1 and log.startswith("commit ")
    assert "Author: Ada Tester <ada@example.org>" in log
    assert "    second\n\n    body text\n" in log
    one = ldv("log", "--oneline").output.splitlines()
    assert [ln.split(" ", 1)[1] for ln in one] == ["(HEAD -> main) second", "first"]
    assert ldv("log", "-n", "1", "--oneline").output.count("\n") == 1
    assert ldv("log", "--oneline", "--", "a.txt").output.count("\n") == 1
    entries = [json.loads(x) for x in ldv("log", "--format", "json").output.splitlines()]
    assert entries[0]["parents"] == [entries[1]["id"]]


def test_diff_modes_and_exit_code(repo):
    repo("diff", "--exit-code")                       # clean tree: exit 0
    repo.write("a.txt", "alpha\nBETA\n")
    r = repo("diff", "--exit-code", code=1)
    assert "-beta\n+BETA\n" in r.output and r.output.startswith("diff --git a/a.txt b/a.txt\n")
    assert repo("diff", "--cached").output == ""
    repo("add", "a.txt")
    assert repo("diff").output == ""
    assert repo("diff", "--cached", "--name-status").output == "M\ta.txt\n"
    repo("commit", "-q", "-m", "second")
    assert repo("diff", "HEAD~1", "HEAD", "--stat").output == \
        " a.txt | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n"
    assert repo("diff", "HEAD~1..HEAD", "--name-only").output == "a.txt\n"
    j = json.loads(repo("diff", "HEAD~1", "HEAD", "--format", "json").output)
    assert j["changes"][0]["path"] == "a.txt" and j["insertions"] == 1
    md = repo("diff", "HEAD~1", "HEAD", "--format", "markdown").output
    assert "| M | `a.txt` |" in md
    assert md.endswith("\n1 file changed, 1 insertion(+), 1 deletion(-)\n")   # as --stat says it
    repo.write("data/rows.jsonl", '{"id": 1}\n')
    assert repo("diff", "--name-status", "--", "data").output == "M\tdata/rows.jsonl\n"
    assert repo("diff", "--name-status", "--", "a.txt").output == ""
    assert repo("diff", "HEAD", "--name-status").output == "M\tdata/rows.jsonl\n"


def test_diff_worktree_deleted_and_unchanged_touch(repo):
    import os
    (repo.root / "a.txt").unlink()
    assert repo("diff", "--name-status").output == "D\ta.txt\n"
    p = repo.root / "data/rows.jsonl"
    os.utime(p, ns=(1, 1))                     # stat changed, content did not
    assert "rows.jsonl" not in repo("diff", "--name-status").output


def test_branch_switch_tag_show(repo):
    repo("branch", "feature")
    assert repo("branch").output == "  feature\n* main\n"
    repo("switch", "feature")
    assert repo("branch", "--show-current").output == "feature\n"
    repo.write("a.txt", "changed on feature\n")
    repo("commit", "-q", "-a", "-m", "feature work")
    repo("switch", "main")
    assert (repo.root / "a.txt").read_text() == "alpha\nbeta\n"
    r = repo("branch", "-d", "feature", code=1)
    assert "not fully merged" in r.stderr and "ldv branch -D feature" in r.stderr
    repo("tag", "v1")
    repo("tag", "-a", "-m", "release two", "v2", "feature")
    assert repo("tag").output == "v1\nv2\n"
    assert "feature work" in repo("log", "--oneline", "v2").output
    assert repo("show", "v2:a.txt").output == "changed on feature\n"
    assert "tag v2" in repo("show", "v2").output
    show = repo("show", "feature").output
    assert "    feature work\n" in show and "+changed on feature\n" in show
    repo("checkout", "-b", "other", "v1")
    assert repo("rev-parse", "--abbrev-ref", "HEAD").output == "other\n"
    repo("checkout", "feature")
    repo("branch", "-m", "feature", "feat2")
    assert repo("rev-parse", "--abbrev-ref", "HEAD").output == "feat2\n"
    repo("checkout", "main")
    repo("branch", "-D", "feat2")
    assert "feat2" not in repo("branch").output


def test_switch_refuses_to_clobber(repo):
    repo("switch", "-c", "side")
    repo.write("a.txt", "side version\n")
    repo("commit", "-q", "-am", "side")
    repo("switch", "main")
    repo.write("a.txt", "local edit\n")
    r = repo("switch", "side", code=3)
    assert r.stderr.startswith("error: ") and "a.txt" in r.stderr
    assert (repo.root / "a.txt").read_text() == "local edit\n"


def test_inspection_commands(repo):
    head = repo("rev-parse", "HEAD").output.strip()
    assert len(head) == 64
    assert repo("rev-parse", head[:6]).output.strip() == head
    assert repo("rev-parse", "--short", "HEAD").output.strip() == head[:7]
    assert repo("cat-file", "-t", "HEAD").output == "commit\n"
    assert repo("cat-file", "-t", "HEAD:a.txt").output == "blob\n"
    assert repo("cat-file", "-s", "HEAD:a.txt").output == "11\n"
    assert repo("cat-file", "-p", "HEAD:a.txt").output == "alpha\nbeta\n"
    assert repo("cat-file", "-p", "HEAD").output.startswith("tree ")
    repo("cat-file", "-e", "HEAD")
    repo("cat-file", "-e", "0000abcd", code=1)
    lines = repo("ls-tree", "HEAD").output.splitlines()
    assert [ln.split("\t")[1] for ln in lines] == ["a.txt", "data"]
    assert lines[1].startswith("040000 tree ")
    assert repo("ls-tree", "-r", "--name-only", "HEAD").output == "a.txt\ndata/rows.jsonl\n"
    assert repo("ls-files").output == "a.txt\ndata/rows.jsonl\n"
    assert repo("ls-files", "-s").output.startswith("100644 ")


def test_reset_restore_rm_mv(repo):
    first = repo("rev-parse", "HEAD").output.strip()
    repo.write("a.txt", "two\n")
    repo("commit", "-q", "-am", "two")
    repo("reset", "--soft", "HEAD~1")
    assert repo("rev-parse", "HEAD").output.strip() == first
    assert repo("status", "--porcelain").output == "M  a.txt\n"
    repo("reset")
    assert repo("status", "--porcelain").output == " M a.txt\n"
    repo("restore", "a.txt")
    assert (repo.root / "a.txt").read_text() == "alpha\nbeta\n"
    repo("mv", "a.txt", "b.txt")
    assert repo("status", "--porcelain").output == "R  a.txt -> b.txt\n" or \
        sorted(repo("status", "--porcelain").output.splitlines()) == ["A  b.txt", "D  a.txt"]
    repo("reset", "--hard")
    assert (repo.root / "a.txt").exists()
    r = repo("rm", "a.txt")
    assert r.output == "rm 'a.txt'\n" and not (repo.root / "a.txt").exists()
    repo("rm", "--cached", "data/rows.jsonl")
    assert sorted(repo("status", "--porcelain").output.splitlines()) == \
        sorted(["D  a.txt", "D  data/rows.jsonl", "?? data/"])


def test_config_and_author(repo):
    repo("config", "set", "user.name", "Grace")
    repo("config", "set", "user.email", "grace@example.org")
    assert repo("config", "get", "user.name").output == "Grace\n"
    repo("config", "get", "user.nothing", code=1)
    assert "user.email=grace@example.org" in repo("config", "list").output
    repo("config", "set", "bad key", "x", code=2)
    repo.write("a.txt", "x\n")
    repo("commit", "-q", "-am", "by grace")
    assert "Author: Grace <grace@example.org>" in repo("log", "-n", "1").output
    repo.write("a.txt", "y\n")
    repo("commit", "-q", "-am", "by override", "--author", "Bob <bob@x.org>")
    assert "Author: Bob <bob@x.org>" in repo("log", "-n", "1").output
    repo("config", "unset", "user.name")
    repo("config", "unset", "user.name", code=1)


def test_fsck_gc_key_rotate(repo):
    repo.write("a.txt", "v2\n")
    repo("commit", "-q", "-am", "v2")
    v2 = repo("rev-parse", "HEAD").output.strip()
    repo("reset", "-q", "--hard", "HEAD~1")
    r = repo("fsck")
    assert r.stderr.startswith("checked ") and "ok" in r.stderr
    repo("gc")
    assert repo("log", "--oneline").output.count("\n") == 1
    # the reflog keeps the reset-away commit and its files, as in Git
    assert repo("show", f"{v2}:a.txt").output == "v2\n"
    assert "rotate" in repo("key", "--help").output
    r = repo("key", "rotate")
    assert "new data key" in r.output
    repo.write("a.txt", "after rotation\n")
    repo("commit", "-q", "-am", "after rotation")
    repo("fsck")
    assert repo("show", "HEAD~1:a.txt").output == "alpha\nbeta\n"


def test_log_with_changes(repo):
    repo.write("a.txt", "alpha\ngamma\n")
    repo("commit", "-q", "-am", "gamma")
    stat = repo("log", "-n", "1", "--stat").output
    assert stat.endswith("    gamma\n\n a.txt | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n")
    ns = repo("log", "--oneline", "--name-status").output.splitlines()
    assert ns[1] == "M\ta.txt" and sorted(ns[3:]) == ["A\ta.txt", "A\tdata/rows.jsonl"]
    patch = repo("log", "-p", "-n", "1").output
    assert "-beta\n+gamma\n" in patch
    assert repo("log", "-p", "--", "data").output.count("diff --git") == 1


def test_paths_are_relative_to_the_current_folder(repo):
    sub = repo.root / "data"
    repo.write("data/rows.jsonl", '{"id": 9}\n')
    repo.write("a.txt", "changed\n")
    r = repo("diff", "--name-status", "--", "rows.jsonl", cwd=sub)
    assert r.output == "M\tdata/rows.jsonl\n"
    repo("add", "rows.jsonl", cwd=sub)
    assert repo("status", "--porcelain").output == " M a.txt\nM  data/rows.jsonl\n"
    repo("commit", "-q", "-m", "rows", cwd=sub)
    assert repo("log", "--oneline", "--", "rows.jsonl", cwd=sub).output.count("\n") == 2
    assert repo("show", "HEAD:data/rows.jsonl", cwd=sub).output == '{"id": 9}\n'


def test_checkout_forms(repo):
    first = repo("rev-parse", "HEAD").output.strip()
    repo.write("a.txt", "second\n")
    repo("commit", "-q", "-am", "second")
    repo.write("a.txt", "scratch\n")
    repo("checkout", "--", "a.txt")                       # from the index
    assert (repo.root / "a.txt").read_text() == "second\n"
    repo("checkout", "HEAD~1", "--", "a.txt")             # from a commit, staged too
    assert (repo.root / "a.txt").read_text() == "alpha\nbeta\n"
    assert repo("status", "--porcelain").output == "M  a.txt\n"
    repo("reset", "-q", "--hard")
    r = repo("checkout", "HEAD~1")
    assert "detached" in r.stderr
    assert repo("rev-parse", "HEAD").output.strip() == first
    assert repo("status").output.startswith(f"HEAD detached at {first[:7]}")
    repo("switch", "main")
    repo("switch", "--detach", "HEAD~1")
    assert repo("branch").output.startswith("* (HEAD detached at")
    repo("switch", "-c", "fresh")
    assert repo("branch", "--show-current").output == "fresh\n"


def test_reflog_undoes_a_hard_reset(repo):
    repo.write("a.txt", "two\n")
    repo("commit", "-q", "-am", "two")
    repo("reset", "-q", "--hard", "HEAD~1")
    lines = repo("reflog").output.splitlines()
    assert lines[0].split(" ", 1)[1].startswith("HEAD@{0}: reset")
    assert lines[1].endswith("HEAD@{1}: commit: two")
    repo("reset", "-q", "--hard", "HEAD@{1}")
    assert (repo.root / "a.txt").read_text() == "two\n"
    assert repo("reflog", "-n", "1", "main").output.count("\n") == 1
    repo("reflog", "nosuch", code=2)


def test_log_all(repo):
    repo("branch", "side")
    repo("switch", "-q", "side")
    repo.write("a.txt", "side\n")
    repo("commit", "-q", "-am", "on side")
    repo("switch", "-q", "main")
    assert "on side" not in repo("log", "--oneline").output
    assert "on side" in repo("log", "--oneline", "--all").output


def test_log_format_placeholders(repo):
    repo.write("a.txt", "x\n")
    repo("commit", "-q", "-am", "subject line", "-m", "body text")
    head = repo("rev-parse", "HEAD").output.strip()
    parent = repo("rev-parse", "HEAD~1").output.strip()
    r = repo("log", "-n", "1", "--format", "%H|%h|%P|%an|%ae|%s|%%|%b")
    assert r.output == f"{head}|{head[:7]}|{parent}|Ada Tester|ada@example.org|" \
                       "subject line|%|body text\n\n"
    assert repo("log", "--pretty=format:%s").output == "subject line\nfirst\n"


def test_diff_shows_a_move_as_a_rename(repo):
    repo("mv", "data/rows.jsonl", "rows.jsonl")
    assert repo("diff", "--cached", "--name-status").output == \
        "R100\tdata/rows.jsonl\trows.jsonl\n"
    repo("commit", "-q", "-m", "move")
    md = repo("diff", "HEAD~1", "HEAD", "--format", "markdown").output
    assert "| R | `data/rows.jsonl` → `rows.jsonl` |" in md
    assert repo("diff", "HEAD~1", "HEAD", "--no-renames", "--name-status").output == \
        "D\tdata/rows.jsonl\nA\trows.jsonl\n"

"""ldv scan and ldv export through the CLI: formats, filters, allowlist, cache,
anonymized exports, and no network access at any point."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from faker import Faker

KEY = "ab" * 32


@pytest.fixture(scope="module")
def values():
    """Seeded PII values the recognizers validate (so they must be found)."""
    fake = Faker("en_US")
    Faker.seed(11)
    return {"email": fake.email(), "email2": fake.email(),
            "card": fake.credit_card_number(card_type="visa16"),
            "iban": fake.iban(), "uuid": fake.uuid4(), "name": fake.name()}


def _dataset(ldv, v):
    rows = [{"id": 1, "messages": [{"role": "user", "content": f"mail {v['email']} now"}]},
            {"id": 2, "messages": [{"role": "user", "content": "nothing personal here"}]},
            {"id": 3, "messages": [{"role": "user",
                                    "content": f"my credit card is {v['card']}"}]}]
    ldv.write("chat.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    ldv.write("notes.txt", f"hello\nwire to {v['iban']} today\n")
    table = pa.table({"user": ["a", "b"], "contact": [v["email2"], "none"],
                      "n": pa.array([1, 2], pa.int64())})
    pq.write_table(table, ldv.root / "users.parquet")
    pcsv.write_csv(table, ldv.root / "users.csv")


@pytest.fixture
def repo_pii(ldv, values):
    ldv("init", "-q")
    _dataset(ldv, values)
    return ldv


def _raw_values(values):
    return [v for k, v in values.items() if k != "name"]


def test_scan_worktree_all_formats_masked(repo_pii, values):
    r = repo_pii("scan", "--format", "json")
    doc = json.loads(r.stdout)
    where = {(f["path"], f["line"], f["field"], f["entity"]) for f in doc["findings"]}
    assert ("chat.jsonl", 1, "$.messages[0].content", "EMAIL_ADDRESS") in where
    assert ("chat.jsonl", 3, "$.messages[0].content", "CREDIT_CARD") in where
    assert ("notes.txt", 2, None, "IBAN_CODE") in where
    assert ("users.parquet", 1, "contact", "EMAIL_ADDRESS") in where
    assert ("users.csv", 1, "contact", "EMAIL_ADDRESS") in where
    assert not any(f["path"] == "chat.jsonl" and f["line"] == 2 for f in doc["findings"])
    for fmt in ("text", "json", "sarif"):
        out = repo_pii("scan", "--format", fmt).output
        for v in _raw_values(values):
            assert v not in out, fmt
    f = next(f for f in doc["findings"] if f["entity"] == "EMAIL_ADDRESS"
             and f["path"] == "chat.jsonl")
    assert len(f["preview"]) == len(values["email"]) and "*" in f["preview"]
    assert f["end"] - f["start"] == len(values["email"])


def test_sarif_shape(repo_pii):
    doc = json.loads(repo_pii("scan", "--format", "sarif").stdout)
    assert doc["version"] == "2.1.0"
    results = doc["runs"][0]["results"]
    rules = {r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert results and {r["ruleId"] for r in results} <= rules
    loc = results[0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] and loc["region"]["startLine"] >= 1


def test_exit_code_entities_threshold(repo_pii):
    repo_pii("scan", "--exit-code", code=1)
    r = repo_pii("scan", "--format", "json", "--entities", "IBAN_CODE")
    assert {f["entity"] for f in json.loads(r.stdout)["findings"]} == {"IBAN_CODE"}
    repo_pii("scan", "--entities", "NOT_A_TYPE", code=2)
    repo_pii("scan", "--exit-code", "--entities", "US_SSN", code=0)
    low = json.loads(repo_pii("scan", "--format", "json", "--threshold", "0").stdout)
    high = json.loads(repo_pii("scan", "--format", "json", "--threshold", "1").stdout)
    assert len(high["findings"]) < len(low["findings"])
    assert all(f["score"] >= 1 for f in high["findings"])


def test_allowlist_values_and_patterns(repo_pii, values):
    repo_pii.write(".ldvpii", f"# ours\n{values['email']}\nre:GB\\d\\d.*\n")
    doc = json.loads(repo_pii("scan", "--format", "json").stdout)
    ents = {(f["path"], f["entity"]) for f in doc["findings"]}
    assert ("chat.jsonl", "EMAIL_ADDRESS") not in ents
    assert ("users.csv", "EMAIL_ADDRESS") in ents          # another value: still found
    if values["iban"].startswith("GB"):
        assert ("notes.txt", "IBAN_CODE") not in ents
    repo_pii.write(".ldvpii", "re:(unclosed\n")
    r = repo_pii("scan", code=2)
    assert "(unclosed" not in r.stderr and ".ldvpii:1" in r.stderr


def test_an_allowlist_that_is_not_utf8_is_a_one_line_error(repo_pii, tmp_path):
    """It was an internal error (UnicodeDecodeError, exit 70)."""
    repo_pii.write(".ldvpii", b"ok@example.com\n\xff\xfe\n")
    r = repo_pii("scan", code=2)
    assert r.stderr == "error: .ldvpii:2: not UTF-8 text (hint: save the allowlist as UTF-8)\n"
    repo_pii("config", "set", "pii.on_commit", "block")
    repo_pii("add", "chat.jsonl")
    assert "not UTF-8" in repo_pii("commit", "-q", "-m", "x", code=2).stderr
    other = tmp_path / "allow.txt"
    other.write_bytes(b"\xff")
    r = repo_pii("scan", "--allowlist", str(other), code=2)
    assert "allow.txt:1: not UTF-8 text" in r.stderr and "internal error" not in r.stderr


def test_scan_revision_cached_and_sealed(repo_pii, values):
    repo_pii("add", ".")
    repo_pii("commit", "-q", "-m", "data")
    first = json.loads(repo_pii("scan", "HEAD", "--format", "json").stdout)
    cache_files = list((repo_pii.root / ".ldv" / "pii").rglob("*"))
    assert [p for p in cache_files if p.is_file()]
    second = json.loads(repo_pii("scan", "--rev", "HEAD", "--format", "json").stdout)
    assert first["findings"] == second["findings"] and first["findings"]
    for p in cache_files:
        if p.is_file():
            blob = p.read_bytes()
            for v in _raw_values(values):
                assert v.encode() not in blob
    only = json.loads(repo_pii("scan", "HEAD", "--format", "json", "--", "notes.txt").stdout)
    assert {f["path"] for f in only["findings"]} == {"notes.txt"}


def _export(ldv, mode, dest):
    ldv("export", "HEAD", str(dest), "--anonymize", mode)
    return dest


@pytest.mark.parametrize("mode", ["mask", "redact", "hash", "replace"])
def test_export_removes_values_keeps_schema(repo_pii, values, tmp_path, mode):
    repo_pii("add", ".")
    repo_pii("commit", "-q", "-m", "data")
    dest = _export(repo_pii, mode, tmp_path / f"out-{mode}")
    for f in dest.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            for v in _raw_values(values):
                if v in (values["uuid"],):
                    continue            # not in the dataset
                assert v.encode() not in data, (mode, f.name)
    assert pq.read_schema(dest / "users.parquet") == pq.read_schema(repo_pii.root / "users.parquet")
    assert pq.read_table(dest / "users.parquet").num_rows == 2
    assert pcsv.read_csv(dest / "users.csv").schema.names == ["user", "contact", "n"]
    src = [json.loads(x) for x in (repo_pii.root / "chat.jsonl").read_text().splitlines()]
    out = [json.loads(x) for x in (dest / "chat.jsonl").read_text().splitlines()]
    assert [r.keys() for r in src] == [r.keys() for r in out]
    assert src[1] == out[1]                             # untouched record unchanged
    assert (dest / "notes.txt").read_text().splitlines()[0] == "hello"


def test_export_hash_stable_across_runs_and_versions(repo_pii, values, tmp_path):
    repo_pii("add", ".")
    repo_pii("commit", "-q", "-m", "v1")
    a = _export(repo_pii, "hash", tmp_path / "a")
    b = _export(repo_pii, "hash", tmp_path / "b")
    assert (a / "chat.jsonl").read_bytes() == (b / "chat.jsonl").read_bytes()
    # The same value in another file of a later version maps to the same token.
    repo_pii.write("more.txt", f"again {values['email']}\n")
    repo_pii("add", ".")
    repo_pii("commit", "-q", "-m", "v2")
    c = _export(repo_pii, "hash", tmp_path / "c")
    token = (c / "more.txt").read_text().split()[1]
    assert token.startswith("<EMAIL_ADDRESS:") and token in (a / "chat.jsonl").read_text()
    repo_pii("export", "HEAD", str(c), "--anonymize", "hash", code=3)   # not empty


def test_scan_runs_with_network_blocked(repo_pii, env, tmp_path):
    """A whole scan in a subprocess where any network syscall raises."""
    script = textwrap.dedent(f"""
        import socket, sys
        def _blocked(*a, **k):
            sys.stderr.write("NETWORK ATTEMPT\\n")
            raise OSError("network blocked by test")
        # Every way out: connecting a socket, sending a datagram, resolving a name.
        socket.socket.connect = _blocked
        socket.socket.connect_ex = _blocked
        socket.socket.sendto = _blocked
        socket.create_connection = _blocked
        socket.getaddrinfo = _blocked
        socket.gethostbyname = _blocked
        from ldv.cli.main import main
        sys.argv = ["ldv", "-C", {str(repo_pii.root)!r}, "scan", "--format", "json"]
        main()
    """)
    e = {k: v for k, v in os.environ.items()}
    e.update({k: v for k, v in env.items() if v is not None})
    for k, v in env.items():
        if v is None:
            e.pop(k, None)
    e["TLDEXTRACT_CACHE"] = str(tmp_path / "tld-cache")
    p = subprocess.run([sys.executable, "-c", script], env=e, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert any(f["entity"] == "EMAIL_ADDRESS" for f in doc["findings"])
    assert "NETWORK ATTEMPT" not in p.stderr and "network blocked" not in p.stderr
    assert not (tmp_path / "tld-cache").exists()


# -- the commit gate ------------------------------------------------------------

def test_gate_off_by_default_and_bad_mode(repo_pii, monkeypatch):
    repo_pii("add", ".")
    repo_pii("commit", "-q", "-m", "no gate")
    # `config set` refuses a bad value up front ...
    r = repo_pii("config", "set", "pii.on_commit", "sometimes", code=2)
    assert "off, warn, block" in r.stderr and r.stderr.count("\n") == 1
    repo_pii("config", "get", "pii.on_commit", code=1)          # nothing stored
    for bad in ("high", "1.5", "nan"):
        r = repo_pii("config", "set", "pii.threshold", bad, code=2)
        assert "from 0 to 1" in r.stderr
    repo_pii("config", "set", "pii.on_commit", "Warn")
    repo_pii("config", "set", "pii.threshold", "0.6")
    repo_pii("config", "unset", "pii.on_commit")
    # ... and a bad value stored some other way (an older ldv) stops the commit.
    import ldv as ldv_api
    for k, v in repo_pii.env.items():
        if v is None:
            monkeypatch.delenv(k, raising=False)
        else:
            monkeypatch.setenv(k, v)
    ldv_api.Repository.open(repo_pii.root)._repo.config.set("pii.on_commit", "sometimes")
    repo_pii.write("x.txt", "plain\n")
    repo_pii("add", "x.txt")
    repo_pii("commit", "-q", "-m", "x", code=2)


def test_commit_help_tells_of_the_gate_and_how_to_pass_it(ldv):
    text = " ".join(ldv("commit", "--help").output.split())
    assert "pii.on_commit warn|block" in text and ".ldvpii" in text and "warn" in text


def test_gate_block_names_where_and_keeps_head(repo_pii, values):
    repo_pii("config", "set", "pii.on_commit", "block")
    repo_pii("add", ".")
    r = repo_pii("commit", "-q", "-m", "with pii", code=1)
    assert "commit refused" in r.stderr and "chat.jsonl:1" in r.stderr
    assert "EMAIL_ADDRESS" in r.stderr
    for v in _raw_values(values):
        assert v not in r.stderr
    assert repo_pii("rev-parse", "HEAD", code=None).exit_code != 0   # nothing committed


def test_gate_block_passes_clean_change_and_allowlist(repo_pii, values, tmp_path):
    repo_pii("config", "set", "pii.on_commit", "block")
    repo_pii.write("clean.txt", "nothing personal\n")
    repo_pii("add", "clean.txt")
    repo_pii("commit", "-q", "-m", "clean")
    repo_pii.write("contact.txt", f"write to {values['email']}\n")
    repo_pii("add", "contact.txt")
    repo_pii("commit", "-q", "-m", "contact", code=1)
    # The value itself, and a pattern for its domain (which presidio also calls a URL).
    domain = values["email"].split("@")[1]
    repo_pii.write(".ldvpii", f"{values['email']}\nre:{re.escape(domain)}\n")
    repo_pii("commit", "-q", "-m", "contact")
    assert "contact" in repo_pii("log").output


def test_gate_warn_commits_and_fills_cache(repo_pii, values):
    repo_pii("config", "set", "pii.on_commit", "warn")
    repo_pii("add", ".")
    r = repo_pii("commit", "-m", "warned")
    assert "warning: PII: chat.jsonl:1" in r.stderr
    for v in _raw_values(values):
        assert v not in r.stderr
    assert "warned" in repo_pii("log").output
    sealed = [p for p in (repo_pii.root / ".ldv" / "pii").rglob("*") if p.is_file()]
    assert len(sealed) >= 4                     # one per scanned file, by blob id
    doc = json.loads(repo_pii("scan", "HEAD", "--format", "json").stdout)
    assert any(f["entity"] == "CREDIT_CARD" for f in doc["findings"])
    # The scan of the new commit was answered from what the gate stored.
    assert len([p for p in (repo_pii.root / ".ldv" / "pii").rglob("*") if p.is_file()]) \
        == len(sealed)


def test_cached_scan_does_not_load_presidio(repo_pii, env):
    """A rescan of an unchanged commit answers from the sealed cache alone."""
    repo_pii("add", ".")
    repo_pii("commit", "-q", "-m", "data")
    first = repo_pii("scan", "HEAD", "--format", "json").stdout
    script = textwrap.dedent(f"""
        import sys
        from ldv.cli.main import cli
        code = cli.main(args=["-C", {str(repo_pii.root)!r}, "scan", "HEAD", "--format",
                              "json"], standalone_mode=False)
        sys.stderr.write("PRESIDIO LOADED\\\\n" if "presidio_analyzer" in sys.modules else "")
        sys.exit(code)
    """)
    e = dict(os.environ)
    e.update({k: v for k, v in env.items() if v is not None})
    for k, v in env.items():
        if v is None:
            e.pop(k, None)
    p = subprocess.run([sys.executable, "-c", script], env=e, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "PRESIDIO LOADED" not in p.stderr
    assert json.loads(p.stdout)["findings"] == json.loads(first)["findings"]


def test_worktree_scan_sees_edits_after_commit(repo_pii, values):
    repo_pii("add", ".")
    repo_pii("commit", "-q", "-m", "data")
    repo_pii("scan", "HEAD")                                  # fills the cache
    before = json.loads(repo_pii("scan", "--format", "json").stdout)["findings"]
    assert before == json.loads(repo_pii("scan", "HEAD", "--format", "json").stdout)["findings"]
    repo_pii.write("notes.txt", "hello\nno bank details any more\n")
    after = json.loads(repo_pii("scan", "--format", "json").stdout)["findings"]
    assert not any(f["path"] == "notes.txt" for f in after)
    assert any(f["path"] == "notes.txt" for f in before)
    fresh = json.loads(repo_pii("scan", "--no-cache", "--format", "json").stdout)["findings"]
    assert fresh == after


def test_a_path_that_matches_nothing_is_an_error_not_a_clean_scan(repo_pii, tmp_path):
    """A typo in `-- PATHS` must not read as "no PII found" or export nothing."""
    r = repo_pii("scan", "--", "chat.jsnl", code=2)
    assert "pathspec 'chat.jsnl' did not match any file in the working tree" in r.stderr
    assert "no PII found" not in r.output
    repo_pii("add", ".")
    repo_pii("commit", "-q", "-m", "data")
    r = repo_pii("scan", "HEAD", "--", "chat.jsonl", "nosuch", code=2)
    assert "pathspec 'nosuch' did not match any file in commit" in r.stderr
    assert "ldv ls-tree -r" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    dest = tmp_path / "out"
    r = repo_pii("export", "HEAD", str(dest), "--anonymize", "mask", "--", "nosuch", code=2)
    assert "pathspec 'nosuch' did not match" in r.stderr and not dest.exists()
    # paths that exist still work, a folder included
    doc = json.loads(repo_pii("scan", "HEAD", "--format", "json", "--", "chat.jsonl").stdout)
    assert {f["path"] for f in doc["findings"]} == {"chat.jsonl"}
    repo_pii("scan", "--", ".")


def test_paths_are_relative_to_the_current_folder_for_a_revision(repo_pii, values, tmp_path):
    """`cd sub && ldv scan HEAD -- a.txt` reads sub/a.txt, as the work-tree scan
    and `ldv diff` do (it found nothing at the root's a.txt before)."""
    repo_pii.write("sub/a.txt", f"write to {values['email']}\n")
    repo_pii("add", ".")
    repo_pii("commit", "-q", "-m", "data")
    sub = repo_pii.root / "sub"
    for rev in ([], ["HEAD"]):
        doc = json.loads(repo_pii("scan", *rev, "--format", "json", "--", "a.txt",
                                  cwd=sub).stdout)
        assert {(f["path"], f["entity"]) for f in doc["findings"]} >= \
            {("sub/a.txt", "EMAIL_ADDRESS")}, rev
    dest = tmp_path / "out"
    repo_pii("export", "HEAD", str(dest), "--anonymize", "replace", "--", "a.txt", cwd=sub)
    assert (dest / "sub" / "a.txt").read_text() == "write to <EMAIL_ADDRESS>\n"


def test_rev_and_a_different_rev_option_are_refused(repo_pii):
    """`ldv scan --rev A B` scanned A and silently ignored B."""
    repo_pii("add", ".")
    repo_pii("commit", "-q", "-m", "data")
    repo_pii("commit", "-q", "--allow-empty", "-m", "again")
    r = repo_pii("scan", "--rev", "HEAD", "HEAD~1", code=2)
    assert "two revisions given" in r.stderr and r.stderr.count("\n") == 1
    repo_pii("scan", "--rev", "HEAD", "HEAD")


def test_a_failed_export_leaves_dest_as_it_was(repo_pii, tmp_path):
    """An export that stops on an unreadable file (here the second CSV) must not
    leave half of its files behind, or the rerun fails on a non-empty DEST."""
    repo_pii.write("z_bad.csv", "a,b\n1,2,3\n")
    repo_pii("add", ".")
    repo_pii("commit", "-q", "-m", "data")
    new = tmp_path / "new"
    r = repo_pii("export", "HEAD", str(new), "--anonymize", "mask", code=2)
    assert "z_bad.csv: not a readable CSV file" in r.stderr
    assert not new.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    repo_pii("export", "HEAD", str(empty), "--anonymize", "mask", code=2)
    assert empty.is_dir() and not any(empty.iterdir())
    repo_pii("rm", "-q", "z_bad.csv")
    repo_pii("commit", "-q", "-m", "fixed")
    repo_pii("export", "HEAD", str(empty), "--anonymize", "mask")
    assert (empty / "chat.jsonl").is_file()

"""Without a spaCy model, PERSON/LOCATION are not detected, and ldv says so (with
one, every report names the model NER runs on)."""
from __future__ import annotations

import json

from ldv.porcelain.pii.registry import installed_ner_model


def test_report_says_whether_names_were_looked_for(repo):
    repo.write("people.txt", "Jane Smith lives in Paris\n")
    r = repo("scan")
    doc = json.loads(repo("scan", "--format", "json").stdout)
    model = installed_ner_model()
    if model is not None:
        assert f"note: NER entities from spaCy model {model}" in r.stdout
        assert any(model in n for n in doc["notes"])
        return
    assert "no PII found" in r.stdout
    assert "note: names, places and organizations (PERSON, LOCATION, NRP, ORGANIZATION) " \
           "were NOT looked for" in r.stdout
    assert "pip install en_core_web_sm" in r.stdout
    assert any("NOT looked for" in n for n in doc["notes"])


def test_asking_for_person_without_a_model_is_refused_clearly(repo):
    r = repo("scan", "--entities", "NOT_A_TYPE", code=2)
    assert "unknown entity type(s): NOT_A_TYPE" in r.stderr
    if installed_ner_model() is not None:
        repo("scan", "--entities", "PERSON")
        return
    r = repo("scan", "--entities", "PERSON,EMAIL_ADDRESS", code=2)
    assert "PERSON cannot be detected: NER needs a spaCy model and none is installed" \
        in r.stderr
    assert "unknown entity" not in r.stderr


def test_compiled_prefilter_is_kept_sealed_in_the_repository(repo, env):
    """A cold `ldv scan` (a new process) keeps the compiled hyperscan databases in
    .ldv/pii/hs/ and the next one loads them: same findings."""
    import os
    import shutil
    import subprocess

    from .conftest import subprocess_env
    repo.write("chat.jsonl", json.dumps({"t": "mail jane.doe@example.com now"}) + "\n")
    repo.write("notes.txt", "card 4111 1111 1111 1111\n")
    exe = shutil.which("ldv")
    runs = []
    for _ in range(2):
        p = subprocess.run([exe, "scan", "--no-cache", "--format", "json"], cwd=repo.root,
                           env=subprocess_env(env), capture_output=True, text=True,
                           timeout=300)
        assert p.returncode == 0, p.stderr
        runs.append(json.loads(p.stdout)["findings"])
    assert runs[0] == runs[1]
    assert {f["entity"] for f in runs[0]} >= {"EMAIL_ADDRESS", "CREDIT_CARD"}
    kept = sorted(os.listdir(repo.root / ".ldv" / "pii" / "hs"))
    assert len(kept) == 2                               # the text and the JSONL database
    import hyperscan
    for name in kept:                                   # sealed, not hyperscan's own format
        raw = (repo.root / ".ldv" / "pii" / "hs" / name).read_bytes()
        try:
            hyperscan.loadb(raw, hyperscan.HS_MODE_BLOCK)
            loaded = True
        except hyperscan.error:
            loaded = False
        assert not loaded


def test_jobs_option_same_findings(repo):
    rows = "".join(json.dumps({"i": i, "t": f"mail user{i}@example.com" if i % 1000 == 7
                               else "nothing to see here"}) + "\n"
                   for i in range(200_000))
    assert len(rows) > (4 << 20)                        # more than one 4 MiB block
    repo.write("big.jsonl", rows)
    one = json.loads(repo("scan", "--no-cache", "--jobs", "1", "--format", "json").stdout)
    two = json.loads(repo("scan", "--no-cache", "-j", "2", "--format", "json").stdout)
    assert [f["line"] for f in one["findings"] if f["entity"] == "EMAIL_ADDRESS"] \
        == list(range(8, 200_001, 1000))
    assert one["findings"] == two["findings"]
    repo("scan", "--jobs", "0", code=2)

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

"""--fail-on gates: parsing and evaluation against a diff."""
from __future__ import annotations

import pytest

from ldv.plumbing.errors import UsageError
from ldv.porcelain.rowdiff import Gate, diff_rows, evaluate_gates, parse_gates

from .builders import make_versions, write


def test_parse_gates():
    gates = parse_gates(["removed>1%", "modified>1000, added>=10", "schema", " changed != 0 "])
    assert gates == [Gate("removed", ">", 1.0, True), Gate("modified", ">", 1000.0),
                     Gate("added", ">=", 10.0), Gate("schema"), Gate("changed", "!=", 0.0)]
    assert [str(g) for g in gates] == ["removed>1%", "modified>1000", "added>=10",
                                       "schema", "changed!=0"]


@pytest.mark.parametrize("bad", ["removed", "removed>>1", "deleted>1", "added>x",
                                 "added>-1", "schema>1", "removed>1%%"])
def test_bad_gates_are_usage_errors(bad):
    with pytest.raises(UsageError) as e:
        parse_gates([bad])
    assert e.value.exit_code == 2 and "removed>1%" in e.value.hint


@pytest.fixture(scope="module")
def diff(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gates")
    v = make_versions(1000, seed=11, n_add=30, n_remove=20, n_modify=5)
    return diff_rows(write(v.old, tmp / "o.parquet", "parquet"),
                     write(v.new, tmp / "n.parquet", "parquet"), key=["id"], threads=1)


def test_evaluate_counts_and_percentages(diff):
    assert diff.counts.removed == 20 and diff.old.rows == 1000
    def trips(expr):
        return evaluate_gates(parse_gates([expr]), diff)
    assert trips("removed>1%") == ["removed>1%: removed is 2.00% (20 of 1000 rows)"]
    assert trips("removed>2%") == []
    assert trips("removed>=2%") != []
    assert trips("added>=30") == ["added>=30: added is 30"]
    assert trips("added>30") == []
    assert trips("modified>1000") == []
    assert trips("changed==55") == ["changed==55: changed is 55"]
    assert trips("unchanged<975") == [] and trips("unchanged<976") != []
    assert trips("schema") == []


def test_schema_gate_and_empty_old_version(tmp_path):
    po = write([{"id": 1}], tmp_path / "o.csv", "csv")
    pn = write([{"id": 1, "x": 2}], tmp_path / "n.csv", "csv")
    d = diff_rows(po, pn, key=["id"])
    assert evaluate_gates(parse_gates(["schema"]), d) == ["schema: the schema changed"]
    added = diff_rows(None, pn)
    assert evaluate_gates(parse_gates(["added>50%"]), added) == \
        ["added>50%: added is 100.00% (1 of 0 rows)"]
    assert evaluate_gates(parse_gates(["removed>0%", "schema"]), added) == []

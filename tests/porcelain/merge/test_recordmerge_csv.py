"""Record merge of CSV: quoting, embedded newlines, header (schema) changes."""
from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ldv.plumbing.errors import BadFormat
from ldv.porcelain.merge.recordmerge import merge_records
from ldv.porcelain.merge.records import iter_csv_rows, parse_csv_row

HEADER = b"id,text,score"
BASE = [
    b'1,plain,10',
    b'2,"has, comma",20',
    b'3,"two\nlines",30',
    b'4,"quote ""inside""",40',
    b'5,"three\r\nline\nfield",50',
    b'6,last,60',
]


def write(path, rows, header=HEADER, eol=b"\n"):
    path.write_bytes(b"".join(r + eol for r in [header] + rows))
    return path


def run(tmp_path, base, ours, theirs, key="id", **kw):
    b = write(tmp_path / "b.csv", base, **kw)
    o = write(tmp_path / "o.csv", ours, **kw)
    t = write(tmp_path / "t.csv", theirs, **kw)
    res = merge_records(b, o, t, tmp_path / "out.csv", fmt="csv", key=key)
    return res, (tmp_path / "out.csv").read_bytes()


def test_row_scanner_keeps_quoted_newlines_inside_one_row(tmp_path):
    data = HEADER + b"\n" + b"\n".join(BASE) + b"\n"
    rows = [raw for _, raw in iter_csv_rows(io.BytesIO(data))]
    assert rows == [HEADER] + BASE


@pytest.mark.parametrize("key", ["id", None])
def test_disjoint_edits_keep_untouched_rows_byte_identical(tmp_path, key):
    ours = list(BASE)
    ours[0] = b'1,"edited\nby ours",11'
    theirs = list(BASE)
    theirs[5] = b'6,"edited, by theirs",61'
    del theirs[3]
    theirs.append(b'7,"new\nrow",70')
    res, out = run(tmp_path, BASE, ours, theirs, key)
    assert res.clean
    expected = [HEADER, ours[0]] + BASE[1:3] + [BASE[4], theirs[4], theirs[5]]
    assert out == b"".join(r + b"\n" for r in expected)
    parsed = list(csv.reader(io.StringIO(out.decode(), newline="")))
    assert parsed[2][1] == "has, comma" and parsed[3][1] == "two\nlines"


def test_same_row_changed_differently_conflicts_by_key(tmp_path):
    ours, theirs = list(BASE), list(BASE)
    ours[2] = b'3,"ours\nversion",30'
    theirs[2] = b'3,theirs,30'
    res, out = run(tmp_path, BASE, ours, theirs)
    (c,) = res.conflicts
    assert (c.key, c.kind) == ('id="3"', "modify/modify")
    assert (c.base, c.ours, c.theirs) == (BASE[2], ours[2], theirs[2])
    assert out.count(b"\n3,") == 1


def test_crlf_rows_keep_crlf(tmp_path):
    ours = list(BASE)
    ours[1] = b'2,changed,21'
    res, out = run(tmp_path, BASE, ours, BASE + [b"7,x,1"], eol=b"\r\n")
    assert res.clean and out.startswith(HEADER + b"\r\n1,plain,10\r\n2,changed,21\r\n")


def test_header_change_on_one_side_with_edits_on_the_other_is_a_schema_conflict(tmp_path):
    ours = [r + b",extra" for r in BASE]
    theirs = list(BASE)
    theirs[0] = b"1,plain,99"
    b = write(tmp_path / "b.csv", BASE)
    o = write(tmp_path / "o.csv", ours, header=HEADER + b",new")
    t = write(tmp_path / "t.csv", theirs)
    res = merge_records(b, o, t, tmp_path / "out.csv", fmt="csv", key="id")
    (c,) = res.conflicts
    assert (c.kind, c.key, c.ours, c.theirs) == ("schema", "<schema>", HEADER + b",new", HEADER)
    assert (tmp_path / "out.csv").read_bytes() == o.read_bytes()


def test_header_change_on_one_side_alone_is_taken(tmp_path):
    b = write(tmp_path / "b.csv", BASE)
    t = write(tmp_path / "t.csv", [r + b",x" for r in BASE], header=HEADER + b",new")
    res = merge_records(b, b, t, tmp_path / "out.csv", fmt="csv", key="id")
    assert res.clean and (tmp_path / "out.csv").read_bytes() == t.read_bytes()


def test_unknown_key_column_is_a_clear_error(tmp_path):
    with pytest.raises(BadFormat, match="no column 'nope'"):
        run(tmp_path, BASE, BASE[1:], BASE[2:], key="nope")


cells = st.text(alphabet=st.sampled_from('ab ,"\n\r\t'), max_size=6)


@settings(max_examples=60, deadline=None, database=None)
@given(rows=st.lists(st.lists(cells, min_size=1, max_size=4), min_size=1, max_size=6))
def test_row_scanner_splits_what_csv_writer_wrote(rows):
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)     # RFC 4180: CRLF, CR and LF get quoted
    raws = [raw for _, raw in iter_csv_rows(io.BytesIO(buf.getvalue().encode()))]
    assert [parse_csv_row(r, "row") for r in raws] == rows


def test_output_may_not_overwrite_an_input(tmp_path):
    from ldv.plumbing.errors import BadInput
    b = write(tmp_path / "b.csv", BASE)
    o = write(tmp_path / "o.csv", BASE[1:])
    t = write(tmp_path / "t.csv", BASE[2:])
    with pytest.raises(BadInput, match="one of its inputs"):
        merge_records(b, o, t, o, fmt="csv", key="id")


def test_unbalanced_quote_is_a_clear_error_not_a_runaway_row():
    data = b'id,text\n1,"open\n' + b"2,x\n" * 100
    with pytest.raises(BadFormat, match="still open"):
        list(iter_csv_rows(io.BytesIO(data), max_row=64))


def test_small_batches_give_the_same_merge(tmp_path, monkeypatch):
    from ldv.porcelain.merge import records
    ours = list(BASE)
    ours[0] = b'1,"edited\nby ours",11'
    theirs = BASE[:3] + BASE[4:] + [b'7,"new\nrow",70']
    expected = run(tmp_path, BASE, ours, theirs)
    monkeypatch.setattr(records, "BATCH", 2)
    assert run(tmp_path, BASE, ours, theirs)[1] == expected[1]


def test_short_row_is_a_clear_error(tmp_path):
    with pytest.raises(BadFormat, match="row 2 is too short"):
        run(tmp_path, BASE, [BASE[0], b"2"] + BASE[2:], BASE[1:], key="score")

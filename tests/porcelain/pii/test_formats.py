"""Format details: CSV cells read as text, Parquet integer columns, bad files."""
from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from faker import Faker

from ldv.plumbing.errors import BadFormat
from ldv.porcelain.pii import Scanner, formats
from ldv.porcelain.pii.anonymize import Anonymizer, anonymize_stream
from ldv.porcelain.pii.formats import kind_of, scan_stream


@pytest.fixture(scope="module")
def card():
    Faker.seed(9)
    return Faker("en_US").credit_card_number(card_type="visa16")


def _parquet(table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def test_csv_number_column_is_scanned_as_text(card):
    data = f"id,card\n1,{card}\n2,42\n".encode()
    found = scan_stream(Scanner(), io.BytesIO(data), "t.csv")
    assert [(f.line, f.field, f.entity) for f in found if f.entity == "CREDIT_CARD"] \
        == [(1, "card", "CREDIT_CARD")]


def test_parquet_int_column_found_and_nulled_on_export(card, tmp_path):
    table = pa.table({"card": pa.array([int(card), 7], pa.int64()), "t": ["a", "b"]})
    data = _parquet(table)
    found = scan_stream(Scanner(), io.BytesIO(data), "t.parquet")
    assert any(f.entity == "CREDIT_CARD" and f.field == "card" and f.line == 1 for f in found)
    dest = tmp_path / "t.parquet"
    anonymize_stream(Anonymizer(Scanner(), "mask"), io.BytesIO(data), "t.parquet", dest)
    out = pq.read_table(dest)
    assert out.schema == table.schema
    assert out.column("card").to_pylist() == [None, 7]


def test_kind_detection_and_bad_parquet():
    assert kind_of("a.jsonl", b"{}") == "jsonl"
    assert kind_of("a.bin", b"\x00\x01") is None
    assert kind_of("x", b"PAR1....") == "parquet"
    assert kind_of("notes", b"hello") == "text"
    with pytest.raises(BadFormat):
        scan_stream(Scanner(), io.BytesIO(b"PAR1 not really"), "x.parquet")


@pytest.mark.parametrize("row", ['{card},x,y', '"open quote {card}', '{card}'])
def test_a_malformed_csv_error_does_not_quote_the_row(card, tmp_path, row):
    """pyarrow's "Expected 2 columns, got 1: <row>" would print the card number."""
    data = f"id,card\n1,2\n{row.format(card=card)}\n".encode()
    for run in (lambda: scan_stream(Scanner(), io.BytesIO(data), "t.csv"),
                lambda: anonymize_stream(Anonymizer(Scanner(), "mask"), io.BytesIO(data),
                                         "t.csv", tmp_path / "t.csv")):
        with pytest.raises(BadFormat) as err:
            run()
        text = f"{err.value.message} {err.value.hint}"
        assert card not in text and card[:8] not in text, text
        assert "t.csv: not a readable CSV file (CSV parse error: Expected 2 columns" in text


def test_binary_files_are_skipped_and_copied(tmp_path, card):
    data = b"\x00\x01" + card.encode()
    assert scan_stream(Scanner(), io.BytesIO(data), "blob.bin") == []
    dest = tmp_path / "blob.bin"
    assert anonymize_stream(Anonymizer(Scanner(), "mask"), io.BytesIO(data), "blob.bin",
                            dest) == "binary"
    assert dest.read_bytes() == data


def test_invalid_jsonl_line_scanned_as_text(card):
    data = f'{{"a": "ok"}}\nnot json, card {card}\n'.encode()
    found = scan_stream(Scanner(), io.BytesIO(data), "x.jsonl")
    assert [(f.line, f.field) for f in found if f.entity == "CREDIT_CARD"] == [(2, None)]


def test_csv_export_keeps_header(card, tmp_path):
    data = f"name,card\nann,{card}\n".encode()
    dest = tmp_path / "o.csv"
    anonymize_stream(Anonymizer(Scanner(), "replace"), io.BytesIO(data), "o.csv", dest)
    t = pcsv.read_csv(dest)
    assert t.schema.names == ["name", "card"]
    assert t.column("card").to_pylist() == ["<CREDIT_CARD>"]


def test_parquet_nested_chat_column(card, tmp_path):
    Faker.seed(4)
    email = Faker("en_US").email()
    msgs = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
    table = pa.table({"id": [1, 2], "messages": pa.array([
        [{"role": "user", "content": "hi"}, {"role": "user", "content": f"mail {email}"}],
        [{"role": "user", "content": f"card {card}"}]], type=msgs)})
    data = _parquet(table)
    found = {(f.line, f.field, f.entity)
             for f in scan_stream(Scanner(), io.BytesIO(data), "chat.parquet")}
    assert (1, "messages[1].content", "EMAIL_ADDRESS") in found
    assert (2, "messages[0].content", "CREDIT_CARD") in found
    dest = tmp_path / "chat.parquet"
    anonymize_stream(Anonymizer(Scanner(), "replace"), io.BytesIO(data), "chat.parquet", dest)
    out = pq.read_table(dest)
    assert out.schema == table.schema
    decoded = str(out.to_pylist())
    assert email not in decoded and card not in decoded and "<EMAIL_ADDRESS>" in decoded
    assert out.column("messages").to_pylist()[0][0] == {"role": "user", "content": "hi"}


def _batched_table(card, monkeypatch):
    """100 rows with the card in rows 4, 51, 100 (column t) and 65 (m), read in
    batches of 7 rows (CSV: blocks of 256 bytes)."""
    monkeypatch.setattr(formats, "BATCH_ROWS", 7)
    monkeypatch.setattr(formats, "CSV_BLOCK", 256)
    n = 100
    rows = [card if i in (3, 50, 99) else f"row {i}" for i in range(n)]
    return pa.table({"id": pa.array(range(n), pa.int64()), "t": rows,
                     "m": [[{"content": card}] if i == 64 else [] for i in range(n)]})


def test_tables_are_read_in_batches_with_their_row_numbers(card, monkeypatch):
    table = _batched_table(card, monkeypatch)
    found = scan_stream(Scanner(), io.BytesIO(_parquet(table)), "t.parquet")
    assert [(f.line, f.field) for f in found if f.entity == "CREDIT_CARD"] \
        == [(4, "t"), (51, "t"), (65, "m[0].content"), (100, "t")]
    assert len(list(formats.read_batches(io.BytesIO(_parquet(table)), "parquet", "t"))) > 10
    buf = io.BytesIO()
    pcsv.write_csv(table.drop(["m"]), buf)
    data = buf.getvalue()
    assert len(list(formats.read_batches(io.BytesIO(data), "csv", "t.csv"))) > 3
    found = scan_stream(Scanner(), io.BytesIO(data), "t.csv")
    assert [(f.line, f.field) for f in found if f.entity == "CREDIT_CARD"] \
        == [(4, "t"), (51, "t"), (100, "t")]


def test_export_of_tables_in_batches(card, tmp_path, monkeypatch):
    table = _batched_table(card, monkeypatch)
    n = table.num_rows
    anon = Anonymizer(Scanner(), "replace")
    dest = tmp_path / "t.parquet"
    anonymize_stream(anon, io.BytesIO(_parquet(table)), "t.parquet", dest)
    out = pq.read_table(dest)
    assert out.schema == table.schema and out.num_rows == n
    want = ["<CREDIT_CARD>" if i in (3, 50, 99) else f"row {i}" for i in range(n)]
    assert out.column("t").to_pylist() == want
    assert out.column("m").to_pylist()[64] == [{"content": "<CREDIT_CARD>"}]
    assert out.column("id").to_pylist() == list(range(n))
    buf = io.BytesIO()
    pcsv.write_csv(table.drop(["m"]), buf)
    dest = tmp_path / "t.csv"
    anonymize_stream(anon, io.BytesIO(buf.getvalue()), "t.csv", dest)
    back = pcsv.read_csv(dest, convert_options=pcsv.ConvertOptions(
        column_types={"id": pa.string(), "t": pa.string()}))
    assert back.column("t").to_pylist() == want
    assert back.column("id").to_pylist() == [str(i) for i in range(n)]
    # A header alone stays a header.
    empty = tmp_path / "e.csv"
    anonymize_stream(anon, io.BytesIO(b'"id","t"\n'), "e.csv", empty)
    assert empty.read_bytes().splitlines()[0] == b'"id","t"'

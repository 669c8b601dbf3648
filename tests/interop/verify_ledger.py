#!/usr/bin/env python3
"""An independent verifier of an agaudit case's ledger and evidence row hashes, written from
docs/ledger.md alone (not from agaudit's source), with the `blake3` Python package.

Usage: verify_ledger.py CASE_DIR

Checks every ledger record (fields, seq, prev, genesis, hash), then recomputes the evidence row
hash of every db_events action from the Parquet row (pyarrow) and finds it in the ledger.
Prints `ok: N records, M evidence rows` or the first problem, exit 1.
"""
import pathlib
import struct
import sys

import blake3
import pyarrow.dataset as ds

case = pathlib.Path(sys.argv[1])
SAFE = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@+,*~#%")


def fail(msg):
    print(msg)
    sys.exit(1)


def fields(record):
    out, i = [], 0
    while i < len(record):
        eq = record.index("=", i)
        key = record[i:eq]
        i = eq + 1
        if record.startswith('"', i):
            i += 1
            val = []
            while record[i] != '"':
                if record[i] == "\\":
                    nxt = record[i + 1]
                    if nxt == "x":
                        val.append(chr(int(record[i + 2:i + 4], 16)))
                        i += 4
                        continue
                    val.append({"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t"}[nxt])
                    i += 2
                    continue
                val.append(record[i])
                i += 1
            value = "".join(val)
            i += 1
        else:
            end = record.find(" ", i)
            end = len(record) if end < 0 else end
            value = record[i:end]
            i = end
        out.append((key, value))
        if i < len(record):
            assert record[i] == " "
            i += 1
    return out


def dk(context, data):
    return blake3.blake3(data, derive_key_context=context).digest()


u64 = lambda n: struct.pack("<Q", n)  # noqa: E731
data = (case / "ledger" / "ledger.log").read_bytes()
if not data.endswith(b"\n"):
    fail("torn tail")
prev = None
evidence = set()
lines = data[:-1].split(b"\n")
for n, line in enumerate(lines, 1):
    text = line.decode()
    cut = text.rindex(" hash=")
    record, stated = text[:cut], text[cut + 6:]
    f = fields(record)
    d = dict(f)
    if f[0][0] != "seq" or int(d["seq"]) != n:
        fail(f"line {n}: seq {d.get('seq')}")
    if n == 1:
        case_id = d["case"].encode()
        prev = dk("agaudit 2026-11 ledger genesis v1", u64(len(case_id)) + case_id)
    if d["prev"] != prev.hex():
        fail(f"line {n}: prev")
    rb = record.encode()
    link = dk("agaudit 2026-11 ledger record v1", prev + u64(n) + u64(len(rb)) + rb)
    if link.hex() != stated:
        fail(f"line {n}: hash {link.hex()} != {stated}")
    prev = link
    if d.get("kind") == "action":
        evidence.add(d["evidence"])


def value(v, typ):
    if v is None:
        return b"\x00"
    if isinstance(v, list):  # map
        out = b"\x01" + u64(len(v))
        for k, x in v:
            out += value(k, "str") + value(x, "str")
        return out
    if isinstance(v, bool):
        b = b"true" if v else b"false"
    elif isinstance(v, float):
        b = struct.pack("<d", v)
    elif isinstance(v, int):
        b = str(v).encode()
    else:
        b = v.encode()
    return b"\x01" + u64(len(b)) + b


table = ds.dataset(case / "parquet" / "db_events", format="parquet", partitioning="hive").to_table()
names = [n for n in table.schema.names if n != "date"]
# Timestamps as integers in the column's unit.
cols = {}
for name in names:
    col = table.column(name)
    if str(col.type).startswith("timestamp"):
        col = col.cast("int64")
    cols[name] = col.to_pylist()
hashes = set()
for i in range(table.num_rows):
    h = blake3.blake3(derive_key_context="agaudit 2026-11 evidence row v1")
    for name in names:
        h.update(u64(len(name)) + name.encode())
        h.update(value(cols[name][i], None))
    hashes.add("db_events:" + h.hexdigest())
db_evidence = {e for e in evidence if e.startswith("db_events:")}
missing = db_evidence - hashes
if missing:
    fail(f"{len(missing)} ledger evidence hashes match no db_events row, e.g. {sorted(missing)[0]}")
print(f"ok: {len(lines)} records, {len(db_evidence)} db_events evidence rows recomputed")

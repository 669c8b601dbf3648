#!/usr/bin/env python3
"""An insider's consistent rewrite, written from docs/ledger.md alone: change one field of one
record, recompute every later `prev` and `hash` with the published algorithm, and rewrite
ledger/head to match, so that the chain verifies from genesis.

Usage: rewrite_ledger_by_hand.py CASE_DIR SEQ FIELD NEW_VALUE
(NEW_VALUE must be written bare: ASCII letters, digits and -_.:/@+,*~#%).
"""
import pathlib
import struct
import sys

import blake3

case = pathlib.Path(sys.argv[1])
target, field, new = int(sys.argv[2]), sys.argv[3], sys.argv[4]
u64 = lambda n: struct.pack("<Q", n)  # noqa: E731


def dk(context, data):
    return blake3.blake3(data, derive_key_context=context).digest()


ledger = case / "ledger" / "ledger.log"
lines = ledger.read_bytes()[:-1].decode().split("\n")
out, prev = [], None
for n, line in enumerate(lines, 1):
    record = line[: line.rindex(" hash=")]
    if n == 1:
        case_id = record.split(" case=", 1)[1].split(" ", 1)[0].encode()
        prev = dk("agaudit 2026-11 ledger genesis v1", u64(len(case_id)) + case_id)
    body = record[: record.rindex(" prev=")]
    if n == target:
        fields = body.split(" ")
        fields = [f"{field}={new}" if f.startswith(field + "=") else f for f in fields]
        body = " ".join(fields)
    record = f"{body} prev={prev.hex()}"
    rb = record.encode()
    prev = dk("agaudit 2026-11 ledger record v1", prev + u64(n) + u64(len(rb)) + rb)
    out.append(f"{record} hash={prev.hex()}")
ledger.write_text("\n".join(out) + "\n")
(case / "ledger" / "head").write_text(f"seq={len(out)} hash={prev.hex()}\n")
print(f"rewrote record {target}: {field}={new}; {len(out) - target} later records rehashed")

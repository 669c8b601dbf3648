#!/usr/bin/env python3
"""The ledger's Merkle tree and signed checkpoints, written from docs/ledger.md alone (RFC 9162
§2.1 for the proof algorithms), with the `blake3` Python package and Debian's `minisign`.

Usage:
  verify_tree_by_hand.py vectors verify/testdata/tree.json
      recompute every leaf, root, inclusion and consistency proof of the vectors
  verify_tree_by_hand.py checkpoint LEDGER_LOG CHECKPOINT_TXT PUBKEY
      check the checkpoint's signature with minisign, then that the ledger's first SIZE records
      have its root and its chain hash
  verify_tree_by_hand.py proof PROOF PUBKEY
      an inclusion proof (agaudit prove): the checkpoint's signature with minisign, then the
      record's audit path up to the signed root

Prints `ok: …`, or the first problem and exits 1.
"""
import base64
import json
import subprocess
import sys

import blake3

LEAF = "agaudit 2026-12 ledger leaf v1"
NODE = "agaudit 2026-12 ledger node v1"


def h(context, data):
    return blake3.blake3(data, derive_key_context=context).digest()


def leaf(line):
    return h(LEAF, line)


def node(left, right):
    return h(NODE, left + right)


def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d):
    if len(d) == 1:
        return d[0]
    k = split(len(d))
    return node(mth(d[:k]), mth(d[k:]))


def path(m, d):
    if len(d) <= 1:
        return []
    k = split(len(d))
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m, d, b):
    if m == len(d):
        return [] if b else [mth(d)]
    k = split(len(d))
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def verify_inclusion(index, size, leaf_hash, proof, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, proof):
    """RFC 9162 §2.1.4.2."""
    if first == second:
        return not proof and first_hash == second_hash
    if first == 0 or first > second or not proof and first & (first - 1):
        return False
    if first & (first - 1) == 0:
        proof = [first_hash] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


def fail(msg):
    print(msg)
    sys.exit(1)


def vectors(path_):
    v = json.load(open(path_))
    if v["leaf_context"] != LEAF or v["node_context"] != NODE:
        fail("contexts differ from docs/ledger.md")
    leaves = [leaf(bytes.fromhex(x)) for x in v["leaf_inputs"]]
    if [x.hex() for x in leaves] != v["leaf_hashes"]:
        fail("leaf hashes differ")
    for r in v["roots"]:
        if mth(leaves[: r["size"]]).hex() != r["root"]:
            fail(f"root of size {r['size']} differs")
    for p in v["inclusion"]:
        i, n = p["index"], p["size"]
        got = [x.hex() for x in path(i, leaves[:n])]
        if got != p["path"]:
            fail(f"inclusion path {i} of {n} differs")
        if not verify_inclusion(i, n, leaves[i], [bytes.fromhex(x) for x in p["path"]], mth(leaves[:n])):
            fail(f"inclusion path {i} of {n} does not verify")
    for p in v["consistency"]:
        m, n = p["old_size"], p["new_size"]
        got = [x.hex() for x in (subproof(m, leaves[:n], True) if m < n else [])]
        if got != p["path"]:
            fail(f"consistency proof {m} -> {n} differs")
        if not verify_consistency(m, n, mth(leaves[:m]), mth(leaves[:n]), [bytes.fromhex(x) for x in p["path"]]):
            fail(f"consistency proof {m} -> {n} does not verify")
    print(f"ok: {len(leaves)} leaves, {len(v['roots'])} roots, {len(v['inclusion'])} inclusion and "
          f"{len(v['consistency'])} consistency proofs")


def checkpoint(ledger, body_path, pubkey):
    run = subprocess.run(["minisign", "-Vm", body_path, "-p", pubkey], capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"minisign: {run.stderr.strip() or run.stdout.strip()}")
    body = open(body_path, "rb").read().decode()
    lines = body.split("\n")
    if len(lines) != 6 or lines[5] != "" or not lines[0].startswith("agaudit/case/"):
        fail("not a checkpoint body")
    size = int(lines[1])
    root = base64.b64decode(lines[2], validate=True)
    word, chain_size, chain = lines[3].split(" ")
    if word != "chain" or int(chain_size) != size:
        fail("bad chain line")
    records = open(ledger, "rb").read().split(b"\n")[:-1]
    if len(records) < size:
        fail(f"the ledger has {len(records)} records, the checkpoint covers {size}")
    if mth([leaf(r) for r in records[:size]]) != root:
        fail(f"the ledger's first {size} records are not the ones signed (root differs)")
    if not records[size - 1].endswith(b" hash=" + chain.encode()):
        fail(f"record {size}'s hash is not the signed chain hash")
    print(f"ok: signature valid, ledger matches the checkpoint of {size} records")


def proof(path_, pubkey):
    import tempfile

    lines = open(path_, "rb").read().decode().split("\n")
    if len(lines) != 17 or lines[16] != "" or lines[0] != "agaudit-proof v1":
        fail("not an agaudit-proof v1 file of 16 lines")
    case, seq, record = lines[1][5:], int(lines[2][4:]), lines[3][7:]
    hashes = [bytes.fromhex(x) for x in lines[4].split(" ")[1:]]
    body = "".join(x + "\n" for x in lines[6:11])
    sig = "".join(x + "\n" for x in lines[12:16])
    with tempfile.TemporaryDirectory() as d:
        open(d + "/c.txt", "w").write(body)
        open(d + "/c.txt.minisig", "w").write(sig)
        run = subprocess.run(["minisign", "-Vm", d + "/c.txt", "-p", pubkey], capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"minisign: {run.stderr.strip() or run.stdout.strip()}")
    blines = body.split("\n")
    if blines[0] != "agaudit/case/" + case:
        fail("the checkpoint is of another case")
    size, root = int(blines[1]), base64.b64decode(blines[2], validate=True)
    if not record.startswith(f"seq={seq} "):
        fail("the record is not the one the proof names")
    if not verify_inclusion(seq - 1, size, leaf(record.encode()), hashes, root):
        fail(f"record {seq} is not in the signed tree of {size} records")
    print(f"ok: signature valid, record {seq} is in the signed ledger of case {case} ({size} records)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["vectors"]:
        vectors(sys.argv[2])
    elif sys.argv[1:2] == ["checkpoint"]:
        checkpoint(*sys.argv[2:5])
    elif sys.argv[1:2] == ["proof"]:
        proof(*sys.argv[2:4])
    else:
        fail(__doc__)

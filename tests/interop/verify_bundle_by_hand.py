#!/usr/bin/env python3
"""An independent verifier of an agaudit evidence bundle, written from docs/ledger.md and
docs/verify-by-hand.md alone (not from agaudit's source), with Python's tarfile, Debian's
`minisign`, `b3sum` when it is on PATH, and the `blake3` Python package.

Usage: verify_bundle_by_hand.py BUNDLE PUBKEY

Prints one line per check, `valid` or `INVALID`, the check and where; exit 0 when every check is
valid, 1 when one is not, 2 when the input cannot be used (unreadable files, no minisign).
"""
import base64, os, pathlib, re, shutil, struct, subprocess, sys, tarfile, tempfile  # noqa: E401

import blake3

MANIFEST, SIG, LEDGER = "manifest.txt", "manifest.txt.minisig", "ledger.log"
KINDS = ("bundle", "range", "ledger", "filter", "member", "custody", "tree", "consistency")
bad = []


def check(ok, what, where, detail, failure=None):
    print(f"{'valid' if ok else 'INVALID'} {what} {where}: {detail if ok else failure or detail}")
    bad.extend([] if ok else [what])
    return ok


def finish():
    shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if bad else 0)


def unusable(msg):
    print(f"verify_bundle_by_hand.py: {msg}", file=sys.stderr)
    sys.exit(2)


def fields(record):  # `key=value` joined by single spaces, values bare or quoted (docs/ledger.md)
    out, i = [], 0
    while i < len(record):
        eq = record.index("=", i)
        key, i = record[i:eq], eq + 1
        if not re.fullmatch(r"[a-z0-9_]+", key):
            raise ValueError(f"bad key {key!r}")
        if record.startswith('"', i):
            i, val = i + 1, []
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
            value, i = "".join(val), i + 1
        else:
            end = record.find(" ", i)
            end = len(record) if end < 0 else end
            value, i = record[i:end], end
        out.append((key, value))
        if i < len(record):
            if record[i] != " " or i + 1 == len(record):
                raise ValueError(f"expected one space after {key}=")
            i += 1
    return out


def dk(context, data):
    return blake3.blake3(data, derive_key_context=context).digest()


u64 = lambda n: struct.pack("<Q", n)  # noqa: E731
b3 = lambda b: blake3.blake3(b).hexdigest()  # noqa: E731


def record_problem(line, seq, prev, case):
    """What is wrong with `line` as record `seq` after the link `prev` (None if nothing), its link."""
    cut = line.rindex(b" hash=")
    record, stated = line[:cut], line[cut + 6:].decode()
    f = fields(record.decode())
    got, link = dict(f), dk("agaudit 2026-11 ledger record v1", prev + u64(seq) + u64(len(record)) + record)
    if f[0] != ("seq", str(seq)):
        return f"expected seq={seq}, found {f[0][0]}={f[0][1]}: a record was deleted, inserted or moved", link
    if seq == 1 and got.get("case") != case:
        return f"record 1 names case {got.get('case')}, the manifest {case}", link
    if got.get("prev") != prev.hex():
        return f"expected prev={prev.hex()} (the previous record's hash), found {got.get('prev')}", link
    if link.hex() != stated:
        return f"the record hashes to {link.hex()} but the line says hash={stated}: it was edited", link
    return None, link


if len(sys.argv) != 3:
    unusable("usage: verify_bundle_by_hand.py BUNDLE PUBKEY")
bundle, pubkey = (pathlib.Path(a).resolve() for a in sys.argv[1:])
for p in (bundle, pubkey):
    if not p.is_file():
        unusable(f"cannot read {p}")
if not shutil.which("minisign"):
    unusable("minisign is not on PATH (apt-get install minisign)")
tmp = pathlib.Path(tempfile.mkdtemp(prefix="bundle-"))

# (a) Unpack: one top directory holding regular files only; any other entry is refused.
try:
    with tarfile.open(bundle, "r:") as tar:  # plain POSIX tar
        entries = tar.getmembers()
        top = entries[0].name.split("/")[0] if entries else ""
        for e in entries:
            parts = e.name.split("/")
            is_top = e.isdir() and len(parts) == 1
            is_member = e.isfile() and len(parts) == 2 and parts[1] not in ("", ".", "..")
            seen = (tmp / e.name).exists()
            if top in ("", ".", "..") or parts[0] != top or seen or not (is_top or is_member):
                check(False, "archive", f"entry {e.name!r}", "expected a file directly in the top directory")
                finish()
            (tmp / top).mkdir(exist_ok=True)
            if e.isfile():
                (tmp / e.name).write_bytes(tar.extractfile(e).read())
except (tarfile.TarError, OSError) as e:
    check(False, "archive", bundle.name, f"not a readable tar archive: {e}")
    finish()
d, files = tmp / top, sum(e.isfile() for e in entries)
if not check((d / MANIFEST).is_file(), "archive", f"{top}/", f"{files} members", f"no {MANIFEST}"):
    finish()

# (b) Signature: Debian minisign checks manifest.txt against manifest.txt.minisig with the key;
# the trusted comment it prints must name manifest=<blake3 of manifest.txt>.
text = (d / MANIFEST).read_bytes()
mhash = b3(text)
sig = (d / SIG).read_text(errors="replace").split("\n") if (d / SIG).is_file() else []
named = "".join(re.findall(r" manifest=([0-9a-f]{64})$", sig[2] if len(sig) > 2 else ""))
minisign = ["minisign", "-V", "-p", pubkey, "-m", MANIFEST]  # reads manifest.txt.minisig
run = subprocess.run(minisign, cwd=d, capture_output=True, text=True)
trusted = "".join(re.findall(r"^Trusted comment: (.*)$", run.stdout, re.M))
if run.returncode == 0:
    check(f" manifest={mhash}" in f" {trusted}", "signature", MANIFEST,
          f"signed by the key; the trusted comment names manifest={mhash}, the b3sum of {MANIFEST}",
          f"signed, but the trusted comment `{trusted}` does not name manifest={mhash}")
elif "key id" in run.stderr:
    check(False, "signature", f"{SIG} line 2", f"signed by a different key than {pubkey.name}")
elif "Comment signature" in run.stderr:
    check(False, "signature", f"{SIG} line 3", "the manifest verifies but the trusted comment was altered")
elif named and named != mhash:
    check(False, "signature", MANIFEST, f"hashes to {mhash} but the signed comment names manifest={named}: "
          "the manifest was altered or replaced, or the signature belongs to another manifest")
else:
    check(False, "signature", SIG, f"does not verify: {(run.stderr or run.stdout).strip()}")

# The manifest: logfmt lines, the first field kind=.
m, where = {"member": [], "custody": [], "consistency": []}, MANIFEST
try:
    for n, line in enumerate(text.decode().split("\n")[:-1], 1):
        where, f = f"{MANIFEST} line {n}", fields(line)
        assert f[0][0] == "kind" and f[0][1] in KINDS, "expected kind= first, one of " + " ".join(KINDS)
        if f[0][1] in ("member", "custody", "consistency"):
            m[f[0][1]].append(dict(f))
        else:
            m[f[0][1]] = dict(f)
    where, b, r = MANIFEST, m["bundle"], m["range"]
    case, first, last, records = b["case"], int(r["first_seq"]), int(r["last_seq"]), int(r["records"])
    assert b["format"] == "agaudit-bundle" and b["version"] in ("1", "2"), "expected format=agaudit-bundle version 1 or 2"
    assert re.fullmatch("[0-9a-f]{64}", r["anchor"]) and first >= 1, "expected first_seq>=1, a 64-hex anchor"
    assert LEDGER in [f["name"] for f in m["member"]], f"expected a member line for {LEDGER}"
except (ValueError, KeyError, IndexError, AssertionError) as e:
    check(False, "manifest", where, f"unreadable: {e!r}")
    finish()
check(top == f"agaudit-bundle-{case}-{first}-{last}", "archive", f"{top}/", "named after the case and range",
      f"the manifest's case and range name agaudit-bundle-{case}-{first}-{last}/")
want = f"agaudit-bundle v{b['version']} case={case} seq={first}..{last} records={records} head={r['head']} " \
    f"manifest={mhash}"
if run.returncode == 0:
    check(trusted == want, "signature", f"{SIG} line 3", f"trusted comment `{trusted}`",
          f"trusted comment is `{trusted}`, expected `{want}` from the manifest")
untrusted = f"untrusted comment: agaudit bundle manifest signature, case {case} records {first}..{last}"
check(sig[:1] == [untrusted] and len(sig) == 5 and sig[4] == "", "signature", f"{SIG} line 1",
      "4 lines, the untrusted comment as agaudit writes it", f"expected 4 lines, the first `{untrusted}`")

# (c) Members: each listed file with its bytes and blake3 (b3sum --check), and nothing unlisted.
listed = {f["name"]: f for f in m["member"]}
present = [n for n in listed if (d / n).is_file()]
if shutil.which("b3sum"):
    (tmp / "sums").write_text("".join(f"{listed[n]['blake3']}  {n}\n" for n in present))
    out = subprocess.run(["b3sum", "--check", tmp / "sums"], cwd=d, capture_output=True, text=True)
    result = dict(line.rsplit(": ", 1) for line in out.stdout.splitlines())  # NAME: OK or FAILED
else:
    result = {n: "OK" if b3((d / n).read_bytes()) == listed[n]["blake3"] else "FAILED" for n in present}
for name, f in listed.items():
    size = (d / name).stat().st_size if name in present else None
    found = f"found {size} bytes, blake3 {result.get(name)}" if size is not None else "it is missing"
    check(result.get(name) == "OK" and size == int(f["bytes"]), "member", name, f"{size} bytes, blake3 "
          f"{f['blake3']}", f"the manifest says {f['bytes']} bytes blake3 {f['blake3']}; {found}")
for name in sorted(set(os.listdir(d)) - set(listed) - {MANIFEST, SIG}):
    check(False, "member", name, "in the bundle but not in the manifest: a member was added")

# (d) Chain: recompute ledger.log from the anchor (the genesis of the case when first_seq=1).
genesis = dk("agaudit 2026-11 ledger genesis v1", u64(len(case.encode())) + case.encode())
if first == 1 and not check(r["anchor"] == genesis.hex(), "chain", f"{MANIFEST} range",
                            f"the anchor is the genesis of case {case}",
                            f"the anchor is {r['anchor']}, the genesis of case {case} is {genesis.hex()}"):
    finish()
prev, seq, problem = bytes.fromhex(r["anchor"]), first - 1, None
lines = (d / LEDGER).read_bytes().split(b"\n") if (d / LEDGER).is_file() else [b""]
for n, line in enumerate(lines[:-1], 1):
    try:
        why, link = record_problem(line, seq + 1, prev, case)
    except (ValueError, IndexError, KeyError) as e:
        why = f"not a record: {e!r}"
    if why:
        problem = (f"{LEDGER} line {n} (record {seq + 1})", why)
        break
    prev, seq = link, seq + 1
if not problem and lines[-1]:
    problem = (f"{LEDGER} line {len(lines)} (record {seq + 1})", "ends in an incomplete record: it was cut")
elif not problem and (seq, seq - first + 1) != (last, records):
    problem = (f"{LEDGER} line {seq - first + 2} (record {seq + 1})", f"holds records {first}..{seq}, "
               f"the manifest says {first}..{last} ({records}): records were removed or added")
elif not problem and prev.hex() != r["head"]:
    problem = (f"{LEDGER} line {seq - first + 1} (record {seq})", f"ends at {prev.hex()}, the manifest's head "
               f"is {r['head']}: records were edited and the chain re-hashed")
good = f"records {first}..{last} ({records}) recompute from the anchor {r['anchor']} to the head {r['head']}"
check(not problem, "chain", *(problem or (LEDGER, good)))


# (e) Rows (version 2): each Parquet row hashes (docs/ledger.md, "Evidence row hash": the same
# encoding) to the row= of the latest record of its id in the slice.
def row_hash(table, i, names):
    h = blake3.blake3(derive_key_context="agaudit 2026-11 evidence row v1")
    for name in names:
        v = table[name][i]
        h.update(u64(len(name)) + name.encode())
        if v is None:
            h.update(b"\x00")
            continue
        if isinstance(v, list):
            h.update(b"\x01" + u64(len(v)))
            for k, x in v:
                for part in (k, x):
                    h.update(b"\x00" if part is None else b"\x01" + u64(len(str(part).encode())) + str(part).encode())
            continue
        data = (b"true" if v else b"false") if isinstance(v, bool) else struct.pack("<d", v) \
            if isinstance(v, float) else str(v).encode()
        h.update(b"\x01" + u64(len(data)) + data)
    return h.hexdigest()


# (f) Tree (version 2, docs/ledger.md "The Merkle tree", docs/formats.md): the frontier's subtree
# roots and the slice's leaves give the root of records 1..last_seq; checkpoint.txt signs it
# (minisign -V); each consistency proof leads from an earlier tree to it (RFC 9162 §2.1.4.2).
if b["version"] == "2" and not problem:
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    from verify_tree_by_hand import leaf, node, verify_consistency

    t = m.get("tree", {})
    frontier = [bytes.fromhex(x) for x in t.get("frontier", "").split(",") if x]
    heights = [h for h in range(63, -1, -1) if (first - 1) >> h & 1]
    stack = list(zip(heights, frontier)) if len(heights) == len(frontier) else None
    if stack is not None:
        for line in lines[:-1]:
            h, height = leaf(line), 0
            while stack and stack[-1][0] == height:
                h, height = node(stack.pop()[1], h), height + 1
            stack.append((height, h))
        root = stack[-1][1]
        for _, left in reversed(stack[:-1]):
            root = node(left, root)
    ok = stack is not None and t.get("root") == root.hex() and int(t.get("size", -1)) == last
    check(ok, "tree", MANIFEST, f"records 1..{last} have root {t.get('root')}",
          "the frontier and the slice do not give the manifest's tree root")
    cp = d / "checkpoint.txt"
    run = subprocess.run(["minisign", "-V", "-p", pubkey, "-m", cp], capture_output=True, text=True)
    body = cp.read_text().split("\n") if cp.is_file() else []
    check(run.returncode == 0 and ok and body[:4] == [f"agaudit/case/{case}", str(last),
          base64.b64encode(root).decode(), f"chain {last} {r['head']}"], "checkpoint", "checkpoint.txt",
          "signed by the key, naming this tree", "not signed by the key, or not of this tree")
    for c in m["consistency"]:
        path = [bytes.fromhex(x) for x in c["path"].split(",") if x]
        check(ok and verify_consistency(int(c["size"]), last, bytes.fromhex(c["root"]), root, path),
              "consistency", MANIFEST, f"extends the tree of {c['size']} records",
              f"the proof from the tree of {c['size']} records does not hold")

if b["version"] == "2" and not problem:
    import pyarrow.parquet as pq

    text_lines = [x.decode() for x in lines[:-1]]
    for member, kind, id_col in (("actions.parquet", "action", "action_id"), ("findings.parquet", "finding", "finding_id")):
        if member not in listed:
            continue
        recorded = {}
        for line in text_lines:
            f = dict(fields(line[: line.rindex(" hash=")]))
            if f.get("kind") == kind:
                recorded[f[kind]] = f.get("row")
        t = pq.read_table(d / member)
        cols = {}
        for name in t.schema.names:
            col = t.column(name)
            if str(col.type).startswith("timestamp"):
                col = col.cast("int64")
            cols[name] = col.to_pylist()
        wrong = [cols[id_col][i] for i in range(t.num_rows)
                 if recorded.get(cols[id_col][i]) != row_hash(cols, i, t.schema.names)]
        check(not wrong, "rows", member, f"{t.num_rows} rows, each the row= of its record",
              f"{len(wrong)} row(s) are not the ones their records name, e.g. {kind} {wrong[:1]}")
finish()

#!/usr/bin/env python3
"""Crash trials: SIGKILL agaudit's ingest, correlate and export at random moments, then check
that the case survives.

Why this exists: the hardening requirement says "kill ingest, correlate and export with SIGKILL
at random moments (at least 100 trials in a script, a handful in CI) and then check that the
ledger's complete records verify, that a rerun completes, and that no record is duplicated or
lost". A kill -9 can land anywhere: while Parquet parts are written, before ingest.json is
replaced, between the actions table and the ledger append, inside the ledger's one write (a torn
last line, docs/ledger.md "Torn tail"), between the bundle's rename and its export record. Unit
tests cut a ledger file at chosen bytes; this script kills the real binaries instead.

First a reference: the README's pipeline (ingest with its labels and log_line_prefix, correlate
with fixtures/policy/agents.hcl, export with a key made once by keygen --no-password) on a copy
of the committed fixtures taken at the start (WORK/inputs, where every command runs), with no
kill, three times: the records every trial must end with, the exit codes, and each stage's
median duration. Then each trial (stages rotate ingest, correlate, export):

  - a fresh case; the stages before the victim run normally;
  - the victim starts and gets SIGKILL after a random delay between 0 and a bit more than its
    reference duration, so some kills land after it finished (counted apart);
  - (1) the ledger's complete records verify: `agaudit log --json`, run on a copy of
    CASE/ledger/ because log appends a view record. A torn last line is accepted only as
    docs/ledger.md describes it: log reports it and exits 1, and the next correlate moves it to
    ledger/torn-OFFSET.bin and records the recovery in a checkpoint (checked after the rerun);
  - (2) the pipeline is re-run from the killed stage onward and must complete with the exit codes
    of the reference run (correlate exits 1 on the fixtures by design: a control failed). That
    includes an export killed after it recorded itself, or after it finished: the rerun
    publishes the recorded OUT.partial or finds OUT already recorded, and records nothing;
  - (3) the final ledger's records equal the reference run's, as a multiset and in order, once
    the run-dependent fields are set aside (RUN_DEPENDENT below), and the records present right
    after the kill are still its first lines (append-only: nothing rewritten);
  - (4) the bundle verifies with agaudit-verify against the public key, and is the one the
    ledger's export record describes (same case, slice and head).

Run it from anywhere (it never builds; point it at built binaries):

    scripts/crash_trials.py --agaudit target/release/agaudit \\
        --verify target/release/agaudit-verify                      # 100 trials
    scripts/crash_trials.py --agaudit ... --verify ... --trials 6   # a handful, for CI

The seed is printed; --seed S replays the same stages and delays (timings still vary).
Exit 0 when every trial passes, 1 when one fails (its directory is kept and printed: case,
bundle, steps.txt with every command, exit code and stderr), 2 when the reference run fails.
Python 3.11, standard library only.
"""

import argparse
import collections
import json
import os
import random
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Where every agaudit command runs: WORK/inputs, holding a copy of the fixture files and the
# policy taken at the start (main). A working tree can change under a long run (fixtures being
# regenerated), and a reference taken on other bytes would fail every later trial.
INPUTS = None

# The README's first command: the same files, labels and log_line_prefix. Paths stay relative
# and every command runs in INPUTS, so ingest records carry the same `path` in every run.
INGEST_OPTIONS = [
    "--label", "server=prod-postgres",
    "--label", "mcp_server=reporting",
    "--pg-prefix", "%m [%p] %q%u@%d app=%a client=%h session=%c sqlstate=%e ",
]
FIXTURE_FILES = [
    "fixtures/pgaudit/postgresql.log",
    "fixtures/pgaudit/postgresql.csv",
    "fixtures/pgaudit/postgresql.json",
    "fixtures/otlp/traces.jsonl",
    "fixtures/otlp/logs.jsonl",
    "fixtures/otlp/claude-code-logs.jsonl",
    "fixtures/mcp/traffic.jsonl",
    "fixtures/mcp/traffic-code-helper.jsonl",
    "fixtures/mcp/traffic-data-export.jsonl",
    "fixtures/mcp/tools-list.json",
]
POLICY = "fixtures/policy/agents.hcl"
STAGES = ("ingest", "correlate", "export")

# Delays are drawn from [0, SLACK x the stage's reference duration]: the extra quarter makes
# some kills land after the stage finished, which must be harmless too.
SLACK = 1.25
# No stage takes more than a fraction of a second on the fixtures; a command still running after
# this is hung (a lock left behind, say) and fails the trial instead of blocking the script.
TIMEOUT_S = 120

# Ledger fields that legitimately differ between two runs of the same pipeline (docs/ledger.md,
# "Record kinds"), set aside before comparing a trial's ledger with the reference's:
RUN_DEPENDENT = {
    # The chain: seq shifts when a torn-tail recovery checkpoint is inserted, and prev/hash
    # cover the timestamps below. The chain itself is verified by `agaudit log`.
    "*": {"seq", "prev", "hash"},
    # ts is the wall clock; `case` (record 1) is a fresh random id per case directory
    # (case.rs new_id: path, time, pid); `appended` is the batch size, which differs when a
    # kill cut a batch and the rerun appended only the rest (checked by check_structure);
    # correlate's inputs and state fingerprint ingest.json, which holds the case id and times.
    "checkpoint": {"ts", "case", "appended", "inputs", "state"},
    # ts is ingest.json's ingested_at: the time of the ingest run.
    "ingest": {"ts"},
    # ts is when correlate recorded the policy.
    "policy": {"ts"},
    # ts is the export time; manifest is the blake3 of a manifest that holds the export time;
    # head is the hash of the slice's last record (chain-derived); last_seq moves with seq.
    # check_structure and check_bundle tie head and last_seq to the ledger and the bundle.
    "export": {"ts", "head", "manifest", "last_seq"},
    # export signs a checkpoint of the ledger it leaves: its time, size (moves with seq), root and
    # head (chain-derived) and file name (named by the size); check_structure ties size and head
    # to the ledger.
    "signed_checkpoint": {"ts", "size", "root", "head", "file"},
    # action ts is the observed access's time (from the logs), not the wall clock: kept.
}
TORN_NOTE = "torn_tail_recovered"


class TrialFailure(Exception):
    """A check failed; the message says which and what was seen."""


@dataclass
class Tools:
    agaudit: str
    verify: str
    key: Path
    pub: Path


@dataclass
class Steps:
    """Every command of a trial with its exit code and stderr, for steps.txt (reproduction)."""

    lines: list = field(default_factory=list)

    def add(self, argv, rc, stderr="", note=""):
        self.lines.append(f"$ {shlex.join(str(a) for a in argv)}")
        self.lines.append(f"# exit {rc}{'  ' + note if note else ''}")
        for line in stderr.splitlines()[:20]:
            self.lines.append(f"#   {line}")

    def write(self, path):
        header = [f"# run in {INPUTS}: a copy of the fixtures and policy of {REPO}", f"cd {shlex.quote(str(INPUTS))}"]
        path.write_text("\n".join(header + self.lines) + "\n")


@dataclass
class LedgerState:
    """A case's ledger as found: its complete lines, torn bytes, and records as log printed them."""

    exists: bool
    lines: list
    torn: bytes
    records: list


def run(argv, steps, timeout=TIMEOUT_S):
    try:
        p = subprocess.run([str(a) for a in argv], cwd=INPUTS, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        steps.add(argv, "timeout")
        raise TrialFailure(f"{argv[1]} did not finish within {timeout} s: {shlex.join(map(str, argv))}")
    steps.add(argv, p.returncode, p.stderr)
    return p


def stage_argv(tools, stage, case, bundle):
    if stage == "ingest":
        return [tools.agaudit, "ingest", "--case", case, *INGEST_OPTIONS, *FIXTURE_FILES]
    if stage == "correlate":
        return [tools.agaudit, "correlate", "--case", case, "--policy", POLICY]
    return [tools.agaudit, "export", "--case", case, "--key", tools.key, "--out", bundle]


def run_stage(tools, stage, case, bundle, expect_rc, steps):
    p = run(stage_argv(tools, stage, case, bundle), steps)
    if p.returncode != expect_rc:
        raise TrialFailure(
            f"{stage} exited {p.returncode}, the reference run exited {expect_rc}: {p.stderr.strip()[:600]}"
        )


def read_ledger(tools, case, scratch, steps):
    """Reads CASE/ledger/ledger.log and verifies its complete records with `agaudit log`.

    log runs on a copy: it appends a view record after verifying, which would make the trial's
    ledger differ from the reference for a reason that has nothing to do with the kill.
    """
    path = case / "ledger" / "ledger.log"
    if not path.exists():
        return LedgerState(False, [], b"", [])
    raw = path.read_bytes()
    cut = raw.rfind(b"\n") + 1  # bytes after the last newline are a torn record (docs/ledger.md)
    lines, torn = raw[:cut].decode().splitlines(), raw[cut:]
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(case / "ledger", scratch / "ledger")
    p = run([tools.agaudit, "log", "--case", scratch, "--json", "--as", "crash-trials"], steps)
    records = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    if torn:
        # docs/ledger.md: "agaudit log reports them and exits 1". Exit 1 is also a broken chain,
        # so the message tells the two apart.
        if p.returncode != 1 or "ends in an incomplete record" not in p.stderr:
            raise TrialFailure(
                f"ledger has a torn tail of {len(torn)} bytes but agaudit log exited {p.returncode} "
                f"without reporting it as incomplete: {p.stderr.strip()[:600]}"
            )
    elif p.returncode != 0:
        raise TrialFailure(f"ledger does not verify (agaudit log exit {p.returncode}): {p.stderr.strip()[:600]}")
    # log --json writes sequence numbers and counts as numbers (schemas/log.schema.json).
    if len(records) != len(lines) or [r.get("seq") for r in records] != [i + 1 for i in range(len(lines))]:
        raise TrialFailure(f"agaudit log printed {len(records)} records for {len(lines)} complete lines")
    return LedgerState(True, lines, torn, records)


def normalise(records):
    """The records as comparable tuples, run-dependent fields and recovery checkpoints set aside."""
    out = []
    for r in records:
        if r.get("kind") == "checkpoint" and r.get("note") == TORN_NOTE:
            continue  # the reference has none; check_torn_recovery checks them against the kill
        drop = RUN_DEPENDENT["*"] | RUN_DEPENDENT.get(r.get("kind"), set())
        out.append(tuple(sorted((k, v) for k, v in r.items() if k not in drop)))
    return out


def check_structure(records, case_id):
    """What the normalisation sets aside is still checked, against the ledger itself."""
    if not records or records[0].get("note") != "opened" or records[0].get("case") != case_id:
        raise TrialFailure(f"record 1 is not the opening checkpoint of case {case_id}: {records[:1]}")
    since_checkpoint = 0
    for r in records[1:]:
        seq = int(r["seq"])
        if r["kind"] == "checkpoint":
            if r.get("note") == "opened":
                raise TrialFailure(f"record {seq} opens the case a second time")
            # A closing checkpoint counts the records of its batch; a recovery checkpoint starts
            # a new batch, so the complete records of a batch cut by a kill inside a line are
            # counted by nobody. A batch cut exactly at a line boundary leaves no torn tail, so
            # nothing starts a new batch and the next closing count is short: flagged here.
            if "appended" in r and int(r["appended"]) != since_checkpoint:
                raise TrialFailure(
                    f"record {seq} closes a batch of appended={r['appended']} but {since_checkpoint} "
                    "records follow the previous checkpoint"
                )
            since_checkpoint = 0
            continue
        if r["kind"] == "signed_checkpoint":
            # Closes its own batch (no closing checkpoint follows it), and signs every record
            # before it.
            size = int(r["size"])
            if size != seq - 1 or records[size - 1]["hash"] != r["head"]:
                raise TrialFailure(f"signed checkpoint record {seq} names size {size} head {r['head']}")
            since_checkpoint = 0
            continue
        since_checkpoint += 1
        if r["kind"] == "export":
            # No filters: the slice is the whole ledger up to the export, head its last record.
            last = int(r["last_seq"])
            if int(r["first_seq"]) != 1 or not 1 <= last < seq or records[last - 1]["hash"] != r["head"]:
                raise TrialFailure(f"export record {seq} names slice {r['first_seq']}..{last} head {r['head']}")
            if any(x["kind"] != "checkpoint" for x in records[last : seq - 1]):
                raise TrialFailure(f"export record {seq} leaves records after its slice's end {last}")


def check_torn_recovery(after_kill, final, case):
    """A torn tail seen after the kill must be recorded once, and saved byte for byte."""
    notes = [r for r in final.records if r.get("note") == TORN_NOTE]
    if not after_kill.torn:
        if notes:
            raise TrialFailure(f"no torn tail after the kill, yet the ledger records a recovery: {notes}")
        return
    offset = sum(len(line.encode()) + 1 for line in after_kill.lines)
    want = {
        # log --json writes counts as numbers (schemas/log.schema.json).
        "torn_line": len(after_kill.lines) + 1,
        "torn_offset": offset,
        "torn_bytes": len(after_kill.torn),
        "torn_saved_to": f"ledger/torn-{offset}.bin",
    }
    if len(notes) != 1 or any(notes[0].get(k) != v for k, v in want.items()):
        raise TrialFailure(f"torn tail of {len(after_kill.torn)} bytes at {offset}: expected one {want}, found {notes}")
    saved = case / want["torn_saved_to"]
    if not saved.exists() or saved.read_bytes() != after_kill.torn:
        raise TrialFailure(f"{saved} does not hold the torn bytes")


def first_three(counter):
    return [dict(t) for t in list(counter.elements())[:3]]


def compare_with_reference(final, reference):
    got, want = normalise(final.records), reference
    # Multiset first, so that a failure names what was lost or duplicated; then the order.
    lost = collections.Counter(want) - collections.Counter(got)
    extra = collections.Counter(got) - collections.Counter(want)
    if lost or extra:
        raise TrialFailure(
            f"records differ from the reference: {sum(lost.values())} lost {first_three(lost)}, "
            f"{sum(extra.values())} extra/duplicated {first_three(extra)}"
        )
    if got != want:
        at = next(i for i, (a, b) in enumerate(zip(got, want)) if a != b)
        raise TrialFailure(f"same records as the reference but in another order from normalised record {at + 1}")


def check_bundle(tools, bundle, final, case_id, steps):
    p = run([tools.verify, bundle, "--pubkey", tools.pub, "--json"], steps)
    if p.returncode != 0:
        raise TrialFailure(f"agaudit-verify exited {p.returncode} on {bundle}: {(p.stdout + p.stderr).strip()[:600]}")
    v = json.loads(p.stdout)
    exports = [r for r in final.records if r["kind"] == "export"]
    if not exports:
        raise TrialFailure(f"{bundle} exists but the ledger has no export record")
    e = exports[-1]
    got = (v.get("valid"), v.get("case_id"), v.get("first_seq"), v.get("last_seq"), v.get("head"))
    want = (True, case_id, int(e["first_seq"]), int(e["last_seq"]), e["head"])
    if got != want:
        raise TrialFailure(f"the bundle is not the one the ledger's export record describes: {got} != {want}")


def case_id_of(case):
    return json.loads((case / "ingest.json").read_text())["case_id"]


@dataclass
class Reference:
    durations: dict  # stage -> seconds, Popen to exit
    rcs: dict  # stage -> exit code
    records: list  # normalised


def reference_run(tools, work, name):
    """The pipeline once with no kill: durations, exit codes and the records every trial must end with."""
    steps = Steps()
    ref_dir = work / name
    case, bundle = ref_dir / "case", ref_dir / "bundle.tar"
    ref_dir.mkdir()
    durations, rcs = {}, {}
    try:
        for stage in STAGES:
            argv = stage_argv(tools, stage, case, bundle)
            t0 = time.monotonic()
            p = run(argv, steps)
            durations[stage] = time.monotonic() - t0
            rcs[stage] = p.returncode
            # correlate exits 1 when the source shows a policy violation went through, which
            # the fixtures contain; anything else is a broken build or checkout.
            if p.returncode not in ((0, 1) if stage == "correlate" else (0,)):
                raise TrialFailure(f"reference {stage} exited {p.returncode}: {p.stderr.strip()[:600]}")
        final = read_ledger(tools, case, ref_dir / "ledger-check", steps)
        case_id = case_id_of(case)
        check_structure(final.records, case_id)
        if any(r.get("note") == TORN_NOTE for r in final.records):
            raise TrialFailure("the reference ledger records a torn-tail recovery")
        check_bundle(tools, bundle, final, case_id, steps)
    finally:
        steps.write(ref_dir / "steps.txt")
    records = normalise(final.records)
    (ref_dir / "records.json").write_text(json.dumps([dict(r) for r in records], indent=1) + "\n")
    return Reference(durations, rcs, records)


# The reference pipeline runs this many times. The first run's records are the reference; the
# others must normalise to the same records (proof that RUN_DEPENDENT sets aside everything that
# differs between two uninterrupted runs, so a trial failure is never a normalisation artefact),
# and each stage's duration is the median of the runs: on a busy machine one run can take several
# times as long, and an inflated duration would make most kills land after the stage finished.
REFERENCE_RUNS = 3


def references(tools, work):
    runs = [reference_run(tools, work, f"reference-{i + 1}") for i in range(REFERENCE_RUNS)]
    first = runs[0]
    for i, r in enumerate(runs[1:], start=2):
        if r.rcs != first.rcs:
            raise TrialFailure(f"reference-{i} exit codes {r.rcs} differ from reference-1's {first.rcs}")
        if r.records != first.records:
            raise TrialFailure(f"reference-{i} normalises to other records than reference-1 (compare their records.json)")
    durations = {s: statistics.median(r.durations[s] for r in runs) for s in STAGES}
    return Reference(durations, first.rcs, first.records)


@dataclass
class Outcome:
    mid_run: bool = False  # the SIGKILL landed while the stage was running
    torn: int = 0  # bytes of torn tail found after the kill
    records: int = -1  # complete ledger records found after the kill (-1: no ledger yet)
    bundle: bool = False  # a bundle existed after the kill
    error: str = ""


def trial(tools, ref, stage, delay, trial_dir, outcome):
    steps = Steps()
    case, bundle = trial_dir / "case", trial_dir / "bundle.tar"
    trial_dir.mkdir()
    try:
        victim = STAGES.index(stage)
        for earlier in STAGES[:victim]:
            run_stage(tools, earlier, case, bundle, ref.rcs[earlier], steps)

        # The victim: start it, sleep, SIGKILL. Popen.kill() does nothing once the child has been
        # reaped, and an exited-but-unreaped child is a zombie whose pid cannot be reused, so only
        # this child is ever signalled. Exit status -SIGKILL means the kill landed mid-run.
        argv = stage_argv(tools, stage, case, bundle)
        with open(trial_dir / f"{stage}.stdout", "w") as out, open(trial_dir / f"{stage}.stderr", "w") as err:
            proc = subprocess.Popen([str(a) for a in argv], cwd=INPUTS, stdout=out, stderr=err)
            time.sleep(delay)
            proc.kill()
            rc = proc.wait(timeout=TIMEOUT_S)
        outcome.mid_run = rc == -signal.SIGKILL
        steps.add(argv, rc, (trial_dir / f"{stage}.stderr").read_text(),
                  f"SIGKILL after {delay * 1000:.1f} ms: {'landed mid-run' if outcome.mid_run else 'it had finished'}")
        if not outcome.mid_run and rc != ref.rcs[stage]:
            raise TrialFailure(f"{stage} finished on its own with exit {rc}, the reference run exited {ref.rcs[stage]}")

        # (1) The complete records verify, right after the kill.
        after_kill = read_ledger(tools, case, trial_dir / "ledger-check-after-kill", steps)
        outcome.torn = len(after_kill.torn)
        outcome.records = len(after_kill.lines) if after_kill.exists else -1
        outcome.bundle = bundle.exists()
        # Only correlate creates the ledger: after an ingest kill there is none yet, and a
        # correlate killed early may not have opened it. After correlate completed, it exists.
        if not after_kill.exists and stage == "export":
            raise TrialFailure("the ledger is missing after correlate completed")

        # (2) Rerun from the killed stage onward, whether or not the kill landed mid-run.
        rerun = STAGES[victim:]
        for s in rerun:
            run_stage(tools, s, case, bundle, ref.rcs[s], steps)

        # (3) The final ledger: verifies, no torn tail, append-only since the kill, recovery
        # recorded as documented, and the reference's records, each once, in the same order.
        final = read_ledger(tools, case, trial_dir / "ledger-check-final", steps)
        if final.torn:
            raise TrialFailure(f"the final ledger still ends in a torn tail of {len(final.torn)} bytes")
        if final.lines[: len(after_kill.lines)] != after_kill.lines:
            raise TrialFailure("records present after the kill were changed or removed by the rerun")
        case_id = case_id_of(case)
        check_structure(final.records, case_id)
        check_torn_recovery(after_kill, final, case)
        compare_with_reference(final, ref.records)

        # (4) The bundle verifies and is the one the ledger recorded.
        check_bundle(tools, bundle, final, case_id, steps)
    except TrialFailure as e:
        outcome.error = str(e)
    finally:
        steps.write(trial_dir / "steps.txt")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agaudit", required=True, help="path to a built agaudit binary")
    ap.add_argument("--verify", required=True, help="path to a built agaudit-verify binary")
    ap.add_argument("--trials", type=int, default=100, help="number of trials (default 100)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: a fresh one, printed)")
    ap.add_argument("--work", type=Path, default=None,
                    help="empty or new directory for cases, key and kept failures (default: a temporary one)")
    args = ap.parse_args()

    if args.work is None:
        work, temporary = Path(tempfile.mkdtemp(prefix="agaudit-crash-trials.")), True
    else:
        work, temporary = args.work.resolve(), False
        if work.exists() and any(work.iterdir()):
            sys.exit(f"crash_trials: --work {work} is not empty")
        work.mkdir(parents=True, exist_ok=True)
    global INPUTS
    INPUTS = work / "inputs"
    for f in FIXTURE_FILES + [POLICY]:
        if not (REPO / f).is_file():
            sys.exit(f"crash_trials: {REPO / f} is missing")
        (INPUTS / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / f, INPUTS / f)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    print(f"crash trials: {args.trials} trials, seed {seed}, work {work}")

    # One key for every run: the export record's `key` (the key id) must match the reference's.
    # Absolute binary paths: every command runs with the repository as its working directory.
    tools = Tools(str(Path(args.agaudit).resolve()), str(Path(args.verify).resolve()), work / "key.key", work / "key.pub")
    keygen = [tools.agaudit, "keygen", "--out", work / "key", "--no-password"]
    p = subprocess.run([str(a) for a in keygen], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"crash_trials: keygen failed: {p.stderr.strip()}")

    try:
        ref = references(tools, work)
    except TrialFailure as e:
        print(f"reference run FAILED: {e}\nkept {work}")
        return 2
    print(f"reference ({REFERENCE_RUNS} runs, median): " + ", ".join(
        f"{s} {ref.durations[s] * 1000:.1f} ms exit {ref.rcs[s]}" for s in STAGES
    ) + f"; {len(ref.records)} records (normalised in {work / 'reference-1' / 'records.json'})")

    stats = {s: collections.Counter() for s in STAGES}
    failed = []
    started = time.monotonic()
    for i in range(args.trials):
        stage = STAGES[i % len(STAGES)]
        bound = SLACK * ref.durations[stage]
        delay = rng.uniform(0, bound)
        trial_dir = work / f"trial-{i + 1:03d}-{stage}"
        outcome = Outcome()
        trial(tools, ref, stage, delay, trial_dir, outcome)
        st = stats[stage]
        st["trials"] += 1
        st["mid-run"] += outcome.mid_run
        st["finished"] += not outcome.mid_run
        st["torn"] += outcome.torn > 0
        st["failures"] += bool(outcome.error)
        landed = "killed mid-run" if outcome.mid_run else "had finished  "
        # What the kill left, to see which windows the trials reached.
        left = "no ledger" if outcome.records < 0 else f"{outcome.records:3d} records"
        left += f"{' + torn ' + str(outcome.torn) + ' B' if outcome.torn else ''}{', bundle' if outcome.bundle else ''}"
        result = f"FAIL: {outcome.error}" if outcome.error else "ok"
        print(f"trial {i + 1:3d}/{args.trials} {stage:9s} delay {delay * 1000:6.1f} of {bound * 1000:6.1f} ms"
              f"  {landed}  left {left:24s} {result}", flush=True)
        if outcome.error:
            failed.append(trial_dir)
        else:
            shutil.rmtree(trial_dir)  # keep only what needs looking at

    print(f"\n{args.trials} trials in {time.monotonic() - started:.1f} s (seed {seed})")
    cols = ("trials", "mid-run", "finished", "torn", "failures")
    print(f"{'stage':10s}" + "".join(f"{c:>10s}" for c in cols))
    for s in STAGES:
        print(f"{s:10s}" + "".join(f"{stats[s][c]:10d}" for c in cols))
    print(f"{'total':10s}" + "".join(f"{sum(stats[s][c] for s in STAGES):10d}" for c in cols))
    print("(mid-run: SIGKILL landed while the stage ran; finished: it had exited before the kill;"
          " torn: the ledger ended in a torn record after the kill)")
    if failed:
        print(f"\n{len(failed)} trial(s) FAILED; kept for inspection (steps.txt in each has the commands):")
        for d in failed:
            print(f"  {d}")
        return 1
    if temporary:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())

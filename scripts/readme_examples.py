#!/usr/bin/env python3
"""Regenerates the README's example outputs from real runs at 100 columns: the demo's excerpt
(`agaudit demo --width 100`, each section cut as EXCERPT says), and correlate, log, diff, map
and inventory on the README's own case (/tmp/audit/case, built from the fixtures as the README
says), each output put in place of the block under the `$ agaudit …` line that names it.

    scripts/readme_examples.py [--agaudit target/debug/agaudit]
"""
import argparse, os, re, shutil, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASE = "/tmp/audit/case"
PREFIX = "%m [%p] %q%u@%d app=%a client=%h session=%c sqlstate=%e "
INPUTS = [
    "fixtures/pgaudit/postgresql.log", "fixtures/pgaudit/postgresql.csv", "fixtures/pgaudit/postgresql.json",
    "fixtures/otlp/traces.jsonl", "fixtures/otlp/logs.jsonl", "fixtures/otlp/claude-code-logs.jsonl",
    "fixtures/mcp/traffic.jsonl", "fixtures/mcp/traffic-code-helper.jsonl", "fixtures/mcp/traffic-data-export.jsonl",
    "fixtures/mcp/tools-list.json",
]
# The commands whose output the README shows, as the README writes them.
SHOWN = [
    "agaudit correlate --case /tmp/audit/case --policy fixtures/policy/agents.hcl",
    "agaudit log --case /tmp/audit/case --kind action --agent 'code-helper@h2v6'",
    "agaudit diff --case /tmp/audit/case",
    "agaudit map --case /tmp/audit/case --agent reporting-assistant",
    "agaudit inventory --case /tmp/audit/case",
]


# Per demo section: how many of its first lines and of its last lines the excerpt keeps
# (None: all of it).
EXCERPT = {1: None, 2: (2, 0), 3: (13, 2), 4: (7, 0), 5: (0, 3), 6: (0, 2), 7: None, 8: (0, 5)}


def demo_excerpt(agaudit):
    out = subprocess.run([agaudit, "demo", "--width", "100", "--color", "never"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    sections = re.split(r"\n(?=== \d\. )", out.strip("\n"))
    kept = []
    for text in sections:
        n = int(re.match(r"== (\d)\.", text).group(1))
        lines = text.rstrip("\n").split("\n")
        # The heading may wrap: it ends at the first line that does not continue it.
        head = 1
        while head < len(lines) and lines[head][:1].islower() and \
                len(lines[head - 1]) + 1 + len(lines[head].split(" ")[0]) > 100:
            head += 1
        body = lines[head:]
        rule = EXCERPT.get(n)
        if rule is not None and sum(rule) < len(body):
            first, last = rule
            body = body[:first] + ["…"] + (body[len(body) - last:] if last else [])
        kept.append("\n".join(lines[:head] + body))
    return "\n\n".join(kept)


def trim(command, output):
    """Long outputs are shown in part: diff's first two findings, then its summary."""
    if not command.startswith("agaudit diff"):
        return output
    lines = output.split("\n")
    third = next((i for i, l in enumerate(lines) if l.startswith("── 3 ")), None)
    if third is None:
        return output
    last = max(i for i, l in enumerate(lines) if l.startswith("── "))
    summary = next((i for i in range(last, len(lines)) if lines[i][:1].isdigit()), len(lines))
    return "\n".join(lines[:third] + ["…"] + lines[summary:])


def run(agaudit, command):
    env = dict(os.environ, COLUMNS="100", AGAUDIT_CASE="")
    env.pop("NO_COLOR", None)
    args = command.replace("agaudit ", agaudit + " ", 1)
    out = subprocess.run(args, shell=True, cwd=ROOT, env=env, capture_output=True, text=True)
    return out.stdout.rstrip("\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--agaudit", default=os.path.join(ROOT, "target/debug/agaudit"))
    a = p.parse_args()
    shutil.rmtree(os.path.dirname(CASE), ignore_errors=True)
    ingest = [a.agaudit, "ingest", "--case", CASE, "--label", "server=prod-postgres", "--label",
              "mcp_server=reporting", "--pg-prefix", PREFIX, "--quiet", *INPUTS]
    subprocess.run(ingest, cwd=ROOT, check=True, capture_output=True)
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    excerpt = demo_excerpt(a.agaudit)
    pattern = re.compile(r"(An excerpt of the output[^\n]*\n\n```text\n).*?(\n```)", re.S)
    if not pattern.search(readme):
        sys.exit("README has no demo excerpt")
    readme = pattern.sub(lambda m: m.group(1) + excerpt + m.group(2), readme, count=1)
    for command in SHOWN:
        output = trim(command, run(a.agaudit, command))
        # The block: the `$ command` line (with any note after it) up to the closing fence.
        pattern = re.compile(r"(```text\n\$ " + re.escape(command) + r")[^\n]*\n.*?(\n```)", re.S)
        if not pattern.search(readme):
            sys.exit(f"README has no example block for: {command}")
        readme = pattern.sub(lambda m: m.group(1) + "\n" + output + m.group(2), readme, count=1)
    open(os.path.join(ROOT, "README.md"), "w", encoding="utf-8").write(readme)


if __name__ == "__main__":
    main()

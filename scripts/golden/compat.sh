#!/bin/sh
# The ledger's action records for the compatibility case, written by the agaudit binary $1:
# the README's ingest (pgAudit in three formats, OTLP, MCP) plus the committed ebpf-capture
# files of the MCP server, correlated under fixtures/policy/agents.hcl. Each line is a record
# from `ts=` up to ` prev=`: what the ledger's idempotence compares, and what names the exact
# evidence row (evidence=TABLE:ROW_HASH) and action id.
#
# tests/golden/compat.txt was written by this script with the agaudit of the commit before the
# tables were declared once (5a47b4f); tests/cli/compat.rs checks that every later agaudit
# writes the same lines, so existing cases re-correlate to nothing new. Regenerate it only on a
# deliberate format break (which also changes the context strings of docs/ledger.md), or when
# ingest deliberately stores less of an input (a redaction rule), which changes the rows a new
# ingest writes but not those an existing case holds. Rewritten so far: once, when span
# attributes' URL query values became `?` (two span records of url.full …?base=EUR).
#
# Usage (from the repository root): scripts/golden/compat.sh path/to/agaudit > tests/golden/compat.txt
set -eu
bin=${1:?usage: compat.sh AGAUDIT}
case=$(mktemp -d)
trap 'rm -rf "$case"' EXIT
"$bin" ingest --case "$case" --label server=prod-postgres --label mcp_server=reporting \
  --pg-prefix '%m [%p] %q%u@%d app=%a client=%h session=%c sqlstate=%e ' \
  fixtures/pgaudit/postgresql.log fixtures/pgaudit/postgresql.csv fixtures/pgaudit/postgresql.json \
  fixtures/otlp/traces.jsonl fixtures/otlp/logs.jsonl fixtures/otlp/claude-code-logs.jsonl \
  fixtures/mcp/traffic.jsonl fixtures/mcp/traffic-code-helper.jsonl fixtures/mcp/traffic-data-export.jsonl \
  fixtures/mcp/tools-list.json \
  fixtures/capture/mcp-traffic.cap fixtures/capture/mcp-traffic-code-helper.cap \
  fixtures/capture/mcp-traffic-data-export.cap >/dev/null
# Exit 1: the fixtures hold violations that went through.
"$bin" correlate --case "$case" --policy fixtures/policy/agents.hcl >/dev/null || [ $? -eq 1 ]
grep ' kind=action ' "$case/ledger/ledger.log" | sed -e 's/^seq=[0-9]* //' -e 's/ prev=.*$//'

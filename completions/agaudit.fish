# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_agaudit_global_optspecs
    string join \n h/help V/version
end

function __fish_agaudit_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_agaudit_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_agaudit_using_subcommand
    set -l cmd (__fish_agaudit_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c agaudit -n "__fish_agaudit_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agaudit -n "__fish_agaudit_needs_command" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "demo" -d 'Run the whole pipeline on embedded demo data and show what an auditor sees first'
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "ingest" -d 'Ingest raw log files into a case: detect, parse, redact, write Parquet and chain of custody'
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "policy" -d 'Work with policy files (the language is in docs/policy.md)'
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "correlate" -d 'Correlate a case against a policy: attribute every observed access, judge it, write the actions table and append the evidence to the hash-chained ledger'
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "diff" -d 'Compare what each MCP tool claims (its annotations) with what its calls were seen doing'
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "map" -d 'Show the access map: for each agent and resource, what the policy grants, what was observed (reads, writes, refused attempts, confidence), and the drift both ways'
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "inventory" -d 'List every agent identity seen in any source, the shared principals that unattributed actions came through, and what each source covers'
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "log" -d 'Print the case\'s ledger records as a table, after verifying the whole hash chain'
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "checkpoint" -d 'Sign a checkpoint of the case\'s ledger: its record count (tree size), Merkle root and last record\'s hash, in the C2SP tlog-checkpoint text layout, signed with minisign'
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "prove" -d 'Write an inclusion proof of one action: its ledger record, its audit path in the Merkle tree, and a signed checkpoint of the ledger'
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "timeline" -d 'Export the case\'s actions and findings as a timeline: the CSV Timesketch imports, OCSF events for a SIEM or data lake (JSON Lines), or plain JSON Lines or CSV'
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "report" -d 'Write the case as one self-contained HTML page: findings, the access map and a timeline as pictures, unattributed actions, coverage gaps and the agents'
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "keygen" -d 'Generate a minisign key pair for signing bundles: PREFIX.key (secret) and PREFIX.pub'
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "export" -d 'Export a signed evidence bundle: a contiguous slice of the ledger, the matching actions (and findings) as Parquet, and a minisign-signed manifest, in one tar archive'
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "verify" -d 'Verify an evidence bundle against your copy of the signer\'s public key'
complete -c agaudit -n "__fish_agaudit_using_subcommand demo" -l case -d 'Case directory for the demo (default: agaudit-demo in the system\'s temporary directory)' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand demo" -l width -d 'Width of the tables in characters (default: the terminal\'s, else $COLUMNS, else 100)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand demo" -l color -d 'Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c agaudit -n "__fish_agaudit_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agaudit -n "__fish_agaudit_using_subcommand demo" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_using_subcommand ingest" -l case -d 'Case directory' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand ingest" -l pg-prefix -d 'The servers\' log_line_prefix (same %-escapes as postgresql.conf), for every PostgreSQL file whose text carries one (stderr, and the text inside syslog, CloudWatch, Cloud SQL, Azure and Heroku envelopes: the part after their own header). Default: inferred per file' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand ingest" -l log-timezone -d 'The servers\' log_timezone, an IANA name (Asia/Shanghai, America/Chicago): resolves the time-zone abbreviations and local times in the logs, daylight saving included. Without it, an abbreviation with more than one meaning (CST, IST, BST) holds its file' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand ingest" -l label -d 'Tag every record of this call, e.g. server=prod-postgres (repeatable). The server label names database resources: SERVER/DATABASE/SCHEMA.TABLE; mcp_server=NAME names the MCP server of a tools/list file that carries no initialize result' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand ingest" -l json -d 'Print JSON (its schema is in schemas/, named in the command\'s description) instead of tables'
complete -c agaudit -n "__fish_agaudit_using_subcommand ingest" -s q -l quiet -d 'No progress bar and no table; errors and warnings still go to stderr'
complete -c agaudit -n "__fish_agaudit_using_subcommand ingest" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agaudit -n "__fish_agaudit_using_subcommand ingest" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_using_subcommand policy; and not __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c agaudit -n "__fish_agaudit_using_subcommand policy; and not __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_using_subcommand policy; and not __fish_seen_subcommand_from check" -f -a "check" -d 'Check a policy file: errors (exit 1) and warnings about rules that can never match or that compete, each at FILE:LINE:COLUMN with the line and a caret'
complete -c agaudit -n "__fish_agaudit_using_subcommand policy; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c agaudit -n "__fish_agaudit_using_subcommand policy; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_using_subcommand correlate" -l case -d 'Case directory' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand correlate" -l policy -d 'Policy file (HCL, docs/policy.md)' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand correlate" -l memory-budget -d 'Memory correlation may use, in bytes or with a K, M or G suffix (powers of 1024). A case that needs more is cut into parts (by trace, by time window of untraced statements, by host) that are correlated one after the other and merged: the same actions in the same order, at the cost of writing the parts to CASE/.correlate/ and reading them back (docs/correlation.md, "Partitions")' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand correlate" -l key -d 'Sign a checkpoint of the ledger with this secret key when the command grew it (as agaudit checkpoint does); keep the public key away from the case' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand correlate" -l password-file -d 'Read the secret key\'s password from the first line of FILE (else AGAUDIT_KEY_PASSWORD, else a prompt on a terminal)' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand correlate" -l json -d 'Print JSON (its schema is in schemas/, named in the command\'s description) instead of tables'
complete -c agaudit -n "__fish_agaudit_using_subcommand correlate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agaudit -n "__fish_agaudit_using_subcommand correlate" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_using_subcommand diff" -l case -d 'Case directory' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand diff" -l format -d 'Output format: a table fitted to the width, CSV (every column whole), one JSON document, or JSON Lines (one record per line)' -r -f -a "table\t''
csv\t''
json\t''
jsonl\t''"
complete -c agaudit -n "__fish_agaudit_using_subcommand diff" -l width -d 'Width of tables in characters (default: the terminal\'s, else $COLUMNS, else 100)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand diff" -l color -d 'Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c agaudit -n "__fish_agaudit_using_subcommand diff" -l fail-on -d 'Exit 1 when a finding of this severity or worse exists (none: always exit 0)' -r -f -a "critical\t''
high\t''
medium\t''
low\t''
none\t''"
complete -c agaudit -n "__fish_agaudit_using_subcommand diff" -l as -d 'Who is looking, for the ledger\'s view record (default: the OS user)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand diff" -l key -d 'Sign a checkpoint of the ledger with this secret key when the command grew it (as agaudit checkpoint does); keep the public key away from the case' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand diff" -l password-file -d 'Read the secret key\'s password from the first line of FILE (else AGAUDIT_KEY_PASSWORD, else a prompt on a terminal)' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand diff" -l json -d 'Print JSON (what --format json prints, JSON Lines for log; the schema is in schemas/, named in the command\'s description)'
complete -c agaudit -n "__fish_agaudit_using_subcommand diff" -l no-pager -d 'Print straight to the terminal instead of through $PAGER (else less -FRX) when the output is longer than the screen'
complete -c agaudit -n "__fish_agaudit_using_subcommand diff" -l no-record -d 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking'
complete -c agaudit -n "__fish_agaudit_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agaudit -n "__fish_agaudit_using_subcommand diff" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_using_subcommand map" -l case -d 'Case directory' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand map" -l agent -d 'Only this agent: AGENT, globs allowed' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand map" -l policy -d 'Policy to use (default: the one correlate recorded in the ledger, checked against its blake3)' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand map" -l format -d 'Output format: a table fitted to the width, CSV (every column whole), one JSON document, or JSON Lines (one record per line)' -r -f -a "table\t''
csv\t''
json\t''
jsonl\t''"
complete -c agaudit -n "__fish_agaudit_using_subcommand map" -l width -d 'Width of tables in characters (default: the terminal\'s, else $COLUMNS, else 100)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand map" -l color -d 'Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c agaudit -n "__fish_agaudit_using_subcommand map" -l as -d 'Who is looking, for the ledger\'s view record (default: the OS user)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand map" -l json -d 'Print JSON (what --format json prints, JSON Lines for log; the schema is in schemas/, named in the command\'s description)'
complete -c agaudit -n "__fish_agaudit_using_subcommand map" -l no-pager -d 'Print straight to the terminal instead of through $PAGER (else less -FRX) when the output is longer than the screen'
complete -c agaudit -n "__fish_agaudit_using_subcommand map" -l no-record -d 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking'
complete -c agaudit -n "__fish_agaudit_using_subcommand map" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agaudit -n "__fish_agaudit_using_subcommand map" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_using_subcommand inventory" -l case -d 'Case directory' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand inventory" -l policy -d 'Policy to use (default: the one correlate recorded in the ledger, checked against its blake3)' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand inventory" -l format -d 'Output format: a table fitted to the width, CSV (every column whole), one JSON document, or JSON Lines (one record per line)' -r -f -a "table\t''
csv\t''
json\t''
jsonl\t''"
complete -c agaudit -n "__fish_agaudit_using_subcommand inventory" -l width -d 'Width of tables in characters (default: the terminal\'s, else $COLUMNS, else 100)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand inventory" -l color -d 'Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c agaudit -n "__fish_agaudit_using_subcommand inventory" -l as -d 'Who is looking, for the ledger\'s view record (default: the OS user)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand inventory" -l json -d 'Print JSON (what --format json prints, JSON Lines for log; the schema is in schemas/, named in the command\'s description)'
complete -c agaudit -n "__fish_agaudit_using_subcommand inventory" -l no-pager -d 'Print straight to the terminal instead of through $PAGER (else less -FRX) when the output is longer than the screen'
complete -c agaudit -n "__fish_agaudit_using_subcommand inventory" -l no-record -d 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking'
complete -c agaudit -n "__fish_agaudit_using_subcommand inventory" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agaudit -n "__fish_agaudit_using_subcommand inventory" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l case -d 'Case directory' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l agent -d 'Only records of this agent: AGENT or AGENT@SESSION, globs allowed (e.g. \'report*\')' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l resource -d 'Only records on this resource or below it (a policy resource pattern, globs allowed)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l outcome -d 'Only action records with this outcome (any case: deny is DENY)' -r -f -a "allow\t''
DENY\t''"
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l kind -d 'Only records of this kind' -r -f -a "ingest\t''
policy\t''
action\t''
finding\t''
view\t''
export\t''
checkpoint\t''
signed_checkpoint\t''"
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l conf -d 'Only action and finding records of this attribution confidence' -r -f -a "attributed\t''
approximate\t''
unattributed\t''"
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l verdict -d 'Only action records with this verdict against the policy' -r -f -a "ok\t''
violation_refused\t''
violation_allowed\t''
not_judged\t''"
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l since -d 'Only records at or after this time: RFC 3339 with an offset (2026-06-08T10:00:00Z, …+02:00), a date (2026-06-08, from 00:00 UTC), or a duration back from now (30m, 24h, 7d)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l until -d 'Only records before this time (same forms as --since)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l pubkey -d 'Public key that signed the checkpoints: check the ledger against every signed checkpoint (the case\'s and those given with --checkpoint). Without it, signatures are not checked' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l checkpoint -d 'A signed checkpoint kept outside the case (FILE, with its signature in FILE.minisig), as agaudit checkpoint printed it; repeatable. Needs --pubkey' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l format -d 'Output format: a table fitted to the width, CSV (every column whole), one JSON document, or JSON Lines (one record per line)' -r -f -a "table\t''
csv\t''
json\t''
jsonl\t''"
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l width -d 'Width of tables in characters (default: the terminal\'s, else $COLUMNS, else 100)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l color -d 'Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l as -d 'Who is looking, for the ledger\'s view record (default: the OS user)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l json -d 'Print JSON (what --format json prints, JSON Lines for log; the schema is in schemas/, named in the command\'s description)'
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l no-pager -d 'Print straight to the terminal instead of through $PAGER (else less -FRX) when the output is longer than the screen'
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -l no-record -d 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking'
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agaudit -n "__fish_agaudit_using_subcommand log" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_using_subcommand checkpoint" -l case -d 'Case directory' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand checkpoint" -l key -d 'Secret key (from agaudit keygen or minisign -G); must not be readable by group or others' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand checkpoint" -l password-file -d 'Read the secret key\'s password from the first line of FILE (else AGAUDIT_KEY_PASSWORD, else a prompt on a terminal)' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand checkpoint" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agaudit -n "__fish_agaudit_using_subcommand checkpoint" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_using_subcommand prove" -l case -d 'Case directory' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand prove" -l action -d 'The action id (the `action` field of its ledger record, the action_id column)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand prove" -l out -d 'Proof file to write (never overwritten)' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand prove" -l key -d 'Sign a checkpoint of the ledger with this secret key when the command grew it (as agaudit checkpoint does); keep the public key away from the case' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand prove" -l password-file -d 'Read the secret key\'s password from the first line of FILE (else AGAUDIT_KEY_PASSWORD, else a prompt on a terminal)' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand prove" -l as -d 'Who is looking, for the ledger\'s view record (default: the OS user)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand prove" -l no-record -d 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking'
complete -c agaudit -n "__fish_agaudit_using_subcommand prove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agaudit -n "__fish_agaudit_using_subcommand prove" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_using_subcommand timeline" -l case -d 'Case directory' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand timeline" -l format -d 'Destination format (not the views\' table/csv/json choice: these are other tools\' formats)' -r -f -a "timesketch\t'The CSV Timesketch imports: message, datetime, timestamp_desc, timestamp, then fields'
ocsf\t'OCSF events, one JSON object per line'
jsonl\t'One JSON object per line: datetime, message and the fields'
csv\t'A header, then one row per event: datetime, message and the fields'"
complete -c agaudit -n "__fish_agaudit_using_subcommand timeline" -l since -d 'Only events at or after this time: RFC 3339 with an offset, a date (00:00 UTC), or a duration back from now (30m, 24h, 7d)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand timeline" -l until -d 'Only events before this time (same forms as --since)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand timeline" -l agent -d 'Only events of this agent: AGENT or AGENT@SESSION, globs allowed' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand timeline" -l out -d 'File to write (never overwritten); standard output when not given' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand timeline" -l as -d 'Who is looking, for the ledger\'s view record (default: the OS user)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand timeline" -l no-record -d 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking'
complete -c agaudit -n "__fish_agaudit_using_subcommand timeline" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agaudit -n "__fish_agaudit_using_subcommand timeline" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_using_subcommand report" -l case -d 'Case directory' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand report" -l out -d 'Page to write (never overwritten; default: agaudit-report-CASE_ID.html here)' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand report" -l bundle -d 'An evidence bundle of the case, verified with --pubkey and its result shown' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand report" -l pubkey -d 'The signer\'s public key: checks the bundle and the signed checkpoints\' signatures' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand report" -l policy -d 'Policy to use (default: the one correlate recorded in the ledger, checked against its blake3)' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand report" -l as -d 'Who is looking, for the ledger\'s view record (default: the OS user)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand report" -l no-record -d 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking'
complete -c agaudit -n "__fish_agaudit_using_subcommand report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agaudit -n "__fish_agaudit_using_subcommand report" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_using_subcommand keygen" -l out -d 'Path prefix of the key files: writes PREFIX.key and PREFIX.pub' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand keygen" -l password-file -d 'Read the password from the first line of FILE' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand keygen" -l no-password -d 'Leave the secret key unencrypted (for throw-away keys and automation you protect otherwise)'
complete -c agaudit -n "__fish_agaudit_using_subcommand keygen" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agaudit -n "__fish_agaudit_using_subcommand keygen" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_using_subcommand export" -l case -d 'Case directory' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand export" -l key -d 'Secret key (from agaudit keygen or minisign -G); must not be readable by group or others. It also signs a checkpoint of the ledger the export leaves' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand export" -l out -d 'Bundle file to write (never overwritten), e.g. case-2026-06.agb.tar' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand export" -l since -d 'Only actions and findings at or after this time: RFC 3339 with an offset (2026-06-08T10:00:00Z, …+02:00), a date (2026-06-08, from 00:00 UTC), or a duration back from now (30m, 24h, 7d). Recorded in the manifest as the instant it meant' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand export" -l until -d 'Only actions and findings before this time (same forms as --since)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand export" -l agent -d 'Only actions and findings of this agent: AGENT or AGENT@SESSION, globs allowed' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand export" -l password-file -d 'Read the secret key\'s password from the first line of FILE (else AGAUDIT_KEY_PASSWORD, else a prompt on a terminal)' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agaudit -n "__fish_agaudit_using_subcommand export" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_using_subcommand verify" -s p -l pubkey -d 'The signer\'s public key (a minisign .pub file), obtained outside the bundle' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand verify" -l against -d 'An older bundle of the same case that this one must extend' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand verify" -l json -d 'Print JSON (its schema is in schemas/, named in the command\'s description) instead of tables'
complete -c agaudit -n "__fish_agaudit_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agaudit -n "__fish_agaudit_using_subcommand verify" -s V -l version -d 'Print version'


use builtin;
use str;

set edit:completion:arg-completer[agaudit] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'agaudit'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'agaudit'= {
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand demo 'Run the whole pipeline on embedded demo data and show what an auditor sees first'
            cand ingest 'Ingest raw log files into a case: detect, parse, redact, write Parquet and chain of custody'
            cand policy 'Work with policy files (the language is in docs/policy.md)'
            cand correlate 'Correlate a case against a policy: attribute every observed access, judge it, write the actions table and append the evidence to the hash-chained ledger'
            cand diff 'Compare what each MCP tool claims (its annotations) with what its calls were seen doing'
            cand map 'Show the access map: for each agent and resource, what the policy grants, what was observed (reads, writes, refused attempts, confidence), and the drift both ways'
            cand inventory 'List every agent identity seen in any source, the shared principals that unattributed actions came through, and what each source covers'
            cand log 'Print the case''s ledger records as a table, after verifying the whole hash chain'
            cand checkpoint 'Sign a checkpoint of the case''s ledger: its record count (tree size), Merkle root and last record''s hash, in the C2SP tlog-checkpoint text layout, signed with minisign'
            cand prove 'Write an inclusion proof of one action: its ledger record, its audit path in the Merkle tree, and a signed checkpoint of the ledger'
            cand timeline 'Export the case''s actions and findings as a timeline: the CSV Timesketch imports, OCSF events for a SIEM or data lake (JSON Lines), or plain JSON Lines or CSV'
            cand report 'Write the case as one self-contained HTML page: findings, the access map and a timeline as pictures, unattributed actions, coverage gaps and the agents'
            cand keygen 'Generate a minisign key pair for signing bundles: PREFIX.key (secret) and PREFIX.pub'
            cand export 'Export a signed evidence bundle: a contiguous slice of the ledger, the matching actions (and findings) as Parquet, and a minisign-signed manifest, in one tar archive'
            cand verify 'Verify an evidence bundle against your copy of the signer''s public key'
        }
        &'agaudit;demo'= {
            cand --case 'Case directory for the demo (default: agaudit-demo in the system''s temporary directory)'
            cand --width 'Width of the tables in characters (default: the terminal''s, else $COLUMNS, else 100)'
            cand --color 'Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;ingest'= {
            cand --case 'Case directory'
            cand --pg-prefix 'The servers'' log_line_prefix (same %-escapes as postgresql.conf), for every PostgreSQL file whose text carries one (stderr, and the text inside syslog, CloudWatch, Cloud SQL, Azure and Heroku envelopes: the part after their own header). Default: inferred per file'
            cand --log-timezone 'The servers'' log_timezone, an IANA name (Asia/Shanghai, America/Chicago): resolves the time-zone abbreviations and local times in the logs, daylight saving included. Without it, an abbreviation with more than one meaning (CST, IST, BST) holds its file'
            cand --label 'Tag every record of this call, e.g. server=prod-postgres (repeatable). The server label names database resources: SERVER/DATABASE/SCHEMA.TABLE; mcp_server=NAME names the MCP server of a tools/list file that carries no initialize result'
            cand --json 'Print JSON (its schema is in schemas/, named in the command''s description) instead of tables'
            cand -q 'No progress bar and no table; errors and warnings still go to stderr'
            cand --quiet 'No progress bar and no table; errors and warnings still go to stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;policy'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Check a policy file: errors (exit 1) and warnings about rules that can never match or that compete, each at FILE:LINE:COLUMN with the line and a caret'
        }
        &'agaudit;policy;check'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;correlate'= {
            cand --case 'Case directory'
            cand --policy 'Policy file (HCL, docs/policy.md)'
            cand --memory-budget 'Memory correlation may use, in bytes or with a K, M or G suffix (powers of 1024). A case that needs more is cut into parts (by trace, by time window of untraced statements, by host) that are correlated one after the other and merged: the same actions in the same order, at the cost of writing the parts to CASE/.correlate/ and reading them back (docs/correlation.md, "Partitions")'
            cand --key 'Sign a checkpoint of the ledger with this secret key when the command grew it (as agaudit checkpoint does); keep the public key away from the case'
            cand --password-file 'Read the secret key''s password from the first line of FILE (else AGAUDIT_KEY_PASSWORD, else a prompt on a terminal)'
            cand --json 'Print JSON (its schema is in schemas/, named in the command''s description) instead of tables'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;diff'= {
            cand --case 'Case directory'
            cand --format 'Output format: a table fitted to the width, CSV (every column whole), one JSON document, or JSON Lines (one record per line)'
            cand --width 'Width of tables in characters (default: the terminal''s, else $COLUMNS, else 100)'
            cand --color 'Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --fail-on 'Exit 1 when a finding of this severity or worse exists (none: always exit 0)'
            cand --as 'Who is looking, for the ledger''s view record (default: the OS user)'
            cand --key 'Sign a checkpoint of the ledger with this secret key when the command grew it (as agaudit checkpoint does); keep the public key away from the case'
            cand --password-file 'Read the secret key''s password from the first line of FILE (else AGAUDIT_KEY_PASSWORD, else a prompt on a terminal)'
            cand --json 'Print JSON (what --format json prints, JSON Lines for log; the schema is in schemas/, named in the command''s description)'
            cand --no-pager 'Print straight to the terminal instead of through $PAGER (else less -FRX) when the output is longer than the screen'
            cand --no-record 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;map'= {
            cand --case 'Case directory'
            cand --agent 'Only this agent: AGENT, globs allowed'
            cand --policy 'Policy to use (default: the one correlate recorded in the ledger, checked against its blake3)'
            cand --format 'Output format: a table fitted to the width, CSV (every column whole), one JSON document, or JSON Lines (one record per line)'
            cand --width 'Width of tables in characters (default: the terminal''s, else $COLUMNS, else 100)'
            cand --color 'Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --as 'Who is looking, for the ledger''s view record (default: the OS user)'
            cand --json 'Print JSON (what --format json prints, JSON Lines for log; the schema is in schemas/, named in the command''s description)'
            cand --no-pager 'Print straight to the terminal instead of through $PAGER (else less -FRX) when the output is longer than the screen'
            cand --no-record 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;inventory'= {
            cand --case 'Case directory'
            cand --policy 'Policy to use (default: the one correlate recorded in the ledger, checked against its blake3)'
            cand --format 'Output format: a table fitted to the width, CSV (every column whole), one JSON document, or JSON Lines (one record per line)'
            cand --width 'Width of tables in characters (default: the terminal''s, else $COLUMNS, else 100)'
            cand --color 'Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --as 'Who is looking, for the ledger''s view record (default: the OS user)'
            cand --json 'Print JSON (what --format json prints, JSON Lines for log; the schema is in schemas/, named in the command''s description)'
            cand --no-pager 'Print straight to the terminal instead of through $PAGER (else less -FRX) when the output is longer than the screen'
            cand --no-record 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;log'= {
            cand --case 'Case directory'
            cand --agent 'Only records of this agent: AGENT or AGENT@SESSION, globs allowed (e.g. ''report*'')'
            cand --resource 'Only records on this resource or below it (a policy resource pattern, globs allowed)'
            cand --outcome 'Only action records with this outcome (any case: deny is DENY)'
            cand --kind 'Only records of this kind'
            cand --conf 'Only action and finding records of this attribution confidence'
            cand --verdict 'Only action records with this verdict against the policy'
            cand --since 'Only records at or after this time: RFC 3339 with an offset (2026-06-08T10:00:00Z, …+02:00), a date (2026-06-08, from 00:00 UTC), or a duration back from now (30m, 24h, 7d)'
            cand --until 'Only records before this time (same forms as --since)'
            cand --pubkey 'Public key that signed the checkpoints: check the ledger against every signed checkpoint (the case''s and those given with --checkpoint). Without it, signatures are not checked'
            cand --checkpoint 'A signed checkpoint kept outside the case (FILE, with its signature in FILE.minisig), as agaudit checkpoint printed it; repeatable. Needs --pubkey'
            cand --format 'Output format: a table fitted to the width, CSV (every column whole), one JSON document, or JSON Lines (one record per line)'
            cand --width 'Width of tables in characters (default: the terminal''s, else $COLUMNS, else 100)'
            cand --color 'Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --as 'Who is looking, for the ledger''s view record (default: the OS user)'
            cand --json 'Print JSON (what --format json prints, JSON Lines for log; the schema is in schemas/, named in the command''s description)'
            cand --no-pager 'Print straight to the terminal instead of through $PAGER (else less -FRX) when the output is longer than the screen'
            cand --no-record 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;checkpoint'= {
            cand --case 'Case directory'
            cand --key 'Secret key (from agaudit keygen or minisign -G); must not be readable by group or others'
            cand --password-file 'Read the secret key''s password from the first line of FILE (else AGAUDIT_KEY_PASSWORD, else a prompt on a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;prove'= {
            cand --case 'Case directory'
            cand --action 'The action id (the `action` field of its ledger record, the action_id column)'
            cand --out 'Proof file to write (never overwritten)'
            cand --key 'Sign a checkpoint of the ledger with this secret key when the command grew it (as agaudit checkpoint does); keep the public key away from the case'
            cand --password-file 'Read the secret key''s password from the first line of FILE (else AGAUDIT_KEY_PASSWORD, else a prompt on a terminal)'
            cand --as 'Who is looking, for the ledger''s view record (default: the OS user)'
            cand --no-record 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;timeline'= {
            cand --case 'Case directory'
            cand --format 'Destination format (not the views'' table/csv/json choice: these are other tools'' formats)'
            cand --since 'Only events at or after this time: RFC 3339 with an offset, a date (00:00 UTC), or a duration back from now (30m, 24h, 7d)'
            cand --until 'Only events before this time (same forms as --since)'
            cand --agent 'Only events of this agent: AGENT or AGENT@SESSION, globs allowed'
            cand --out 'File to write (never overwritten); standard output when not given'
            cand --as 'Who is looking, for the ledger''s view record (default: the OS user)'
            cand --no-record 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;report'= {
            cand --case 'Case directory'
            cand --out 'Page to write (never overwritten; default: agaudit-report-CASE_ID.html here)'
            cand --bundle 'An evidence bundle of the case, verified with --pubkey and its result shown'
            cand --pubkey 'The signer''s public key: checks the bundle and the signed checkpoints'' signatures'
            cand --policy 'Policy to use (default: the one correlate recorded in the ledger, checked against its blake3)'
            cand --as 'Who is looking, for the ledger''s view record (default: the OS user)'
            cand --no-record 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;keygen'= {
            cand --out 'Path prefix of the key files: writes PREFIX.key and PREFIX.pub'
            cand --password-file 'Read the password from the first line of FILE'
            cand --no-password 'Leave the secret key unencrypted (for throw-away keys and automation you protect otherwise)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;export'= {
            cand --case 'Case directory'
            cand --key 'Secret key (from agaudit keygen or minisign -G); must not be readable by group or others. It also signs a checkpoint of the ledger the export leaves'
            cand --out 'Bundle file to write (never overwritten), e.g. case-2026-06.agb.tar'
            cand --since 'Only actions and findings at or after this time: RFC 3339 with an offset (2026-06-08T10:00:00Z, …+02:00), a date (2026-06-08, from 00:00 UTC), or a duration back from now (30m, 24h, 7d). Recorded in the manifest as the instant it meant'
            cand --until 'Only actions and findings before this time (same forms as --since)'
            cand --agent 'Only actions and findings of this agent: AGENT or AGENT@SESSION, globs allowed'
            cand --password-file 'Read the secret key''s password from the first line of FILE (else AGAUDIT_KEY_PASSWORD, else a prompt on a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;verify'= {
            cand -p 'The signer''s public key (a minisign .pub file), obtained outside the bundle'
            cand --pubkey 'The signer''s public key (a minisign .pub file), obtained outside the bundle'
            cand --against 'An older bundle of the same case that this one must extend'
            cand --json 'Print JSON (its schema is in schemas/, named in the command''s description) instead of tables'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}

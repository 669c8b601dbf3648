
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'agaudit' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'agaudit'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'agaudit' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run the whole pipeline on embedded demo data and show what an auditor sees first')
            [CompletionResult]::new('ingest', 'ingest', [CompletionResultType]::ParameterValue, 'Ingest raw log files into a case: detect, parse, redact, write Parquet and chain of custody')
            [CompletionResult]::new('policy', 'policy', [CompletionResultType]::ParameterValue, 'Work with policy files (the language is in docs/policy.md)')
            [CompletionResult]::new('correlate', 'correlate', [CompletionResultType]::ParameterValue, 'Correlate a case against a policy: attribute every observed access, judge it, write the actions table and append the evidence to the hash-chained ledger')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare what each MCP tool claims (its annotations) with what its calls were seen doing')
            [CompletionResult]::new('map', 'map', [CompletionResultType]::ParameterValue, 'Show the access map: for each agent and resource, what the policy grants, what was observed (reads, writes, refused attempts, confidence), and the drift both ways')
            [CompletionResult]::new('inventory', 'inventory', [CompletionResultType]::ParameterValue, 'List every agent identity seen in any source, the shared principals that unattributed actions came through, and what each source covers')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Print the case''s ledger records as a table, after verifying the whole hash chain')
            [CompletionResult]::new('checkpoint', 'checkpoint', [CompletionResultType]::ParameterValue, 'Sign a checkpoint of the case''s ledger: its record count (tree size), Merkle root and last record''s hash, in the C2SP tlog-checkpoint text layout, signed with minisign')
            [CompletionResult]::new('prove', 'prove', [CompletionResultType]::ParameterValue, 'Write an inclusion proof of one action: its ledger record, its audit path in the Merkle tree, and a signed checkpoint of the ledger')
            [CompletionResult]::new('timeline', 'timeline', [CompletionResultType]::ParameterValue, 'Export the case''s actions and findings as a timeline: the CSV Timesketch imports, OCSF events for a SIEM or data lake (JSON Lines), or plain JSON Lines or CSV')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Write the case as one self-contained HTML page: findings, the access map and a timeline as pictures, unattributed actions, coverage gaps and the agents')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Generate a minisign key pair for signing bundles: PREFIX.key (secret) and PREFIX.pub')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export a signed evidence bundle: a contiguous slice of the ledger, the matching actions (and findings) as Parquet, and a minisign-signed manifest, in one tar archive')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Verify an evidence bundle against your copy of the signer''s public key')
            break
        }
        'agaudit;demo' {
            [CompletionResult]::new('--case', '--case', [CompletionResultType]::ParameterName, 'Case directory for the demo (default: agaudit-demo in the system''s temporary directory)')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of the tables in characters (default: the terminal''s, else $COLUMNS, else 100)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agaudit;ingest' {
            [CompletionResult]::new('--case', '--case', [CompletionResultType]::ParameterName, 'Case directory')
            [CompletionResult]::new('--pg-prefix', '--pg-prefix', [CompletionResultType]::ParameterName, 'The servers'' log_line_prefix (same %-escapes as postgresql.conf), for every PostgreSQL file whose text carries one (stderr, and the text inside syslog, CloudWatch, Cloud SQL, Azure and Heroku envelopes: the part after their own header). Default: inferred per file')
            [CompletionResult]::new('--log-timezone', '--log-timezone', [CompletionResultType]::ParameterName, 'The servers'' log_timezone, an IANA name (Asia/Shanghai, America/Chicago): resolves the time-zone abbreviations and local times in the logs, daylight saving included. Without it, an abbreviation with more than one meaning (CST, IST, BST) holds its file')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'Tag every record of this call, e.g. server=prod-postgres (repeatable). The server label names database resources: SERVER/DATABASE/SCHEMA.TABLE; mcp_server=NAME names the MCP server of a tools/list file that carries no initialize result')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (its schema is in schemas/, named in the command''s description) instead of tables')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar and no table; errors and warnings still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar and no table; errors and warnings still go to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agaudit;policy' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check a policy file: errors (exit 1) and warnings about rules that can never match or that compete, each at FILE:LINE:COLUMN with the line and a caret')
            break
        }
        'agaudit;policy;check' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agaudit;correlate' {
            [CompletionResult]::new('--case', '--case', [CompletionResultType]::ParameterName, 'Case directory')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file (HCL, docs/policy.md)')
            [CompletionResult]::new('--memory-budget', '--memory-budget', [CompletionResultType]::ParameterName, 'Memory correlation may use, in bytes or with a K, M or G suffix (powers of 1024). A case that needs more is cut into parts (by trace, by time window of untraced statements, by host) that are correlated one after the other and merged: the same actions in the same order, at the cost of writing the parts to CASE/.correlate/ and reading them back (docs/correlation.md, "Partitions")')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Sign a checkpoint of the ledger with this secret key when the command grew it (as agaudit checkpoint does); keep the public key away from the case')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the secret key''s password from the first line of FILE (else AGAUDIT_KEY_PASSWORD, else a prompt on a terminal)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (its schema is in schemas/, named in the command''s description) instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agaudit;diff' {
            [CompletionResult]::new('--case', '--case', [CompletionResultType]::ParameterName, 'Case directory')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: a table fitted to the width, CSV (every column whole), one JSON document, or JSON Lines (one record per line)')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in characters (default: the terminal''s, else $COLUMNS, else 100)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit 1 when a finding of this severity or worse exists (none: always exit 0)')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Who is looking, for the ledger''s view record (default: the OS user)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Sign a checkpoint of the ledger with this secret key when the command grew it (as agaudit checkpoint does); keep the public key away from the case')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the secret key''s password from the first line of FILE (else AGAUDIT_KEY_PASSWORD, else a prompt on a terminal)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (what --format json prints, JSON Lines for log; the schema is in schemas/, named in the command''s description)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Print straight to the terminal instead of through $PAGER (else less -FRX) when the output is longer than the screen')
            [CompletionResult]::new('--no-record', '--no-record', [CompletionResultType]::ParameterName, 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agaudit;map' {
            [CompletionResult]::new('--case', '--case', [CompletionResultType]::ParameterName, 'Case directory')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Only this agent: AGENT, globs allowed')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy to use (default: the one correlate recorded in the ledger, checked against its blake3)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: a table fitted to the width, CSV (every column whole), one JSON document, or JSON Lines (one record per line)')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in characters (default: the terminal''s, else $COLUMNS, else 100)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Who is looking, for the ledger''s view record (default: the OS user)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (what --format json prints, JSON Lines for log; the schema is in schemas/, named in the command''s description)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Print straight to the terminal instead of through $PAGER (else less -FRX) when the output is longer than the screen')
            [CompletionResult]::new('--no-record', '--no-record', [CompletionResultType]::ParameterName, 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agaudit;inventory' {
            [CompletionResult]::new('--case', '--case', [CompletionResultType]::ParameterName, 'Case directory')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy to use (default: the one correlate recorded in the ledger, checked against its blake3)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: a table fitted to the width, CSV (every column whole), one JSON document, or JSON Lines (one record per line)')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in characters (default: the terminal''s, else $COLUMNS, else 100)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Who is looking, for the ledger''s view record (default: the OS user)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (what --format json prints, JSON Lines for log; the schema is in schemas/, named in the command''s description)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Print straight to the terminal instead of through $PAGER (else less -FRX) when the output is longer than the screen')
            [CompletionResult]::new('--no-record', '--no-record', [CompletionResultType]::ParameterName, 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agaudit;log' {
            [CompletionResult]::new('--case', '--case', [CompletionResultType]::ParameterName, 'Case directory')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Only records of this agent: AGENT or AGENT@SESSION, globs allowed (e.g. ''report*'')')
            [CompletionResult]::new('--resource', '--resource', [CompletionResultType]::ParameterName, 'Only records on this resource or below it (a policy resource pattern, globs allowed)')
            [CompletionResult]::new('--outcome', '--outcome', [CompletionResultType]::ParameterName, 'Only action records with this outcome (any case: deny is DENY)')
            [CompletionResult]::new('--kind', '--kind', [CompletionResultType]::ParameterName, 'Only records of this kind')
            [CompletionResult]::new('--conf', '--conf', [CompletionResultType]::ParameterName, 'Only action and finding records of this attribution confidence')
            [CompletionResult]::new('--verdict', '--verdict', [CompletionResultType]::ParameterName, 'Only action records with this verdict against the policy')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only records at or after this time: RFC 3339 with an offset (2026-06-08T10:00:00Z, …+02:00), a date (2026-06-08, from 00:00 UTC), or a duration back from now (30m, 24h, 7d)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only records before this time (same forms as --since)')
            [CompletionResult]::new('--pubkey', '--pubkey', [CompletionResultType]::ParameterName, 'Public key that signed the checkpoints: check the ledger against every signed checkpoint (the case''s and those given with --checkpoint). Without it, signatures are not checked')
            [CompletionResult]::new('--checkpoint', '--checkpoint', [CompletionResultType]::ParameterName, 'A signed checkpoint kept outside the case (FILE, with its signature in FILE.minisig), as agaudit checkpoint printed it; repeatable. Needs --pubkey')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: a table fitted to the width, CSV (every column whole), one JSON document, or JSON Lines (one record per line)')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in characters (default: the terminal''s, else $COLUMNS, else 100)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour severities, verdicts and refusals: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Who is looking, for the ledger''s view record (default: the OS user)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (what --format json prints, JSON Lines for log; the schema is in schemas/, named in the command''s description)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Print straight to the terminal instead of through $PAGER (else less -FRX) when the output is longer than the screen')
            [CompletionResult]::new('--no-record', '--no-record', [CompletionResultType]::ParameterName, 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agaudit;checkpoint' {
            [CompletionResult]::new('--case', '--case', [CompletionResultType]::ParameterName, 'Case directory')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Secret key (from agaudit keygen or minisign -G); must not be readable by group or others')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the secret key''s password from the first line of FILE (else AGAUDIT_KEY_PASSWORD, else a prompt on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agaudit;prove' {
            [CompletionResult]::new('--case', '--case', [CompletionResultType]::ParameterName, 'Case directory')
            [CompletionResult]::new('--action', '--action', [CompletionResultType]::ParameterName, 'The action id (the `action` field of its ledger record, the action_id column)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Proof file to write (never overwritten)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Sign a checkpoint of the ledger with this secret key when the command grew it (as agaudit checkpoint does); keep the public key away from the case')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the secret key''s password from the first line of FILE (else AGAUDIT_KEY_PASSWORD, else a prompt on a terminal)')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Who is looking, for the ledger''s view record (default: the OS user)')
            [CompletionResult]::new('--no-record', '--no-record', [CompletionResultType]::ParameterName, 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agaudit;timeline' {
            [CompletionResult]::new('--case', '--case', [CompletionResultType]::ParameterName, 'Case directory')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Destination format (not the views'' table/csv/json choice: these are other tools'' formats)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only events at or after this time: RFC 3339 with an offset, a date (00:00 UTC), or a duration back from now (30m, 24h, 7d)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only events before this time (same forms as --since)')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Only events of this agent: AGENT or AGENT@SESSION, globs allowed')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'File to write (never overwritten); standard output when not given')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Who is looking, for the ledger''s view record (default: the OS user)')
            [CompletionResult]::new('--no-record', '--no-record', [CompletionResultType]::ParameterName, 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agaudit;report' {
            [CompletionResult]::new('--case', '--case', [CompletionResultType]::ParameterName, 'Case directory')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Page to write (never overwritten; default: agaudit-report-CASE_ID.html here)')
            [CompletionResult]::new('--bundle', '--bundle', [CompletionResultType]::ParameterName, 'An evidence bundle of the case, verified with --pubkey and its result shown')
            [CompletionResult]::new('--pubkey', '--pubkey', [CompletionResultType]::ParameterName, 'The signer''s public key: checks the bundle and the signed checkpoints'' signatures')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy to use (default: the one correlate recorded in the ledger, checked against its blake3)')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Who is looking, for the ledger''s view record (default: the OS user)')
            [CompletionResult]::new('--no-record', '--no-record', [CompletionResultType]::ParameterName, 'Do not record this view in the ledger (the output says so). A case that cannot be written is viewed this way without asking')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agaudit;keygen' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Path prefix of the key files: writes PREFIX.key and PREFIX.pub')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password from the first line of FILE')
            [CompletionResult]::new('--no-password', '--no-password', [CompletionResultType]::ParameterName, 'Leave the secret key unencrypted (for throw-away keys and automation you protect otherwise)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agaudit;export' {
            [CompletionResult]::new('--case', '--case', [CompletionResultType]::ParameterName, 'Case directory')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Secret key (from agaudit keygen or minisign -G); must not be readable by group or others. It also signs a checkpoint of the ledger the export leaves')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Bundle file to write (never overwritten), e.g. case-2026-06.agb.tar')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only actions and findings at or after this time: RFC 3339 with an offset (2026-06-08T10:00:00Z, …+02:00), a date (2026-06-08, from 00:00 UTC), or a duration back from now (30m, 24h, 7d). Recorded in the manifest as the instant it meant')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only actions and findings before this time (same forms as --since)')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Only actions and findings of this agent: AGENT or AGENT@SESSION, globs allowed')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the secret key''s password from the first line of FILE (else AGAUDIT_KEY_PASSWORD, else a prompt on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agaudit;verify' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'The signer''s public key (a minisign .pub file), obtained outside the bundle')
            [CompletionResult]::new('--pubkey', '--pubkey', [CompletionResultType]::ParameterName, 'The signer''s public key (a minisign .pub file), obtained outside the bundle')
            [CompletionResult]::new('--against', '--against', [CompletionResultType]::ParameterName, 'An older bundle of the same case that this one must extend')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (its schema is in schemas/, named in the command''s description) instead of tables')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

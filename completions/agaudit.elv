
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
            cand ingest 'Ingest raw log files into a case: detect, parse, redact, write Parquet and chain of custody'
            cand policy 'Work with policy files (the language is in docs/policy.md)'
            cand correlate 'Correlate a case against a policy: attribute every observed access, judge it, write the actions table and append the evidence to the hash-chained ledger'
            cand log 'Print the case''s ledger records as a table, after verifying the whole hash chain'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'agaudit;ingest'= {
            cand --case 'Case directory to write into (created if missing)'
            cand --pg-prefix 'The server''s log_line_prefix, for stderr logs (same %-escapes as postgresql.conf)'
            cand --label 'Tag every record of this call, e.g. server=prod-postgres (repeatable). The server label names database resources: SERVER/DATABASE/SCHEMA.TABLE; mcp_server=NAME names the MCP server of a tools/list file that carries no initialize result'
            cand --json 'Print the summary as JSON (schemas/ingest-summary.schema.json) instead of a table'
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
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'agaudit;policy;check'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;policy;help'= {
            cand check 'Check a policy file: errors (exit 1) and warnings about rules that can never match or that compete, each at FILE:LINE:COLUMN with the line and a caret'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'agaudit;policy;help;check'= {
        }
        &'agaudit;policy;help;help'= {
        }
        &'agaudit;correlate'= {
            cand --case 'Case directory (written by ingest)'
            cand --policy 'Policy file (HCL, docs/policy.md)'
            cand --json 'Print the summary as JSON (schemas/correlate-summary.schema.json)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;log'= {
            cand --case 'Case directory'
            cand --agent 'Only records of this agent: AGENT or AGENT@SESSION, globs allowed (e.g. ''report*'')'
            cand --resource 'Only records on this resource or below it (a policy resource pattern, globs allowed)'
            cand --outcome 'Only records with this outcome: allow or DENY'
            cand --kind 'Only records of this kind: action, ingest, policy, checkpoint, finding, view'
            cand --since 'Only records at or after this time (RFC 3339 UTC or a prefix of it, e.g. 2026-06-08)'
            cand --until 'Only records before this time (same forms as --since)'
            cand --json 'One JSON object per record (all fields, full hashes) instead of a table'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agaudit;help'= {
            cand ingest 'Ingest raw log files into a case: detect, parse, redact, write Parquet and chain of custody'
            cand policy 'Work with policy files (the language is in docs/policy.md)'
            cand correlate 'Correlate a case against a policy: attribute every observed access, judge it, write the actions table and append the evidence to the hash-chained ledger'
            cand log 'Print the case''s ledger records as a table, after verifying the whole hash chain'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'agaudit;help;ingest'= {
        }
        &'agaudit;help;policy'= {
            cand check 'Check a policy file: errors (exit 1) and warnings about rules that can never match or that compete, each at FILE:LINE:COLUMN with the line and a caret'
        }
        &'agaudit;help;policy;check'= {
        }
        &'agaudit;help;correlate'= {
        }
        &'agaudit;help;log'= {
        }
        &'agaudit;help;help'= {
        }
    ]
    $completions[$command]
}

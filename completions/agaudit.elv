
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
        &'agaudit;help'= {
            cand ingest 'Ingest raw log files into a case: detect, parse, redact, write Parquet and chain of custody'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'agaudit;help;ingest'= {
        }
        &'agaudit;help;help'= {
        }
    ]
    $completions[$command]
}

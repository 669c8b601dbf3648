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
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "ingest" -d 'Ingest raw log files into a case: detect, parse, redact, write Parquet and chain of custody'
complete -c agaudit -n "__fish_agaudit_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c agaudit -n "__fish_agaudit_using_subcommand ingest" -l case -d 'Case directory to write into (created if missing)' -r -F
complete -c agaudit -n "__fish_agaudit_using_subcommand ingest" -l pg-prefix -d 'The server\'s log_line_prefix, for stderr logs (same %-escapes as postgresql.conf)' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand ingest" -l label -d 'Tag every record of this call, e.g. server=prod-postgres (repeatable). The server label names database resources: SERVER/DATABASE/SCHEMA.TABLE; mcp_server=NAME names the MCP server of a tools/list file that carries no initialize result' -r
complete -c agaudit -n "__fish_agaudit_using_subcommand ingest" -l json -d 'Print the summary as JSON (schemas/ingest-summary.schema.json) instead of a table'
complete -c agaudit -n "__fish_agaudit_using_subcommand ingest" -s q -l quiet -d 'No progress bar and no table; errors and warnings still go to stderr'
complete -c agaudit -n "__fish_agaudit_using_subcommand ingest" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agaudit -n "__fish_agaudit_using_subcommand ingest" -s V -l version -d 'Print version'
complete -c agaudit -n "__fish_agaudit_using_subcommand help; and not __fish_seen_subcommand_from ingest help" -f -a "ingest" -d 'Ingest raw log files into a case: detect, parse, redact, write Parquet and chain of custody'
complete -c agaudit -n "__fish_agaudit_using_subcommand help; and not __fish_seen_subcommand_from ingest help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'


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
            [CompletionResult]::new('ingest', 'ingest', [CompletionResultType]::ParameterValue, 'Ingest raw log files into a case: detect, parse, redact, write Parquet and chain of custody')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'agaudit;ingest' {
            [CompletionResult]::new('--case', '--case', [CompletionResultType]::ParameterName, 'Case directory to write into (created if missing)')
            [CompletionResult]::new('--pg-prefix', '--pg-prefix', [CompletionResultType]::ParameterName, 'The server''s log_line_prefix, for stderr logs (same %-escapes as postgresql.conf)')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'Tag every record of this call, e.g. server=prod-postgres (repeatable). The server label names database resources: SERVER/DATABASE/SCHEMA.TABLE; mcp_server=NAME names the MCP server of a tools/list file that carries no initialize result')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the summary as JSON (schemas/ingest-summary.schema.json) instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bar and no table; errors and warnings still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bar and no table; errors and warnings still go to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agaudit;help' {
            [CompletionResult]::new('ingest', 'ingest', [CompletionResultType]::ParameterValue, 'Ingest raw log files into a case: detect, parse, redact, write Parquet and chain of custody')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'agaudit;help;ingest' {
            break
        }
        'agaudit;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}


using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'omc' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'omc'
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
        'omc' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the encrypted store and its master key')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Store an API key (validated with a live call first)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List credentials, keys masked')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List credentials, keys masked')
            [CompletionResult]::new('default', 'default', [CompletionResultType]::ParameterValue, 'Make a credential the profile''s default (and its provider''s)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a credential: the key is destroyed, an audit tombstone stays')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete a credential: the key is destroyed, an audit tombstone stays')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace a credential''s key')
            [CompletionResult]::new('key', 'key', [CompletionResultType]::ParameterValue, 'Print a credential''s key to stdout, for scripts')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with provider keys in its environment')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print provider keys as shell lines to eval')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import keys from llm, aichat, a dotenv file, the environment, or a sharing bundle')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Share credentials: one age file for teammates'' age or SSH public keys')
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'Manage profiles')
            [CompletionResult]::new('master', 'master', [CompletionResultType]::ParameterValue, 'Inspect or rotate the master key')
            [CompletionResult]::new('unlock', 'unlock', [CompletionResultType]::ParameterValue, 'Keep a `file` store''s master key unlocked in the kernel keyring for a while (Linux)')
            [CompletionResult]::new('lock', 'lock', [CompletionResultType]::ParameterValue, 'Drop the master key `omc unlock` keeps')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check credentials with a live call that spends no tokens')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Send a prompt with a stored credential and stream the answer')
            [CompletionResult]::new('models', 'models', [CompletionResultType]::ParameterValue, 'List the models a provider offers')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Benchmark providers: latency, throughput and cost, with history and CI gates')
            [CompletionResult]::new('usage', 'usage', [CompletionResultType]::ParameterValue, 'Token use and cost of past runs')
            [CompletionResult]::new('limit', 'limit', [CompletionResultType]::ParameterValue, 'Daily token and cost limits for the profile')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Show who did what to which credential')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the keyring, the master key, file modes and the database')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print or write the man pages')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omc;init' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'Where the master key lives [default: env when OMC_MASTER_KEY/_FILE is set, else keyring]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;add' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of the credential, unique in its profile [default: the provider''s id]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model to use with this credential [default: the provider''s default]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'API base URL, as the provider''s SDK takes it (required for openai-compatible)')
            [CompletionResult]::new('--key-env', '--key-env', [CompletionResultType]::ParameterName, 'Read the key from this environment variable')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--key-stdin', '--key-stdin', [CompletionResultType]::ParameterName, 'Read the key from standard input')
            [CompletionResult]::new('--default', '--default', [CompletionResultType]::ParameterName, 'Make it the profile''s default credential (and its provider''s)')
            [CompletionResult]::new('--no-validate', '--no-validate', [CompletionResultType]::ParameterName, 'Store without checking the key with the provider first')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;list' {
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Only this provider''s credentials')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--all-profiles', '--all-profiles', [CompletionResultType]::ParameterName, 'Every profile, not just the current one')
            [CompletionResult]::new('--include-deleted', '--include-deleted', [CompletionResultType]::ParameterName, 'Show deleted credentials'' tombstones too')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;ls' {
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Only this provider''s credentials')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--all-profiles', '--all-profiles', [CompletionResultType]::ParameterName, 'Every profile, not just the current one')
            [CompletionResult]::new('--include-deleted', '--include-deleted', [CompletionResultType]::ParameterName, 'Show deleted credentials'' tombstones too')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;default' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;delete' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required without a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required without a terminal)')
            [CompletionResult]::new('--purge', '--purge', [CompletionResultType]::ParameterName, 'Remove the row entirely instead of leaving a tombstone')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;rm' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required without a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required without a terminal)')
            [CompletionResult]::new('--purge', '--purge', [CompletionResultType]::ParameterName, 'Remove the row entirely instead of leaving a tombstone')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;rotate' {
            [CompletionResult]::new('--key-env', '--key-env', [CompletionResultType]::ParameterName, 'Read the key from this environment variable')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--key-stdin', '--key-stdin', [CompletionResultType]::ParameterName, 'Read the key from standard input')
            [CompletionResult]::new('--no-validate', '--no-validate', [CompletionResultType]::ParameterName, 'Store without checking the new key with the provider first')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;key' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;exec' {
            [CompletionResult]::new('--credential', '--credential', [CompletionResultType]::ParameterName, 'Export this credential (repeatable) [default: every provider''s default credential]')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Export this provider''s default credential (repeatable)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;env' {
            [CompletionResult]::new('--credential', '--credential', [CompletionResultType]::ParameterName, 'Export this credential (repeatable) [default: every provider''s default credential]')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Export this provider''s default credential (repeatable)')
            [CompletionResult]::new('--shell', '--shell', [CompletionResultType]::ParameterName, 'Syntax of the lines')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;import' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('llm', 'llm', [CompletionResultType]::ParameterValue, 'Keys from llm''s keys.json ($LLM_USER_PATH, else llm''s config directory)')
            [CompletionResult]::new('aichat', 'aichat', [CompletionResultType]::ParameterValue, 'Clients from aichat''s config.yaml, and keys from the .env beside it')
            [CompletionResult]::new('dotenv', 'dotenv', [CompletionResultType]::ParameterValue, '*_API_KEY lines of a dotenv file, with their *_BASE_URL')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, '*_API_KEY variables of the environment, with their *_BASE_URL')
            [CompletionResult]::new('bundle', 'bundle', [CompletionResultType]::ParameterValue, 'A sharing bundle made by `omc export` (or by the age tool in omc''s format)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omc;import;llm' {
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'Import the source''s ALIAS (llm alias, aichat client name, variable) as PROVIDER; repeat for several')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be imported (keys masked); store nothing, call nothing')
            [CompletionResult]::new('--no-validate', '--no-validate', [CompletionResultType]::ParameterName, 'Store the keys without checking them with their providers first')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;import;aichat' {
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'Import the source''s ALIAS (llm alias, aichat client name, variable) as PROVIDER; repeat for several')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be imported (keys masked); store nothing, call nothing')
            [CompletionResult]::new('--no-validate', '--no-validate', [CompletionResultType]::ParameterName, 'Store the keys without checking them with their providers first')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;import;dotenv' {
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'Import the source''s ALIAS (llm alias, aichat client name, variable) as PROVIDER; repeat for several')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be imported (keys masked); store nothing, call nothing')
            [CompletionResult]::new('--no-validate', '--no-validate', [CompletionResultType]::ParameterName, 'Store the keys without checking them with their providers first')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;import;env' {
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'Import the source''s ALIAS (llm alias, aichat client name, variable) as PROVIDER; repeat for several')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be imported (keys masked); store nothing, call nothing')
            [CompletionResult]::new('--no-validate', '--no-validate', [CompletionResultType]::ParameterName, 'Store the keys without checking them with their providers first')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;import;bundle' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Decrypt with this age identity file or SSH private key [default: this store''s master key]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Decrypt with this age identity file or SSH private key [default: this store''s master key]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be imported (keys masked); store nothing, call nothing')
            [CompletionResult]::new('--no-validate', '--no-validate', [CompletionResultType]::ParameterName, 'Store the keys without checking them with their providers first')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;import;help' {
            [CompletionResult]::new('llm', 'llm', [CompletionResultType]::ParameterValue, 'Keys from llm''s keys.json ($LLM_USER_PATH, else llm''s config directory)')
            [CompletionResult]::new('aichat', 'aichat', [CompletionResultType]::ParameterValue, 'Clients from aichat''s config.yaml, and keys from the .env beside it')
            [CompletionResult]::new('dotenv', 'dotenv', [CompletionResultType]::ParameterValue, '*_API_KEY lines of a dotenv file, with their *_BASE_URL')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, '*_API_KEY variables of the environment, with their *_BASE_URL')
            [CompletionResult]::new('bundle', 'bundle', [CompletionResultType]::ParameterValue, 'A sharing bundle made by `omc export` (or by the age tool in omc''s format)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omc;import;help;llm' {
            break
        }
        'omc;import;help;aichat' {
            break
        }
        'omc;import;help;dotenv' {
            break
        }
        'omc;import;help;env' {
            break
        }
        'omc;import;help;bundle' {
            break
        }
        'omc;import;help;help' {
            break
        }
        'omc;export' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Encrypt to this age recipient (age1…) or SSH public key (''ssh-ed25519 AAAA… comment'', ''ssh-rsa …''); repeat for several')
            [CompletionResult]::new('--recipient', '--recipient', [CompletionResultType]::ParameterName, 'Encrypt to this age recipient (age1…) or SSH public key (''ssh-ed25519 AAAA… comment'', ''ssh-rsa …''); repeat for several')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Encrypt to the recipients listed in FILE, one per line, as `age -R` reads it')
            [CompletionResult]::new('--recipients-file', '--recipients-file', [CompletionResultType]::ParameterName, 'Encrypt to the recipients listed in FILE, one per line, as `age -R` reads it')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the bundle to FILE (mode 0600) [default: stdout]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write the bundle to FILE (mode 0600) [default: stdout]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every credential of the profile')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'ASCII-armored (PEM) output, to paste into a message')
            [CompletionResult]::new('--armor', '--armor', [CompletionResultType]::ParameterName, 'ASCII-armored (PEM) output, to paste into a message')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;profile' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List profiles and how many credentials each holds')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List profiles and how many credentials each holds')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Create an empty profile')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a profile that holds no credentials')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a profile that holds no credentials')
            [CompletionResult]::new('rename', 'rename', [CompletionResultType]::ParameterValue, 'Rename a profile (its credentials stay valid)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omc;profile;list' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;profile;ls' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;profile;add' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;profile;remove' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;profile;rm' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;profile;rename' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;profile;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List profiles and how many credentials each holds')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Create an empty profile')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a profile that holds no credentials')
            [CompletionResult]::new('rename', 'rename', [CompletionResultType]::ParameterValue, 'Rename a profile (its credentials stay valid)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omc;profile;help;list' {
            break
        }
        'omc;profile;help;add' {
            break
        }
        'omc;profile;help;remove' {
            break
        }
        'omc;profile;help;rename' {
            break
        }
        'omc;profile;help;help' {
            break
        }
        'omc;master' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Where the master key comes from, and whether it unlocks this store')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Re-encrypt every credential to a new master key, atomically')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omc;master;status' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;master;rotate' {
            [CompletionResult]::new('--new-key-file', '--new-key-file', [CompletionResultType]::ParameterName, 'For stores whose key comes from the environment: write the new identity to this new file (mode 0600), to become the new OMC_MASTER_KEY')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;master;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Where the master key comes from, and whether it unlocks this store')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Re-encrypt every credential to a new master key, atomically')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omc;master;help;status' {
            break
        }
        'omc;master;help;rotate' {
            break
        }
        'omc;master;help;help' {
            break
        }
        'omc;unlock' {
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'How long the master key stays unlocked (the kernel drops it then), at most 24h')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;lock' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;validate' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Check every credential of the profile')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;run' {
            [CompletionResult]::new('--credential', '--credential', [CompletionResultType]::ParameterName, 'Credential to use [default: --provider''s default, else the profile''s default]')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Use this provider''s default credential')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Model [default: the credential''s model, else the provider''s default]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model [default: the credential''s model, else the provider''s default]')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'System prompt')
            [CompletionResult]::new('--system', '--system', [CompletionResultType]::ParameterName, 'System prompt')
            [CompletionResult]::new('--temperature', '--temperature', [CompletionResultType]::ParameterName, 'Sampling temperature')
            [CompletionResult]::new('--max-tokens', '--max-tokens', [CompletionResultType]::ParameterName, 'Most tokens to generate [default: 1024, or run.max_tokens in config.toml]')
            [CompletionResult]::new('--fallback', '--fallback', [CompletionResultType]::ParameterName, 'Credentials to try in order when the first fails with 429/5xx after retries, a timeout, or an unknown model (each uses its own model)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on a request after this long, retries included (e.g. 60s)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--no-stream', '--no-stream', [CompletionResultType]::ParameterName, 'Wait for the whole answer instead of streaming it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;models' {
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Ask with this provider''s default credential')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;bench' {
            [CompletionResult]::new('--credential', '--credential', [CompletionResultType]::ParameterName, 'Credentials to benchmark, comma-separated or repeated [default: the profile''s default credential]')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Benchmark these providers'' default credentials (comma-separated or repeated)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Models to ask each credential for, comma-separated or repeated; targets are credentials × models [default: each credential''s model, else its provider''s default]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Models to ask each credential for, comma-separated or repeated; targets are credentials × models [default: each credential''s model, else its provider''s default]')
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Built-in prompts of increasing complexity, comma-separated or repeated [default: short, when no --prompt or --suite]')
            [CompletionResult]::new('--prompt', '--prompt', [CompletionResultType]::ParameterName, 'A prompt to send (repeatable)')
            [CompletionResult]::new('--suite', '--suite', [CompletionResultType]::ParameterName, 'A TOML file of named prompts ([[prompt]] name, text, optional system and max_tokens)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Measured requests per target × prompt')
            [CompletionResult]::new('--runs', '--runs', [CompletionResultType]::ParameterName, 'Measured requests per target × prompt')
            [CompletionResult]::new('--warmup', '--warmup', [CompletionResultType]::ParameterName, 'Unmeasured requests per target before the measured ones (open connections, wake caches) [default: --concurrency, so every worker starts on an open connection; 1 with --rate]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Requests in flight at once, each sent when the previous one ends (closed loop) [default: 1]')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once, each sent when the previous one ends (closed loop) [default: 1]')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Requests per second over all targets, Poisson arrivals, whatever the replies do (open loop)')
            [CompletionResult]::new('--max-tokens', '--max-tokens', [CompletionResultType]::ParameterName, 'Most tokens to generate per request [default: the prompt''s own, else 1024]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on a request after this long')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format on stdout (--json is --format json)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Also write the report to FILE, in the format its extension says (.json, .csv, .md), else --format''s')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Also write the report to FILE, in the format its extension says (.json, .csv, .md), else --format''s')
            [CompletionResult]::new('--requests-out', '--requests-out', [CompletionResultType]::ParameterName, 'Write every request (warmups included, flagged) to FILE as JSON Lines, as they finish')
            [CompletionResult]::new('--baseline', '--baseline', [CompletionResultType]::ParameterName, 'Compare with a stored run: its id, or `last` (the latest run with the same configuration)')
            [CompletionResult]::new('--fail-if', '--fail-if', [CompletionResultType]::ParameterName, 'Fail (exit 9) when EXPR holds for any target, e.g. ttft.p95>800ms, error_rate>1%, regress(ttft.p50)>10% (repeatable)')
            [CompletionResult]::new('--order', '--order', [CompletionResultType]::ParameterName, 'The order measured requests are sent in: round-robin over targets, or a seeded shuffle of every request (so prompts are mixed too)')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed for the Poisson arrivals and `--order shuffled` [default: random; the report records it]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--no-stream', '--no-stream', [CompletionResultType]::ParameterName, 'Wait for whole responses instead of streaming (no time to first token)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List stored benchmark runs, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a stored run''s report again, in any format')
            [CompletionResult]::new('compare', 'compare', [CompletionResultType]::ParameterValue, 'Compare two stored runs, target by target')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omc;bench;history' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N runs')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;bench;show' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Report format (--json is --format json)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Also write the report to FILE, in the format its extension says')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Also write the report to FILE, in the format its extension says')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;bench;compare' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format (markdown: for a CI step summary)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Compare even when the runs were configured differently')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;bench;help' {
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List stored benchmark runs, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a stored run''s report again, in any format')
            [CompletionResult]::new('compare', 'compare', [CompletionResultType]::ParameterValue, 'Compare two stored runs, target by target')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omc;bench;help;history' {
            break
        }
        'omc;bench;help;show' {
            break
        }
        'omc;bench;help;compare' {
            break
        }
        'omc;bench;help;help' {
            break
        }
        'omc;usage' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'How far back: 24h, 7d, 30d…')
            [CompletionResult]::new('--group-by', '--group-by', [CompletionResultType]::ParameterName, 'How to group the runs')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format (--json is the same as --format json)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--all-profiles', '--all-profiles', [CompletionResultType]::ParameterName, 'Runs of every profile, not just the current one (implied by --group-by profile)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;limit' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set the profile''s daily limits (UTC day); unset ones stay as they are')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the limits and today''s use')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Remove the profile''s limits')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omc;limit;set' {
            [CompletionResult]::new('--daily-tokens', '--daily-tokens', [CompletionResultType]::ParameterName, 'Tokens (input + output) per day')
            [CompletionResult]::new('--daily-cost', '--daily-cost', [CompletionResultType]::ParameterName, 'US dollars per day')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;limit;show' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;limit;clear' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;limit;help' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set the profile''s daily limits (UTC day); unset ones stay as they are')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the limits and today''s use')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Remove the profile''s limits')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omc;limit;help;set' {
            break
        }
        'omc;limit;help;show' {
            break
        }
        'omc;limit;help;clear' {
            break
        }
        'omc;limit;help;help' {
            break
        }
        'omc;audit' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'How many entries, newest first')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--all-profiles', '--all-profiles', [CompletionResultType]::ParameterName, 'Entries of every profile, not just the current one (store-wide events, such as master-rotate, show in every profile)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;doctor' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--deep', '--deep', [CompletionResultType]::ParameterName, 'Also unlock the master key and decrypt every stored key, naming any that no longer opens (nothing is printed but the names)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;completions' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;man' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write omc.1 and one page per subcommand (omc-add.1, …) into DIR instead of printing omc.1')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to work in')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout, nothing else there')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print less: errors only on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides')
            [CompletionResult]::new('--no-input', '--no-input', [CompletionResultType]::ParameterName, 'Never prompt; fail with a message naming the flag to pass instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'omc;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the encrypted store and its master key')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Store an API key (validated with a live call first)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List credentials, keys masked')
            [CompletionResult]::new('default', 'default', [CompletionResultType]::ParameterValue, 'Make a credential the profile''s default (and its provider''s)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a credential: the key is destroyed, an audit tombstone stays')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace a credential''s key')
            [CompletionResult]::new('key', 'key', [CompletionResultType]::ParameterValue, 'Print a credential''s key to stdout, for scripts')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with provider keys in its environment')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print provider keys as shell lines to eval')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import keys from llm, aichat, a dotenv file, the environment, or a sharing bundle')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Share credentials: one age file for teammates'' age or SSH public keys')
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'Manage profiles')
            [CompletionResult]::new('master', 'master', [CompletionResultType]::ParameterValue, 'Inspect or rotate the master key')
            [CompletionResult]::new('unlock', 'unlock', [CompletionResultType]::ParameterValue, 'Keep a `file` store''s master key unlocked in the kernel keyring for a while (Linux)')
            [CompletionResult]::new('lock', 'lock', [CompletionResultType]::ParameterValue, 'Drop the master key `omc unlock` keeps')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check credentials with a live call that spends no tokens')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Send a prompt with a stored credential and stream the answer')
            [CompletionResult]::new('models', 'models', [CompletionResultType]::ParameterValue, 'List the models a provider offers')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Benchmark providers: latency, throughput and cost, with history and CI gates')
            [CompletionResult]::new('usage', 'usage', [CompletionResultType]::ParameterValue, 'Token use and cost of past runs')
            [CompletionResult]::new('limit', 'limit', [CompletionResultType]::ParameterValue, 'Daily token and cost limits for the profile')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Show who did what to which credential')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the keyring, the master key, file modes and the database')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print or write the man pages')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omc;help;init' {
            break
        }
        'omc;help;add' {
            break
        }
        'omc;help;list' {
            break
        }
        'omc;help;default' {
            break
        }
        'omc;help;delete' {
            break
        }
        'omc;help;rotate' {
            break
        }
        'omc;help;key' {
            break
        }
        'omc;help;exec' {
            break
        }
        'omc;help;env' {
            break
        }
        'omc;help;import' {
            [CompletionResult]::new('llm', 'llm', [CompletionResultType]::ParameterValue, 'Keys from llm''s keys.json ($LLM_USER_PATH, else llm''s config directory)')
            [CompletionResult]::new('aichat', 'aichat', [CompletionResultType]::ParameterValue, 'Clients from aichat''s config.yaml, and keys from the .env beside it')
            [CompletionResult]::new('dotenv', 'dotenv', [CompletionResultType]::ParameterValue, '*_API_KEY lines of a dotenv file, with their *_BASE_URL')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, '*_API_KEY variables of the environment, with their *_BASE_URL')
            [CompletionResult]::new('bundle', 'bundle', [CompletionResultType]::ParameterValue, 'A sharing bundle made by `omc export` (or by the age tool in omc''s format)')
            break
        }
        'omc;help;import;llm' {
            break
        }
        'omc;help;import;aichat' {
            break
        }
        'omc;help;import;dotenv' {
            break
        }
        'omc;help;import;env' {
            break
        }
        'omc;help;import;bundle' {
            break
        }
        'omc;help;export' {
            break
        }
        'omc;help;profile' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List profiles and how many credentials each holds')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Create an empty profile')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a profile that holds no credentials')
            [CompletionResult]::new('rename', 'rename', [CompletionResultType]::ParameterValue, 'Rename a profile (its credentials stay valid)')
            break
        }
        'omc;help;profile;list' {
            break
        }
        'omc;help;profile;add' {
            break
        }
        'omc;help;profile;remove' {
            break
        }
        'omc;help;profile;rename' {
            break
        }
        'omc;help;master' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Where the master key comes from, and whether it unlocks this store')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Re-encrypt every credential to a new master key, atomically')
            break
        }
        'omc;help;master;status' {
            break
        }
        'omc;help;master;rotate' {
            break
        }
        'omc;help;unlock' {
            break
        }
        'omc;help;lock' {
            break
        }
        'omc;help;validate' {
            break
        }
        'omc;help;run' {
            break
        }
        'omc;help;models' {
            break
        }
        'omc;help;bench' {
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List stored benchmark runs, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a stored run''s report again, in any format')
            [CompletionResult]::new('compare', 'compare', [CompletionResultType]::ParameterValue, 'Compare two stored runs, target by target')
            break
        }
        'omc;help;bench;history' {
            break
        }
        'omc;help;bench;show' {
            break
        }
        'omc;help;bench;compare' {
            break
        }
        'omc;help;usage' {
            break
        }
        'omc;help;limit' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set the profile''s daily limits (UTC day); unset ones stay as they are')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the limits and today''s use')
            [CompletionResult]::new('clear', 'clear', [CompletionResultType]::ParameterValue, 'Remove the profile''s limits')
            break
        }
        'omc;help;limit;set' {
            break
        }
        'omc;help;limit;show' {
            break
        }
        'omc;help;limit;clear' {
            break
        }
        'omc;help;audit' {
            break
        }
        'omc;help;doctor' {
            break
        }
        'omc;help;completions' {
            break
        }
        'omc;help;man' {
            break
        }
        'omc;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

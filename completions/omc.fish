# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_omc_global_optspecs
    string join \n profile= json q/quiet v/verbose color= no-input config= h/help V/version
end

function __fish_omc_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_omc_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_omc_using_subcommand
    set -l cmd (__fish_omc_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c omc -n "__fish_omc_needs_command" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_needs_command" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_needs_command" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_needs_command" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_needs_command" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_needs_command" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_needs_command" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c omc -n "__fish_omc_needs_command" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_needs_command" -f -a "init" -d 'Create the encrypted store and its master key'
complete -c omc -n "__fish_omc_needs_command" -f -a "add" -d 'Store an API key (validated with a live call first)'
complete -c omc -n "__fish_omc_needs_command" -f -a "list" -d 'List credentials, keys masked'
complete -c omc -n "__fish_omc_needs_command" -f -a "ls" -d 'List credentials, keys masked'
complete -c omc -n "__fish_omc_needs_command" -f -a "default" -d 'Make a credential the profile\'s default (and its provider\'s)'
complete -c omc -n "__fish_omc_needs_command" -f -a "delete" -d 'Delete a credential: the key is destroyed, an audit tombstone stays'
complete -c omc -n "__fish_omc_needs_command" -f -a "rm" -d 'Delete a credential: the key is destroyed, an audit tombstone stays'
complete -c omc -n "__fish_omc_needs_command" -f -a "rotate" -d 'Replace a credential\'s key'
complete -c omc -n "__fish_omc_needs_command" -f -a "key" -d 'Print a credential\'s key to stdout, for scripts'
complete -c omc -n "__fish_omc_needs_command" -f -a "exec" -d 'Run a command with provider keys in its environment'
complete -c omc -n "__fish_omc_needs_command" -f -a "env" -d 'Print provider keys as shell lines to eval'
complete -c omc -n "__fish_omc_needs_command" -f -a "import" -d 'Import keys from llm, aichat, a dotenv file, the environment, or a sharing bundle'
complete -c omc -n "__fish_omc_needs_command" -f -a "export" -d 'Share credentials: one age file for teammates\' age or SSH public keys'
complete -c omc -n "__fish_omc_needs_command" -f -a "profile" -d 'Manage profiles'
complete -c omc -n "__fish_omc_needs_command" -f -a "master" -d 'Inspect or rotate the master key'
complete -c omc -n "__fish_omc_needs_command" -f -a "unlock" -d 'Keep a `file` store\'s master key unlocked in the kernel keyring for a while (Linux)'
complete -c omc -n "__fish_omc_needs_command" -f -a "lock" -d 'Drop the master key `omc unlock` keeps'
complete -c omc -n "__fish_omc_needs_command" -f -a "validate" -d 'Check credentials with a live call that spends no tokens'
complete -c omc -n "__fish_omc_needs_command" -f -a "run" -d 'Send a prompt with a stored credential and stream the answer'
complete -c omc -n "__fish_omc_needs_command" -f -a "models" -d 'List the models a provider offers'
complete -c omc -n "__fish_omc_needs_command" -f -a "bench" -d 'Benchmark providers: latency, throughput and cost, with history and CI gates'
complete -c omc -n "__fish_omc_needs_command" -f -a "usage" -d 'Token use and cost of past runs'
complete -c omc -n "__fish_omc_needs_command" -f -a "limit" -d 'Daily token and cost limits for the profile'
complete -c omc -n "__fish_omc_needs_command" -f -a "audit" -d 'Show who did what to which credential'
complete -c omc -n "__fish_omc_needs_command" -f -a "doctor" -d 'Check the keyring, the master key, file modes and the database'
complete -c omc -n "__fish_omc_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c omc -n "__fish_omc_needs_command" -f -a "man" -d 'Print or write the man pages'
complete -c omc -n "__fish_omc_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omc -n "__fish_omc_using_subcommand init" -l backend -d 'Where the master key lives [default: env when OMC_MASTER_KEY/_FILE is set, else keyring]' -r -f -a "keyring\t'The OS keyring (Secret Service, Keychain, Credential Manager)'
file\t'`master.age`, protected by a passphrase'
env\t'Supplied by the environment: `OMC_MASTER_KEY` or `OMC_MASTER_KEY_FILE`'"
complete -c omc -n "__fish_omc_using_subcommand init" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand init" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand init" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand init" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand init" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand init" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand init" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c omc -n "__fish_omc_using_subcommand init" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand add" -l name -d 'Name of the credential, unique in its profile [default: the provider\'s id]' -r
complete -c omc -n "__fish_omc_using_subcommand add" -l model -d 'Model to use with this credential [default: the provider\'s default]' -r
complete -c omc -n "__fish_omc_using_subcommand add" -l base-url -d 'API base URL, as the provider\'s SDK takes it (required for openai-compatible)' -r
complete -c omc -n "__fish_omc_using_subcommand add" -l key-env -d 'Read the key from this environment variable' -r
complete -c omc -n "__fish_omc_using_subcommand add" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand add" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand add" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand add" -l key-stdin -d 'Read the key from standard input'
complete -c omc -n "__fish_omc_using_subcommand add" -l default -d 'Make it the profile\'s default credential (and its provider\'s)'
complete -c omc -n "__fish_omc_using_subcommand add" -l no-validate -d 'Store without checking the key with the provider first'
complete -c omc -n "__fish_omc_using_subcommand add" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand add" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand add" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand add" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand add" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand add" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand list" -l provider -d 'Only this provider\'s credentials' -r
complete -c omc -n "__fish_omc_using_subcommand list" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand list" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand list" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand list" -l all-profiles -d 'Every profile, not just the current one'
complete -c omc -n "__fish_omc_using_subcommand list" -l include-deleted -d 'Show deleted credentials\' tombstones too'
complete -c omc -n "__fish_omc_using_subcommand list" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand list" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand list" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand list" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand list" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand list" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand ls" -l provider -d 'Only this provider\'s credentials' -r
complete -c omc -n "__fish_omc_using_subcommand ls" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand ls" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand ls" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand ls" -l all-profiles -d 'Every profile, not just the current one'
complete -c omc -n "__fish_omc_using_subcommand ls" -l include-deleted -d 'Show deleted credentials\' tombstones too'
complete -c omc -n "__fish_omc_using_subcommand ls" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand ls" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand ls" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand ls" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand ls" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand ls" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand default" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand default" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand default" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand default" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand default" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand default" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand default" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand default" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand default" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand delete" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand delete" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand delete" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand delete" -s y -l yes -d 'Do not ask for confirmation (required without a terminal)'
complete -c omc -n "__fish_omc_using_subcommand delete" -l purge -d 'Remove the row entirely instead of leaving a tombstone'
complete -c omc -n "__fish_omc_using_subcommand delete" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand delete" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand delete" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand delete" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand delete" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand delete" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand rm" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand rm" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand rm" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand rm" -s y -l yes -d 'Do not ask for confirmation (required without a terminal)'
complete -c omc -n "__fish_omc_using_subcommand rm" -l purge -d 'Remove the row entirely instead of leaving a tombstone'
complete -c omc -n "__fish_omc_using_subcommand rm" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand rm" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand rm" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand rm" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand rm" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand rm" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand rotate" -l key-env -d 'Read the key from this environment variable' -r
complete -c omc -n "__fish_omc_using_subcommand rotate" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand rotate" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand rotate" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand rotate" -l key-stdin -d 'Read the key from standard input'
complete -c omc -n "__fish_omc_using_subcommand rotate" -l no-validate -d 'Store without checking the new key with the provider first'
complete -c omc -n "__fish_omc_using_subcommand rotate" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand rotate" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand rotate" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand rotate" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand rotate" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand rotate" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand key" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand key" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand key" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand key" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand key" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand key" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand key" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand key" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand key" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand exec" -l credential -d 'Export this credential (repeatable) [default: every provider\'s default credential]' -r
complete -c omc -n "__fish_omc_using_subcommand exec" -l provider -d 'Export this provider\'s default credential (repeatable)' -r
complete -c omc -n "__fish_omc_using_subcommand exec" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand exec" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand exec" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand exec" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand exec" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand exec" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand exec" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand exec" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand exec" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand env" -l credential -d 'Export this credential (repeatable) [default: every provider\'s default credential]' -r
complete -c omc -n "__fish_omc_using_subcommand env" -l provider -d 'Export this provider\'s default credential (repeatable)' -r
complete -c omc -n "__fish_omc_using_subcommand env" -l shell -d 'Syntax of the lines' -r -f -a "sh\t''
fish\t''
powershell\t''"
complete -c omc -n "__fish_omc_using_subcommand env" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand env" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand env" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand env" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand env" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand env" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand env" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand env" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand env" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand import; and not __fish_seen_subcommand_from llm aichat dotenv env bundle help" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand import; and not __fish_seen_subcommand_from llm aichat dotenv env bundle help" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand import; and not __fish_seen_subcommand_from llm aichat dotenv env bundle help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand import; and not __fish_seen_subcommand_from llm aichat dotenv env bundle help" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand import; and not __fish_seen_subcommand_from llm aichat dotenv env bundle help" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand import; and not __fish_seen_subcommand_from llm aichat dotenv env bundle help" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand import; and not __fish_seen_subcommand_from llm aichat dotenv env bundle help" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand import; and not __fish_seen_subcommand_from llm aichat dotenv env bundle help" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand import; and not __fish_seen_subcommand_from llm aichat dotenv env bundle help" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand import; and not __fish_seen_subcommand_from llm aichat dotenv env bundle help" -f -a "llm" -d 'Keys from llm\'s keys.json ($LLM_USER_PATH, else llm\'s config directory)'
complete -c omc -n "__fish_omc_using_subcommand import; and not __fish_seen_subcommand_from llm aichat dotenv env bundle help" -f -a "aichat" -d 'Clients from aichat\'s config.yaml, and keys from the .env beside it'
complete -c omc -n "__fish_omc_using_subcommand import; and not __fish_seen_subcommand_from llm aichat dotenv env bundle help" -f -a "dotenv" -d '*_API_KEY lines of a dotenv file, with their *_BASE_URL'
complete -c omc -n "__fish_omc_using_subcommand import; and not __fish_seen_subcommand_from llm aichat dotenv env bundle help" -f -a "env" -d '*_API_KEY variables of the environment, with their *_BASE_URL'
complete -c omc -n "__fish_omc_using_subcommand import; and not __fish_seen_subcommand_from llm aichat dotenv env bundle help" -f -a "bundle" -d 'A sharing bundle made by `omc export` (or by the age tool in omc\'s format)'
complete -c omc -n "__fish_omc_using_subcommand import; and not __fish_seen_subcommand_from llm aichat dotenv env bundle help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from llm" -l map -d 'Import the source\'s ALIAS (llm alias, aichat client name, variable) as PROVIDER; repeat for several' -r
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from llm" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from llm" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from llm" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from llm" -l dry-run -d 'Show what would be imported (keys masked); store nothing, call nothing'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from llm" -l no-validate -d 'Store the keys without checking them with their providers first'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from llm" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from llm" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from llm" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from llm" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from llm" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from llm" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from aichat" -l map -d 'Import the source\'s ALIAS (llm alias, aichat client name, variable) as PROVIDER; repeat for several' -r
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from aichat" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from aichat" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from aichat" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from aichat" -l dry-run -d 'Show what would be imported (keys masked); store nothing, call nothing'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from aichat" -l no-validate -d 'Store the keys without checking them with their providers first'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from aichat" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from aichat" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from aichat" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from aichat" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from aichat" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from aichat" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from dotenv" -l map -d 'Import the source\'s ALIAS (llm alias, aichat client name, variable) as PROVIDER; repeat for several' -r
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from dotenv" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from dotenv" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from dotenv" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from dotenv" -l dry-run -d 'Show what would be imported (keys masked); store nothing, call nothing'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from dotenv" -l no-validate -d 'Store the keys without checking them with their providers first'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from dotenv" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from dotenv" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from dotenv" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from dotenv" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from dotenv" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from dotenv" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from env" -l map -d 'Import the source\'s ALIAS (llm alias, aichat client name, variable) as PROVIDER; repeat for several' -r
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from env" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from env" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from env" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from env" -l dry-run -d 'Show what would be imported (keys masked); store nothing, call nothing'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from env" -l no-validate -d 'Store the keys without checking them with their providers first'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from env" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from env" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from env" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from env" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from env" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from env" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from bundle" -s i -l identity -d 'Decrypt with this age identity file or SSH private key [default: this store\'s master key]' -r -F
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from bundle" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from bundle" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from bundle" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from bundle" -l dry-run -d 'Show what would be imported (keys masked); store nothing, call nothing'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from bundle" -l no-validate -d 'Store the keys without checking them with their providers first'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from bundle" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from bundle" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from bundle" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from bundle" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from bundle" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from bundle" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "llm" -d 'Keys from llm\'s keys.json ($LLM_USER_PATH, else llm\'s config directory)'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "aichat" -d 'Clients from aichat\'s config.yaml, and keys from the .env beside it'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "dotenv" -d '*_API_KEY lines of a dotenv file, with their *_BASE_URL'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "env" -d '*_API_KEY variables of the environment, with their *_BASE_URL'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "bundle" -d 'A sharing bundle made by `omc export` (or by the age tool in omc\'s format)'
complete -c omc -n "__fish_omc_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omc -n "__fish_omc_using_subcommand export" -s r -l recipient -d 'Encrypt to this age recipient (age1…) or SSH public key (\'ssh-ed25519 AAAA… comment\', \'ssh-rsa …\'); repeat for several' -r
complete -c omc -n "__fish_omc_using_subcommand export" -s R -l recipients-file -d 'Encrypt to the recipients listed in FILE, one per line, as `age -R` reads it' -r -F
complete -c omc -n "__fish_omc_using_subcommand export" -s o -l out -d 'Write the bundle to FILE (mode 0600) [default: stdout]' -r -F
complete -c omc -n "__fish_omc_using_subcommand export" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand export" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand export" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand export" -l all -d 'Every credential of the profile'
complete -c omc -n "__fish_omc_using_subcommand export" -s a -l armor -d 'ASCII-armored (PEM) output, to paste into a message'
complete -c omc -n "__fish_omc_using_subcommand export" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand export" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand export" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand export" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand export" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand export" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand profile; and not __fish_seen_subcommand_from list ls add remove rm rename help" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand profile; and not __fish_seen_subcommand_from list ls add remove rm rename help" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand profile; and not __fish_seen_subcommand_from list ls add remove rm rename help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand profile; and not __fish_seen_subcommand_from list ls add remove rm rename help" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand profile; and not __fish_seen_subcommand_from list ls add remove rm rename help" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand profile; and not __fish_seen_subcommand_from list ls add remove rm rename help" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand profile; and not __fish_seen_subcommand_from list ls add remove rm rename help" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand profile; and not __fish_seen_subcommand_from list ls add remove rm rename help" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand profile; and not __fish_seen_subcommand_from list ls add remove rm rename help" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand profile; and not __fish_seen_subcommand_from list ls add remove rm rename help" -f -a "list" -d 'List profiles and how many credentials each holds'
complete -c omc -n "__fish_omc_using_subcommand profile; and not __fish_seen_subcommand_from list ls add remove rm rename help" -f -a "ls" -d 'List profiles and how many credentials each holds'
complete -c omc -n "__fish_omc_using_subcommand profile; and not __fish_seen_subcommand_from list ls add remove rm rename help" -f -a "add" -d 'Create an empty profile'
complete -c omc -n "__fish_omc_using_subcommand profile; and not __fish_seen_subcommand_from list ls add remove rm rename help" -f -a "remove" -d 'Remove a profile that holds no credentials'
complete -c omc -n "__fish_omc_using_subcommand profile; and not __fish_seen_subcommand_from list ls add remove rm rename help" -f -a "rm" -d 'Remove a profile that holds no credentials'
complete -c omc -n "__fish_omc_using_subcommand profile; and not __fish_seen_subcommand_from list ls add remove rm rename help" -f -a "rename" -d 'Rename a profile (its credentials stay valid)'
complete -c omc -n "__fish_omc_using_subcommand profile; and not __fish_seen_subcommand_from list ls add remove rm rename help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from list" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from list" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from list" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from list" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from ls" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from ls" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from ls" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from ls" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from ls" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from add" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from add" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from add" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from add" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from add" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from remove" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from remove" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from remove" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from remove" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from remove" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rm" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rm" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rm" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rm" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rm" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rename" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rename" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rename" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rename" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rename" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rename" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rename" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rename" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from rename" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "list" -d 'List profiles and how many credentials each holds'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "add" -d 'Create an empty profile'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a profile that holds no credentials'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "rename" -d 'Rename a profile (its credentials stay valid)'
complete -c omc -n "__fish_omc_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omc -n "__fish_omc_using_subcommand master; and not __fish_seen_subcommand_from status rotate help" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand master; and not __fish_seen_subcommand_from status rotate help" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand master; and not __fish_seen_subcommand_from status rotate help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand master; and not __fish_seen_subcommand_from status rotate help" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand master; and not __fish_seen_subcommand_from status rotate help" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand master; and not __fish_seen_subcommand_from status rotate help" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand master; and not __fish_seen_subcommand_from status rotate help" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand master; and not __fish_seen_subcommand_from status rotate help" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand master; and not __fish_seen_subcommand_from status rotate help" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand master; and not __fish_seen_subcommand_from status rotate help" -f -a "status" -d 'Where the master key comes from, and whether it unlocks this store'
complete -c omc -n "__fish_omc_using_subcommand master; and not __fish_seen_subcommand_from status rotate help" -f -a "rotate" -d 'Re-encrypt every credential to a new master key, atomically'
complete -c omc -n "__fish_omc_using_subcommand master; and not __fish_seen_subcommand_from status rotate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from status" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from status" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from status" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from status" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from status" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from rotate" -l new-key-file -d 'For stores whose key comes from the environment: write the new identity to this new file (mode 0600), to become the new OMC_MASTER_KEY' -r -F
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from rotate" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from rotate" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from rotate" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from rotate" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from rotate" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from rotate" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from rotate" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from rotate" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from help" -f -a "status" -d 'Where the master key comes from, and whether it unlocks this store'
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Re-encrypt every credential to a new master key, atomically'
complete -c omc -n "__fish_omc_using_subcommand master; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omc -n "__fish_omc_using_subcommand unlock" -l for -d 'How long the master key stays unlocked (the kernel drops it then), at most 24h' -r
complete -c omc -n "__fish_omc_using_subcommand unlock" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand unlock" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand unlock" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand unlock" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand unlock" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand unlock" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand unlock" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand unlock" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand unlock" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand lock" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand lock" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand lock" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand lock" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand lock" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand lock" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand lock" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand lock" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand lock" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand validate" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand validate" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand validate" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand validate" -l all -d 'Check every credential of the profile'
complete -c omc -n "__fish_omc_using_subcommand validate" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand validate" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand validate" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand validate" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand validate" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand validate" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand run" -l credential -d 'Credential to use [default: --provider\'s default, else the profile\'s default]' -r
complete -c omc -n "__fish_omc_using_subcommand run" -l provider -d 'Use this provider\'s default credential' -r
complete -c omc -n "__fish_omc_using_subcommand run" -s m -l model -d 'Model [default: the credential\'s model, else the provider\'s default]' -r
complete -c omc -n "__fish_omc_using_subcommand run" -s s -l system -d 'System prompt' -r
complete -c omc -n "__fish_omc_using_subcommand run" -l temperature -d 'Sampling temperature' -r
complete -c omc -n "__fish_omc_using_subcommand run" -l max-tokens -d 'Most tokens to generate [default: 1024, or run.max_tokens in config.toml]' -r
complete -c omc -n "__fish_omc_using_subcommand run" -l fallback -d 'Credentials to try in order when the first fails with 429/5xx after retries, a timeout, or an unknown model (each uses its own model)' -r
complete -c omc -n "__fish_omc_using_subcommand run" -l timeout -d 'Give up on a request after this long, retries included (e.g. 60s)' -r
complete -c omc -n "__fish_omc_using_subcommand run" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand run" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand run" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand run" -l no-stream -d 'Wait for the whole answer instead of streaming it'
complete -c omc -n "__fish_omc_using_subcommand run" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand run" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand run" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand run" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand run" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand run" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand models" -l provider -d 'Ask with this provider\'s default credential' -r
complete -c omc -n "__fish_omc_using_subcommand models" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand models" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand models" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand models" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand models" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand models" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand models" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand models" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand models" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l credential -d 'Credentials to benchmark, comma-separated or repeated [default: the profile\'s default credential]' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l provider -d 'Benchmark these providers\' default credentials (comma-separated or repeated)' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -s m -l model -d 'Models to ask each credential for, comma-separated or repeated; targets are credentials × models [default: each credential\'s model, else its provider\'s default]' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l level -d 'Built-in prompts of increasing complexity, comma-separated or repeated [default: short, when no --prompt or --suite]' -r -f -a "short\t'A one-line question with a one-word answer: time to first token dominates'
medium\t'A paragraph-long explanation: a few hundred tokens'
long\t'A multi-part technical answer with code: generation speed dominates'
all\t'All three, in order'"
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l prompt -d 'A prompt to send (repeatable)' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l suite -d 'A TOML file of named prompts ([[prompt]] name, text, optional system and max_tokens)' -r -F
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -s n -l runs -d 'Measured requests per target × prompt' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l warmup -d 'Unmeasured requests per target before the measured ones (open connections, wake caches) [default: --concurrency, so every worker starts on an open connection; 1 with --rate]' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -s c -l concurrency -d 'Requests in flight at once, each sent when the previous one ends (closed loop) [default: 1]' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l rate -d 'Requests per second over all targets, Poisson arrivals, whatever the replies do (open loop)' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l max-tokens -d 'Most tokens to generate per request [default: the prompt\'s own, else 1024]' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l timeout -d 'Give up on a request after this long' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l format -d 'Report format on stdout (--json is --format json)' -r -f -a "table\t''
json\t''
csv\t''
markdown\t''"
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -s o -l out -d 'Also write the report to FILE, in the format its extension says (.json, .csv, .md), else --format\'s' -r -F
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l requests-out -d 'Write every request (warmups included, flagged) to FILE as JSON Lines, as they finish' -r -F
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l baseline -d 'Compare with a stored run: its id, or `last` (the latest run with the same configuration)' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l fail-if -d 'Fail (exit 9) when EXPR holds for any target, e.g. ttft.p95>800ms, error_rate>1%, regress(ttft.p50)>10% (repeatable)' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l order -d 'The order measured requests are sent in: round-robin over targets, or a seeded shuffle of every request (so prompts are mixed too)' -r -f -a "interleaved\t'Round-robin over targets, the first target rotating each round'
shuffled\t'A seeded shuffle of every measured request'"
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l seed -d 'Seed for the Poisson arrivals and `--order shuffled` [default: random; the report records it]' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l no-stream -d 'Wait for whole responses instead of streaming (no time to first token)'
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -f -a "history" -d 'List stored benchmark runs, newest first'
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -f -a "show" -d 'Show a stored run\'s report again, in any format'
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -f -a "compare" -d 'Compare two stored runs, target by target'
complete -c omc -n "__fish_omc_using_subcommand bench; and not __fish_seen_subcommand_from history show compare help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from history" -l limit -d 'Show at most N runs' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from history" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from history" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from history" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from history" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from history" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from history" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from history" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from history" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from history" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from show" -l format -d 'Report format (--json is --format json)' -r -f -a "table\t''
json\t''
csv\t''
markdown\t''"
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from show" -s o -l out -d 'Also write the report to FILE, in the format its extension says' -r -F
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from show" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from show" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from show" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from show" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from show" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from compare" -l format -d 'Output format (markdown: for a CI step summary)' -r -f -a "table\t''
json\t'As --json'
markdown\t''"
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from compare" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from compare" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from compare" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from compare" -l force -d 'Compare even when the runs were configured differently'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from compare" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from compare" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from compare" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from compare" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from compare" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from compare" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "history" -d 'List stored benchmark runs, newest first'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show a stored run\'s report again, in any format'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "compare" -d 'Compare two stored runs, target by target'
complete -c omc -n "__fish_omc_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omc -n "__fish_omc_using_subcommand usage" -l since -d 'How far back: 24h, 7d, 30d…' -r
complete -c omc -n "__fish_omc_using_subcommand usage" -l group-by -d 'How to group the runs' -r -f -a "day\t''
provider\t''
model\t''
credential\t''
profile\t''"
complete -c omc -n "__fish_omc_using_subcommand usage" -l format -d 'Output format (--json is the same as --format json)' -r -f -a "table\t''
json\t''
csv\t''"
complete -c omc -n "__fish_omc_using_subcommand usage" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand usage" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand usage" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand usage" -l all-profiles -d 'Runs of every profile, not just the current one (implied by --group-by profile)'
complete -c omc -n "__fish_omc_using_subcommand usage" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand usage" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand usage" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand usage" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand usage" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand usage" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand limit; and not __fish_seen_subcommand_from set show clear help" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand limit; and not __fish_seen_subcommand_from set show clear help" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand limit; and not __fish_seen_subcommand_from set show clear help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand limit; and not __fish_seen_subcommand_from set show clear help" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand limit; and not __fish_seen_subcommand_from set show clear help" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand limit; and not __fish_seen_subcommand_from set show clear help" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand limit; and not __fish_seen_subcommand_from set show clear help" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand limit; and not __fish_seen_subcommand_from set show clear help" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand limit; and not __fish_seen_subcommand_from set show clear help" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand limit; and not __fish_seen_subcommand_from set show clear help" -f -a "set" -d 'Set the profile\'s daily limits (UTC day); unset ones stay as they are'
complete -c omc -n "__fish_omc_using_subcommand limit; and not __fish_seen_subcommand_from set show clear help" -f -a "show" -d 'Show the limits and today\'s use'
complete -c omc -n "__fish_omc_using_subcommand limit; and not __fish_seen_subcommand_from set show clear help" -f -a "clear" -d 'Remove the profile\'s limits'
complete -c omc -n "__fish_omc_using_subcommand limit; and not __fish_seen_subcommand_from set show clear help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from set" -l daily-tokens -d 'Tokens (input + output) per day' -r
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from set" -l daily-cost -d 'US dollars per day' -r
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from set" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from set" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from set" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from set" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from set" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from set" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from show" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from show" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from show" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from show" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from show" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from clear" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from clear" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from clear" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from clear" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from clear" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from clear" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from clear" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from clear" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from clear" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set the profile\'s daily limits (UTC day); unset ones stay as they are'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show the limits and today\'s use'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from help" -f -a "clear" -d 'Remove the profile\'s limits'
complete -c omc -n "__fish_omc_using_subcommand limit; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omc -n "__fish_omc_using_subcommand audit" -l limit -d 'How many entries, newest first' -r
complete -c omc -n "__fish_omc_using_subcommand audit" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand audit" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand audit" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand audit" -l all-profiles -d 'Entries of every profile, not just the current one (store-wide events, such as master-rotate, show in every profile)'
complete -c omc -n "__fish_omc_using_subcommand audit" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand audit" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand audit" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand audit" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand audit" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand audit" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand doctor" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand doctor" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand doctor" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand doctor" -l deep -d 'Also unlock the master key and decrypt every stored key, naming any that no longer opens (nothing is printed but the names)'
complete -c omc -n "__fish_omc_using_subcommand doctor" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand doctor" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand doctor" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand doctor" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand completions" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand completions" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand completions" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand completions" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand completions" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand completions" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand completions" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand completions" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand completions" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand man" -l out -d 'Write omc.1 and one page per subcommand (omc-add.1, …) into DIR instead of printing omc.1' -r -F
complete -c omc -n "__fish_omc_using_subcommand man" -l profile -d 'Profile to work in' -r
complete -c omc -n "__fish_omc_using_subcommand man" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omc -n "__fish_omc_using_subcommand man" -l config -d 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]' -r -F
complete -c omc -n "__fish_omc_using_subcommand man" -l json -d 'Print one JSON document on stdout, nothing else there'
complete -c omc -n "__fish_omc_using_subcommand man" -s q -l quiet -d 'Print less: errors only on stderr'
complete -c omc -n "__fish_omc_using_subcommand man" -s v -l verbose -d 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
complete -c omc -n "__fish_omc_using_subcommand man" -l no-input -d 'Never prompt; fail with a message naming the flag to pass instead'
complete -c omc -n "__fish_omc_using_subcommand man" -s h -l help -d 'Print help'
complete -c omc -n "__fish_omc_using_subcommand man" -s V -l version -d 'Print version'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "init" -d 'Create the encrypted store and its master key'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "add" -d 'Store an API key (validated with a live call first)'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "list" -d 'List credentials, keys masked'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "default" -d 'Make a credential the profile\'s default (and its provider\'s)'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "delete" -d 'Delete a credential: the key is destroyed, an audit tombstone stays'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "rotate" -d 'Replace a credential\'s key'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "key" -d 'Print a credential\'s key to stdout, for scripts'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "exec" -d 'Run a command with provider keys in its environment'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "env" -d 'Print provider keys as shell lines to eval'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "import" -d 'Import keys from llm, aichat, a dotenv file, the environment, or a sharing bundle'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "export" -d 'Share credentials: one age file for teammates\' age or SSH public keys'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "profile" -d 'Manage profiles'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "master" -d 'Inspect or rotate the master key'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "unlock" -d 'Keep a `file` store\'s master key unlocked in the kernel keyring for a while (Linux)'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "lock" -d 'Drop the master key `omc unlock` keeps'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "validate" -d 'Check credentials with a live call that spends no tokens'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "run" -d 'Send a prompt with a stored credential and stream the answer'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "models" -d 'List the models a provider offers'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "bench" -d 'Benchmark providers: latency, throughput and cost, with history and CI gates'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "usage" -d 'Token use and cost of past runs'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "limit" -d 'Daily token and cost limits for the profile'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "audit" -d 'Show who did what to which credential'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "doctor" -d 'Check the keyring, the master key, file modes and the database'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "man" -d 'Print or write the man pages'
complete -c omc -n "__fish_omc_using_subcommand help; and not __fish_seen_subcommand_from init add list default delete rotate key exec env import export profile master unlock lock validate run models bench usage limit audit doctor completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "llm" -d 'Keys from llm\'s keys.json ($LLM_USER_PATH, else llm\'s config directory)'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "aichat" -d 'Clients from aichat\'s config.yaml, and keys from the .env beside it'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "dotenv" -d '*_API_KEY lines of a dotenv file, with their *_BASE_URL'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "env" -d '*_API_KEY variables of the environment, with their *_BASE_URL'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "bundle" -d 'A sharing bundle made by `omc export` (or by the age tool in omc\'s format)'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "list" -d 'List profiles and how many credentials each holds'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "add" -d 'Create an empty profile'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "remove" -d 'Remove a profile that holds no credentials'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "rename" -d 'Rename a profile (its credentials stay valid)'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from master" -f -a "status" -d 'Where the master key comes from, and whether it unlocks this store'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from master" -f -a "rotate" -d 'Re-encrypt every credential to a new master key, atomically'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "history" -d 'List stored benchmark runs, newest first'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "show" -d 'Show a stored run\'s report again, in any format'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "compare" -d 'Compare two stored runs, target by target'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from limit" -f -a "set" -d 'Set the profile\'s daily limits (UTC day); unset ones stay as they are'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from limit" -f -a "show" -d 'Show the limits and today\'s use'
complete -c omc -n "__fish_omc_using_subcommand help; and __fish_seen_subcommand_from limit" -f -a "clear" -d 'Remove the profile\'s limits'

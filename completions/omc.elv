
use builtin;
use str;

set edit:completion:arg-completer[omc] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'omc'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'omc'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Create the encrypted store and its master key'
            cand add 'Store an API key (validated with a live call first)'
            cand list 'List credentials, keys masked'
            cand ls 'List credentials, keys masked'
            cand default 'Make a credential the profile''s default (and its provider''s)'
            cand delete 'Delete a credential: the key is destroyed, an audit tombstone stays'
            cand rm 'Delete a credential: the key is destroyed, an audit tombstone stays'
            cand rotate 'Replace a credential''s key'
            cand key 'Print a credential''s key to stdout, for scripts'
            cand exec 'Run a command with provider keys in its environment'
            cand env 'Print provider keys as shell lines to eval'
            cand import 'Import keys from llm, aichat, a dotenv file, the environment, or a sharing bundle'
            cand export 'Share credentials: one age file for teammates'' age or SSH public keys'
            cand profile 'Manage profiles'
            cand master 'Inspect or rotate the master key'
            cand unlock 'Keep a `file` store''s master key unlocked in the kernel keyring for a while (Linux)'
            cand lock 'Drop the master key `omc unlock` keeps'
            cand validate 'Check credentials with a live call that spends no tokens'
            cand run 'Send a prompt with a stored credential and stream the answer'
            cand models 'List the models a provider offers'
            cand bench 'Benchmark providers: latency, throughput and cost, with history and CI gates'
            cand usage 'Token use and cost of past runs'
            cand limit 'Daily token and cost limits for the profile'
            cand audit 'Show who did what to which credential'
            cand doctor 'Check the keyring, the master key, file modes and the database'
            cand completions 'Print a shell completion script'
            cand man 'Print or write the man pages'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omc;init'= {
            cand --backend 'Where the master key lives [default: env when OMC_MASTER_KEY/_FILE is set, else keyring]'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;add'= {
            cand --name 'Name of the credential, unique in its profile [default: the provider''s id]'
            cand --model 'Model to use with this credential [default: the provider''s default]'
            cand --base-url 'API base URL, as the provider''s SDK takes it (required for openai-compatible)'
            cand --key-env 'Read the key from this environment variable'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --key-stdin 'Read the key from standard input'
            cand --default 'Make it the profile''s default credential (and its provider''s)'
            cand --no-validate 'Store without checking the key with the provider first'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;list'= {
            cand --provider 'Only this provider''s credentials'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --all-profiles 'Every profile, not just the current one'
            cand --include-deleted 'Show deleted credentials'' tombstones too'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;ls'= {
            cand --provider 'Only this provider''s credentials'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --all-profiles 'Every profile, not just the current one'
            cand --include-deleted 'Show deleted credentials'' tombstones too'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;default'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;delete'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand -y 'Do not ask for confirmation (required without a terminal)'
            cand --yes 'Do not ask for confirmation (required without a terminal)'
            cand --purge 'Remove the row entirely instead of leaving a tombstone'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;rm'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand -y 'Do not ask for confirmation (required without a terminal)'
            cand --yes 'Do not ask for confirmation (required without a terminal)'
            cand --purge 'Remove the row entirely instead of leaving a tombstone'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;rotate'= {
            cand --key-env 'Read the key from this environment variable'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --key-stdin 'Read the key from standard input'
            cand --no-validate 'Store without checking the new key with the provider first'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;key'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;exec'= {
            cand --credential 'Export this credential (repeatable) [default: every provider''s default credential]'
            cand --provider 'Export this provider''s default credential (repeatable)'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;env'= {
            cand --credential 'Export this credential (repeatable) [default: every provider''s default credential]'
            cand --provider 'Export this provider''s default credential (repeatable)'
            cand --shell 'Syntax of the lines'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;import'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand llm 'Keys from llm''s keys.json ($LLM_USER_PATH, else llm''s config directory)'
            cand aichat 'Clients from aichat''s config.yaml, and keys from the .env beside it'
            cand dotenv '*_API_KEY lines of a dotenv file, with their *_BASE_URL'
            cand env '*_API_KEY variables of the environment, with their *_BASE_URL'
            cand bundle 'A sharing bundle made by `omc export` (or by the age tool in omc''s format)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omc;import;llm'= {
            cand --map 'Import the source''s ALIAS (llm alias, aichat client name, variable) as PROVIDER; repeat for several'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --dry-run 'Show what would be imported (keys masked); store nothing, call nothing'
            cand --no-validate 'Store the keys without checking them with their providers first'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;import;aichat'= {
            cand --map 'Import the source''s ALIAS (llm alias, aichat client name, variable) as PROVIDER; repeat for several'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --dry-run 'Show what would be imported (keys masked); store nothing, call nothing'
            cand --no-validate 'Store the keys without checking them with their providers first'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;import;dotenv'= {
            cand --map 'Import the source''s ALIAS (llm alias, aichat client name, variable) as PROVIDER; repeat for several'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --dry-run 'Show what would be imported (keys masked); store nothing, call nothing'
            cand --no-validate 'Store the keys without checking them with their providers first'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;import;env'= {
            cand --map 'Import the source''s ALIAS (llm alias, aichat client name, variable) as PROVIDER; repeat for several'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --dry-run 'Show what would be imported (keys masked); store nothing, call nothing'
            cand --no-validate 'Store the keys without checking them with their providers first'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;import;bundle'= {
            cand -i 'Decrypt with this age identity file or SSH private key [default: this store''s master key]'
            cand --identity 'Decrypt with this age identity file or SSH private key [default: this store''s master key]'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --dry-run 'Show what would be imported (keys masked); store nothing, call nothing'
            cand --no-validate 'Store the keys without checking them with their providers first'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;import;help'= {
            cand llm 'Keys from llm''s keys.json ($LLM_USER_PATH, else llm''s config directory)'
            cand aichat 'Clients from aichat''s config.yaml, and keys from the .env beside it'
            cand dotenv '*_API_KEY lines of a dotenv file, with their *_BASE_URL'
            cand env '*_API_KEY variables of the environment, with their *_BASE_URL'
            cand bundle 'A sharing bundle made by `omc export` (or by the age tool in omc''s format)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omc;import;help;llm'= {
        }
        &'omc;import;help;aichat'= {
        }
        &'omc;import;help;dotenv'= {
        }
        &'omc;import;help;env'= {
        }
        &'omc;import;help;bundle'= {
        }
        &'omc;import;help;help'= {
        }
        &'omc;export'= {
            cand -r 'Encrypt to this age recipient (age1…) or SSH public key (''ssh-ed25519 AAAA… comment'', ''ssh-rsa …''); repeat for several'
            cand --recipient 'Encrypt to this age recipient (age1…) or SSH public key (''ssh-ed25519 AAAA… comment'', ''ssh-rsa …''); repeat for several'
            cand -R 'Encrypt to the recipients listed in FILE, one per line, as `age -R` reads it'
            cand --recipients-file 'Encrypt to the recipients listed in FILE, one per line, as `age -R` reads it'
            cand -o 'Write the bundle to FILE (mode 0600) [default: stdout]'
            cand --out 'Write the bundle to FILE (mode 0600) [default: stdout]'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --all 'Every credential of the profile'
            cand -a 'ASCII-armored (PEM) output, to paste into a message'
            cand --armor 'ASCII-armored (PEM) output, to paste into a message'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;profile'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List profiles and how many credentials each holds'
            cand ls 'List profiles and how many credentials each holds'
            cand add 'Create an empty profile'
            cand remove 'Remove a profile that holds no credentials'
            cand rm 'Remove a profile that holds no credentials'
            cand rename 'Rename a profile (its credentials stay valid)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omc;profile;list'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;profile;ls'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;profile;add'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;profile;remove'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;profile;rm'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;profile;rename'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;profile;help'= {
            cand list 'List profiles and how many credentials each holds'
            cand add 'Create an empty profile'
            cand remove 'Remove a profile that holds no credentials'
            cand rename 'Rename a profile (its credentials stay valid)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omc;profile;help;list'= {
        }
        &'omc;profile;help;add'= {
        }
        &'omc;profile;help;remove'= {
        }
        &'omc;profile;help;rename'= {
        }
        &'omc;profile;help;help'= {
        }
        &'omc;master'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand status 'Where the master key comes from, and whether it unlocks this store'
            cand rotate 'Re-encrypt every credential to a new master key, atomically'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omc;master;status'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;master;rotate'= {
            cand --new-key-file 'For stores whose key comes from the environment: write the new identity to this new file (mode 0600), to become the new OMC_MASTER_KEY'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;master;help'= {
            cand status 'Where the master key comes from, and whether it unlocks this store'
            cand rotate 'Re-encrypt every credential to a new master key, atomically'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omc;master;help;status'= {
        }
        &'omc;master;help;rotate'= {
        }
        &'omc;master;help;help'= {
        }
        &'omc;unlock'= {
            cand --for 'How long the master key stays unlocked (the kernel drops it then), at most 24h'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;lock'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;validate'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --all 'Check every credential of the profile'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;run'= {
            cand --credential 'Credential to use [default: --provider''s default, else the profile''s default]'
            cand --provider 'Use this provider''s default credential'
            cand -m 'Model [default: the credential''s model, else the provider''s default]'
            cand --model 'Model [default: the credential''s model, else the provider''s default]'
            cand -s 'System prompt'
            cand --system 'System prompt'
            cand --temperature 'Sampling temperature'
            cand --max-tokens 'Most tokens to generate [default: 1024, or run.max_tokens in config.toml]'
            cand --fallback 'Credentials to try in order when the first fails with 429/5xx after retries, a timeout, or an unknown model (each uses its own model)'
            cand --timeout 'Give up on a request after this long, retries included (e.g. 60s)'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --no-stream 'Wait for the whole answer instead of streaming it'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;models'= {
            cand --provider 'Ask with this provider''s default credential'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;bench'= {
            cand --credential 'Credentials to benchmark, comma-separated or repeated [default: the profile''s default credential]'
            cand --provider 'Benchmark these providers'' default credentials (comma-separated or repeated)'
            cand -m 'Models to ask each credential for, comma-separated or repeated; targets are credentials × models [default: each credential''s model, else its provider''s default]'
            cand --model 'Models to ask each credential for, comma-separated or repeated; targets are credentials × models [default: each credential''s model, else its provider''s default]'
            cand --level 'Built-in prompts of increasing complexity, comma-separated or repeated [default: short, when no --prompt or --suite]'
            cand --prompt 'A prompt to send (repeatable)'
            cand --suite 'A TOML file of named prompts ([[prompt]] name, text, optional system and max_tokens)'
            cand -n 'Measured requests per target × prompt'
            cand --runs 'Measured requests per target × prompt'
            cand --warmup 'Unmeasured requests per target before the measured ones (open connections, wake caches) [default: --concurrency, so every worker starts on an open connection; 1 with --rate]'
            cand -c 'Requests in flight at once, each sent when the previous one ends (closed loop) [default: 1]'
            cand --concurrency 'Requests in flight at once, each sent when the previous one ends (closed loop) [default: 1]'
            cand --rate 'Requests per second over all targets, Poisson arrivals, whatever the replies do (open loop)'
            cand --max-tokens 'Most tokens to generate per request [default: the prompt''s own, else 1024]'
            cand --timeout 'Give up on a request after this long'
            cand --format 'Report format on stdout (--json is --format json)'
            cand -o 'Also write the report to FILE, in the format its extension says (.json, .csv, .md), else --format''s'
            cand --out 'Also write the report to FILE, in the format its extension says (.json, .csv, .md), else --format''s'
            cand --requests-out 'Write every request (warmups included, flagged) to FILE as JSON Lines, as they finish'
            cand --baseline 'Compare with a stored run: its id, or `last` (the latest run with the same configuration)'
            cand --fail-if 'Fail (exit 9) when EXPR holds for any target, e.g. ttft.p95>800ms, error_rate>1%, regress(ttft.p50)>10% (repeatable)'
            cand --order 'The order measured requests are sent in: round-robin over targets, or a seeded shuffle of every request (so prompts are mixed too)'
            cand --seed 'Seed for the Poisson arrivals and `--order shuffled` [default: random; the report records it]'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --no-stream 'Wait for whole responses instead of streaming (no time to first token)'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand history 'List stored benchmark runs, newest first'
            cand show 'Show a stored run''s report again, in any format'
            cand compare 'Compare two stored runs, target by target'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omc;bench;history'= {
            cand --limit 'Show at most N runs'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;bench;show'= {
            cand --format 'Report format (--json is --format json)'
            cand -o 'Also write the report to FILE, in the format its extension says'
            cand --out 'Also write the report to FILE, in the format its extension says'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;bench;compare'= {
            cand --format 'Output format (markdown: for a CI step summary)'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --force 'Compare even when the runs were configured differently'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;bench;help'= {
            cand history 'List stored benchmark runs, newest first'
            cand show 'Show a stored run''s report again, in any format'
            cand compare 'Compare two stored runs, target by target'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omc;bench;help;history'= {
        }
        &'omc;bench;help;show'= {
        }
        &'omc;bench;help;compare'= {
        }
        &'omc;bench;help;help'= {
        }
        &'omc;usage'= {
            cand --since 'How far back: 24h, 7d, 30d…'
            cand --group-by 'How to group the runs'
            cand --format 'Output format (--json is the same as --format json)'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --all-profiles 'Runs of every profile, not just the current one (implied by --group-by profile)'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;limit'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand set 'Set the profile''s daily limits (UTC day); unset ones stay as they are'
            cand show 'Show the limits and today''s use'
            cand clear 'Remove the profile''s limits'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omc;limit;set'= {
            cand --daily-tokens 'Tokens (input + output) per day'
            cand --daily-cost 'US dollars per day'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;limit;show'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;limit;clear'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;limit;help'= {
            cand set 'Set the profile''s daily limits (UTC day); unset ones stay as they are'
            cand show 'Show the limits and today''s use'
            cand clear 'Remove the profile''s limits'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omc;limit;help;set'= {
        }
        &'omc;limit;help;show'= {
        }
        &'omc;limit;help;clear'= {
        }
        &'omc;limit;help;help'= {
        }
        &'omc;audit'= {
            cand --limit 'How many entries, newest first'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --all-profiles 'Entries of every profile, not just the current one (store-wide events, such as master-rotate, show in every profile)'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;doctor'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --deep 'Also unlock the master key and decrypt every stored key, naming any that no longer opens (nothing is printed but the names)'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;completions'= {
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;man'= {
            cand --out 'Write omc.1 and one page per subcommand (omc-add.1, …) into DIR instead of printing omc.1'
            cand --profile 'Profile to work in'
            cand --color 'When to use colour'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/omc/config.toml, or $OMC_HOME/config.toml]'
            cand --json 'Print one JSON document on stdout, nothing else there'
            cand -q 'Print less: errors only on stderr'
            cand --quiet 'Print less: errors only on stderr'
            cand -v 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --verbose 'Log more on stderr (-v info, -vv debug, -vvv trace); OMC_LOG overrides'
            cand --no-input 'Never prompt; fail with a message naming the flag to pass instead'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'omc;help'= {
            cand init 'Create the encrypted store and its master key'
            cand add 'Store an API key (validated with a live call first)'
            cand list 'List credentials, keys masked'
            cand default 'Make a credential the profile''s default (and its provider''s)'
            cand delete 'Delete a credential: the key is destroyed, an audit tombstone stays'
            cand rotate 'Replace a credential''s key'
            cand key 'Print a credential''s key to stdout, for scripts'
            cand exec 'Run a command with provider keys in its environment'
            cand env 'Print provider keys as shell lines to eval'
            cand import 'Import keys from llm, aichat, a dotenv file, the environment, or a sharing bundle'
            cand export 'Share credentials: one age file for teammates'' age or SSH public keys'
            cand profile 'Manage profiles'
            cand master 'Inspect or rotate the master key'
            cand unlock 'Keep a `file` store''s master key unlocked in the kernel keyring for a while (Linux)'
            cand lock 'Drop the master key `omc unlock` keeps'
            cand validate 'Check credentials with a live call that spends no tokens'
            cand run 'Send a prompt with a stored credential and stream the answer'
            cand models 'List the models a provider offers'
            cand bench 'Benchmark providers: latency, throughput and cost, with history and CI gates'
            cand usage 'Token use and cost of past runs'
            cand limit 'Daily token and cost limits for the profile'
            cand audit 'Show who did what to which credential'
            cand doctor 'Check the keyring, the master key, file modes and the database'
            cand completions 'Print a shell completion script'
            cand man 'Print or write the man pages'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omc;help;init'= {
        }
        &'omc;help;add'= {
        }
        &'omc;help;list'= {
        }
        &'omc;help;default'= {
        }
        &'omc;help;delete'= {
        }
        &'omc;help;rotate'= {
        }
        &'omc;help;key'= {
        }
        &'omc;help;exec'= {
        }
        &'omc;help;env'= {
        }
        &'omc;help;import'= {
            cand llm 'Keys from llm''s keys.json ($LLM_USER_PATH, else llm''s config directory)'
            cand aichat 'Clients from aichat''s config.yaml, and keys from the .env beside it'
            cand dotenv '*_API_KEY lines of a dotenv file, with their *_BASE_URL'
            cand env '*_API_KEY variables of the environment, with their *_BASE_URL'
            cand bundle 'A sharing bundle made by `omc export` (or by the age tool in omc''s format)'
        }
        &'omc;help;import;llm'= {
        }
        &'omc;help;import;aichat'= {
        }
        &'omc;help;import;dotenv'= {
        }
        &'omc;help;import;env'= {
        }
        &'omc;help;import;bundle'= {
        }
        &'omc;help;export'= {
        }
        &'omc;help;profile'= {
            cand list 'List profiles and how many credentials each holds'
            cand add 'Create an empty profile'
            cand remove 'Remove a profile that holds no credentials'
            cand rename 'Rename a profile (its credentials stay valid)'
        }
        &'omc;help;profile;list'= {
        }
        &'omc;help;profile;add'= {
        }
        &'omc;help;profile;remove'= {
        }
        &'omc;help;profile;rename'= {
        }
        &'omc;help;master'= {
            cand status 'Where the master key comes from, and whether it unlocks this store'
            cand rotate 'Re-encrypt every credential to a new master key, atomically'
        }
        &'omc;help;master;status'= {
        }
        &'omc;help;master;rotate'= {
        }
        &'omc;help;unlock'= {
        }
        &'omc;help;lock'= {
        }
        &'omc;help;validate'= {
        }
        &'omc;help;run'= {
        }
        &'omc;help;models'= {
        }
        &'omc;help;bench'= {
            cand history 'List stored benchmark runs, newest first'
            cand show 'Show a stored run''s report again, in any format'
            cand compare 'Compare two stored runs, target by target'
        }
        &'omc;help;bench;history'= {
        }
        &'omc;help;bench;show'= {
        }
        &'omc;help;bench;compare'= {
        }
        &'omc;help;usage'= {
        }
        &'omc;help;limit'= {
            cand set 'Set the profile''s daily limits (UTC day); unset ones stay as they are'
            cand show 'Show the limits and today''s use'
            cand clear 'Remove the profile''s limits'
        }
        &'omc;help;limit;set'= {
        }
        &'omc;help;limit;show'= {
        }
        &'omc;help;limit;clear'= {
        }
        &'omc;help;audit'= {
        }
        &'omc;help;doctor'= {
        }
        &'omc;help;completions'= {
        }
        &'omc;help;man'= {
        }
        &'omc;help;help'= {
        }
    ]
    $completions[$command]
}

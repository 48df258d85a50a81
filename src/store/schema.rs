//! Versioned migrations, tracked in `PRAGMA user_version`. Append only: never edit a shipped step.

pub const MIGRATIONS: &[&str] = &[
    // 1: the vault.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;

    CREATE TABLE profiles (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE credentials (
        id                    TEXT PRIMARY KEY,
        profile_id            INTEGER NOT NULL REFERENCES profiles(id),
        name                  TEXT NOT NULL,
        provider              TEXT NOT NULL,
        model                 TEXT,
        base_url              TEXT,
        ciphertext            BLOB,
        mask                  TEXT NOT NULL,
        fingerprint           BLOB,
        is_default            INTEGER NOT NULL DEFAULT 0,
        is_provider_default   INTEGER NOT NULL DEFAULT 0,
        created_at            INTEGER NOT NULL,
        updated_at            INTEGER NOT NULL,
        last_used_at          INTEGER,
        validated_at          INTEGER,
        validation_status     TEXT,
        validation_latency_ms INTEGER,
        deleted_at            INTEGER,
        CHECK ((deleted_at IS NULL) = (ciphertext IS NOT NULL))
    ) STRICT;

    CREATE UNIQUE INDEX credentials_live_name
        ON credentials(profile_id, name) WHERE deleted_at IS NULL;
    CREATE UNIQUE INDEX credentials_live_fingerprint
        ON credentials(profile_id, fingerprint) WHERE deleted_at IS NULL;
    CREATE UNIQUE INDEX credentials_one_default
        ON credentials(profile_id) WHERE is_default = 1 AND deleted_at IS NULL;
    CREATE UNIQUE INDEX credentials_one_provider_default
        ON credentials(profile_id, provider) WHERE is_provider_default = 1 AND deleted_at IS NULL;

    CREATE TABLE audit (
        id            INTEGER PRIMARY KEY,
        at            INTEGER NOT NULL,
        actor         TEXT NOT NULL,
        action        TEXT NOT NULL,
        profile       TEXT,
        credential    TEXT,
        credential_id TEXT,
        detail        TEXT
    ) STRICT;
    CREATE INDEX audit_at ON audit(at);
    "#,
    // 2: the usage ledger and daily limits.
    r#"
    CREATE TABLE runs (
        id            INTEGER PRIMARY KEY,
        at            INTEGER NOT NULL,
        profile_id    INTEGER NOT NULL,
        profile       TEXT NOT NULL,
        credential    TEXT,
        credential_id TEXT,
        provider      TEXT NOT NULL,
        model         TEXT NOT NULL,
        kind          TEXT NOT NULL,
        status        TEXT NOT NULL,
        error_kind    TEXT,
        input_tokens  INTEGER,
        output_tokens INTEGER,
        estimated     INTEGER NOT NULL DEFAULT 0,
        reserved_tokens INTEGER NOT NULL DEFAULT 0,
        ttft_ms       REAL,
        latency_ms    REAL,
        cost_usd      REAL
    ) STRICT;
    CREATE INDEX runs_profile_at ON runs(profile_id, at);

    CREATE TABLE limits (
        profile_id   INTEGER PRIMARY KEY REFERENCES profiles(id) ON DELETE CASCADE,
        daily_tokens INTEGER,
        daily_cost   REAL
    ) STRICT;
    "#,
    // 3: benchmark history. A run's summary report is one JSON document; its requests are rows,
    // written in batches while the run goes so memory stays flat however long it is.
    r#"
    CREATE TABLE bench_runs (
        id          INTEGER PRIMARY KEY,
        started_at  INTEGER NOT NULL,
        finished_at INTEGER,
        profile     TEXT NOT NULL,
        config      TEXT NOT NULL,
        config_hash TEXT NOT NULL,
        report      TEXT,
        status      TEXT NOT NULL
    ) STRICT;
    CREATE INDEX bench_runs_hash ON bench_runs(profile, config_hash, id);

    CREATE TABLE bench_requests (
        run_id        INTEGER NOT NULL REFERENCES bench_runs(id) ON DELETE CASCADE,
        seq           INTEGER NOT NULL,
        target        TEXT NOT NULL,
        credential    TEXT NOT NULL,
        prompt        TEXT NOT NULL,
        run           INTEGER NOT NULL,
        warmup        INTEGER NOT NULL,
        status        TEXT NOT NULL,
        error_kind    TEXT,
        http_status   INTEGER,
        error         TEXT,
        scheduled_ms  REAL NOT NULL,
        queue_ms      REAL NOT NULL,
        ttft_ms       REAL,
        e2e_ms        REAL NOT NULL,
        tpot_ms       REAL,
        gap_ms        REAL,
        tps           REAL,
        chunks        INTEGER NOT NULL,
        input_tokens  INTEGER,
        output_tokens INTEGER,
        estimated     INTEGER NOT NULL,
        cost_usd      REAL,
        PRIMARY KEY (run_id, seq)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 4: the provider's own id for each benchmarked request (`x-request-id`, `request-id`),
    // its longest gap between content chunks, and a running benchmark's last sign of life (so
    // one that was killed is told from one still going).
    r#"
    ALTER TABLE bench_requests ADD COLUMN request_id TEXT;
    ALTER TABLE bench_requests ADD COLUMN max_gap_ms REAL;
    ALTER TABLE bench_runs ADD COLUMN heartbeat_at INTEGER;
    "#,
    // 5: the audit trail as a hash chain (each row's hash covers the one before it), and the
    // uid the OS gives the process beside the user name from the environment. Rows from before
    // keep no hash: the chain starts at the first row written after this step.
    r#"
    ALTER TABLE audit ADD COLUMN uid INTEGER;
    ALTER TABLE audit ADD COLUMN hash BLOB;
    "#,
    // 6: one spelling per error kind in the usage ledger. `run` and `validate` stored the kind's
    // Rust name lower-cased (`ratelimited`, `modelnotfound`, `badrequest`), `bench` its JSON
    // name (`rate_limited`); the JSON name is the one kept.
    r#"
    UPDATE runs SET error_kind = CASE error_kind
        WHEN 'ratelimited' THEN 'rate_limited'
        WHEN 'modelnotfound' THEN 'model_not_found'
        WHEN 'badrequest' THEN 'bad_request'
        ELSE error_kind END
    WHERE error_kind IN ('ratelimited', 'modelnotfound', 'badrequest');
    "#,
    // 7: agents. Project-local agent files trusted by their SHA-256; agent runs, each with its
    // transcript age-encrypted to the store's recipient (listing needs no key, reading does);
    // and the agent's name on each of its turns' ledger rows.
    r#"
    CREATE TABLE agent_trust (
        path       TEXT PRIMARY KEY,
        sha256     TEXT NOT NULL,
        trusted_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE agent_runs (
        id            INTEGER PRIMARY KEY,
        started_at    INTEGER NOT NULL,
        finished_at   INTEGER,
        profile       TEXT NOT NULL,
        agent         TEXT NOT NULL,
        agent_path    TEXT NOT NULL,
        status        TEXT NOT NULL,
        turns         INTEGER NOT NULL DEFAULT 0,
        input_tokens  INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd      REAL,
        transcript    BLOB
    ) STRICT;
    CREATE INDEX agent_runs_started ON agent_runs(started_at);

    ALTER TABLE runs ADD COLUMN agent TEXT;
    "#,
    // 8: profiles whose credentials live in OpenBao / Vault KV v2, and the login that reaches
    // it (a token, or an AppRole secret id), sealed to the store's recipient like a key.
    r#"
    CREATE TABLE profile_backends (
        profile_id INTEGER PRIMARY KEY REFERENCES profiles(id) ON DELETE CASCADE,
        kind       TEXT NOT NULL,
        address    TEXT NOT NULL,
        mount      TEXT NOT NULL,
        prefix     TEXT NOT NULL,
        namespace  TEXT,
        login_kind TEXT,
        role_id    TEXT,
        login      BLOB
    ) STRICT;
    "#,
    // 9: `omc list` read from one index, in its order, without touching the rows (which carry
    // the ciphertexts: at 10,000 credentials, 8 MB of table against 1 MB of index) or sorting.
    r#"
    CREATE INDEX credentials_listing ON credentials(
        profile_id, provider, name, created_at, id, model, base_url, mask, is_default,
        is_provider_default, updated_at, last_used_at, validated_at, validation_status,
        validation_latency_ms, deleted_at);
    "#,
    // 10: every field a listing shows, packed by SQLite into one virtual column that the
    // listing index stores: a listing reads one column per row instead of sixteen (each column
    // SQLite decodes costs about 0.4 ms per 10,000 rows). Read by `store::credentials::Packed`;
    // the format is documented there. Generated, so no writer can leave it stale. Text is
    // length-prefixed in bytes (`CAST … AS BLOB`: `octet_length` is younger than the SQLite
    // of Debian 12's shell, which must still be able to open the file).
    r#"
    ALTER TABLE credentials ADD COLUMN listing TEXT GENERATED ALWAYS AS (
        coalesce(profile_id, '') || ',' ||
        coalesce(length(CAST(id AS BLOB)) || ':' || id, '~') ||
        coalesce(length(CAST(name AS BLOB)) || ':' || name, '~') ||
        coalesce(length(CAST(provider AS BLOB)) || ':' || provider, '~') ||
        coalesce(length(CAST(model AS BLOB)) || ':' || model, '~') ||
        coalesce(length(CAST(base_url AS BLOB)) || ':' || base_url, '~') ||
        coalesce(length(CAST(mask AS BLOB)) || ':' || mask, '~') ||
        coalesce(is_default, '') || ',' ||
        coalesce(is_provider_default, '') || ',' ||
        coalesce(created_at, '') || ',' ||
        coalesce(updated_at, '') || ',' ||
        coalesce(last_used_at, '') || ',' ||
        coalesce(validated_at, '') || ',' ||
        coalesce(length(CAST(validation_status AS BLOB)) || ':' || validation_status, '~') ||
        coalesce(validation_latency_ms, '') || ',' ||
        coalesce(deleted_at, '') || ','
    ) VIRTUAL;
    DROP INDEX credentials_listing;
    CREATE INDEX credentials_listing
        ON credentials(profile_id, provider, name, created_at, deleted_at, listing);
    "#,
    // 11: the project root a trusted project agent belongs to (the directory holding its
    // `.omc/`): its relative commands and working directories resolve there, so a trust names
    // it. Rows from before have none, and their agents must be trusted again.
    r#"
    ALTER TABLE agent_trust ADD COLUMN root TEXT;
    "#,
    // 12: conversations (`omc run`, `omc chat`), each age-encrypted to the store's recipient
    // like an agent transcript: what a listing shows (when, where it ran, tokens, cost) is
    // plain, the messages are not. `title` holds the first words of the first prompt only for a
    // user who opted in (`log_titles = true` in config.toml). The index finds a profile's last
    // conversation (`omc run -c`) without a sort.
    r#"
    CREATE TABLE conversations (
        id            INTEGER PRIMARY KEY,
        started_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        profile       TEXT NOT NULL,
        kind          TEXT NOT NULL,
        credential    TEXT,
        provider      TEXT,
        model         TEXT,
        exchanges     INTEGER NOT NULL DEFAULT 0,
        input_tokens  INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd      REAL,
        title         TEXT,
        body          BLOB
    ) STRICT;
    CREATE INDEX conversations_last ON conversations(profile, updated_at, id);
    CREATE INDEX conversations_started ON conversations(started_at);
    "#,
    // 13: agent benchmarks (`omc bench --agent`) are stored beside request benchmarks, their
    // report an agent report: `kind` tells them apart. Rows from before are request runs.
    r#"
    ALTER TABLE bench_runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'requests';
    "#,
];

import GRDB

extension TrackingStore {
    /// Versioned schema. Never edit a registered migration: append a new one.
    static let migrator: DatabaseMigrator = {
        var m = DatabaseMigrator()
        m.registerMigration("v1-tracking") { db in
            try db.execute(sql: """
                CREATE TABLE experiments (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE,
                    created_ms INTEGER NOT NULL
                );
                CREATE TABLE runs (
                    id TEXT PRIMARY KEY,
                    experiment_id INTEGER NOT NULL REFERENCES experiments(id),
                    name TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('RUNNING','FINISHED','FAILED','KILLED')),
                    start_ms INTEGER NOT NULL,
                    end_ms INTEGER,
                    user TEXT NOT NULL,
                    source_commit TEXT,
                    parent_id TEXT REFERENCES runs(id),
                    error TEXT
                );
                CREATE INDEX runs_by_experiment ON runs(experiment_id, start_ms);
                CREATE INDEX runs_by_start ON runs(start_ms);
                CREATE INDEX runs_by_parent ON runs(parent_id);
                CREATE TABLE artifacts (
                    sha256 TEXT PRIMARY KEY,
                    size INTEGER NOT NULL,
                    created_ms INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE params (
                    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (run_id, key)
                ) WITHOUT ROWID;
                CREATE INDEX params_by_key ON params(key, value);
                CREATE TABLE metrics (
                    id INTEGER PRIMARY KEY,
                    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value REAL,
                    step INTEGER NOT NULL,
                    timestamp_ms INTEGER NOT NULL
                );
                CREATE INDEX metrics_by_run ON metrics(run_id, key, step, timestamp_ms);
                CREATE TABLE latest_metrics (
                    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value REAL,
                    step INTEGER NOT NULL,
                    timestamp_ms INTEGER NOT NULL,
                    PRIMARY KEY (run_id, key)
                ) WITHOUT ROWID;
                CREATE INDEX latest_metrics_by_key ON latest_metrics(key, value);
                CREATE TABLE tags (
                    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (run_id, key)
                ) WITHOUT ROWID;
                CREATE INDEX tags_by_key ON tags(key, value);
                CREATE TABLE run_artifacts (
                    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    sha256 TEXT NOT NULL REFERENCES artifacts(sha256),
                    size INTEGER NOT NULL,
                    PRIMARY KEY (run_id, name)
                ) WITHOUT ROWID;
                CREATE TABLE datasets (
                    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    rows INTEGER NOT NULL,
                    schema_json TEXT NOT NULL,
                    source TEXT NOT NULL,
                    context TEXT NOT NULL CHECK (context IN ('training','validation','current','test')),
                    PRIMARY KEY (run_id, name, context)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v1-registry") { db in
            try db.execute(sql: """
                CREATE TABLE registered_models (
                    name TEXT PRIMARY KEY,
                    description TEXT NOT NULL DEFAULT '',
                    created_ms INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE model_tags (
                    model TEXT NOT NULL REFERENCES registered_models(name),
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (model, key)
                ) WITHOUT ROWID;
                CREATE TABLE model_versions (
                    model TEXT NOT NULL REFERENCES registered_models(name),
                    version INTEGER NOT NULL CHECK (version >= 1),
                    run_id TEXT REFERENCES runs(id),
                    artifact_sha256 TEXT NOT NULL REFERENCES artifacts(sha256),
                    description TEXT NOT NULL DEFAULT '',
                    stage TEXT NOT NULL CHECK (stage IN ('None','Staging','Production','Archived')),
                    metrics_json TEXT NOT NULL,
                    created_ms INTEGER NOT NULL,
                    PRIMARY KEY (model, version)
                ) WITHOUT ROWID;
                CREATE TABLE version_tags (
                    model TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (model, version, key),
                    FOREIGN KEY (model, version) REFERENCES model_versions(model, version)
                ) WITHOUT ROWID;
                CREATE TABLE model_aliases (
                    model TEXT NOT NULL,
                    alias TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    PRIMARY KEY (model, alias),
                    FOREIGN KEY (model, version) REFERENCES model_versions(model, version)
                ) WITHOUT ROWID;
                CREATE TABLE registry_audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    time_ms INTEGER NOT NULL,
                    user TEXT NOT NULL,
                    action TEXT NOT NULL,
                    model TEXT NOT NULL,
                    version INTEGER,
                    alias TEXT,
                    from_value TEXT,
                    to_value TEXT,
                    reason TEXT NOT NULL DEFAULT ''
                );
                CREATE INDEX registry_audit_by_model ON registry_audit(model, id);
                """)
        }
        m.registerMigration("v1-predictions") { db in
            try db.execute(sql: """
                CREATE TABLE predictions (
                    request_id TEXT PRIMARY KEY,
                    time_ms INTEGER NOT NULL,
                    model_name TEXT NOT NULL,
                    model_version INTEGER NOT NULL,
                    inputs TEXT NOT NULL,
                    prediction REAL,
                    shadow_version INTEGER,
                    shadow_prediction REAL,
                    actual REAL,
                    feedback_time_ms INTEGER
                );
                CREATE INDEX predictions_by_model_time ON predictions(model_name, time_ms);
                """)
        }
        m.registerMigration("v2-prediction-batches") { db in
            // One row per served request (a batch of predictions with consecutive request ids)
            // instead of one per prediction: a 1,000-row request is one insert, not a thousand.
            try db.execute(sql: """
                CREATE TABLE prediction_batches (
                    id INTEGER PRIMARY KEY,
                    id_prefix TEXT NOT NULL,
                    first_counter INTEGER NOT NULL,
                    row_count INTEGER NOT NULL CHECK (row_count > 0),
                    time_ms INTEGER NOT NULL,
                    model_name TEXT NOT NULL,
                    model_version INTEGER NOT NULL,
                    feature_names TEXT NOT NULL,
                    inputs BLOB NOT NULL,
                    predictions BLOB NOT NULL,
                    shadow_version INTEGER,
                    shadow_predictions BLOB
                );
                CREATE INDEX prediction_batches_by_model_time ON prediction_batches(model_name, time_ms);
                CREATE UNIQUE INDEX prediction_batches_by_id ON prediction_batches(id_prefix, first_counter);
                CREATE TABLE prediction_feedback (
                    request_id TEXT PRIMARY KEY,
                    actual REAL NOT NULL,
                    time_ms INTEGER NOT NULL
                );
                """)
        }
        m.registerMigration("v3-prediction-payload-files") { db in
            // A batch's inputs and predictions move out of the row into an append-only file
            // (PredictionPayloadFiles); rows written before keep them inline (these columns NULL).
            try db.execute(sql: """
                ALTER TABLE prediction_batches ADD COLUMN payload_file TEXT;
                ALTER TABLE prediction_batches ADD COLUMN payload_offset INTEGER;
                ALTER TABLE prediction_batches ADD COLUMN payload_length INTEGER;
                ALTER TABLE prediction_batches ADD COLUMN payload_check INTEGER;
                """)
        }
        m.registerMigration("v4-classifier-predictions") { db in
            // Classifiers' predictions. `classes` (a JSON array of the labels) is the format flag:
            // NULL, as in every row written before, is a regression's row, read as before; when
            // set, `predictions` holds class indices and the batch's payload ends with its
            // probabilities (rows × classes doubles). Feedback keeps the class label fed back
            // beside `actual`, which holds its class index.
            try db.execute(sql: """
                ALTER TABLE prediction_batches ADD COLUMN classes TEXT;
                ALTER TABLE prediction_feedback ADD COLUMN actual_label TEXT;
                ALTER TABLE predictions ADD COLUMN classes TEXT;
                ALTER TABLE predictions ADD COLUMN probabilities BLOB;
                ALTER TABLE predictions ADD COLUMN actual_label TEXT;
                """)
        }
        m.registerMigration("v5-version-evaluations") { db in
            // Segment and fairness evaluations stored with a registered version (`plumb evaluate
            // --record`, the pipeline's holdout), read by promotion gates and the model card: one
            // row per version, kind and column, replaced when re-evaluated. A new table only;
            // nothing stored before changes. Approvals need no table: they are audit entries
            // (action "approve").
            try db.execute(sql: """
                CREATE TABLE version_evaluations (
                    model TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('segments','fairness')),
                    column_name TEXT NOT NULL,
                    json TEXT NOT NULL,
                    source TEXT NOT NULL,
                    created_ms INTEGER NOT NULL,
                    PRIMARY KEY (model, version, kind, column_name),
                    FOREIGN KEY (model, version) REFERENCES model_versions(model, version)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v6-prediction-variants") { db in
            // Canary / A/B / blue-green serving: the variant that answered a request and the
            // routing key that chose it (NULL when the request id chose it). NULL variant, as in
            // every row written before, is a server without variants.
            try db.execute(sql: """
                ALTER TABLE prediction_batches ADD COLUMN variant TEXT;
                ALTER TABLE prediction_batches ADD COLUMN routing_key TEXT;
                ALTER TABLE predictions ADD COLUMN variant TEXT;
                ALTER TABLE predictions ADD COLUMN routing_key TEXT;
                """)
        }
        return m
    }()
}

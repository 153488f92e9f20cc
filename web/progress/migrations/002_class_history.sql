-- Classes an instructor grades: the roster last uploaded for each.
CREATE TABLE classes (
  id         TEXT PRIMARY KEY,
  roster_csv TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL -- unix ms
);

-- Class runs: one `lab class grade` (or a run started from the dashboard).
CREATE TABLE class_runs (
  id            TEXT PRIMARY KEY,
  class_id      TEXT NOT NULL REFERENCES classes(id),
  started_at    INTEGER NOT NULL,
  finished_at   INTEGER,
  labs_json     TEXT NOT NULL,
  roster_errors TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX class_runs_by_class ON class_runs (class_id, started_at);

-- Class attempts: a learner's grade in a run (carried_from names the run a
-- partial regrade kept it from).
CREATE TABLE class_attempts (
  run_id       TEXT NOT NULL REFERENCES class_runs(id),
  seq          INTEGER NOT NULL, -- roster order
  learner      TEXT NOT NULL,
  attempt_json TEXT NOT NULL, -- class.LearnerResult without its results
  carried_from TEXT,
  PRIMARY KEY (run_id, learner)
);

-- Class results: what each check found for a learner in a run.
CREATE TABLE class_results (
  run_id      TEXT NOT NULL,
  learner     TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  check_id    TEXT NOT NULL, -- lab/check
  status      TEXT NOT NULL,
  result_json TEXT NOT NULL,
  PRIMARY KEY (run_id, learner, check_id),
  FOREIGN KEY (run_id, learner) REFERENCES class_attempts(run_id, learner)
);

-- History is never rewritten: attempts and results are append-only, and a
-- finished run cannot change.
CREATE TRIGGER class_attempts_append_only_u BEFORE UPDATE ON class_attempts BEGIN SELECT RAISE(ABORT, 'class history is never rewritten'); END;
CREATE TRIGGER class_attempts_append_only_d BEFORE DELETE ON class_attempts BEGIN SELECT RAISE(ABORT, 'class history is never rewritten'); END;
CREATE TRIGGER class_results_append_only_u BEFORE UPDATE ON class_results BEGIN SELECT RAISE(ABORT, 'class history is never rewritten'); END;
CREATE TRIGGER class_results_append_only_d BEFORE DELETE ON class_results BEGIN SELECT RAISE(ABORT, 'class history is never rewritten'); END;
CREATE TRIGGER class_runs_finished BEFORE UPDATE ON class_runs WHEN OLD.finished_at IS NOT NULL BEGIN SELECT RAISE(ABORT, 'class history is never rewritten: the run is finished'); END;
CREATE TRIGGER class_runs_no_delete BEFORE DELETE ON class_runs BEGIN SELECT RAISE(ABORT, 'class history is never rewritten'); END;

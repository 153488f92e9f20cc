-- Attempts: one press of a check button (or one `lab check` run recorded by the web app).
CREATE TABLE attempts (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  learner     TEXT NOT NULL,
  lab         TEXT NOT NULL,
  step        TEXT NOT NULL DEFAULT '',
  target      TEXT NOT NULL,
  started_at  INTEGER NOT NULL, -- unix ms
  finished_at INTEGER,
  points      REAL NOT NULL DEFAULT 0,
  max_points  REAL NOT NULL DEFAULT 0
);
CREATE INDEX attempts_by_lab ON attempts (learner, lab, started_at);

-- Results: what each check found in an attempt.
CREATE TABLE results (
  attempt_id  INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
  check_id    TEXT NOT NULL,
  status      TEXT NOT NULL,
  points      REAL NOT NULL,
  max_points  REAL NOT NULL,
  result_json TEXT NOT NULL,
  PRIMARY KEY (attempt_id, check_id)
);

-- Current: each check's latest decided verdict, which is the learner's progress.
CREATE TABLE current_state (
  learner     TEXT NOT NULL,
  lab         TEXT NOT NULL,
  check_id    TEXT NOT NULL,
  status      TEXT NOT NULL,
  points      REAL NOT NULL,
  max_points  REAL NOT NULL,
  attempt_id  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (learner, lab, check_id)
);

-- Quiz answers for knowledge checks.
CREATE TABLE quiz_answers (
  learner     TEXT NOT NULL,
  lab         TEXT NOT NULL,
  answers     TEXT NOT NULL, -- JSON: question id -> choice id
  score       REAL NOT NULL,
  max_score   REAL NOT NULL,
  answered_at INTEGER NOT NULL,
  PRIMARY KEY (learner, lab, answered_at)
);

-- The instructor's password for the class dashboard, only as a bcrypt hash.
CREATE TABLE instructor (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  password_hash TEXT NOT NULL,
  updated_at    INTEGER NOT NULL
);

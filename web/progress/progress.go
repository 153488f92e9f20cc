// Package progress stores a learner's attempts, check results and quiz
// answers in SQLite (pure Go driver), so progress survives restarts.
// Migrations are embedded and applied in order at Open.
package progress

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/labkit-dev/labkit/grader"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the progress database.
type Store struct {
	db *sql.DB
}

// Open opens (creating) the database at path and migrates it.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open progress store: %w", err)
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(5000)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open progress store %s: %w", path, err)
	}
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate progress store: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
			return fmt.Errorf("migrate progress store: %w", err)
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate progress store: %w", err)
		}
		for _, stmt := range strings.Split(string(body), ";\n") {
			if strings.TrimSpace(stripComments(stmt)) == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %s: %w", name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, time.Now().UnixMilli()); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Attempt is one run of some checks.
type Attempt struct {
	ID         int64
	Learner    string
	Lab        string
	Step       string
	Target     string
	StartedAt  time.Time
	FinishedAt time.Time
	Points     float64
	Max        float64
	Results    []grader.Result
}

// StartAttempt records that an attempt began and returns its id.
func (s *Store) StartAttempt(ctx context.Context, learner, lab, step, target string) (int64, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO attempts (learner, lab, step, target, started_at) VALUES (?, ?, ?, ?, ?)`,
		learner, lab, step, target, time.Now().UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("start attempt: %w", err)
	}
	return res.LastInsertId()
}

// RecordResult stores one check's result in an attempt and updates the
// learner's current verdict on that check. Results the grader could not decide
// never replace a decided one.
func (s *Store) RecordResult(ctx context.Context, attemptID int64, learner string, r grader.Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record result: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO results (attempt_id, check_id, status, points, max_points, result_json) VALUES (?, ?, ?, ?, ?, ?)`,
		attemptID, r.CheckID, string(r.Status), r.Points, r.Max, string(b)); err != nil {
		return fmt.Errorf("record result: %w", err)
	}
	if r.Status != grader.Error {
		// The latest decided verdict is the learner's state: a check that
		// passed and now fails (they broke it) shows as failing.
		if _, err := tx.ExecContext(ctx, `INSERT INTO current_state (learner, lab, check_id, status, points, max_points, attempt_id, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (learner, lab, check_id) DO UPDATE SET status = excluded.status, points = excluded.points,
			max_points = excluded.max_points, attempt_id = excluded.attempt_id, updated_at = excluded.updated_at`,
			learner, r.Lab, r.CheckID, string(r.Status), r.Points, r.Max, attemptID, time.Now().UnixMilli()); err != nil {
			return fmt.Errorf("record result: %w", err)
		}
	}
	return tx.Commit()
}

// FinishAttempt records the attempt's totals.
func (s *Store) FinishAttempt(ctx context.Context, attemptID int64, results []grader.Result) error {
	sum := grader.Summarize(results)
	_, err := s.db.ExecContext(ctx, `UPDATE attempts SET finished_at = ?, points = ?, max_points = ? WHERE id = ?`,
		time.Now().UnixMilli(), sum.Points, sum.Max, attemptID)
	if err != nil {
		return fmt.Errorf("finish attempt: %w", err)
	}
	return nil
}

// CheckState is the learner's current verdict on one check.
type CheckState struct {
	CheckID string
	Status  grader.Status
	Points  float64
	Max     float64
}

// LabProgress returns the learner's current verdicts on a lab's checks.
func (s *Store) LabProgress(ctx context.Context, learner, lab string) (map[string]CheckState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT check_id, status, points, max_points FROM current_state WHERE learner = ? AND lab = ?`, learner, lab)
	if err != nil {
		return nil, fmt.Errorf("lab progress: %w", err)
	}
	defer rows.Close()
	out := map[string]CheckState{}
	for rows.Next() {
		var c CheckState
		var st string
		if err := rows.Scan(&c.CheckID, &st, &c.Points, &c.Max); err != nil {
			return nil, err
		}
		c.Status = grader.Status(st)
		out[c.CheckID] = c
	}
	return out, rows.Err()
}

// Attempts returns the learner's attempts at a lab ("" for all labs), newest
// first, with their results, at most limit of them.
func (s *Store) Attempts(ctx context.Context, learner, lab string, limit int) ([]Attempt, error) {
	q := `SELECT id, learner, lab, step, target, started_at, coalesce(finished_at, 0), points, max_points FROM attempts WHERE learner = ?`
	args := []any{learner}
	if lab != "" {
		q += ` AND lab = ?`
		args = append(args, lab)
	}
	q += ` ORDER BY started_at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	var out []Attempt
	for rows.Next() {
		var a Attempt
		var started, finished int64
		if err := rows.Scan(&a.ID, &a.Learner, &a.Lab, &a.Step, &a.Target, &started, &finished, &a.Points, &a.Max); err != nil {
			rows.Close()
			return nil, err
		}
		a.StartedAt = time.UnixMilli(started)
		if finished > 0 {
			a.FinishedAt = time.UnixMilli(finished)
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		rs, err := s.results(ctx, out[i].ID)
		if err != nil {
			return nil, err
		}
		out[i].Results = rs
	}
	return out, nil
}

func (s *Store) results(ctx context.Context, attemptID int64) ([]grader.Result, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT result_json FROM results WHERE attempt_id = ? ORDER BY rowid`, attemptID)
	if err != nil {
		return nil, fmt.Errorf("attempt results: %w", err)
	}
	defer rows.Close()
	var out []grader.Result
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		var r grader.Result
		if err := json.Unmarshal([]byte(b), &r); err != nil {
			return nil, fmt.Errorf("attempt %d: stored result: %w", attemptID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// QuizResult is a graded set of answers to a knowledge check.
type QuizResult struct {
	Answers map[string]string
	Score   float64
	Max     float64
	At      time.Time
}

// RecordQuiz stores graded quiz answers.
func (s *Store) RecordQuiz(ctx context.Context, learner, lab string, q QuizResult) error {
	b, err := json.Marshal(q.Answers)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO quiz_answers (learner, lab, answers, score, max_score, answered_at) VALUES (?, ?, ?, ?, ?, ?)`,
		learner, lab, string(b), q.Score, q.Max, q.At.UnixMilli())
	if err != nil {
		return fmt.Errorf("record quiz: %w", err)
	}
	return nil
}

// LatestQuiz returns the learner's latest answers to a lab's quiz, if any.
func (s *Store) LatestQuiz(ctx context.Context, learner, lab string) (QuizResult, bool, error) {
	var q QuizResult
	var b string
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT answers, score, max_score, answered_at FROM quiz_answers WHERE learner = ? AND lab = ? ORDER BY answered_at DESC LIMIT 1`,
		learner, lab).Scan(&b, &q.Score, &q.Max, &at)
	if err == sql.ErrNoRows {
		return q, false, nil
	}
	if err != nil {
		return q, false, fmt.Errorf("latest quiz: %w", err)
	}
	q.At = time.UnixMilli(at)
	if err := json.Unmarshal([]byte(b), &q.Answers); err != nil {
		return q, false, err
	}
	return q, true, nil
}

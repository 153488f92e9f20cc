package progress

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/class"
)

// The class history: classes (their last roster), runs, each learner's
// attempt in a run and the results of its checks. Runs are recorded as they
// go (a run's learners appear as they are graded) and never rewritten.

// SaveRoster records the roster of class id (creating the class).
func (s *Store) SaveRoster(ctx context.Context, id string, rosterCSV []byte) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO classes (id, roster_csv, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET roster_csv = excluded.roster_csv, updated_at = excluded.updated_at`, id, string(rosterCSV), time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("save roster of class %s: %w", id, err)
	}
	return nil
}

// Roster returns the roster last saved for class id (nil when none).
func (s *Store) Roster(ctx context.Context, id string) ([]byte, error) {
	var csv string
	err := s.db.QueryRowContext(ctx, `SELECT roster_csv FROM classes WHERE id = ?`, id).Scan(&csv)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read roster of class %s: %w", id, err)
	}
	return []byte(csv), nil
}

// Classes lists the classes' ids.
func (s *Store) Classes(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM classes ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list classes: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// StartClassRun records the start of run for class classID (creating the
// class when it is new).
func (s *Store) StartClassRun(ctx context.Context, classID string, run *class.Run) error {
	labs, err := json.Marshal(run.Labs)
	if err != nil {
		return err
	}
	errs, err := json.Marshal(run.RosterErrors)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("start class run: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO classes (id, updated_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, classID, time.Now().UnixMilli()); err != nil {
		return fmt.Errorf("start class run: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO class_runs (id, class_id, started_at, labs_json, roster_errors, beat_at) VALUES (?, ?, ?, ?, ?, ?)`,
		run.ID, classID, run.Started.UnixMilli(), string(labs), string(errs), run.Started.UnixMilli()); err != nil {
		return fmt.Errorf("start class run %s: %w", run.ID, err)
	}
	return tx.Commit()
}

// RecordClassLearner records one learner's attempt in a run: seq is the
// learner's place in the roster, carriedFrom the run a partial regrade kept
// the result from ("" when graded in this run).
func (s *Store) RecordClassLearner(ctx context.Context, runID string, seq int, l class.LearnerResult, carriedFrom string) error {
	results := l.Results
	l.Results = nil
	attempt, err := json.Marshal(l)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record learner %s: %w", l.ID, err)
	}
	defer tx.Rollback()
	var carried any
	if carriedFrom != "" {
		carried = carriedFrom
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO class_attempts (run_id, seq, learner, attempt_json, carried_from) VALUES (?, ?, ?, ?, ?)`,
		runID, seq, l.ID, string(attempt), carried); err != nil {
		return fmt.Errorf("record learner %s in run %s: %w", l.ID, runID, err)
	}
	for i, r := range results {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO class_results (run_id, learner, seq, check_id, status, result_json) VALUES (?, ?, ?, ?, ?, ?)`,
			runID, l.ID, i, r.Lab+"/"+r.CheckID, string(r.Status), string(b)); err != nil {
			return fmt.Errorf("record learner %s's result %s/%s: %w", l.ID, r.Lab, r.CheckID, err)
		}
	}
	return tx.Commit()
}

// FinishClassRun marks run finished; from then on it cannot change.
func (s *Store) FinishClassRun(ctx context.Context, run *class.Run) error {
	res, err := s.db.ExecContext(ctx, `UPDATE class_runs SET finished_at = ? WHERE id = ? AND finished_at IS NULL`, run.Finished.UnixMilli(), run.ID)
	if err != nil {
		return fmt.Errorf("finish class run %s: %w", run.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("finish class run %s: no such unfinished run", run.ID)
	}
	return nil
}

// BeatClassRun records that the run is still being graded, at at.
func (s *Store) BeatClassRun(ctx context.Context, runID string, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE class_runs SET beat_at = ? WHERE id = ? AND finished_at IS NULL`, at.UnixMilli(), runID); err != nil {
		return fmt.Errorf("beat class run %s: %w", runID, err)
	}
	return nil
}

// ClaimClassRun takes over an interrupted run to resume it: it succeeds
// (true) only when the run is unfinished and its last beat is before
// staleBefore, and beats it at now, so two resumers never both win.
func (s *Store) ClaimClassRun(ctx context.Context, runID string, now, staleBefore time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE class_runs SET beat_at = ? WHERE id = ? AND finished_at IS NULL AND (beat_at IS NULL OR beat_at < ?)`,
		now.UnixMilli(), runID, staleBefore.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("claim class run %s: %w", runID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ClassRunInfo is a run in a class's history.
type ClassRunInfo struct {
	ID                string
	Started, Finished time.Time // Finished is zero while the run goes on
	// Beat is when the process grading an unfinished run last said it
	// was still at it (zero: never).
	Beat time.Time
}

// Interrupted reports whether the run is unfinished and its process has
// not beaten since staleBefore: it was killed, and the run can be resumed.
func (r ClassRunInfo) Interrupted(staleBefore time.Time) bool {
	return r.Finished.IsZero() && r.Beat.Before(staleBefore)
}

// ClassRunState returns one run's info; ok is false when there is no such
// run.
func (s *Store) ClassRunState(ctx context.Context, runID string) (info ClassRunInfo, ok bool, err error) {
	row := s.db.QueryRowContext(ctx, `SELECT id, started_at, finished_at, beat_at FROM class_runs WHERE id = ?`, runID)
	info, err = scanRunInfo(row)
	if errors.Is(err, sql.ErrNoRows) {
		return ClassRunInfo{}, false, nil
	}
	if err != nil {
		return ClassRunInfo{}, false, fmt.Errorf("read class run %s: %w", runID, err)
	}
	return info, true, nil
}

func scanRunInfo(row interface{ Scan(...any) error }) (ClassRunInfo, error) {
	var r ClassRunInfo
	var started int64
	var finished, beat sql.NullInt64
	if err := row.Scan(&r.ID, &started, &finished, &beat); err != nil {
		return r, err
	}
	r.Started = time.UnixMilli(started)
	if finished.Valid {
		r.Finished = time.UnixMilli(finished.Int64)
	}
	if beat.Valid {
		r.Beat = time.UnixMilli(beat.Int64)
	}
	return r, nil
}

// ClassRuns lists class id's runs, newest first.
func (s *Store) ClassRuns(ctx context.Context, id string) ([]ClassRunInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, started_at, finished_at, beat_at FROM class_runs WHERE class_id = ? ORDER BY started_at DESC, id DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("list runs of class %s: %w", id, err)
	}
	defer rows.Close()
	var out []ClassRunInfo
	for rows.Next() {
		r, err := scanRunInfo(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ClassRun reads a run back with every learner recorded so far (in roster
// order) and their results; (nil, nil) when there is no such run.
func (s *Store) ClassRun(ctx context.Context, runID string) (*class.Run, error) {
	var run class.Run
	var started int64
	var finished sql.NullInt64
	var labs, errs string
	err := s.db.QueryRowContext(ctx, `SELECT id, started_at, finished_at, labs_json, roster_errors FROM class_runs WHERE id = ?`, runID).
		Scan(&run.ID, &started, &finished, &labs, &errs)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read class run %s: %w", runID, err)
	}
	run.Started = time.UnixMilli(started)
	if finished.Valid {
		run.Finished = time.UnixMilli(finished.Int64)
	}
	if err := json.Unmarshal([]byte(labs), &run.Labs); err != nil {
		return nil, fmt.Errorf("read class run %s: %w", runID, err)
	}
	if err := json.Unmarshal([]byte(errs), &run.RosterErrors); err != nil {
		return nil, fmt.Errorf("read class run %s: %w", runID, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT learner, attempt_json FROM class_attempts WHERE run_id = ? ORDER BY seq`, runID)
	if err != nil {
		return nil, fmt.Errorf("read class run %s: %w", runID, err)
	}
	index := map[string]int{}
	for rows.Next() {
		var id, js string
		var l class.LearnerResult
		if err := rows.Scan(&id, &js); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(js), &l); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read class run %s learner %s: %w", runID, id, err)
		}
		index[id] = len(run.Learners)
		run.Learners = append(run.Learners, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rrows, err := s.db.QueryContext(ctx, `SELECT learner, result_json FROM class_results WHERE run_id = ? ORDER BY learner, seq`, runID)
	if err != nil {
		return nil, fmt.Errorf("read class run %s results: %w", runID, err)
	}
	defer rrows.Close()
	for rrows.Next() {
		var id, js string
		var r grader.Result
		if err := rrows.Scan(&id, &js); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(js), &r); err != nil {
			return nil, fmt.Errorf("read class run %s result: %w", runID, err)
		}
		if i, ok := index[id]; ok {
			run.Learners[i].Results = append(run.Learners[i].Results, r)
		}
	}
	return &run, rrows.Err()
}

// ClassOfRun returns the class a run belongs to ("" when there is no such
// run).
func (s *Store) ClassOfRun(ctx context.Context, runID string) (string, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT class_id FROM class_runs WHERE id = ?`, runID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("class of run %s: %w", runID, err)
	}
	return id, nil
}

// LatestClassRun returns class id's newest finished run (nil when none).
func (s *Store) LatestClassRun(ctx context.Context, id string) (*class.Run, error) {
	var runID string
	err := s.db.QueryRowContext(ctx, `SELECT id FROM class_runs WHERE class_id = ? AND finished_at IS NOT NULL ORDER BY started_at DESC, id DESC LIMIT 1`, id).Scan(&runID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("latest run of class %s: %w", id, err)
	}
	return s.ClassRun(ctx, runID)
}

// SetInstructorHash stores the instructor's password hash (never the
// password).
func (s *Store) SetInstructorHash(ctx context.Context, hash []byte) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO instructor (id, password_hash, updated_at) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at`, string(hash), time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("save the instructor password: %w", err)
	}
	return nil
}

// InstructorHash returns the instructor's password hash (nil when none is
// set).
func (s *Store) InstructorHash(ctx context.Context) ([]byte, error) {
	var h string
	err := s.db.QueryRowContext(ctx, `SELECT password_hash FROM instructor WHERE id = 1`).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the instructor password: %w", err)
	}
	return []byte(h), nil
}

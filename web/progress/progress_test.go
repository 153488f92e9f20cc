package progress

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/labkit-dev/labkit/grader"
)

func TestProgressSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "progress.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.StartAttempt(ctx, "me", "lab1", "create-table", "local")
	if err != nil {
		t.Fatal(err)
	}
	rs := []grader.Result{
		{Lab: "lab1", CheckID: "table-active", Status: grader.Pass, Points: 2, Max: 2, Evidence: []string{"ACTIVE"}},
		{Lab: "lab1", CheckID: "table-pitr", Status: grader.Fail, Points: 0, Max: 2, Reason: "DISABLED", Hints: []string{"h"}},
	}
	for _, r := range rs {
		if err := s.RecordResult(ctx, id, "me", r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.FinishAttempt(ctx, id, rs); err != nil {
		t.Fatal(err)
	}
	// A later attempt the grader could not decide does not erase a pass.
	id2, _ := s.StartAttempt(ctx, "me", "lab1", "", "local")
	if err := s.RecordResult(ctx, id2, "me", grader.Result{Lab: "lab1", CheckID: "table-active", Status: grader.Error, Max: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordQuiz(ctx, "me", "lab0", QuizResult{Answers: map[string]string{"q1": "b"}, Score: 1, Max: 2, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	p, err := s.LabProgress(ctx, "me", "lab1")
	if err != nil {
		t.Fatal(err)
	}
	if p["table-active"].Status != grader.Pass || p["table-pitr"].Status != grader.Fail || len(p) != 2 {
		t.Errorf("progress after reopen: got %+v", p)
	}
	as, err := s.Attempts(ctx, "me", "lab1", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 || as[1].Points != 2 || as[1].Max != 4 || len(as[1].Results) != 2 || as[1].Results[1].Reason != "DISABLED" {
		t.Errorf("attempts after reopen: got %+v", as)
	}
	q, ok, err := s.LatestQuiz(ctx, "me", "lab0")
	if err != nil || !ok || q.Answers["q1"] != "b" || q.Score != 1 {
		t.Errorf("quiz after reopen: got %+v %v %v", q, ok, err)
	}
	if other, _ := s.LabProgress(ctx, "someone-else", "lab1"); len(other) != 0 {
		t.Errorf("another learner sees progress: %+v", other)
	}
}

package checks_test

import (
	"testing"

	"github.com/labkit-dev/labkit/grader"
)

// BenchmarkGradeWeek1 grades the week-1 reference deployment on the local
// cloud: every check the local cloud can decide (resource and functional),
// as `lab check all` runs them (8 at once). Each iteration is a fresh run
// (new RunID, no shared facts).
//
//	go test -run '^$' -bench GradeWeek1 -benchtime 20x ./grader/checks/
func BenchmarkGradeWeek1(b *testing.B) {
	b.Run("no-failure-checks", func(b *testing.B) { benchWeek1(b, true) })
	b.Run("all", func(b *testing.B) { benchWeek1(b, false) })
}

func benchWeek1(b *testing.B, skipFailures bool) {
	_, cfg := kitSolved(b, nil, "all")
	var list []*grader.Check
	for _, lab := range []string{"lab1", "lab2", "lab3", "lab4", "lab5"} {
		for _, c := range loadManifests(b)[lab].Checks {
			// The failure checks run alone, one after the other, after
			// the rest, and wait for queue depths to hold still:
			// BenchmarkGradeWeek1/all includes them.
			// lab5/alarm-fires waits for one-minute periods to end:
			// TestAlarmFires times it, not this benchmark.
			if c.ID == "alarm-fires" {
				continue
			}
			if !skipFailures || (c.ID != "poison-to-dlq" && c.ID != "accounting-down") {
				list = append(list, c)
			}
		}
	}
	wantAll(b, gradeChecks(b, cfg, nil, list), grader.Pass) // warm: functions started
	b.ResetTimer()
	for b.Loop() {
		for _, r := range gradeChecks(b, cfg, nil, list) {
			if r.Status != grader.Pass {
				b.Fatalf("%s/%s: %s %s", r.Lab, r.CheckID, r.Status, r.Reason)
			}
		}
	}
	b.ReportMetric(float64(len(list)), "checks/op")
}

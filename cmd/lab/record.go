package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/web/progress"
)

// progressLearner is whose progress a laptop's store keeps: the web app's
// default learner, so a terminal run and the app's sidebar agree.
const progressLearner = "me"

// recordProgress stores a terminal run's results in the progress store the
// web app reads (dataDir/progress.db), as one attempt per lab, the way the
// app's Check buttons do.
func recordProgress(ctx context.Context, dataDir, targetName, step string, results []grader.Result) error {
	store, err := progress.Open(ctx, filepath.Join(dataDir, "progress.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	if step == "" {
		step = "all"
	}
	byLab := map[string][]grader.Result{}
	var order []string
	for _, r := range results {
		if _, ok := byLab[r.Lab]; !ok {
			order = append(order, r.Lab)
		}
		byLab[r.Lab] = append(byLab[r.Lab], r)
	}
	slices.Sort(order)
	for _, lab := range order {
		id, err := store.StartAttempt(ctx, progressLearner, lab, step, targetName)
		if err != nil {
			return err
		}
		for _, r := range byLab[lab] {
			if err := store.RecordResult(ctx, id, progressLearner, r); err != nil {
				return err
			}
		}
		if err := store.FinishAttempt(ctx, id, byLab[lab]); err != nil {
			return fmt.Errorf("%s: %w", lab, err)
		}
	}
	return nil
}

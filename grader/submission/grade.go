package submission

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/checks"
	"github.com/labkit-dev/labkit/labs"
)

// Checks returns the checks of the given labs ("lab1", "all"; empty means
// all) from the built-in lab content.
func Checks(labIDs []string) ([]*grader.Check, error) {
	cat, err := labs.LoadCatalog(labs.Content)
	if err != nil {
		return nil, fmt.Errorf("load labs: %w", err)
	}
	want := map[string]bool{}
	for _, id := range labIDs {
		want[strings.ToLower(id)] = true
	}
	all := len(want) == 0 || want["all"]
	lib := checks.Library()
	var out []*grader.Check
	for _, l := range cat.Labs {
		if !all && !want[l.ID] {
			continue
		}
		delete(want, l.ID)
		m, err := grader.LoadManifest(labs.Content, l.ManifestPath(), lib)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a lab without account checks
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m.Checks...)
	}
	delete(want, "all")
	for id := range want {
		return nil, fmt.Errorf("no lab %q (try lab1 ... or all)", id)
	}
	return out, nil
}

// GradeAccount grades the account cfg reaches with the learner's names,
// sending test traffic to no private, loopback or link-local address but
// allow (the local cloud's "host:port").
func GradeAccount(ctx context.Context, cfg aws.Config, names map[string]string, allow string, list []*grader.Check, log *slog.Logger) []grader.Result {
	all := labs.DefaultNames()
	for k, v := range names {
		if _, known := all[k]; known {
			all[k] = v
		}
	}
	env := &grader.Env{AWS: cfg, Names: all, HTTP: onlyTo(allow).Client(30 * time.Second), RunID: fmt.Sprintf("sub%d", time.Now().UnixNano()),
		PollInterval: 20 * time.Millisecond, Log: log}
	return grader.Run(ctx, env, list, 0, nil)
}

// onlyTo is a guard that lets traffic reach addr and nothing else.
func onlyTo(addr string) grader.Guard {
	return grader.Guard{BlockPrivate: true, Allow: []string{addr}}
}

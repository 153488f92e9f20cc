package localcloud_test

import (
	"slices"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/labkit-dev/labkit/localcloud/conformance"
)

// recording returns a copy of cfg whose HTTP client records every
// response, for the response-shape scenarios: the clients of the service
// under test use it, those that set the scene do not.
func recording(cfg aws.Config) (aws.Config, *conformance.Recorder) {
	rec := &conformance.Recorder{}
	cfg = cfg.Copy()
	cfg.HTTPClient = rec
	return cfg, rec
}

// served are the operations of service's model but those in
// unservedOperations: TestEveryModelOperationIsServed holds that the local
// cloud serves each of them.
func served(m *conformance.Model, service string) []string {
	ops := make([]string, 0, len(m.Operations))
	for op := range m.Operations {
		if !slices.Contains(unservedOperations[service], op) {
			ops = append(ops, op)
		}
	}
	sort.Strings(ops)
	return ops
}

// result is an SDK call's output and error: do(c.Op(ctx, in)).ok(t) fails
// the test when the call fails and returns the output.
type result[T any] struct {
	out T
	err error
}

func do[T any](out T, err error) result[T] { return result[T]{out, err} }

func (r result[T]) ok(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.out
}

// verifyShapes checks every successful call against m (conformance.Verify)
// and fails the test for each served operation the scenario did not
// exercise, but those listed in noSuccessPath (operations the local cloud
// cannot answer successfully in a scenario, each with its reason at the
// call site): an operation served later must join its scenario.
func verifyShapes(t *testing.T, m *conformance.Model, calls []conformance.Call, served []string, noSuccessPath ...string) {
	t.Helper()
	for _, op := range conformance.Verify(t, m, calls, served) {
		if !slices.Contains(noSuccessPath, op) {
			t.Errorf("%s is served but no scenario call of it succeeded", op)
		}
	}
}

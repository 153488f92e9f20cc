package conformance

import (
	"reflect"
	"sort"
	"strings"
	"testing"
)

// Verify checks every successful call against m and fails t with each
// violation. Calls of operations the model does not have (AWS added them
// after it) are logged as unchecked. It logs how many of the served
// operations the calls exercised, and returns the ones they did not, in
// order.
func Verify(t testing.TB, m *Model, calls []Call, served []string) (missed []string) {
	t.Helper()
	exercised := map[string]bool{}
	unchecked := map[string]bool{}
	for _, c := range calls {
		if c.Status >= 300 {
			continue
		}
		exercised[c.Operation] = true
		if !m.Has(c.Operation) {
			unchecked[c.Operation] = true
			continue
		}
		for _, v := range m.CheckCall(c) {
			t.Errorf("%s", v)
		}
	}
	for _, op := range served {
		if !exercised[op] {
			missed = append(missed, op)
		}
	}
	sort.Strings(missed)
	t.Logf("exercised %d of %d served operations; unchecked (not in botocore's model): %s; not exercised: %s",
		len(served)-len(missed), len(served), strings.Join(sortedKeys(unchecked), " "), strings.Join(missed, " "))
	return missed
}

// VerifyNewer fails t for each member of m.Newer that the aws-sdk-go-v2
// type of its shape, given in sdk by shape name, does not have as a field
// (matched without case, as the SDK's field names are the member names).
func VerifyNewer(t testing.TB, m *Model, sdk map[string]reflect.Type) {
	t.Helper()
	for shape, members := range m.Newer {
		typ, ok := sdk[shape]
		if !ok {
			t.Errorf("no aws-sdk-go-v2 type given for %s", shape)
			continue
		}
		for _, mem := range members {
			if _, ok := typ.FieldByNameFunc(func(f string) bool { return strings.EqualFold(f, mem) }); !ok {
				t.Errorf("%s.%s is not in aws-sdk-go-v2's %s", shape, mem, typ)
			}
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

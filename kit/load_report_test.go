package kit

import (
	"strings"
	"testing"
)

// TestLoadReportSpellsCounts: `lab load --orders 1` (lab 5 step 3 sends one
// order that way) reports "1 order", not "1 orders" (issue 11 item 7).
func TestLoadReportSpellsCounts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		orders, retried int
		want            []string
	}{
		{1, 1, []string{"load run r: 1 order at 1/s", "retried    1 request (same"}},
		{20, 3, []string{"load run r: 20 orders at 1/s", "retried    3 requests (same"}},
	} {
		got := (&LoadReport{Run: "r", Orders: tc.orders, Rate: 1, Retried: tc.retried}).String()
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("report for %d orders does not say %q:\n%s", tc.orders, w, got)
			}
		}
	}
}

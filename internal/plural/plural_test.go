package plural

import "testing"

func TestCount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, "0 checks"}, {1, "1 check"}, {2, "2 checks"}, {11, "11 checks"}, {-1, "-1 check"},
	} {
		if got := Count(tc.n, "check", "checks"); got != tc.want {
			t.Errorf("Count(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	if got := Noun(1, "was", "were") + " " + Noun(3, "was", "were"); got != "was were" {
		t.Errorf("Noun: got %q", got)
	}
}

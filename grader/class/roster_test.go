package class_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader/class"
)

const header = "id,name,email,target,account,role_arn,external_id,profile,region,endpoint"

// good rows, one per way of reaching an account.
const goodRows = `ana,Ana,ana@example.edu,local,111111111111,,,,,
ben,Ben,,aws,,arn:aws:iam::222222222222:role/labkit-grader,ext-ben-1,,us-east-1,
cy,Cy,,aws,,,,cy-profile,eu-west-1,
dee,Dee,,submission,,,,,,
`

// TestParseRosterMalformed feeds a roster with one kind of bad row (or
// header) at a time between good rows: the bad row is reported with its
// line and column, and every good row is still read.
func TestParseRosterMalformed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header string // default header when empty
		bad    string // the bad row, placed on line 3 (after ana)
		line   int
		column string // the column named in the error ("" when none)
		col    int
		msg    string
		good   int // good rows read (default 4)
	}{
		{name: "missing id", bad: ",Zed,,local,333333333333,,,,,", line: 3, column: "id", col: 1, msg: "missing id"},
		{name: "duplicate id", bad: "ana,Ana again,,local,333333333333,,,,,", line: 3, column: "id", col: 1, msg: `duplicate id "ana" (first on line 2)`},
		{name: "id that escapes its folder", bad: "../etc,Evil,,local,333333333333,,,,,", line: 3, column: "id", col: 1, msg: "names the learner's folder"},
		{name: "no way to reach", bad: "zed,Zed,,,,,,,,", line: 3, column: "target", col: 4, msg: "no way to reach"},
		{name: "aws without role or profile", bad: "zed,Zed,,aws,,,,,us-east-1,", line: 3, column: "target", col: 4, msg: "target aws needs role_arn"},
		{name: "malformed ARN", bad: "zed,Zed,,aws,,arn:aws:iam::12:user/bob,ext-1,,,", line: 3, column: "role_arn", col: 6, msg: "not an IAM role ARN"},
		{name: "role without external id", bad: "zed,Zed,,aws,,arn:aws:iam::333333333333:role/r,,,,", line: 3, column: "external_id", col: 7, msg: "needs an external_id"},
		{name: "account not 12 digits", bad: "zed,Zed,,local,12345,,,,,", line: 3, column: "account", col: 5, msg: "not a 12-digit account id"},
		{name: "unknown target", bad: "zed,Zed,,gcp,333333333333,,,,,", line: 3, column: "target", col: 4, msg: `unknown target "gcp"`},
		{name: "bad email", bad: "zed,Zed,not-an-address,local,333333333333,,,,,", line: 3, column: "email", col: 3, msg: "not an address"},
		{name: "bad region", bad: "zed,Zed,,local,333333333333,,,,Mars,", line: 3, column: "region", col: 9, msg: "not a region name"},
		{name: "endpoint not a URL", bad: "zed,Zed,,local,333333333333,,,,,file:///etc/passwd", line: 3, column: "endpoint", col: 10, msg: "not an http(s) URL"},
		{name: "submission with an account", bad: "zed,Zed,,submission,333333333333,,,,,", line: 3, column: "account", col: 5, msg: "not used with target submission"},
		{name: "too few fields", bad: "zed,Zed,,local", line: 3, msg: "4 fields, the header has 10"},
		{name: "too many fields", bad: "zed,Zed,,local,333333333333,,,,,,extra", line: 3, msg: "11 fields, the header has 10"},
		{name: "bare quote", bad: `zed,Z"ed,,local,333333333333,,,,,`, line: 3, msg: "malformed CSV at character 6"},
		{name: "invalid UTF-8", bad: "zed,Z\xffed,,local,333333333333,,,,,", line: 3, column: "name", col: 2, msg: "not valid UTF-8"},
		{name: "unknown column", header: header + ",shoe_size", bad: "zed,Zed,,local,333333333333,,,,,,44", line: 1, column: "shoe_size", col: 11, msg: `unknown column "shoe_size"`, good: 5},
		{name: "unknown name key", header: header + ",names.bucket", bad: "zed,Zed,,local,333333333333,,,,,,b", line: 1, column: "names.bucket", col: 11, msg: `unknown name key "bucket"`, good: 5},
		{name: "bad resource name", header: header + ",names.ordersTable", bad: "zed,Zed,,local,333333333333,,,,,,Orders;DROP", line: 3, column: "names.ordersTable", col: 11, msg: "resource name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == "" {
				h = header
			}
			extra := strings.Count(h, ",") - strings.Count(header, ",")
			lines := strings.Split(strings.TrimSpace(goodRows), "\n")
			for i := range lines {
				lines[i] += strings.Repeat(",", extra)
			}
			text := h + "\n" + lines[0] + "\n" + tc.bad + "\n" + strings.Join(lines[1:], "\n") + "\n"
			ros, err := class.ParseRoster(strings.NewReader(text))
			require.NoError(t, err)
			require.Len(t, ros.Errors, 1, "errors: %v", ros.Errors)
			e := ros.Errors[0]
			assert.Equal(t, tc.line, e.Line, "line of %v", e)
			assert.Equal(t, tc.column, e.Column, "column of %v", e)
			if tc.col != 0 {
				assert.Equal(t, tc.col, e.Col, "col of %v", e)
			}
			assert.Contains(t, e.Error(), tc.msg)
			want := tc.good
			if want == 0 {
				want = 4
			}
			var ids []string
			for _, l := range ros.Learners {
				ids = append(ids, l.ID)
			}
			assert.Len(t, ros.Learners, want, "learners read: %v", ids)
			for _, id := range []string{"ana", "ben", "cy", "dee"} {
				assert.Contains(t, ids, id)
			}
		})
	}
}

func TestParseRosterReadsEveryReach(t *testing.T) {
	text := "\xef\xbb\xbf" + header + ",names.ordersTable\n" + strings.ReplaceAll(goodRows, "\n", ",\n") +
		"eve,Eve,,,444444444444,,,,,http://127.0.0.1:4566,MyOrders\n\n"
	ros, err := class.ParseRoster(strings.NewReader(text))
	require.NoError(t, err)
	require.Empty(t, ros.Errors)
	require.Len(t, ros.Learners, 5)
	assert.Equal(t, class.Reach{Kind: "local", Account: "111111111111"}, ros.Learners[0].Reach)
	assert.Equal(t, class.Reach{Kind: "aws", RoleARN: "arn:aws:iam::222222222222:role/labkit-grader", ExternalID: "ext-ben-1", Region: "us-east-1"}, ros.Learners[1].Reach)
	assert.Equal(t, class.Reach{Kind: "aws", Profile: "cy-profile", Region: "eu-west-1"}, ros.Learners[2].Reach)
	assert.Equal(t, class.Reach{Kind: "submission"}, ros.Learners[3].Reach)
	eve := ros.Learners[4]
	assert.Equal(t, class.Reach{Kind: "local", Account: "444444444444", Endpoint: "http://127.0.0.1:4566"}, eve.Reach, "target inferred from account + endpoint")
	assert.Equal(t, map[string]string{"ordersTable": "MyOrders"}, eve.Names)
	assert.Equal(t, 6, eve.Line)
}

func TestParseRosterUnusable(t *testing.T) {
	for name, text := range map[string]string{
		"empty":        "",
		"no id column": "name,email\nAna,ana@example.edu\n",
		"too large":    header + "\n" + strings.Repeat("x", class.MaxRosterBytes),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := class.ParseRoster(strings.NewReader(text))
			require.Error(t, err)
			assert.True(t, errors.Is(err, class.ErrRoster), "got %v, want ErrRoster", err)
		})
	}
}

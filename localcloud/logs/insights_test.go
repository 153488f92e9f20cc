package logs

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func insightsRecords() []record {
	msgs := []string{
		`{"level":"INFO","orderId":"o-1","latency":50,"user":{"tier":"gold"}}`,
		`{"level":"ERROR","orderId":"o-2","latency":500,"user":{"tier":"free"}}`,
		`{"level":"INFO","orderId":"o-3","latency":150}`,
		`START RequestId: abc Version: $LATEST`,
		`{"level":"ERROR","orderId":"o-4","latency":250,"user":{"tier":"gold"}}`,
	}
	var out []record
	for i, m := range msgs {
		r := newRecord("/aws/lambda/fn", "s", m, int64(1700000000000+i*1000), int64(1700000000000+i*1000), "123456789012")
		r["@ptr"] = fmt.Sprint(i)
		out = append(out, r)
	}
	return out
}

func TestInsightsQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query string
		want  [][][2]string
	}{
		{`fields orderId | filter level = "ERROR" | sort orderId asc`, [][][2]string{
			{{"orderId", "o-2"}, {"@ptr", "1"}}, {{"orderId", "o-4"}, {"@ptr", "4"}}}},
		{`fields orderId as id, latency | filter latency > 100 and user.tier = 'gold'`, [][][2]string{
			{{"id", "o-4"}, {"latency", "250"}, {"@ptr", "4"}}}},
		{`filter @message like /START/ | fields @message`, [][][2]string{
			{{"@message", "START RequestId: abc Version: $LATEST"}, {"@ptr", "3"}}}},
		{`fields orderId | filter ispresent(user.tier) and not level = "ERROR"`, [][][2]string{
			{{"orderId", "o-1"}, {"@ptr", "0"}}}},
		{`fields orderId | filter orderId in ["o-1", "o-3"] | sort latency desc | limit 1`, [][][2]string{
			{{"orderId", "o-3"}, {"@ptr", "2"}}}},
		{`fields orderId | filter level = "INFO" or latency >= 500 | limit 2`, [][][2]string{ // newest first
			{{"orderId", "o-3"}, {"@ptr", "2"}}, {{"orderId", "o-2"}, {"@ptr", "1"}}}},
		{`stats count(*) as n, avg(latency) as avg, max(latency) by level | sort level`, [][][2]string{
			{{"level", ""}, {"n", "1"}, {"avg", ""}, {"max(latency)", ""}},
			{{"level", "ERROR"}, {"n", "2"}, {"avg", "375"}, {"max(latency)", "500"}},
			{{"level", "INFO"}, {"n", "2"}, {"avg", "100"}, {"max(latency)", "150"}}}},
		{`filter ispresent(orderId) | stats count_distinct(user.tier) as tiers, sum(latency) as total`, [][][2]string{
			{{"tiers", "2"}, {"total", "950"}}}},
	}
	for _, tt := range tests {
		q, err := compileQuery(tt.query)
		if err != nil {
			t.Errorf("compileQuery(%q): %v", tt.query, err)
			continue
		}
		got, _ := q.run(insightsRecords())
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\ngot  %v\nwant %v", tt.query, got, tt.want)
		}
	}
}

func TestInsightsQueryInvalid(t *testing.T) {
	t.Parallel()
	for _, q := range []string{
		`fields a |`, `filter (a = 1`, `filter a = "x`, `sort a sideways`, `limit 0`, `parse @message "*"`,
		`stats median(a)`, `stats sum(*)`, `filter a not = 1`, `filter a in 1`, `filter /[/`,
	} {
		if _, err := compileQuery(q); !errors.Is(err, errPattern) {
			t.Errorf("compileQuery(%q): got %v, want an invalid query error", q, err)
		}
	}
}

func FuzzInsightsQuery(f *testing.F) {
	for _, s := range []string{
		`fields @timestamp, @message | sort @timestamp desc | limit 20`,
		`filter level = "ERROR" and (latency > 100 or not ispresent(user.tier)) | stats count(*) by level`,
		`filter @message like /o-\d+/ | display orderId`,
		`filter orderId not in ["o-1", 'o-2'] | stats avg(latency) as a, min(latency), count_distinct(level)`,
		`filter tolower(level) =~ /err/`,
		`|||`, `filter ((((`, `stats count(*) as n by`,
	} {
		f.Add(s)
	}
	recs := insightsRecords()
	f.Fuzz(func(t *testing.T, s string) {
		q, err := compileQuery(s)
		if err != nil {
			if !errors.Is(err, errPattern) {
				t.Fatalf("compileQuery(%q): error %v does not wrap errPattern", s, err)
			}
			return
		}
		q.run(recs)
	})
}

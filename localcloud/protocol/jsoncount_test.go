package protocol

import (
	"strings"
	"testing"
)

func TestCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		path []string
		want int
	}{
		{`{"Entries":[]}`, []string{"Entries"}, 0},
		{`{"Entries":[ ]}`, []string{"Entries"}, 0},
		{`{"Entries":[{}]}`, []string{"Entries"}, 1},
		{`{"QueueUrl":"q,[{","Entries" : [{"Id":"a,b","M":"x\"],["},{"Id":"c"},[1,2],3,"s"]}`, []string{"Entries"}, 5},
		{`{"Entries":{"a":1,"b":[1,2]}}`, []string{"Entries"}, 2},
		{`{"A":{"B":[1,2,3]},"B":[1]}`, []string{"A", "B"}, 3},
		{`{"Other":[1,2]}`, []string{"Entries"}, 0},
		{`{"Entries":"not an array"}`, []string{"Entries"}, 0},
		{`{"Entries":[1,2`, []string{"Entries"}, 0},
		{`[1,2,3]`, nil, 3},
		{`{"Entries":[` + strings.Repeat(`{"Id":"x"},`, 119_999) + `{"Id":"x"}]}`, []string{"Entries"}, 120_000},
	}
	for _, tt := range tests {
		if got := Count([]byte(tt.body), tt.path...); got != tt.want {
			t.Errorf("Count(%.60s, %v) = %d, want %d", tt.body, tt.path, got, tt.want)
		}
	}
}

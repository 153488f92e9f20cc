//go:build unix

package lambda

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRunWatchdog(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  map[string]int // marker -> pgid killed when the pipe ends
	}{
		{"nothing registered", "", map[string]int{}},
		{"running environment", "env\tM=a\npgid\tM=a\t42\n", map[string]int{"M=a": 42}},
		{"started but not yet running", "env\tM=a\n", map[string]int{"M=a": 0}},
		{"gone environments are left alone", "env\tM=a\npgid\tM=a\t42\nenv\tM=b\npgid\tM=b\t43\ngone\tM=a\n", map[string]int{"M=b": 43}},
		{"garbage lines are ignored", "pgid\tM=a\tx\nhello\nenv\tM=c\npgid\tM=c\t-1\n", map[string]int{"M=c": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]int{}
			runWatchdog(strings.NewReader(tt.input), func(pgid int, marker string) { got[marker] = pgid })
			assert.Equal(t, tt.want, got)
		})
	}
}

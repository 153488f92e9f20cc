package dynamo

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// batchBody is a BatchGetItem (or BatchWriteItem, TransactGetItems) body
// with n elements.
func batchBody(op string, n int) []byte {
	var b bytes.Buffer
	switch op {
	case "BatchGetItem":
		b.WriteString(`{"RequestItems":{"tbl":{"Keys":[`)
	case "BatchWriteItem":
		b.WriteString(`{"RequestItems":{"tbl":[`)
	default:
		b.WriteString(`{"TransactItems":[`)
	}
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		switch op {
		case "BatchGetItem":
			fmt.Fprintf(&b, `{"pk":{"S":"key-%07d"}}`, i)
		case "BatchWriteItem":
			fmt.Fprintf(&b, `{"PutRequest":{"Item":{"pk":{"S":"key-%07d"}}}}`, i)
		default:
			fmt.Fprintf(&b, `{"Get":{"TableName":"tbl","Key":{"pk":{"S":"key-%07d"}}}}`, i)
		}
	}
	switch op {
	case "BatchGetItem":
		b.WriteString(`]}}}`)
	case "BatchWriteItem":
		b.WriteString(`]}}`)
	default:
		b.WriteString(`]}`)
	}
	return b.Bytes()
}

func postTarget(t testing.TB, url, op string, body []byte) (int, string) {
	t.Helper()
	return cloudtest.PostJSON(t, url, "DynamoDB_20120810."+op, "dynamodb", body)
}

func TestOversizedBatchesAreRefusedBeforeDecoding(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	createTable(t, e.db, "tbl")
	tests := []struct {
		op, msg string
		n       int
	}{
		{"BatchGetItem", "at 'requestItems.tbl.member.keys' failed to satisfy constraint: Member must have length less than or equal to 100", 101},
		{"BatchGetItem", "Too many items requested for the BatchGetItem call", 400_000},
		{"BatchWriteItem", "Member must have length less than or equal to 25", 26},
		{"BatchWriteItem", "Member must have length less than or equal to 25", 200_000},
		{"TransactGetItems", "Member must have length less than or equal to 100", 200_000},
		{"TransactWriteItems", "Member must have length less than or equal to 100", 101},
	}
	// A single-item call over 4 MiB is refused before it is decoded.
	var put bytes.Buffer
	put.WriteString(`{"TableName":"tbl","Item":{"pk":{"S":"x"}`)
	for i := 0; put.Len() < 5<<20; i++ {
		fmt.Fprintf(&put, `,"a%d":{"N":"1"}`, i)
	}
	put.WriteString(`}}`)
	status, body := postTarget(t, e.url, "PutItem", put.Bytes())
	assert.Equal(t, 400, status)
	assert.Contains(t, body, "Item size has exceeded the maximum allowed size")
	for _, tt := range tests {
		t.Run(tt.op+" "+strconv.Itoa(tt.n), func(t *testing.T) {
			status, body := postTarget(t, e.url, tt.op, batchBody(tt.op, tt.n))
			assert.Equal(t, 400, status)
			assert.Contains(t, body, "ValidationException")
			assert.Contains(t, body, tt.msg)
		})
	}
}

// vmHWM is the process's peak resident set (VmHWM) in bytes.
func vmHWM(t testing.TB) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// TestConcurrentOversizedBatchesKeepMemoryBounded is the attack: 20
// concurrent 10.8 MB BatchGetItem calls with 400,000 keys each (they took
// 6.2 GB when the keys were decoded before the 100-key limit was checked).
// The process's peak RSS (VmHWM, reset before the attack) must stay under
// 300 MB, and each call gets DynamoDB's ValidationException.
func TestConcurrentOversizedBatchesKeepMemoryBounded(t *testing.T) {
	// Not parallel: the peak RSS is the whole process's.
	if runtime.GOOS != "linux" {
		t.Skip("measures VmHWM from /proc")
	}
	if raceEnabled {
		t.Skip("the race detector's shadow memory makes RSS meaningless (CI runs this test without -race)")
	}
	n := 20
	if s := os.Getenv("LABKIT_MEMTEST_CLIENTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	e := newEnv(t)
	createTable(t, e.db, "tbl")
	body := batchBody("BatchGetItem", 400_000)
	require.Greater(t, len(body), 10_000_000)
	debug.FreeOSMemory()
	// Writing 5 to clear_refs resets the peak RSS to the current RSS.
	require.NoError(t, os.WriteFile("/proc/self/clear_refs", []byte("5"), 0))
	base := vmHWM(t)

	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			status, resp := postTarget(t, e.url, "BatchGetItem", body)
			assert.Equal(t, 400, status)
			assert.Contains(t, resp, "Too many items requested for the BatchGetItem call")
		})
	}
	wg.Wait()
	peak := vmHWM(t)
	t.Logf("%d concurrent %.1f MB BatchGetItem calls: peak RSS %d MB (%d MB before, +%d MB)", n, float64(len(body))/1e6, peak>>20, base>>20, (peak-base)>>20)
	assert.Less(t, peak, int64(300<<20), "peak RSS")
}

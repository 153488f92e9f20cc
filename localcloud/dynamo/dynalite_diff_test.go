package dynamo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDynaliteDiff is a discovery harness, not a conformance test: it sends
// the same raw requests to dynalite (an emulator whose validation messages
// were copied from real DynamoDB) and to this package's service, and
// reports where their status, __type and message differ. Each difference
// is then decided from AWS's documented behaviour and written down as a
// table-driven test with the expected text; dynalite can be old or wrong.
//
//	bash localcloud/bench/setup-dynalite.sh /tmp/dynalite   # prints the export
//	LABKIT_DYNALITE=/tmp/dynalite/node_modules/.bin/dynalite \
//	  go test -run TestDynaliteDiff -v ./localcloud/dynamo/
//
// LABKIT_DYNALITE_REPORT=FILE writes every difference to FILE as JSON lines;
// LABKIT_DYNALITE_ONLY=substring runs only the cases whose name holds it.
// The test fails only when the harness itself cannot run.
func TestDynaliteDiff(t *testing.T) {
	bin := os.Getenv("LABKIT_DYNALITE")
	if bin == "" {
		t.Skip("LABKIT_DYNALITE not set (localcloud/bench/setup-dynalite.sh installs dynalite)")
	}
	model := loadModel(t)
	ours := newEnv(t).url
	theirs := startDynaliteServer(t, bin)
	for _, u := range []string{ours, theirs} {
		makeDiffTables(t, u)
	}
	cases := append(modelCases(model, dynaliteOps), handCases()...)
	if only := os.Getenv("LABKIT_DYNALITE_ONLY"); only != "" {
		var kept []diffCase
		for _, c := range cases {
			if strings.Contains(c.name, only) {
				kept = append(kept, c)
			}
		}
		cases = kept
	}
	var report *os.File
	if p := os.Getenv("LABKIT_DYNALITE_REPORT"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		report = f
	}
	type tally struct{ same, diff, orderOnly int }
	byCat := map[string]*tally{}
	for _, c := range cases {
		if c.before != nil {
			c.before(t, ours)
			c.before(t, theirs)
		}
		a := diffCall(t, theirs, c.op, c.body)
		b := diffCall(t, ours, c.op, c.body)
		settle(t, theirs, c, a)
		settle(t, ours, c, b)
		tl := byCat[c.cat]
		if tl == nil {
			tl = &tally{}
			byCat[c.cat] = tl
		}
		switch {
		case a.same(b):
			tl.same++
			continue
		case a.samePieces(b):
			tl.orderOnly++
			continue
		}
		tl.diff++
		if testing.Verbose() {
			t.Logf("DIFF %s %s %s\n  dynalite: %s\n  ours:     %s", c.cat, c.op, c.body, a, b)
		}
		if report != nil {
			line, _ := json.Marshal(map[string]any{"cat": c.cat, "name": c.name, "op": c.op, "body": c.body, "dynalite": a, "ours": b})
			report.Write(append(line, '\n'))
		}
	}
	cats := make([]string, 0, len(byCat))
	for c := range byCat {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	total := tally{}
	for _, c := range cats {
		tl := byCat[c]
		t.Logf("%-28s same %4d  differ %4d  (same up to piece order %d)", c, tl.same, tl.diff, tl.orderOnly)
		total.same += tl.same
		total.diff += tl.diff
		total.orderOnly += tl.orderOnly
	}
	t.Logf("%-28s same %4d  differ %4d  (same up to piece order %d)", "TOTAL", total.same, total.diff, total.orderOnly)
}

// answer is what a server said: the status, the error's __type and its
// message (from "message" or "Message"), or for a success the top-level
// keys of the body.
type answer struct {
	Status int    `json:"status"`
	Type   string `json:"type,omitempty"`
	Msg    string `json:"msg,omitempty"`
	Keys   string `json:"keys,omitempty"`
}

func (a answer) String() string {
	if a.Status == http.StatusOK {
		return "200 {" + a.Keys + "}"
	}
	return fmt.Sprintf("%d %s %q", a.Status, a.Type, a.Msg)
}

func (a answer) same(b answer) bool { return a == b }

// samePieces holds "N validation errors detected: x; y" answers equal
// whatever the order of their pieces, as the conformance suite compares
// them.
func (a answer) samePieces(b answer) bool {
	if a.Status != b.Status || a.Type != b.Type {
		return false
	}
	pa, pb := pieces(a.Msg), pieces(b.Msg)
	if pa == nil || pb == nil || len(pa) != len(pb) {
		return false
	}
	sort.Strings(pa)
	sort.Strings(pb)
	return strings.Join(pa, "\x00") == strings.Join(pb, "\x00")
}

func pieces(msg string) []string {
	head, rest, ok := strings.Cut(msg, " detected: ")
	if !ok || !strings.Contains(head, "validation error") {
		return nil
	}
	return append(strings.Split(rest, "; "), head)
}

// post sends body as DynamoDB operation op (none when op is ""), signed
// with a well-formed but unchecked SigV4 header: both servers read only its
// shape.
func post(url, op, body string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	if op != "" {
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	}
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=00")
	return http.DefaultClient.Do(req)
}

// diffCall posts body as operation op and reads the answer.
func diffCall(t *testing.T, url, op, body string) answer {
	t.Helper()
	resp, err := post(url, op, body)
	if err != nil {
		t.Fatalf("%s %s: %v", op, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		a.Msg = "non-JSON body: " + string(raw)
		return a
	}
	if resp.StatusCode == http.StatusOK {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		a.Keys = strings.Join(keys, ",")
		if os.Getenv("LABKIT_DYNALITE_BODIES") != "" {
			a.Keys = comparableBody(raw)
		}
		return a
	}
	json.Unmarshal(m["__type"], &a.Type)
	if v, ok := m["message"]; ok {
		json.Unmarshal(v, &a.Msg)
	} else if v, ok := m["Message"]; ok {
		json.Unmarshal(v, &a.Msg)
		a.Msg = "(Message) " + a.Msg
	}
	return a
}

// startDynaliteServer runs dynalite in memory with table transitions as
// short as this package's tests use.
func startDynaliteServer(t *testing.T, bin string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	ms := strconv.Itoa(int(testTableDelay / time.Millisecond))
	cmd := exec.Command(bin, "--port", port, "--createTableMs", ms, "--deleteTableMs", ms, "--updateTableMs", ms)
	if err := cmd.Start(); err != nil {
		t.Fatalf("dynalite: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			c.Close()
			return "http://127.0.0.1:" + port
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("dynalite did not start")
	return ""
}

// dynaliteValidations is the text of dynalite's validation module for op,
// to tell members dynalite does not know from real differences.
func dynaliteValidations(op string) string {
	bin, _ := filepath.EvalSymlinks(os.Getenv("LABKIT_DYNALITE"))
	b, _ := os.ReadFile(filepath.Join(filepath.Dir(bin), "validations", strings.ToLower(op[:1])+op[1:]+".js"))
	return string(b)
}

// The tables of the public conformance suite: hash (a S), hashN (a N),
// range (a, b S with LSIs index1/index2 and GSIs index3/index4), rangeN
// (b N) and rangeB (b B).
func makeDiffTables(t *testing.T, url string) {
	t.Helper()
	pt := `"ProvisionedThroughput":{"ReadCapacityUnits":10,"WriteCapacityUnits":5}`
	tables := []string{
		`{"TableName":"hash","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}],"KeySchema":[{"KeyType":"HASH","AttributeName":"a"}],` + pt + `}`,
		`{"TableName":"hashN","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"N"}],"KeySchema":[{"KeyType":"HASH","AttributeName":"a"}],"BillingMode":"PAY_PER_REQUEST"}`,
		`{"TableName":"range","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"},{"AttributeName":"b","AttributeType":"S"},{"AttributeName":"c","AttributeType":"S"},{"AttributeName":"d","AttributeType":"S"}],` +
			`"KeySchema":[{"KeyType":"HASH","AttributeName":"a"},{"KeyType":"RANGE","AttributeName":"b"}],` + pt + `,` +
			`"LocalSecondaryIndexes":[{"IndexName":"index1","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"c","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}},` +
			`{"IndexName":"index2","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"d","KeyType":"RANGE"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["c"]}}],` +
			`"GlobalSecondaryIndexes":[{"IndexName":"index3","KeySchema":[{"AttributeName":"c","KeyType":"HASH"}],` + pt + `,"Projection":{"ProjectionType":"ALL"}},` +
			`{"IndexName":"index4","KeySchema":[{"AttributeName":"c","KeyType":"HASH"},{"AttributeName":"d","KeyType":"RANGE"}],` + pt + `,"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["e"]}}]}`,
		`{"TableName":"rangeN","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"},{"AttributeName":"b","AttributeType":"N"}],"KeySchema":[{"KeyType":"HASH","AttributeName":"a"},{"KeyType":"RANGE","AttributeName":"b"}],` + pt + `}`,
		`{"TableName":"rangeB","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"},{"AttributeName":"b","AttributeType":"B"}],"KeySchema":[{"KeyType":"HASH","AttributeName":"a"},{"KeyType":"RANGE","AttributeName":"b"}],` + pt + `}`,
	}
	for _, tb := range tables {
		if a := diffCall(t, url, "CreateTable", tb); a.Status != http.StatusOK {
			t.Fatalf("%s CreateTable: %s", url, a)
		}
		var name struct{ TableName string }
		json.Unmarshal([]byte(tb), &name)
		waitActive(t, url, name.TableName)
	}
}

// waitActive polls DescribeTable until the table and its indexes are ACTIVE.
func waitActive(t *testing.T, url, name string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := post(url, "DescribeTable", `{"TableName":"`+name+`"}`)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Table struct {
				TableStatus            string
				GlobalSecondaryIndexes []struct{ IndexStatus string }
			}
		}
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		ok := out.Table.TableStatus == "ACTIVE"
		for _, g := range out.Table.GlobalSecondaryIndexes {
			ok = ok && g.IndexStatus == "ACTIVE"
		}
		if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: table %s not ACTIVE", url, name)
}

// settle undoes what a case changed so the next ones meet the same tables:
// a table a case created is deleted and awaited, one it updated awaited
// until ACTIVE again.
func settle(t *testing.T, url string, c diffCase, a answer) {
	t.Helper()
	if a.Status != http.StatusOK {
		return
	}
	var in struct{ TableName string }
	json.Unmarshal([]byte(c.body), &in)
	switch c.op {
	case "CreateTable":
		waitActive(t, url, in.TableName)
		if in.TableName != "abc" {
			return // a functional case's table, deleted by a later case
		}
		diffCall(t, url, "DeleteTable", `{"TableName":"`+in.TableName+`"}`)
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if diffCall(t, url, "DescribeTable", `{"TableName":"`+in.TableName+`"}`).Status != http.StatusOK {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("%s: table %s not deleted", url, in.TableName)
	case "UpdateTable":
		waitActive(t, url, in.TableName)
	case "DeleteTable":
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) && diffCall(t, url, "DescribeTable", `{"TableName":"`+in.TableName+`"}`).Status == http.StatusOK {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// volatile are members whose values differ between any two servers (times,
// ids, ARNs with their account): LABKIT_DYNALITE_BODIES=1 compares whole
// successful answers without them.
var volatile = map[string]bool{"CreationDateTime": true, "LastIncreaseDateTime": true, "LastDecreaseDateTime": true,
	"TableArn": true, "IndexArn": true, "TableId": true, "LatestStreamArn": true, "LatestStreamLabel": true, "LastUpdateToPayPerRequestDateTime": true}

// comparableBody is raw re-encoded with sorted keys, volatile members
// dropped and numbers kept as written.
func comparableBody(raw []byte) string {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return string(raw)
	}
	var strip func(v any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if volatile[k] {
					delete(x, k)
					continue
				}
				x[k] = strip(e)
			}
		case []any:
			for i := range x {
				x[i] = strip(x[i])
			}
		}
		return v
	}
	b, _ := json.Marshal(strip(v))
	return string(b)
}

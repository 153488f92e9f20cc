package labs_test

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/labs"
)

// labPairs is every lab's shell blocks that a Windows learner cannot paste,
// each with the PowerShell block that follows it.
type pair struct {
	lab     string
	sh, ps  block
	missing string // why sh needs a variant, when ps is absent
}

func labPairs(t *testing.T) []pair {
	t.Helper()
	cat, err := labs.LoadCatalog(labs.Content)
	require.NoError(t, err)
	var out []pair
	for _, l := range cat.Labs {
		blocks := codeBlocks(string(l.Body), l.BodyLine)
		for i, b := range blocks {
			if b.lang != "sh" {
				continue
			}
			why := shellOnly(b.code)
			if why == "" {
				continue
			}
			p := pair{lab: l.Dir, sh: b}
			if i+1 < len(blocks) && blocks[i+1].lang == "powershell" {
				p.ps = blocks[i+1]
			} else {
				p.missing = why
			}
			out = append(out, p)
		}
	}
	return out
}

// TestEveryShellOnlyBlockHasAPowerShellVariant: a block a Windows learner
// cannot paste (a heredoc, $(...), a loop, JSON in quotes...) is followed
// by a ```powershell block that does the same (issue 12: "give a PowerShell
// variant where a shell line would not").
func TestEveryShellOnlyBlockHasAPowerShellVariant(t *testing.T) {
	pairs := labPairs(t)
	require.NotEmpty(t, pairs)
	for _, p := range pairs {
		if p.missing != "" {
			t.Errorf("%s/lab.md:%d: this sh block has %s, and no ```powershell block follows it", p.lab, p.sh.line, p.missing)
		}
	}
}

// TestPowerShellBlocksParse lints every PowerShell block of the course.
func TestPowerShellBlocksParse(t *testing.T) {
	cat, err := labs.LoadCatalog(labs.Content)
	require.NoError(t, err)
	n := 0
	for _, l := range cat.Labs {
		for _, b := range codeBlocks(string(l.Body), l.BodyLine) {
			if b.lang != "powershell" {
				continue
			}
			n++
			for _, p := range lintPowerShell(b.code) {
				t.Errorf("%s/lab.md:%d: %s", l.Dir, b.line, p)
			}
		}
	}
	t.Logf("%d PowerShell blocks", n)
}

// binding is what the labs' variables hold in the JSON comparisons.
var binding = map[string]string{
	"PARTITION": "aws", "REGION": "us-east-1", "ACCOUNT": "123456789012", "SVC": "inventory", "W": "inventory",
	"TABLE_ARN":  "arn:aws:dynamodb:us-east-1:123456789012:table/Orders",
	"STREAM_ARN": "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-01-01T00:00:00.000",
	"TOPIC_ARN":  "arn:aws:sns:us-east-1:123456789012:order-events",
	"TOPIC":      "arn:aws:sns:us-east-1:123456789012:ops-alerts",
	"INBOX_ARN":  "arn:aws:sqs:us-east-1:123456789012:ops-alerts-inbox",
	"ORDER_ID":   "ord-0123",
}

var (
	shHeredocRE = regexp.MustCompile(`(?s)cat > "?([^"\s]+?)"? <<('?)JSON'?\n(.*?)\nJSON(?:\n|$)`)
	psHereRE    = regexp.MustCompile(`(?s)Set-Content -NoNewline -Path "?([^"\s]+?)"? -Value @(["'])\n(.*?)\n["']@`)
	psLiteralRE = regexp.MustCompile(`Set-Content -NoNewline -Path "?([^"\s]+?)"? -Value '([^']*)'`)
	shVarRE     = regexp.MustCompile(`\\([$\\])|\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)
	awsCallRE   = regexp.MustCompile(`(?m)(?:^|[\s($])aws ([a-z0-9-]+) ([a-z0-9-]+)`)
	longFlagRE  = regexp.MustCompile(`\s(--[a-z0-9-]+)`)
)

// expand fills variables in as the shell or PowerShell would.
func expand(t *testing.T, where, s string) string {
	return shVarRE.ReplaceAllStringFunc(s, func(m string) string {
		sm := shVarRE.FindStringSubmatch(m)
		if sm[1] != "" {
			return sm[1]
		}
		for k, v := range binding {
			if strings.EqualFold(k, sm[2]) {
				return v
			}
		}
		t.Errorf("%s: variable $%s is never set in the labs' binding (a typo?)", where, sm[2])
		return ""
	})
}

// jsonFiles returns the JSON documents a block writes, by file name.
func jsonFiles(t *testing.T, where string, b block) map[string]any {
	docs := map[string]any{}
	add := func(name, body string) {
		if !strings.HasSuffix(name, ".json") {
			return
		}
		var v any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Errorf("%s: %s is not JSON: %v\n%s", where, name, err, body)
			return
		}
		docs[name] = v
	}
	if b.lang == "sh" {
		for _, m := range shHeredocRE.FindAllStringSubmatch(b.code, -1) {
			body := m[3]
			if m[2] == "" {
				body = expand(t, where, body)
			}
			add(expand(t, where, m[1]), body)
		}
		return docs
	}
	for _, m := range psHereRE.FindAllStringSubmatch(b.code, -1) {
		body := m[3]
		if m[2] == `"` {
			body = expand(t, where, body)
		}
		add(expand(t, where, m[1]), body)
	}
	for _, m := range psLiteralRE.FindAllStringSubmatch(b.code, -1) {
		add(expand(t, where, m[1]), m[2])
	}
	return docs
}

// TestPowerShellVariantsDoWhatTheShellDoes compares each pair: the same
// AWS CLI calls with the same options, and every JSON document the shell
// block writes is written by the PowerShell block with the same contents
// once the variables are filled in.
func TestPowerShellVariantsDoWhatTheShellDoes(t *testing.T) {
	for _, p := range labPairs(t) {
		if p.missing != "" {
			continue
		}
		where := p.lab + "/lab.md:" + itoa(p.ps.line)
		calls := func(code string) []string {
			var out []string
			for _, m := range awsCallRE.FindAllStringSubmatch(code, -1) {
				out = append(out, m[1]+" "+m[2])
			}
			slices.Sort(out)
			return out
		}
		assert.Equal(t, calls(p.sh.code), calls(p.ps.code), "%s: the AWS CLI calls differ from the sh block's", where)
		flags := func(code string) []string {
			var out []string
			for _, m := range longFlagRE.FindAllStringSubmatch(code, -1) {
				// PowerShell has no alias with arguments: the endpoint
				// comes from AWS_ENDPOINT_URL there (lab 1).
				if m[1] != "--endpoint-url" {
					out = append(out, m[1])
				}
			}
			slices.Sort(out)
			return slices.Compact(out)
		}
		assert.Equal(t, flags(p.sh.code), flags(p.ps.code), "%s: the options differ from the sh block's", where)
		shDocs, psDocs := jsonFiles(t, where, p.sh), jsonFiles(t, where, p.ps)
		for name, want := range shDocs {
			got, ok := psDocs[name]
			if !ok {
				t.Errorf("%s: the sh block writes %s, the PowerShell block does not", where, name)
				continue
			}
			if !reflect.DeepEqual(want, got) {
				t.Errorf("%s: %s differs:\nsh:         %v\npowershell: %v", where, name, want, got)
			}
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestShellOnlyRules: what needs a variant, and what does not.
func TestShellOnlyRules(t *testing.T) {
	for _, tc := range []struct {
		code string
		want bool
	}{
		{"aws dynamodb create-table \\\n  --table-name Orders", false},
		{"lab package starter/order-publisher", false},
		{"aws sqs receive-message --queue-url \"$INBOX\" --query 'Messages[0].Body' --output text", false},
		{"sleep 5", false},
		{"TOKEN=$(lab token --channel web)", true},
		{"cat > x.json <<JSON\n{}\nJSON", true},
		{"for FN in a b; do\n  echo $FN\ndone", true},
		{"aws dynamodb get-item --key '{\"orderId\":{\"S\":\"x\"}}'", true},
		{"curl -s \"$URL\"", true},
		{"aws logs create-log-group --log-group-name x 2>/dev/null", true},
		{"aws sns subscribe --notification-endpoint \"arn:aws:sqs:$REGION:$ACCOUNT:q\"", true},
	} {
		assert.Equal(t, tc.want, shellOnly(tc.code) != "", tc.code)
	}
}

// TestLintPowerShell shows that each rule finds the mistake it is for, and
// that correct PowerShell passes.
func TestLintPowerShell(t *testing.T) {
	good := []string{
		"$TABLE_ARN = aws dynamodb describe-table --table-name Orders --query Table.TableArn --output text\n$REGION = $TABLE_ARN.Split(\":\")[3]",
		"foreach ($SVC in \"inventory\", \"accounting\") {\n  Set-Content -NoNewline -Path \"$SVC.json\" -Value @\"\n{\"Resource\": \"arn:aws:sqs:${REGION}:${ACCOUNT}:$SVC\"}\n\"@\n  aws sqs create-queue --queue-name \"$SVC\" `\n    --attributes \"file://$SVC.json\"\n}",
		"aws logs create-log-group --log-group-name \"/aws/lambda/$FN\" 2>$null",
		"$ORDER_ID = (curl.exe -s -X POST \"$API_URL/orders\" -d \"@order.json\" | ConvertFrom-Json).orderId",
		"aws dynamodb scan --query 'Items[?a.S==`DONE` && b.S==`DONE`] | [0].orderId.S' --output text",
		"(aws logs filter-log-events --output text) -split \"`t\" | Select-Object -First 5",
		"Set-Content -NoNewline -Path f.txt -Value ('{ $.orderId = \"' + $ORDER_ID + '\" }')",
	}
	for _, code := range good {
		assert.Empty(t, lintPowerShell(code), code)
	}
	bad := []struct{ code, want string }{
		{"aws dynamodb create-table \\\n  --table-name Orders", `ending in \`},
		{"aws dynamodb create-table ` \n  --table-name Orders", "backtick followed by spaces"},
		{"Set-Content -NoNewline -Path a.json -Value @\"\n{}\n  \"@", "very start"},
		{"Set-Content -NoNewline -Path a.json -Value @\"\n{}", "never closed"},
		{"Set-Content -Path a.json -Value @\" {}\n\"@", "must end its line"},
		{"$X = \"arn:aws:sqs:$REGION:$ACCOUNT:q\"", `"$REGION:" in a string`},
		{"foreach ($i in 1..3) { $I = 1 }", "same variable"},
		{"$input = aws sqs get-queue-url --queue-name q", "automatic variable"},
		{"aws dynamodb get-item --key '{\"orderId\":{\"S\":\"x\"}}'", "double quotes inside"},
		{"curl -s $URL", "curl.exe"},
		{"aws logs create-log-group --log-group-name x 2>/dev/null", "/dev/null"},
		{"TOKEN=$(lab token)", "shell assignment"},
		{"aws s3 ls > out.txt", "UTF-16"},
		{"$A = 1 && $B = 2", "&&"},
		{"foreach ($x in 1, 2) { aws sqs list-queues ", "unclosed"},
		{"aws sqs list-queues)", "unbalanced"},
		{"$X = 'unterminated", "unterminated"},
		{"for X in a b; do echo $X; done", "shell keyword"},
		{"aws lambda invoke --payload @payload.json", "splatting"},
	}
	for _, tc := range bad {
		got := lintPowerShell(tc.code)
		assert.True(t, slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tc.want) }),
			"%q: want a problem containing %q, got %q", tc.code, tc.want, got)
	}
}

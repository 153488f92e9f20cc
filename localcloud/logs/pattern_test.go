package logs

import (
	"errors"
	"testing"
)

func TestPatternMatch(t *testing.T) {
	t.Parallel()
	order := `{"orderId":"o-1","level":"ERROR","latency":250,"user":{"id":"u-7","tier":"gold"},"lines":[{"sku":"A-1","qty":2},{"sku":"B-2","qty":1}],"note":null,"ok":true}`
	tests := []struct {
		pattern string
		message string
		want    bool
	}{
		{"", "anything", true},
		{"ERROR", "2024 ERROR boom", true},
		{"ERROR", "2024 error boom", false}, // case-sensitive
		{"ERROR boom", "ERROR: boom", true},
		{"ERROR boom", "ERROR: bang", false},
		{`"request failed"`, "the request failed twice", true},
		{`"request failed"`, "request did not fail", false},
		{"?ERROR ?WARN", "WARN disk", true},
		{"?ERROR ?WARN", "INFO disk", false},
		{"ERROR -retry", "ERROR final", true},
		{"ERROR -retry", "ERROR will retry", false},
		{"%o-[0-9]+%", "order o-42 placed", true},
		{"%o-[0-9]+%", "order o-x placed", false},
		{`{ $.orderId = "o-1" }`, order, true},
		{`{$.orderId="o-2"}`, order, false},
		{`{ $.orderId = o-1 }`, order, true},
		{`{ $.level != "INFO" }`, order, true},
		{`{ $.level != "ERROR" }`, order, false},
		{`{ $.orderId = "o-*" }`, order, true},
		{`{ $.orderId = "*-1" }`, order, true},
		{`{ $.orderId = "x*" }`, order, false},
		{`{ $.latency > 100 }`, order, true},
		{`{ $.latency >= 250 }`, order, true},
		{`{ $.latency < 250 }`, order, false},
		{`{ $.latency <= 250.0 }`, order, true},
		{`{ $.latency = 250 }`, order, true},
		{`{ $.latency != 250 }`, order, false},
		{`{ $.orderId > 1 }`, order, false}, // a string is not a number
		{`{ $.user.tier = "gold" }`, order, true},
		{`{ $.user.missing = "gold" }`, order, false},
		{`{ $.lines[0].sku = "A-1" }`, order, true},
		{`{ $.lines[1].sku = "A-1" }`, order, false},
		{`{ $.lines[5].sku = "A-1" }`, order, false},
		{`{ $.lines[1].qty = 1 }`, order, true},
		{`{ $.lines[*].sku = "B-2" }`, order, true},
		{`{ $.lines[*].sku = "C-3" }`, order, false},
		{`{ $.lines[*].qty > 1 }`, order, true},
		{`{ $.lines[*].missing NOT EXISTS }`, order, true},
		{`{ $.orderId = * }`, order, true},
		{`{ $.absent = * }`, order, false},
		{`{ $.level = "ERROR" && $.latency > 100 }`, order, true},
		{`{ $.level = "ERROR" && $.latency > 1000 }`, order, false},
		{`{ $.level = "INFO" || $.latency > 100 }`, order, true},
		{`{ ($.level = "INFO" || $.level = "ERROR") && $.user.id = "u-7" }`, order, true},
		{`{ $.level = "INFO" || ($.level = "ERROR" && $.user.id = "u-8") }`, order, false},
		{`{ $.level = "INFO" && $.user.id = "u-8" || $.ok IS TRUE }`, order, true},
		{`{ $.note IS NULL }`, order, true},
		{`{ $.orderId IS NULL }`, order, false},
		{`{ $.missing IS NULL }`, order, false},
		{`{ $.missing NOT EXISTS }`, order, true},
		{`{ $.orderId NOT EXISTS }`, order, false},
		{`{ $.ok IS TRUE }`, order, true},
		{`{ $.ok IS FALSE }`, order, false},
		{`{ $.orderId = "o-1" }`, "not json", false},
		{`{ $.orderId = "o-1" }`, `  {"orderId": "o-1"}  `, true},
		{`[ip, user, status=5*, size>1000]`, `10.0.0.1 alice 503 2048`, true},
		{`[ip, user, status=5*, size>1000]`, `10.0.0.1 alice 404 2048`, false},
		{`[ip, user, status=5*, size>1000]`, `10.0.0.1 alice 503 20`, false},
		{`[..., status=404]`, `GET /x "Mozilla 5" 404`, true},
		{`[method, ..., status!=200]`, `GET /x [a b] 200`, false},
		{`[a, b]`, `one two three`, false},
	}
	for _, tt := range tests {
		p, err := CompilePattern(tt.pattern)
		if err != nil {
			t.Errorf("CompilePattern(%q): %v", tt.pattern, err)
			continue
		}
		if got := p.Match(tt.message); got != tt.want {
			t.Errorf("%q matching %q: got %v, want %v", tt.pattern, tt.message, got, tt.want)
		}
	}
}

func TestPatternInvalid(t *testing.T) {
	t.Parallel()
	for _, p := range []string{
		`{ $.a = "x" `,
		`{ $.a = }`,
		`{ a = "x" }`,
		`{ $.a > "x" }`,
		`{ $.a = "x" && }`,
		`{ ($.a = 1 }`,
		`{ $. = 1 }`,
		`{ $.a[x] = 1 }`,
		`{ $.a IS MAYBE }`,
		`{ $.a NOT THERE }`,
		`{ $.a = 1 } trailing`,
		`"unterminated`,
		`?`,
		`%[%`,
		`[a, , b]`,
		`[a, b`,
	} {
		if _, err := CompilePattern(p); !errors.Is(err, errPattern) {
			t.Errorf("CompilePattern(%q): got %v, want an invalid filter pattern error", p, err)
		}
	}
}

func FuzzFilterPattern(f *testing.F) {
	for _, s := range []string{
		"", "ERROR", `"a b" ?c -d`, `{ $.a = "x*y" }`, `{ ($.a.b[0] > 1.5e3 || $.c IS NULL) && $.d NOT EXISTS }`,
		`[a, ..., b=4*, c>=10]`, `%^x+$%`, `{ $.a != -1 }`, `{{{{`, `[...]`,
	} {
		f.Add(s, `{"a":"xzy","b":[1,2],"c":null} 1 2 3`)
	}
	f.Fuzz(func(t *testing.T, pattern, message string) {
		p, err := CompilePattern(pattern)
		if err != nil {
			if !errors.Is(err, errPattern) {
				t.Fatalf("CompilePattern(%q): error %v does not wrap errPattern", pattern, err)
			}
			return
		}
		p.Match(message)
	})
}

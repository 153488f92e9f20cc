package lambda

import (
	"encoding/json"
	"testing"
)

func TestFilterPatternMatch(t *testing.T) {
	t.Parallel()
	order := `{"eventName":"INSERT","dynamodb":{"NewImage":{"status":{"S":"NEW"},"total":{"N":"25"}},"Keys":{"pk":{"S":"order#1"}}},
		"body":{"type":"order","total":25,"tags":["rush","gift"],"customer":{"tier":"gold","email":"ann@example.com"},"note":null,"paid":true}}`
	tests := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"exact string", `{"eventName":["INSERT"]}`, true},
		{"exact string, other value", `{"eventName":["MODIFY","REMOVE"]}`, false},
		{"OR within a field", `{"eventName":["MODIFY","INSERT"]}`, true},
		{"nested", `{"dynamodb":{"NewImage":{"status":{"S":["NEW"]}}}}`, true},
		{"nested, no match", `{"dynamodb":{"NewImage":{"status":{"S":["PAID"]}}}}`, false},
		{"fields are ANDed", `{"eventName":["INSERT"],"dynamodb":{"NewImage":{"status":{"S":["PAID"]}}}}`, false},
		{"prefix", `{"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"order#"}]}}}}`, true},
		{"suffix", `{"body":{"customer":{"email":[{"suffix":"@example.com"}]}}}`, true},
		{"suffix, no match", `{"body":{"customer":{"email":[{"suffix":"@example.org"}]}}}`, false},
		{"equals-ignore-case", `{"body":{"customer":{"tier":[{"equals-ignore-case":"GOLD"}]}}}`, true},
		{"anything-but list", `{"body":{"type":[{"anything-but":["refund","test"]}]}}`, true},
		{"anything-but scalar excluded", `{"body":{"type":[{"anything-but":"order"}]}}`, false},
		{"anything-but prefix", `{"body":{"type":[{"anything-but":{"prefix":"ord"}}]}}`, false},
		{"anything-but on a missing field", `{"body":{"missing":[{"anything-but":"x"}]}}`, false},
		{"numeric range", `{"body":{"total":[{"numeric":[">",10,"<=",25]}]}}`, true},
		{"numeric range, out", `{"body":{"total":[{"numeric":[">",25]}]}}`, false},
		{"numeric equals", `{"body":{"total":[{"numeric":["=",25]}]}}`, true},
		{"numeric on a string", `{"dynamodb":{"NewImage":{"total":{"N":[{"numeric":[">",1]}]}}}}`, false},
		{"exact number", `{"body":{"total":[25]}}`, true},
		{"exact number is not a string", `{"body":{"total":["25"]}}`, false},
		{"exists true", `{"body":{"customer":{"tier":[{"exists":true}]}}}`, true},
		{"exists false on a present field", `{"body":{"customer":{"tier":[{"exists":false}]}}}`, false},
		{"exists false on a missing field", `{"body":{"coupon":[{"exists":false}]}}`, true},
		{"exists false under a missing object", `{"body":{"shipping":{"city":[{"exists":false}]}}}`, true},
		{"array value: any element", `{"body":{"tags":["gift"]}}`, true},
		{"array value: none", `{"body":{"tags":["fragile"]}}`, false},
		{"null literal", `{"body":{"note":[null]}}`, true},
		{"boolean literal", `{"body":{"paid":[true]}}`, true},
		{"$or: one matches", `{"$or":[{"eventName":["REMOVE"]},{"body":{"type":["order"]}}]}`, true},
		{"$or: none matches", `{"$or":[{"eventName":["REMOVE"]},{"body":{"type":["refund"]}}]}`, false},
		{"$or nested with a field", `{"body":{"$or":[{"total":[{"numeric":[">",100]}]},{"paid":[true]}]},"eventName":["INSERT"]}`, true},
		{"missing field", `{"nothing":["x"]}`, false},
		{"pattern on an object given a string", `{"eventName":{"x":["INSERT"]}}`, false},
	}
	var event map[string]any
	if err := json.Unmarshal([]byte(order), &event); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseFilterPattern(tt.pattern)
			if err != nil {
				t.Fatalf("parse %s: %v", tt.pattern, err)
			}
			if got := matchAny([]*filterPattern{p}, event); got != tt.want {
				t.Errorf("%s: got match %v, want %v", tt.pattern, got, tt.want)
			}
		})
	}
}

func TestFilterPatternInvalid(t *testing.T) {
	t.Parallel()
	for _, p := range []string{
		``, `[]`, `"INSERT"`, `{"eventName":"INSERT"}`, `{"eventName":[]}`, `{"a":{}}`,
		`{"a":[{"prefix":1}]}`, `{"a":[{"numeric":[">"]}]}`, `{"a":[{"numeric":["!=",1]}]}`, `{"a":[{"numeric":[">","x"]}]}`,
		`{"a":[{"exists":"yes"}]}`, `{"a":[{"unknown-op":1}]}`, `{"a":[{"prefix":"x","suffix":"y"}]}`,
		`{"a":[{"anything-but":[]}]}`, `{"a":[{"anything-but":{"other":"x"}}]}`, `{"a":[[1]]}`,
		`{"$or":[{"a":["x"]}]}`, `{"$or":{"a":["x"]}}`, `{"a":["x"]} trailing`,
	} {
		if _, err := parseFilterPattern(p); err == nil {
			t.Errorf("parse %q: got no error, want one", p)
		}
	}
}

func TestItemFailures(t *testing.T) {
	t.Parallel()
	valid := map[string]bool{"m1": true, "m2": true}
	tests := []struct {
		payload string
		failed  int
		ok      bool
	}{
		{``, 0, true},
		{`null`, 0, true},
		{`{}`, 0, true},
		{`{"batchItemFailures":null}`, 0, true},
		{`{"batchItemFailures":[]}`, 0, true},
		{`{"batchItemFailures":[{"itemIdentifier":"m2"}]}`, 1, true},
		{`{"batchItemFailures":[{"itemIdentifier":"m1"},{"itemIdentifier":"m2"}]}`, 2, true},
		{`{"batchItemFailures":[{"itemIdentifier":""}]}`, 0, false},
		{`{"batchItemFailures":[{"itemIdentifier":null}]}`, 0, false},
		{`{"batchItemFailures":[{"itemId":"m1"}]}`, 0, false},
		{`{"batchItemFailures":[{"itemIdentifier":"other"}]}`, 0, false},
		{`{"batchItemFailures":"m1"}`, 0, false},
		{`"done"`, 0, false},
		{`not json`, 0, false},
	}
	for _, tt := range tests {
		failed, ok := itemFailures([]byte(tt.payload), valid)
		if ok != tt.ok || len(failed) != tt.failed {
			t.Errorf("%s: got %d failed, ok %v; want %d, %v", tt.payload, len(failed), ok, tt.failed, tt.ok)
		}
	}
}

func FuzzFilterPattern(f *testing.F) {
	for _, p := range []string{
		`{"eventName":["INSERT"]}`,
		`{"dynamodb":{"NewImage":{"status":{"S":[{"prefix":"N"}]}}}}`,
		`{"body":{"total":[{"numeric":[">",10,"<=",25]}],"type":[{"anything-but":["a","b"]}]}}`,
		`{"$or":[{"a":[{"exists":false}]},{"b":[null,true,1.5,"x"]}]}`,
		`{"a":[{"equals-ignore-case":"X"},{"suffix":"y"},{"anything-but":{"prefix":"z"}}]}`,
		`{"a":`, `[]`, `{"a":{"b":{"c":{"d":["e"]}}}}`,
	} {
		f.Add(p, `{"eventName":"INSERT","a":"X","b":[1.5,"x"],"body":{"total":12,"type":"c"},"dynamodb":{"NewImage":{"status":{"S":"NEW"}}}}`)
	}
	f.Fuzz(func(t *testing.T, pattern, event string) {
		p, err := parseFilterPattern(pattern)
		if err != nil {
			return
		}
		var ev map[string]any
		if json.Unmarshal([]byte(event), &ev) != nil {
			return
		}
		matchAny([]*filterPattern{p}, ev) // must not panic
		// A pattern that parsed must also be accepted by the API's check.
		m := &mapping{Kind: esmSQS, BatchSize: 10}
		if err := applyMappingInput(m, &mappingInput{FilterCriteria: &filterCriteria{Filters: []filterEntry{{Pattern: &pattern}}}}); err != nil && len(pattern) <= 4096 {
			t.Fatalf("parsed pattern %q refused by the API: %v", pattern, err)
		}
	})
}

package main

import (
	"encoding/json"
	"testing"
)

// The monolith's whole behaviour runs against the local cloud in the demo's
// tests (kit/demo, web); this is its validation, table-driven.
func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		body, want string
	}{
		{`{"customerId":"c1","lines":[{"sku":"SOAP-1","quantity":2}]}`, ""},
		{`{"customerId":" ","lines":[{"sku":"SOAP-1","quantity":2}]}`, "customerId is required"},
		{`{"customerId":"c1","lines":[]}`, "an order needs at least one line"},
		{`{"customerId":"c1","lines":[{"sku":"SOAP-1","quantity":0}]}`, "lines[0] needs a sku and a positive quantity"},
		{`{"customerId":"c1","lines":[{"sku":"A","quantity":1},{"quantity":1}]}`, "lines[1] needs a sku and a positive quantity"},
	} {
		var o order
		if err := json.Unmarshal([]byte(tc.body), &o); err != nil {
			t.Fatal(err)
		}
		if got := o.validate(); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.body, got, tc.want)
		}
	}
}

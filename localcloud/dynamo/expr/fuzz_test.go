package expr

import (
	"errors"
	"testing"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// mustBeExprError fails unless err is nil or an *Error.
func mustBeExprError(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if err != nil && !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
}

func FuzzParseCondition(f *testing.F) {
	for _, tt := range conditionCases {
		f.Add(tt.expr)
	}
	item, names, values := testItem(), testNames(), testValues()
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCondition(s)
		mustBeExprError(t, err)
		if err != nil {
			return
		}
		_, err = c.Eval(item, names, values)
		mustBeExprError(t, err)
		_, err = c.Eval(nil, nil, nil)
		mustBeExprError(t, err)
		mustBeExprError(t, CheckUsage(names, values, c))
		mustBeExprError(t, c.Check(names, values))
		_, err = ParseKeyCondition(s, names, values)
		mustBeExprError(t, err)
	})
}

func FuzzParseUpdate(f *testing.F) {
	for _, tt := range updateCases {
		f.Add(tt.expr)
	}
	names, values := testNames(), testValues()
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUpdate(s)
		mustBeExprError(t, err)
		if err != nil {
			return
		}
		base := updateBase()
		got, _, err := u.Apply(base, names, values)
		mustBeExprError(t, err)
		mustEqualItems(t, base, updateBase())
		if err == nil && got == nil {
			t.Fatal("Apply returned a nil item and no error")
		}
		_, _, err = u.Apply(nil, nil, nil)
		mustBeExprError(t, err)
		mustBeExprError(t, CheckUsage(names, values, u))
		mustBeExprError(t, u.Check(names, values))
	})
}

func FuzzParseProjection(f *testing.F) {
	for _, tt := range projectionCases {
		f.Add(tt.expr)
	}
	names := testNames()
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseProjection(s)
		mustBeExprError(t, err)
		if err != nil {
			return
		}
		mustBeExprError(t, CheckUsage(names, nil, p))
		base := updateBase()
		got := p.Apply(base, names)
		mustEqualItems(t, base, updateBase())
		for k := range got {
			if _, ok := base[k]; !ok {
				t.Fatalf("projection invented attribute %q", k)
			}
		}
		_ = p.Apply(nil, nil)
	})
}

var benchSink any

func BenchmarkParseCondition(b *testing.B) {
	const s = "attribute_exists(pk) AND #s = :active AND (version < :v OR attribute_not_exists(version)) AND begins_with(sk, :p)"
	b.ReportAllocs()
	for b.Loop() {
		c, err := ParseCondition(s)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = c
	}
}

func BenchmarkEvalCondition(b *testing.B) {
	c, err := ParseCondition("attribute_exists(pk) AND #s = :active AND (version < :v OR attribute_not_exists(version)) AND begins_with(sk, :p)")
	if err != nil {
		b.Fatal(err)
	}
	item := attr.Item{"pk": attr.Str("user#1"), "sk": attr.Str("order#7"), "Status": attr.Str("active"), "version": attr.Num("3"), "total": attr.Num("42.50")}
	names := Names{"#s": "Status"}
	values := Values{":active": attr.Str("active"), ":v": attr.Num("4"), ":p": attr.Str("order#")}
	b.ReportAllocs()
	for b.Loop() {
		ok, err := c.Eval(item, names, values)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

const benchUpdate = "SET #s = :s, version = if_not_exists(version, :zero) + :one, history = list_append(if_not_exists(history, :empty), :h) REMOVE draft ADD tags :t"

func BenchmarkParseUpdate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		u, err := ParseUpdate(benchUpdate)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = u
	}
}

func BenchmarkApplyUpdate(b *testing.B) {
	u, err := ParseUpdate(benchUpdate)
	if err != nil {
		b.Fatal(err)
	}
	item := attr.Item{"pk": attr.Str("user#1"), "sk": attr.Str("order#7"), "Status": attr.Str("new"), "version": attr.Num("3"),
		"history": attr.List(attr.Str("created")), "draft": attr.Bool(true), "tags": attr.StrSet("a")}
	names := Names{"#s": "Status"}
	values := Values{":s": attr.Str("paid"), ":zero": attr.Num("0"), ":one": attr.Num("1"), ":empty": attr.List(),
		":h": attr.List(attr.Str("paid")), ":t": attr.StrSet("b")}
	b.ReportAllocs()
	for b.Loop() {
		out, _, err := u.Apply(item, names, values)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = out
	}
}

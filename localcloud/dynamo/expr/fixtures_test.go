package expr

import (
	"testing"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// testItem is the item the condition and filter cases are evaluated on.
func testItem() attr.Item {
	return attr.Item{
		"id":     attr.Str("abc123"),
		"n":      attr.Num("10"),
		"neg":    attr.Num("-2.5"),
		"s":      attr.Str("hello world"),
		"b":      attr.Bin([]byte{1, 2, 3}),
		"t":      attr.Bool(true),
		"nul":    attr.Null(),
		"ss":     attr.StrSet("red", "green"),
		"ns":     attr.NumSet("1", "2.50"),
		"bs":     attr.BinSet([]byte{1}, []byte{2}),
		"l":      attr.List(attr.Str("x"), attr.Num("1"), attr.Map(map[string]attr.Value{"k": attr.Str("v")})),
		"Status": attr.Str("active"),
		"a.b":    attr.Str("dotted"),
		"m": attr.Map(map[string]attr.Value{
			"a":        attr.Map(map[string]attr.Value{"b": attr.Num("3")}),
			"lst":      attr.List(attr.Num("7"), attr.List(attr.Str("deep"))),
			"dash-key": attr.Str("d"),
		}),
	}
}

func testNames() Names {
	return Names{"#s": "Status", "#ab": "a.b", "#m": "m", "#dash": "dash-key", "#n": "n", "#x": "x", "#pk": "pk", "#sk": "sk"}
}

func testValues() Values {
	return Values{
		":zero": attr.Num("0"), ":one": attr.Num("1"), ":two": attr.Num("2"), ":two5": attr.Num("2.5"),
		":three": attr.Num("3"), ":five": attr.Num("5"), ":seven": attr.Num("7"), ":ten": attr.Num("10"),
		":ten2": attr.Num("1e1"), ":eleven": attr.Num("11"), ":twenty": attr.Num("20"), ":neg": attr.Num("-2.5"),
		":hello": attr.Str("hello"), ":accented": attr.Str("abÿ"), ":helloworld": attr.Str("hello world"), ":world": attr.Str("world"),
		":red": attr.Str("red"), ":blue": attr.Str("blue"), ":x": attr.Str("x"), ":v": attr.Str("v"),
		":d": attr.Str("d"), ":deep": attr.Str("deep"), ":active": attr.Str("active"), ":dotted": attr.Str("dotted"),
		":numstr": attr.Str("10"), ":S": attr.Str("S"), ":N": attr.Str("N"), ":SS": attr.Str("SS"),
		":bad": attr.Str("XX"), ":true": attr.Bool(true), ":null": attr.Null(),
		":kv":    attr.Map(map[string]attr.Value{"k": attr.Str("v")}),
		":map":   attr.Map(map[string]attr.Value{}),
		":b1":    attr.Bin([]byte{1}),
		":b12":   attr.Bin([]byte{1, 2}),
		":nsSet": attr.NumSet("2.5", "1.0"),
		":ssSet": attr.StrSet("green", "red"),
		":newl":  attr.List(attr.Str("e")),
		":empty": attr.List(),
		":ssA":   attr.StrSet("a"),
		":ssAB":  attr.StrSet("b", "a"),
		":ssCB":  attr.StrSet("c", "b"),
		":ns13":  attr.NumSet("1.0", "3"),
		":ns2":   attr.NumSet("2.0"),
		":big":   attr.Num("9.9999999999999999999999999999999999999E+125"),
	}
}

// mustEqualItems fails unless got and want hold equal attributes.
func mustEqualItems(t testing.TB, got, want attr.Item) {
	t.Helper()
	if !attr.Equal(attr.Map(got), attr.Map(want)) {
		g, _ := attr.Map(got).MarshalJSON()
		w, _ := attr.Map(want).MarshalJSON()
		t.Fatalf("got item %s, want %s", g, w)
	}
}

// errMsg returns err's message, or "" for nil, failing if err is not an *Error.
func errMsg(t testing.TB, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *Error
	if !asError(err, &e) {
		t.Fatalf("error %v (%T) is not an *expr.Error", err, err)
	}
	return e.Msg
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}

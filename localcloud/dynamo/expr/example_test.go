package expr_test

import (
	"fmt"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/dynamo/expr"
)

func ExampleParseCondition() {
	c, err := expr.ParseCondition("attribute_not_exists(pk) OR #s = :open")
	if err != nil {
		fmt.Println(err)
		return
	}
	names := expr.Names{"#s": "status"}
	values := expr.Values{":open": attr.Str("open")}
	if err := expr.CheckUsage(names, values, c); err != nil {
		fmt.Println(err)
		return
	}
	item := attr.Item{"pk": attr.Str("order#1"), "status": attr.Str("open")}
	ok, err := c.Eval(item, names, values)
	fmt.Println(ok, err)

	_, err = expr.ParseCondition("status = :open")
	fmt.Println(err)
	// Output:
	// true <nil>
	// Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status
}

func ExampleParseUpdate() {
	u, err := expr.ParseUpdate("SET version = if_not_exists(version, :zero) + :one ADD tags :t REMOVE draft")
	if err != nil {
		fmt.Println(err)
		return
	}
	item := attr.Item{"pk": attr.Str("order#1"), "draft": attr.Bool(true)}
	values := expr.Values{":zero": attr.Num("0"), ":one": attr.Num("1"), ":t": attr.StrSet("new")}
	out, updated, err := u.Apply(item, nil, values)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := attr.Map(out).MarshalJSON()
	fmt.Println(string(b), updated)
	// Output:
	// {"M":{"pk":{"S":"order#1"},"tags":{"SS":["new"]},"version":{"N":"1"}}} [version tags draft]
}

func ExampleParseKeyCondition() {
	values := expr.Values{":pk": attr.Str("user#1"), ":p": attr.Str("order#")}
	kc, err := expr.ParseKeyCondition("begins_with(sk, :p) AND pk = :pk", nil, values)
	if err != nil {
		fmt.Println(err)
		return
	}
	kc, err = kc.ForSchema("pk", "sk")
	fmt.Println(kc.HashName, kc.Hash.Str, kc.Range.Name, kc.Range.Op, kc.Range.Match(attr.Str("order#7")), err)
	// Output:
	// pk user#1 sk begins_with true <nil>
}

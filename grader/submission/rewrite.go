package submission

import (
	"reflect"
	"strings"
)

// walkStrings replaces every string value reachable from v (a pointer) with
// f's result: struct fields, slice elements and map values, recursively.
func walkStrings(v any, f func(string) string) {
	walkValue(reflect.ValueOf(v), f)
}

func walkValue(v reflect.Value, f func(string) string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkValue(v.Elem(), f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkValue(v.Field(i), f)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkValue(v.Index(i), f)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := v.MapIndex(k)
			if e.Kind() == reflect.String {
				v.SetMapIndex(k, reflect.ValueOf(f(e.String())).Convert(e.Type()))
				continue
			}
			cp := reflect.New(e.Type()).Elem()
			cp.Set(e)
			walkValue(cp, f)
			v.SetMapIndex(k, cp)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(f(v.String()))
		}
	}
}

// rewriter moves ARNs, account ids, queue URLs and endpoints from the
// exporting account to the importing one.
type rewriter struct {
	pairs []string // old, new, old, new...
}

// where is an account as a submission moves from or to it: its id, the
// region, the partition its ARNs name and the local cloud's endpoint.
type where struct{ account, region, partition, endpoint string }

func newRewriter(from, to where) *rewriter {
	r := &rewriter{}
	if from.endpoint != "" && to.endpoint != "" {
		r.pairs = append(r.pairs, strings.TrimSuffix(from.endpoint, "/"), strings.TrimSuffix(to.endpoint, "/"))
	}
	r.pairs = append(r.pairs,
		"arn:"+from.partition+":apigateway:"+from.region+":lambda:", "arn:"+to.partition+":apigateway:"+to.region+":lambda:",
		"arn:"+from.partition+":", "arn:"+to.partition+":", // every ARN's partition, before its region and account
		":"+from.region+":"+from.account+":", ":"+to.region+":"+to.account+":", // regional ARNs
		"::"+from.account+":", "::"+to.account+":", // IAM ARNs
		"/"+from.account+"/", "/"+to.account+"/") // queue URLs
	return r
}

// add rewrites old to new too (an API's id and endpoint).
func (r *rewriter) add(old, new string) {
	if old != "" && old != new {
		r.pairs = append(r.pairs, old, new)
	}
}

func (r *rewriter) apply(s string) string {
	return strings.NewReplacer(r.pairs...).Replace(s)
}

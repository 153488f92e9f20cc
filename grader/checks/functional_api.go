package checks

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/internal/plural"
)

func functionalKinds() []grader.Kind {
	kinds := []grader.Kind{
		{
			Name: "api.auth", Functional: true,
			Doc:    "requests without a token get 401, with a forged or expired token 403, with another channel's token are refused by the intake (403); none of them stores anything",
			Params: apiParams, Calls: apiCalls, Run: gated(false, runAuth),
		},
		{
			Name: "api.create-order", Functional: true,
			Doc:    "a valid order gets 201 {orderId, status} and is stored with the right totalCents",
			Params: apiParams, Calls: apiCalls, Run: gated(false, runCreateOrder),
		},
		{
			Name: "api.validation", Functional: true,
			Doc:    "each kind of bad input gets 400 with a JSON error naming the field, and nothing is stored",
			Params: apiParams, Calls: apiCalls, Run: gated(false, runValidation),
		},
		{
			Name: "api.idempotency", Functional: true,
			Doc:    "the same order sent twice with one Idempotency-Key gives the same orderId and one stored item",
			Params: apiParams, Calls: apiCalls, Run: gated(false, runIdempotency),
		},
		{
			Name: "api.get-order", Functional: true,
			Doc:    "GET /orders/{orderId} returns the stored order, and 404 for an id that does not exist",
			Params: apiParams, Calls: apiCalls, Run: gated(false, runGetOrder),
		},
	}
	return append(kinds, flowKinds()...)
}

func runAuth(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	a, bad := newOrderAPI(ctx, env, p)
	if bad != nil {
		return *bad
	}
	customer := a.customer("auth")
	body, _ := validOrder(customer)
	mobile := a.token("mobile", 10*time.Minute)
	cases := []struct {
		name string
		tok  string
		want int
		code string // the intake's error code, when the intake must answer
	}{
		{"no token", "", http.StatusUnauthorized, ""},
		{"forged token", a.forged("web"), http.StatusForbidden, ""},
		{"expired token", a.token("web", -time.Minute), http.StatusForbidden, ""},
		{"another channel's token", mobile, http.StatusForbidden, "ChannelMismatch"},
	}
	// A valid token must get through, or refusing the others proves nothing.
	control, err := a.do(ctx, http.MethodPost, "/orders", a.token("web", 10*time.Minute), order{Channel: "web", CustomerID: a.customer("auth-control"), Lines: body.Lines}, nil)
	if err != nil {
		return undecided("POST /orders (valid token)", err)
	}
	defer func() { a.remove(control.str("orderId")) }()
	if control.status == http.StatusUnauthorized || (control.status == http.StatusForbidden && control.errorCode() == "") {
		return grader.Failf("a valid token was refused too (%s), so refusing bad tokens proves nothing yet", control.describe())
	}
	var parts []grader.Part
	for _, c := range cases {
		r, err := a.do(ctx, http.MethodPost, "/orders", c.tok, body, nil)
		if err != nil {
			return undecided("POST /orders ("+c.name+")", err)
		}
		pt := grader.Part{Name: c.name, Passed: r.status == c.want && (c.code == "" || r.errorCode() == c.code), Detail: fmt.Sprintf("got %d, want %d", r.status, c.want)}
		if c.code != "" && r.status == c.want && r.errorCode() != c.code {
			pt.Detail = fmt.Sprintf("got %s, want %d with error code %s from the intake, which compares the body's channel with the token's (%s)", r.describe(), c.want, c.code, todoIntake)
		}
		if r.status == http.StatusCreated {
			pt.Detail += ": the order was accepted"
			if c.code == "" {
				pt.Detail += "; the routes must use the authorizer, and the authorizer must deny it (" + todoAuthorizer + ")"
			} else {
				pt.Detail += "; the intake must compare the body's channel with the token's (" + todoIntake + ")"
			}
		} else if r.status == http.StatusNotImplemented {
			pt.Detail += ": " + r.describe()
		}
		parts = append(parts, pt)
	}
	stored, err := a.storedFor(ctx, customer, "")
	if err != nil {
		return undecided("look for stored orders", err)
	}
	defer func() { a.removeItems(stored) }()
	parts = append(parts, grader.Part{Name: "nothing stored", Passed: len(stored) == 0, Detail: fmt.Sprintf("%s stored for %s, want none", plural.Count(len(stored), "order", "orders"), customer)})
	return partsOutcome(parts, "the API lets a request through that it must refuse", "401 without a token, 403 for forged, expired and other-channel tokens; nothing stored")
}

// curlFormType is the Content-Type curl sends with -d when no other is given.
const curlFormType = "application/x-www-form-urlencoded"

func runCreateOrder(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	a, bad := newOrderAPI(ctx, env, p)
	if bad != nil {
		return *bad
	}
	customer := a.customer("create")
	r, total, err := a.place(ctx, customer, "")
	if err != nil {
		return undecided("POST /orders", err)
	}
	id := r.str("orderId")
	defer func() { a.remove(id) }()
	if r.status != http.StatusCreated {
		return grader.Failf("a valid order got %s; want 201 with {orderId, status}", r.describe())
	}
	if id == "" || r.str("status") == "" {
		return grader.Failf("a valid order got 201 but the body %s lacks orderId or status", clip(string(r.body), 160))
	}
	item, err := a.item(ctx, id)
	if err != nil {
		return undecided("read the order", err)
	}
	if item == nil {
		return grader.Failf("order %s was acknowledged with 201 but is not in table %s: store it (PutItem) before answering", id, a.table)
	}
	if got := attrN(item, "totalCents"); got != fmt.Sprint(total) {
		return grader.Failf("order %s is stored with totalCents %q, want %d (the sum of quantity x unitPriceCents, as an integer)", id, got, total)
	}
	if got := attrS(item, "customerId"); got != customer {
		return grader.Failf("order %s is stored with customerId %q, want %q", id, got, customer)
	}
	// The same order as `curl -d '{...}'` sends it, without a JSON
	// Content-Type: API Gateway hands the function that body base64-encoded
	// (isBase64Encoded true), as it does for every type that is not text.
	form := a.customer("create-form")
	fo, _ := validOrder(form)
	fr, err := a.do(ctx, http.MethodPost, "/orders", a.token("web", 10*time.Minute), fo, map[string]string{"Content-Type": curlFormType})
	if err != nil {
		return undecided("POST /orders as curl -d sends it", err)
	}
	fid := fr.str("orderId")
	defer func() { a.remove(fid) }()
	if fr.status != http.StatusCreated {
		return grader.Failf("an order sent as `curl -d` sends it (Content-Type %s, which API Gateway passes to the function base64-encoded with isBase64Encoded true) got %s; want 201: decode req.Body when req.IsBase64Encoded (step 1 of the TODO)", curlFormType, fr.describe())
	}
	return grader.Passf("order %s accepted (201, status %s) and stored with totalCents %d; a body sent as curl -d sends it (base64-encoded by API Gateway) is accepted too", id, r.str("status"), total)
}

func runValidation(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	a, bad := newOrderAPI(ctx, env, p)
	if bad != nil {
		return *bad
	}
	customer := a.customer("validation")
	sku := strings.ToUpper("GRADER-" + env.RunID)
	line := func() orderLine { return orderLine{SKU: sku, Quantity: 1, UnitPriceCents: 100} }
	cases := []struct {
		name, field string
		body        any
	}{
		{"body that is not JSON", "body", "{not json"},
		{"missing customerId", "customerId", order{Channel: "web", Lines: []orderLine{line()}}},
		{"unknown channel", "channel", order{CustomerID: customer, Channel: "fax", Lines: []orderLine{line()}}},
		{"no lines", "lines", order{CustomerID: customer, Channel: "web", Lines: []orderLine{}}},
		{"line without sku", "lines[0].sku", order{CustomerID: customer, Channel: "web", Lines: []orderLine{{Quantity: 1, UnitPriceCents: 100}}}},
		{"quantity below 1", "lines[0].quantity", order{CustomerID: customer, Channel: "web", Lines: []orderLine{{SKU: sku, Quantity: 0, UnitPriceCents: 100}}}},
		{"negative price", "lines[0].unitPriceCents", order{CustomerID: customer, Channel: "web", Lines: []orderLine{{SKU: sku, Quantity: 1, UnitPriceCents: -5}}}},
	}
	tok := a.token("web", 10*time.Minute)
	var parts []grader.Part
	for i, c := range cases {
		r, err := a.do(ctx, http.MethodPost, "/orders", tok, c.body, nil)
		if err != nil {
			return undecided("POST /orders ("+c.name+")", err)
		}
		if i == 0 && r.blocked() {
			if r.status == http.StatusNotImplemented {
				return grader.Failf("no order reaches validation yet: %s; then %s", r.describe(), todoValidate)
			}
			return grader.Failf("no order reaches validation yet: %s", r.describe())
		}
		pt := grader.Part{Name: c.name, Passed: r.status == http.StatusBadRequest && r.errorField() == c.field}
		switch {
		case r.status == http.StatusNotImplemented:
			pt.Detail = r.describe() + "; then " + todoValidate
		case r.status != http.StatusBadRequest:
			pt.Detail = fmt.Sprintf("got %s, want 400 naming %q", r.describe(), c.field)
		case r.errorField() != c.field:
			pt.Detail = fmt.Sprintf("got 400 naming field %q, want %q (in {\"error\": {\"field\": ...}})", r.errorField(), c.field)
		}
		parts = append(parts, pt)
	}
	stored, err := a.storedFor(ctx, customer, sku)
	if err != nil {
		return undecided("look for stored orders", err)
	}
	defer func() { a.removeItems(stored) }()
	parts = append(parts, grader.Part{Name: "nothing stored", Passed: len(stored) == 0, Detail: fmt.Sprintf("%d invalid orders were stored, want none", len(stored))})
	return partsOutcome(parts, "bad input is not always refused", "every kind of bad input got 400 naming the field; nothing stored")
}

func runIdempotency(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	a, bad := newOrderAPI(ctx, env, p)
	if bad != nil {
		return *bad
	}
	customer := a.customer("replay")
	key := "grader-" + env.RunID + "-replay"
	first, _, err := a.place(ctx, customer, key)
	if err != nil {
		return undecided("POST /orders", err)
	}
	if first.status != http.StatusCreated {
		return grader.Failf("a valid order with an Idempotency-Key got %s; want 201", first.describe())
	}
	second, _, err := a.place(ctx, customer, key)
	if err != nil {
		return undecided("POST /orders (replay)", err)
	}
	stored, err := a.storedFor(ctx, customer, "")
	if err != nil {
		return undecided("look for stored orders", err)
	}
	ids := []string{first.str("orderId"), second.str("orderId")}
	for _, it := range stored {
		ids = append(ids, attrS(it, "orderId"))
	}
	defer func() { a.remove(dedupe(ids)...) }()
	parts := []grader.Part{
		{Name: "replay accepted", Passed: second.status == http.StatusCreated || second.status == http.StatusOK, Detail: "the replay got " + second.describe()},
		{Name: "same orderId", Passed: first.str("orderId") != "" && first.str("orderId") == second.str("orderId"),
			Detail: fmt.Sprintf("first %q, replay %q: the same Idempotency-Key must give the same order", first.str("orderId"), second.str("orderId"))},
		{Name: "one item", Passed: len(stored) == 1, Detail: fmt.Sprintf("%s stored for the two requests, want 1 (use a conditional write)", plural.Count(len(stored), "item", "items"))},
	}
	return partsOutcome(parts, "a retried request is not idempotent", "the replay returned order "+first.str("orderId")+" and one item is stored")
}

func runGetOrder(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	a, bad := newOrderAPI(ctx, env, p)
	if bad != nil {
		return *bad
	}
	customer := a.customer("get")
	r, total, err := a.place(ctx, customer, "")
	if err != nil {
		return undecided("POST /orders", err)
	}
	id := r.str("orderId")
	defer func() { a.remove(id) }()
	if r.status != http.StatusCreated || id == "" {
		return grader.Failf("could not place an order to read back: POST /orders got %s", r.describe())
	}
	tok := a.token("web", 10*time.Minute)
	got, err := a.do(ctx, http.MethodGet, "/orders/"+id, tok, nil, nil)
	if err != nil {
		return undecided("GET /orders/"+id, err)
	}
	missing, err := a.do(ctx, http.MethodGet, "/orders/grader-"+env.RunID+"-no-such-order", tok, nil, nil)
	if err != nil {
		return undecided("GET an unknown order", err)
	}
	gotTotal := fmt.Sprint(got.obj["totalCents"])
	parts := []grader.Part{
		{Name: "stored order", Passed: got.status == http.StatusOK && got.str("orderId") == id && got.str("customerId") == customer && gotTotal == fmt.Sprint(total),
			Detail: fmt.Sprintf("got %s; want 200 with orderId %s, customerId %s, totalCents %d", got.describe(), id, customer, total)},
		{Name: "unknown order", Passed: missing.status == http.StatusNotFound, Detail: fmt.Sprintf("got %s, want 404", missing.describe())},
	}
	return partsOutcome(parts, "GET /orders/{orderId} does not answer as the contract says", "GET returned order "+id+"; an unknown id got 404")
}

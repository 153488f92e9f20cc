package kit

import (
	"context"
	"fmt"
)

// kitNames are the names of what only the kit builds (the classroom demo's
// monolith), never a learner: they take no part in `lab names`.
var kitNames = map[string]string{
	"monolithTable":    "MonolithOrders",
	"monolithRole":     "order-monolith-role",
	"monolithFunction": "order-monolith",
	"monolithApi":      "monolith-api",
}

// SetupMonolith builds the customer's old design beside the reference, for
// the classroom demo: one function (solutions/monolith) behind its own HTTP
// API (POST /orders, no authorizer) that stores an order in its own table
// and calls the downstream services inline. It builds the downstream
// services when missing and returns the monolith API's base URL.
func (k *Kit) SetupMonolith(ctx context.Context) (string, error) {
	k.logf("monolith: the old design, for comparison")
	ds, err := k.setupDownstream(ctx)
	if err != nil {
		return "", fmt.Errorf("set up the monolith: %w", err)
	}
	table, err := k.ensureTable(ctx, tableSpec{name: k.name("monolithTable"), key: "orderId", tags: map[string]string{"course": "demo"}})
	if err != nil {
		return "", err
	}
	fn := k.name("monolithFunction")
	logs, err := k.logsStatement(ctx, fn)
	if err != nil {
		return "", err
	}
	role, err := k.ensureRole(ctx, k.name("monolithRole"), policyDoc{Version: "2012-10-17", Statement: []statement{
		allow([]string{"dynamodb:PutItem", "dynamodb:UpdateItem"}, *table.TableArn), logs}})
	if err != nil {
		return "", err
	}
	arn, err := k.ensureFunction(ctx, functionSpec{key: "monolithFunction", roleARN: role, env: fixedEnv(map[string]string{
		"TABLE_NAME": k.name("monolithTable"), "DOWNSTREAM_URL": ds.endpoint})})
	if err != nil {
		return "", err
	}
	api, err := k.ensureAPI(ctx, apiSpec{name: k.name("monolithApi"), routes: map[string]string{"POST /orders": arn},
		rate: throttleRate, burst: throttleBurst})
	if err != nil {
		return "", err
	}
	return api.endpoint, nil
}

// Endpoint returns the base URL of the HTTP API the name key names ("api",
// "downstreamApi", "monolithApi"), or "" when it does not exist.
func (k *Kit) Endpoint(ctx context.Context, key string) (string, error) {
	a, err := k.findAPI(ctx, k.name(key))
	if err != nil || a == nil {
		return "", err
	}
	return *a.ApiEndpoint, nil
}

package kit

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Throttling of the orders API's $default stage: big enough for lab 5's spike.
const (
	throttleRate  = 500
	throttleBurst = 1000
)

// Solve deploys the reference solution of lab ("lab1" ... "lab5", or "all")
// and of every lab before it, converging whatever already exists. Lab 4
// includes its setup (the downstream services).
func (k *Kit) Solve(ctx context.Context, lab string) error {
	n, err := labNumber(lab)
	if err != nil {
		return err
	}
	steps := []func(context.Context) error{k.solveLab1, k.solveLab2, k.solveLab3, k.solveLab4, k.solveLab5}
	for i := 0; i < n; i++ {
		k.logf("lab%d:", i+1)
		if err := steps[i](ctx); err != nil {
			return fmt.Errorf("solve lab%d: %w", i+1, err)
		}
	}
	k.logf("done: lab1..lab%d match the reference", n)
	return nil
}

// Setup deploys what lab needs that the learner does not build: for lab4,
// the downstream services. Other labs need nothing.
func (k *Kit) Setup(ctx context.Context, lab string) error {
	n, err := labNumber(lab)
	if err != nil {
		return err
	}
	if n != 4 {
		k.logf("lab%d needs no setup", n)
		return nil
	}
	k.logf("lab4 setup: the downstream services")
	if _, err := k.setupDownstream(ctx); err != nil {
		return fmt.Errorf("set up lab4: %w", err)
	}
	return nil
}

// ordersTable is lab 1's table, with the stream when withStream.
func (k *Kit) ordersTable(ctx context.Context, withStream bool) (*types.TableDescription, error) {
	s := tableSpec{name: k.name("ordersTable"), key: "orderId", pitr: true, tags: map[string]string{"course": "week1"}}
	if withStream {
		s.stream = types.StreamViewTypeNewAndOldImages
	}
	return k.ensureTable(ctx, s)
}

func (k *Kit) solveLab1(ctx context.Context) error {
	_, err := k.ordersTable(ctx, false)
	return err
}

// solveLab2 builds the roles, the authorizer and intake functions and the
// orders API.
func (k *Kit) solveLab2(ctx context.Context) error {
	table, err := k.describeTable(ctx, k.name("ordersTable"))
	if err != nil {
		return err
	}
	if table == nil {
		return fmt.Errorf("table %s does not exist (lab1)", k.name("ordersTable"))
	}
	intake, authorizer := k.name("intakeFunction"), k.name("authorizerFunction")
	intakeLogs, err := k.logsStatement(ctx, intake)
	if err != nil {
		return err
	}
	intakeRole, err := k.ensureRole(ctx, k.name("intakeRole"), policyDoc{Version: "2012-10-17", Statement: []statement{
		allow([]string{"dynamodb:PutItem", "dynamodb:GetItem"}, *table.TableArn), intakeLogs}})
	if err != nil {
		return err
	}
	authLogs, err := k.logsStatement(ctx, authorizer)
	if err != nil {
		return err
	}
	authRole, err := k.ensureRole(ctx, k.name("authorizerRole"), policyDoc{Version: "2012-10-17", Statement: []statement{authLogs}})
	if err != nil {
		return err
	}
	authARN, err := k.ensureFunction(ctx, functionSpec{key: "authorizerFunction", roleARN: authRole, env: authorizerEnv})
	if err != nil {
		return err
	}
	intakeARN, err := k.ensureFunction(ctx, functionSpec{key: "intakeFunction", roleARN: intakeRole,
		env: fixedEnv(map[string]string{"TABLE_NAME": k.name("ordersTable")})})
	if err != nil {
		return err
	}
	_, err = k.ensureAPI(ctx, apiSpec{name: k.name("api"),
		routes:     map[string]string{"POST /orders": intakeARN, "GET /orders/{orderId}": intakeARN},
		authorizer: authorizer, authorizerARN: authARN, rate: throttleRate, burst: throttleBurst})
	return err
}

// authorizerEnv keeps the current TOKEN_SECRET (so issued tokens stay
// valid) or makes a new one, and drops every other variable.
func authorizerEnv(cur map[string]string) (map[string]string, error) {
	if s := cur["TOKEN_SECRET"]; s != "" {
		return map[string]string{"TOKEN_SECRET": s}, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generate token secret: %w", err)
	}
	return map[string]string{"TOKEN_SECRET": base64.RawURLEncoding.EncodeToString(b)}, nil
}

// fixedEnv is an environment that does not depend on the current one.
func fixedEnv(env map[string]string) func(map[string]string) (map[string]string, error) {
	return func(map[string]string) (map[string]string, error) { return env, nil }
}

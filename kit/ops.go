package kit

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/labkit-dev/labkit/solutions/downstream"
	"github.com/labkit-dev/labkit/solutions/token"
)

// createdBy says which lab step creates each function, for Deploy's advice.
var createdBy = map[string]string{
	"authorizerFunction": "lab2, step functions",
	"intakeFunction":     "lab2, step functions",
	"publisherFunction":  "lab3, step publisher",
	"inventoryWorker":    "lab4, step workers",
	"accountingWorker":   "lab4, step workers",
}

// FunctionKeys maps the names Deploy accepts to name keys: the name keys
// themselves and the default function names.
func (k *Kit) functionKey(function string) (string, error) {
	for key := range sourceDirs {
		if function == key || function == k.name(key) {
			return key, nil
		}
	}
	return "", fmt.Errorf("no lab function %q: want one of order-authorizer, order-intake, order-publisher, inventory-worker, accounting-worker, inventory-service, accounting-service (or your names for them)", function)
}

// Deploy packages one function's code from "starter", "solutions" or a
// directory and uploads it. The downstream services are created when
// missing (the kit owns them); a learner's function must exist already.
func (k *Kit) Deploy(ctx context.Context, function, from string) error {
	key, err := k.functionKey(function)
	if err != nil {
		return err
	}
	if key == "inventoryService" || key == "accountingService" {
		if from != "" && from != "solutions" {
			return fmt.Errorf("%s is the kit's simulated service: deploy it from solutions", k.name(key))
		}
		k.logf("deploy %s", k.name(key))
		_, err := k.setupDownstream(ctx)
		return err
	}
	name := k.name(key)
	cur, err := k.functionConfig(ctx, name)
	if err != nil {
		return err
	}
	if cur == nil {
		return fmt.Errorf("function %s does not exist yet: create it first (%s), then deploy new code with this command", name, createdBy[key])
	}
	dir, err := k.sourceDir(key, from)
	if err != nil {
		return err
	}
	k.logf("deploy %s from %s", name, relish(dir))
	zip, sha, err := k.zip(ctx, dir)
	if err != nil {
		return err
	}
	arch, _ := k.lambdaArch()
	if err := k.waitUpdated(ctx, name); err != nil {
		return err
	}
	if aws.ToString(cur.CodeSha256) == sha && len(cur.Architectures) == 1 && string(cur.Architectures[0]) == arch {
		k.logf("  function %s: code unchanged", name)
		return nil
	}
	return k.updateCode(ctx, name, zip, arch)
}

// Fail flips the failure switch of a downstream service ("inventory" or
// "accounting"): on answers rate (0..1) of its effect requests with 503 and
// delays each by latency; off clears both. Other variables are kept.
func (k *Kit) Fail(ctx context.Context, service string, on bool, rate float64, latency time.Duration) error {
	var key string
	switch service {
	case "inventory", "inventory-service", k.name("inventoryService"):
		key = "inventoryService"
	case "accounting", "accounting-service", k.name("accountingService"):
		key = "accountingService"
	default:
		return fmt.Errorf("no downstream service %q: want inventory or accounting", service)
	}
	if on && (rate < 0 || rate > 1) {
		return fmt.Errorf("failure rate %g: want a number from 0 to 1", rate)
	}
	name := k.name(key)
	cur, err := k.functionConfig(ctx, name)
	if err != nil {
		return err
	}
	if cur == nil {
		return fmt.Errorf("function %s does not exist: run `lab setup lab4` first", name)
	}
	if err := k.waitUpdated(ctx, name); err != nil {
		return err
	}
	if cur, err = k.functionConfig(ctx, name); err != nil {
		return err
	}
	var vars map[string]string
	if cur.Environment != nil {
		vars = cur.Environment.Variables
	}
	env := downstream.FailureEnv(vars, on, rate, latency)
	if on {
		extra := ""
		if latency > 0 {
			extra = fmt.Sprintf(", %v added latency", latency)
		}
		k.logf("%s: failing %g%% of requests%s", name, rate*100, extra)
	} else {
		k.logf("%s: failures off", name)
	}
	return k.updateConfig(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name),
		Environment: &lambdatypes.Environment{Variables: env}})
}

// TokenTTL is how long a token from Token stays valid.
const TokenTTL = time.Hour

// Token mints a channel token for the orders API with the secret held in
// the authorizer's environment. It never prints the secret.
func (k *Kit) Token(ctx context.Context, channel string) (string, error) {
	switch channel {
	case "web", "mobile", "wholesale":
	default:
		return "", fmt.Errorf("no channel %q: want web, mobile or wholesale", channel)
	}
	secret, err := k.tokenSecret(ctx)
	if err != nil {
		return "", err
	}
	return token.Mint(secret, channel, TokenTTL, time.Now()), nil
}

func (k *Kit) tokenSecret(ctx context.Context) ([]byte, error) {
	name := k.name("authorizerFunction")
	cur, err := k.functionConfig(ctx, name)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, fmt.Errorf("function %s does not exist: deploy lab2 first (lab solve lab2, or the lab's functions step)", name)
	}
	var s string
	if cur.Environment != nil {
		s = cur.Environment.Variables["TOKEN_SECRET"]
	}
	if s == "" {
		return nil, fmt.Errorf("function %s has no TOKEN_SECRET in its environment: set one (lab solve lab2 generates it)", name)
	}
	return []byte(s), nil
}

// labOf is the lab that creates each name key (Reset deletes lab N's
// resources and those of every later lab).
var labOf = map[string]int{
	"ordersTable": 1,
	"intakeRole":  2, "authorizerRole": 2, "authorizerFunction": 2, "intakeFunction": 2, "api": 2,
	"topic": 3, "inventoryQueue": 3, "inventoryDLQ": 3, "accountingQueue": 3, "accountingDLQ": 3, "publisherDLQ": 3,
	"publisherRole": 3, "publisherFunction": 3,
	"inventoryService": 4, "accountingService": 4, "inventoryTable": 4, "accountingTable": 4, "downstreamApi": 4,
	"downstreamRole": 4, "inventoryRole": 4, "accountingRole": 4, "inventoryWorker": 4, "accountingWorker": 4,
	"alertsTopic": 5, "alertsQueue": 5, "dashboard": 5,
}

// Reset deletes what lab (and every later lab) created, by the learner's
// names, and nothing else: "all" (or "lab1") deletes everything the labs
// create. Order: mappings, subscriptions, APIs, functions, queues, topic,
// roles with their policies, tables, log groups. Missing resources are
// skipped. It returns what it deleted, one "kind name" per entry.
func (k *Kit) Reset(ctx context.Context, lab string) ([]string, error) {
	from := 1
	if lab != "all" && lab != "" {
		n, err := labNumber(lab)
		if err != nil {
			return nil, err
		}
		from = n
	}
	in := func(key string) bool { return labOf[key] >= from }
	var deleted []string
	note := func(kind, name string) {
		deleted = append(deleted, kind+" "+name)
		k.logf("  deleted %s %s", kind, name)
	}
	functions := []string{"publisherFunction", "inventoryWorker", "accountingWorker", "intakeFunction", "authorizerFunction", "inventoryService", "accountingService"}
	// Lab 5's alarms, dashboard, alerts topic and inbox.
	if from <= 5 {
		if err := k.resetAlarms(ctx, note); err != nil {
			return deleted, err
		}
	}
	// Event source mappings.
	for _, key := range functions {
		if !in(key) {
			continue
		}
		n, err := k.deleteMappings(ctx, k.name(key))
		if err != nil {
			return deleted, err
		}
		for i := 0; i < n; i++ {
			note("event-source-mapping of", k.name(key))
		}
	}
	// Subscriptions of the topic (to the labs' queues).
	var topicARN string
	if in("topic") {
		var err error
		if topicARN, err = k.findTopic(ctx, k.name("topic")); err != nil {
			return deleted, err
		}
		if topicARN != "" {
			subs, err := k.topicSubscriptions(ctx, topicARN)
			if err != nil {
				return deleted, err
			}
			for _, s := range subs {
				arn := aws.ToString(s.SubscriptionArn)
				if _, err := k.cl().sns.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(arn)}); err != nil && !isNotFound(err) {
					return deleted, fmt.Errorf("unsubscribe %s: %w", arn, err)
				}
				note("subscription", lastPart(aws.ToString(s.Endpoint)))
			}
		}
	}
	// APIs.
	for _, key := range []string{"api", "downstreamApi"} {
		if !in(key) {
			continue
		}
		ok, err := k.deleteAPI(ctx, k.name(key))
		if err != nil {
			return deleted, err
		}
		if ok {
			note("api", k.name(key))
		}
	}
	// Functions.
	for _, key := range functions {
		if !in(key) {
			continue
		}
		ok, err := k.deleteFunction(ctx, k.name(key))
		if err != nil {
			return deleted, err
		}
		if ok {
			note("function", k.name(key))
		}
	}
	// Queues (work queues before their dead-letter queues).
	for _, key := range []string{"inventoryQueue", "accountingQueue", "inventoryDLQ", "accountingDLQ", "publisherDLQ"} {
		if !in(key) {
			continue
		}
		ok, err := k.deleteQueue(ctx, k.name(key))
		if err != nil {
			return deleted, err
		}
		if ok {
			note("queue", k.name(key))
		}
	}
	if topicARN != "" {
		if _, err := k.cl().sns.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(topicARN)}); err != nil && !isNotFound(err) {
			return deleted, fmt.Errorf("delete topic %s: %w", topicARN, err)
		}
		note("topic", k.name("topic"))
	}
	// Roles.
	for _, key := range []string{"intakeRole", "authorizerRole", "publisherRole", "inventoryRole", "accountingRole", "downstreamRole"} {
		if !in(key) {
			continue
		}
		ok, err := k.deleteRole(ctx, k.name(key))
		if err != nil {
			return deleted, err
		}
		if ok {
			note("role", k.name(key))
		}
	}
	// Tables; the orders table loses only its stream when lab 3 is reset alone.
	for _, key := range []string{"inventoryTable", "accountingTable", "ordersTable"} {
		if !in(key) {
			continue
		}
		ok, err := k.deleteTable(ctx, k.name(key))
		if err != nil {
			return deleted, err
		}
		if ok {
			note("table", k.name(key))
		}
	}
	if from == 3 {
		if err := k.streamOff(ctx, k.name("ordersTable")); err != nil {
			return deleted, err
		}
	}
	// Log groups of the functions deleted (lab 5 sets their retention).
	for _, key := range functions {
		if !in(key) && !(from == 5 && contains(labFunctions, key)) {
			continue
		}
		group := "/aws/lambda/" + k.name(key)
		_, err := k.cl().logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(group)})
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return deleted, fmt.Errorf("delete log group %s: %w", group, err)
		}
		note("log-group", group)
	}
	if len(deleted) == 0 {
		k.logf("  nothing to delete")
	}
	return deleted, nil
}

// streamOff turns off the table's stream, if the table exists and has one.
func (k *Kit) streamOff(ctx context.Context, table string) error {
	desc, err := k.describeTable(ctx, table)
	if err != nil || desc == nil || desc.StreamSpecification == nil || !aws.ToBool(desc.StreamSpecification.StreamEnabled) {
		return err
	}
	k.logf("  table %s: stream off", table)
	if _, err := k.cl().ddb.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(table),
		StreamSpecification: &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
		return fmt.Errorf("turn off the stream of %s: %w", table, err)
	}
	_, err = k.waitTable(ctx, table)
	return err
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

package kit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/labkit-dev/labkit/labs"
)

// Kit deploys, converges, resets and drives the week-1 labs in one account
// and region. The zero value is not usable: AWS must be set.
type Kit struct {
	// AWS is the SDK configuration of the target (local cloud or AWS).
	AWS aws.Config
	// Names are the learner's resource names by key (labs.DefaultNames
	// keys); a missing key takes its default.
	Names map[string]string
	// Out receives one line per step taken; nil discards them.
	Out io.Writer
	// Arch is the functions' architecture, "x86_64" or "arm64" (or the Go
	// spellings amd64, arm64); empty means this machine's, which is what the
	// local cloud can run.
	Arch string
	// OS is the GOOS the functions are built for: "linux" for AWS; empty
	// means this machine's, which is what the local cloud runs (a Mac's
	// Mach-O, Windows's bootstrap.exe).
	OS string
	// Root is the labkit source tree holding solutions/ and starter/; empty
	// means found from the working directory (or this source file's place).
	Root string
	// CacheDir holds the built zips; empty means <user cache dir>/labkit/zips.
	CacheDir string
	// CallTimeout bounds each AWS call (all its retries); zero means 60 s.
	CallTimeout time.Duration
	// SlowCall is how long a call may take before a progress line says what
	// the kit is waiting for, and again every SlowCall; zero means 5 s.
	SlowCall time.Duration

	once sync.Once
	c    *clients
}

// clients are the service clients of a Kit, built once.
type clients struct {
	ddb  *dynamodb.Client
	iam  *iam.Client
	lam  *lambda.Client
	apig *apigatewayv2.Client
	sns  *sns.Client
	sqs  *sqs.Client
	logs *cloudwatchlogs.Client
	cw   *cloudwatch.Client
	sts  *sts.Client

	mu        sync.Mutex
	account   string
	partition string
}

func (k *Kit) cl() *clients {
	k.once.Do(func() {
		cfg := k.AWS.Copy()
		cfg.APIOptions = append(cfg.APIOptions, k.watchCalls)
		k.c = &clients{
			ddb: dynamodb.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg), lam: lambda.NewFromConfig(cfg),
			apig: apigatewayv2.NewFromConfig(cfg), sns: sns.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg),
			logs: cloudwatchlogs.NewFromConfig(cfg), cw: cloudwatch.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg),
		}
	})
	return k.c
}

// name returns the learner's name for key.
func (k *Kit) name(key string) string {
	if v := k.Names[key]; v != "" {
		return v
	}
	if v, ok := labs.DefaultNames()[key]; ok {
		return v
	}
	if v, ok := kitNames[key]; ok {
		return v
	}
	panic("deploy: unknown name key " + key) // a programming error in this package
}

func (k *Kit) logf(format string, args ...any) {
	if k.Out != nil {
		fmt.Fprintf(k.Out, format+"\n", args...)
	}
}

func (k *Kit) region() string { return k.AWS.Region }

// identity returns the account id and partition of the caller.
func (k *Kit) identity(ctx context.Context) (account, partition string, err error) {
	c := k.cl()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.account != "" {
		return c.account, c.partition, nil
	}
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", "", fmt.Errorf("who am I (sts GetCallerIdentity): %w", err)
	}
	c.account, c.partition = aws.ToString(out.Account), "aws"
	if a, err := arn.Parse(aws.ToString(out.Arn)); err == nil {
		c.partition = a.Partition
	}
	return c.account, c.partition, nil
}

// arnOf builds an ARN in the caller's account and the kit's region.
func (k *Kit) arnOf(ctx context.Context, service, resource string) (string, error) {
	acct, part, err := k.identity(ctx)
	if err != nil {
		return "", err
	}
	region := k.region()
	if service == "iam" {
		region = ""
	}
	return arn.ARN{Partition: part, Service: service, Region: region, AccountID: acct, Resource: resource}.String(), nil
}

// errCode returns the API error code of err, or "".
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// isNotFound reports whether err says the resource does not exist.
func isNotFound(err error) bool {
	switch errCode(err) {
	case "ResourceNotFoundException", "NoSuchEntity", "NotFoundException", "NotFound",
		"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "ResourceNotFound":
		return true
	}
	return false
}

// policyDoc is an IAM policy document.
type policyDoc struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Sid       string         `json:"Sid,omitempty"`
	Effect    string         `json:"Effect"`
	Principal map[string]any `json:"Principal,omitempty"`
	Action    []string       `json:"Action"`
	Resource  any            `json:"Resource,omitempty"`
	Condition map[string]any `json:"Condition,omitempty"`
}

func (p policyDoc) String() string {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // only strings and maps of strings
	}
	return string(b)
}

func allow(actions []string, resources ...string) statement {
	return statement{Effect: "Allow", Action: actions, Resource: resources}
}

// retry calls f until it succeeds, returns an error retryable rejects, or
// the timeout passes.
func retry(ctx context.Context, timeout time.Duration, retryable func(error) bool, f func() error) error {
	deadline := time.Now().Add(timeout)
	delay := 200 * time.Millisecond
	for {
		err := f()
		if err == nil || !retryable(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		if delay < 2*time.Second {
			delay *= 2
		}
	}
}

// isConflict reports whether err says the resource is busy (being updated).
func isConflict(err error) bool {
	switch errCode(err) {
	case "ResourceConflictException", "ResourceInUseException", "ConflictException", "TooManyRequestsException",
		"LimitExceededException", "ConcurrentModification", "ConcurrentModificationException":
		return true
	}
	return false
}

// labNumber parses "lab1".."lab5", "1".."5" or "all" (5).
func labNumber(lab string) (int, error) {
	l := strings.ToLower(strings.TrimSpace(lab))
	if l == "all" {
		return 5, nil
	}
	l = strings.TrimPrefix(l, "lab")
	if len(l) == 1 && l[0] >= '1' && l[0] <= '5' {
		return int(l[0] - '0'), nil
	}
	return 0, fmt.Errorf("no lab %q: want lab1 ... lab5 or all", lab)
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// Package demo is the classroom demo of `lab demo`: the week-1 order
// pipeline and the customer's old monolith, side by side in two accounts of
// their own on the local cloud, with live figures from the cloud's activity,
// controls that make a sales spike and break things, a scoreboard of what
// each design did with the same traffic, and what the run would cost on AWS.
//
// A Demo drives its designs only through the lab kit (package kit: Solve,
// SetupMonolith, Fail, Load) and aws-sdk-go-v2 calls, and reads the cloud's
// activity through a Source: the in-process bus, or the /_lab/activity
// stream of a local cloud running elsewhere.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/kit"
	"github.com/labkit-dev/labkit/labs"
	"github.com/labkit-dev/labkit/localcloud/activity"
)

// The demo's accounts: never a learner's (the local cloud's default account
// is 000000000000 and the labs suggest their own).
const (
	DefaultAccount         = "999999999999"
	DefaultMonolithAccount = "999999999998"
	monolithFunction       = "order-monolith"
)

// Config configures a Demo.
type Config struct {
	// Endpoint is the local cloud's URL; Region defaults to us-east-1.
	Endpoint, Region string
	// Account holds the decoupled design, MonolithAccount the old one
	// (defaults DefaultAccount and DefaultMonolithAccount).
	Account, MonolithAccount string
	// Source delivers the cloud's activity; nil leaves the live figures at
	// zero (the scoreboard and queue depths are polled all the same).
	Source Source
	// Out receives progress lines while deploying; nil discards them.
	Out io.Writer
	// Root and CacheDir are the kit's (source tree, zip cache).
	Root, CacheDir string
	// VisibilityTimeout and MaxReceiveCount of the demo's work queues
	// (defaults 6 s and 3), shorter than the reference's so a poison
	// message reaches its dead-letter queue while the class watches.
	VisibilityTimeout time.Duration
	MaxReceiveCount   int
	// MaxOrders and MaxRate bound a spike (defaults 2000 and 200/s).
	MaxOrders, MaxRate int
}

// clients act in one account.
type clients struct {
	ddb  *dynamodb.Client
	sqs  *sqs.Client
	logs *cloudwatchlogs.Client
	apig *apigatewayv2.Client
	lam  *lambda.Client
}

func newClients(cfg aws.Config) clients {
	return clients{ddb: dynamodb.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg),
		apig: apigatewayv2.NewFromConfig(cfg), lam: lambda.NewFromConfig(cfg)}
}

// Demo is a deployed classroom demo. Build it with New, call Deploy once,
// then Run it; Watch and Do serve the page.
type Demo struct {
	cfg       Config
	dec, mono *kit.Kit
	c, mc     clients
	names     map[string]string
	top       topology
	meter     *meter

	queueURL map[string]string // node -> URL: invQueue, accQueue, invDLQ, accDLQ, pubDLQ
	queueARN map[string]string

	mu       sync.Mutex
	sw       Switches
	busy     string
	log      []string
	score    map[string]Side
	depth    map[string][2]int // node -> visible, in flight
	series   []Point
	logBase  int64 // log bytes at the last reset
	logBytes int64
	dsWrites int64 // downstream effects applied since the reset (their writes are not the design's)
	sent     map[string]int
	ready    bool

	frames broadcast
	kick   chan struct{} // a control ran: publish a frame now, not at the next tick
}

// Switches are the failure switches as the demo set them.
type Switches struct {
	AccountingDown bool `json:"accountingDown"`
	InventorySlow  bool `json:"inventorySlow"`
}

// New returns a demo over the local cloud at cfg.Endpoint.
func New(cfg Config) (*Demo, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("demo: the local cloud's endpoint is required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Account == "" {
		cfg.Account = DefaultAccount
	}
	if cfg.MonolithAccount == "" {
		cfg.MonolithAccount = DefaultMonolithAccount
	}
	if cfg.Account == cfg.MonolithAccount {
		return nil, errors.New("demo: the two designs need two accounts")
	}
	if cfg.VisibilityTimeout <= 0 {
		cfg.VisibilityTimeout = 6 * time.Second
	}
	if cfg.MaxReceiveCount <= 0 {
		cfg.MaxReceiveCount = 3
	}
	if cfg.MaxOrders <= 0 {
		cfg.MaxOrders = 2000
	}
	if cfg.MaxRate <= 0 {
		cfg.MaxRate = 200
	}
	awsFor := func(account string) aws.Config {
		return aws.Config{Region: cfg.Region, BaseEndpoint: aws.String(cfg.Endpoint),
			Credentials: credentials.NewStaticCredentialsProvider(account, "demo", "")}
	}
	d := &Demo{cfg: cfg, names: labs.DefaultNames(), meter: newMeter(time.Now()), score: map[string]Side{}, depth: map[string][2]int{},
		sent: map[string]int{}, kick: make(chan struct{}, 1)}
	d.dec = &kit.Kit{AWS: awsFor(cfg.Account), Out: cfg.Out, Root: cfg.Root, CacheDir: cfg.CacheDir}
	// The monolith account's kit sends load to the monolith's API and
	// counts its table (Load reads the "api" and "ordersTable" names).
	d.mono = &kit.Kit{AWS: awsFor(cfg.MonolithAccount), Out: cfg.Out, Root: cfg.Root, CacheDir: cfg.CacheDir,
		Names: map[string]string{"api": "monolith-api", "ordersTable": "MonolithOrders"}}
	d.c, d.mc = newClients(awsFor(cfg.Account)), newClients(awsFor(cfg.MonolithAccount))
	return d, nil
}

// Deploy builds both designs (converging what a previous run left) and
// resets the figures. Progress lines go to Config.Out.
func (d *Demo) Deploy(ctx context.Context) error {
	d.say("decoupled design (account %s):", d.cfg.Account)
	if err := d.dec.Solve(ctx, "all"); err != nil {
		return fmt.Errorf("deploy the decoupled design: %w", err)
	}
	d.say("monolith (account %s):", d.cfg.MonolithAccount)
	if _, err := d.mono.SetupMonolith(ctx); err != nil {
		return fmt.Errorf("deploy the monolith: %w", err)
	}
	d.say("demo settings: queues redeliver after %v, dead-letter after %d receives", d.cfg.VisibilityTimeout, d.cfg.MaxReceiveCount)
	if err := d.resolve(ctx); err != nil {
		return err
	}
	if err := d.tuneQueues(ctx); err != nil {
		return err
	}
	if err := d.Reset(ctx); err != nil {
		return err
	}
	d.mu.Lock()
	d.ready = true
	d.mu.Unlock()
	return nil
}

func (d *Demo) say(format string, args ...any) {
	if d.cfg.Out != nil {
		fmt.Fprintf(d.cfg.Out, format+"\n", args...)
	}
}

// resolve finds the ids, URLs and sizes the figures are keyed by.
func (d *Demo) resolve(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	n := d.names
	top := topology{account: d.cfg.Account, monoAccount: d.cfg.MonolithAccount, memory: map[string]int{},
		nodes: map[string]string{n["authorizerFunction"]: "authorizer", n["intakeFunction"]: "intake", n["publisherFunction"]: "publisher",
			n["inventoryWorker"]: "invWorker", n["accountingWorker"]: "accWorker", n["inventoryService"]: "inventory", n["accountingService"]: "accounting"},
		queues: map[string]string{n["inventoryQueue"]: "invQueue", n["accountingQueue"]: "accQueue", n["inventoryDLQ"]: "invDLQ",
			n["accountingDLQ"]: "accDLQ", n["publisherDLQ"]: "pubDLQ"}}
	var err error
	for _, a := range []struct {
		c    clients
		name string
		id   *string
	}{{d.c, n["api"], &top.api}, {d.c, n["downstreamApi"], &top.dsAPI}, {d.mc, "monolith-api", &top.monoAPI}} {
		if *a.id, err = apiID(ctx, a.c, a.name); err != nil {
			return err
		}
	}
	for fn := range top.nodes {
		out, err := d.c.lam.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
		if err != nil {
			return fmt.Errorf("read function %s: %w", fn, err)
		}
		top.memory[fn] = int(aws.ToInt32(out.MemorySize))
	}
	t, err := d.c.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(n["ordersTable"])})
	if err != nil {
		return fmt.Errorf("read table %s: %w", n["ordersTable"], err)
	}
	top.streamARN = aws.ToString(t.Table.LatestStreamArn)
	d.queueURL, d.queueARN = map[string]string{}, map[string]string{}
	for name, node := range top.queues {
		u, err := d.c.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("find queue %s: %w", name, err)
		}
		a, err := d.c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return fmt.Errorf("read queue %s: %w", name, err)
		}
		d.queueURL[node], d.queueARN[node] = aws.ToString(u.QueueUrl), a.Attributes["QueueArn"]
	}
	d.top = top
	return nil
}

func apiID(ctx context.Context, c clients, name string) (string, error) {
	out, err := c.apig.GetApis(ctx, &apigatewayv2.GetApisInput{})
	if err != nil {
		return "", fmt.Errorf("list APIs: %w", err)
	}
	for _, a := range out.Items {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.ApiId), nil
		}
	}
	return "", fmt.Errorf("no HTTP API named %s", name)
}

// tuneQueues shortens the work queues' redelivery for the classroom.
func (d *Demo) tuneQueues(ctx context.Context) error {
	for q, dlq := range map[string]string{"invQueue": "invDLQ", "accQueue": "accDLQ"} {
		redrive, _ := json.Marshal(map[string]any{"deadLetterTargetArn": d.queueARN[dlq], "maxReceiveCount": d.cfg.MaxReceiveCount})
		if _, err := d.c.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(d.queueURL[q]), Attributes: map[string]string{
			"VisibilityTimeout": strconv.Itoa(int(d.cfg.VisibilityTimeout.Seconds())), "RedrivePolicy": string(redrive)}}); err != nil {
			return fmt.Errorf("set the demo's redelivery on %s: %w", d.queueURL[q], err)
		}
	}
	return nil
}

// note adds a line to the page's log of what the controls did.
func (d *Demo) note(format string, args ...any) {
	line := time.Now().Format("15:04:05 ") + fmt.Sprintf(format, args...)
	d.mu.Lock()
	d.log = append(d.log, line)
	if len(d.log) > 8 {
		d.log = d.log[len(d.log)-8:]
	}
	d.mu.Unlock()
}

// Source delivers the local cloud's activity events until ctx ends (then
// the channel closes).
type Source interface {
	Subscribe(ctx context.Context) (<-chan activity.Event, error)
}

// BusSource reads the activity bus of a local cloud in this process.
type BusSource struct{ Bus *activity.Bus }

// Subscribe implements Source.
func (s BusSource) Subscribe(ctx context.Context) (<-chan activity.Event, error) {
	ch, stop := s.Bus.Subscribe(8192)
	context.AfterFunc(ctx, stop)
	return ch, nil
}

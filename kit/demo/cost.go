package demo

import (
	"math"
)

// Prices are on-demand list prices in USD. ListPrices holds the ones the
// demo uses; lab 6's worked estimate (labs/week1/lab6-cost-decision) uses
// the same figures, so a class can check the meter against the lab.
type Prices struct {
	// Source and AsOf say where the figures come from and when they were read.
	Source, AsOf string
	Region       string

	APIPerMillion           float64 // API Gateway HTTP API, first 300 million requests a month
	LambdaPerMillion        float64 // Lambda requests (x86)
	LambdaPerGBSecond       float64 // Lambda duration (x86)
	DynamoWritePerMillion   float64 // DynamoDB on-demand write request units
	DynamoReadPerMillion    float64 // DynamoDB on-demand read request units
	SNSPublishPerMillion    float64 // SNS standard publishes (deliveries to SQS are free)
	SQSPerMillion           float64 // SQS standard requests (each 64 KB chunk)
	LogsPerGB               float64 // CloudWatch Logs ingestion, per GB of 10^9 bytes (as lab 6 counts)
	EC2PerHour              float64 // m6i.large, Linux, on demand
	RDSMultiAZPerHour       float64 // RDS for MySQL db.m6i.large, Multi-AZ
	RDSStoragePerGBMonth    float64 // gp3, Multi-AZ
	ALBPerHour              float64 // Application Load Balancer hours
	ALBLCUMonth             float64 // the old design's load balancer capacity units, a month (about 6 USD)
	OldInstances            int     // always-on application servers (two, one per Availability Zone)
	OldStorageGB            float64 // the database's provisioned storage
	HoursPerMonth           float64 // 730
	MonthOrders             float64 // lab 6's month of orders, for the month column
	LambdaMemoryGBDefault   float64 // memory of a function whose size is not known (0.25: the reference's 256 MB)
	BillingRoundMillisecond bool    // Lambda bills duration in 1 ms steps
}

// ListPrices are us-east-1 (N. Virginia) on-demand prices as published on
// the AWS pricing pages in 2025 (aws.amazon.com/lambda/pricing,
// /api-gateway/pricing, /dynamodb/pricing/on-demand, /sns/pricing,
// /sqs/pricing, /cloudwatch/pricing, /ec2/pricing/on-demand,
// /rds/mysql/pricing, /elasticloadbalancing/pricing), without free tier,
// savings plans or reserved capacity: the table of lab 6. Prices change:
// check the pages (or the AWS Pricing Calculator) before quoting anybody.
var ListPrices = Prices{
	Source: "AWS pricing pages (Lambda, API Gateway, DynamoDB, SNS, SQS, CloudWatch, EC2, RDS, ELB), on-demand, no free tier",
	AsOf:   "2025", Region: "us-east-1",
	APIPerMillion: 1.00, LambdaPerMillion: 0.20, LambdaPerGBSecond: 0.0000166667,
	DynamoWritePerMillion: 0.625, DynamoReadPerMillion: 0.125,
	SNSPublishPerMillion: 0.50, SQSPerMillion: 0.40, LogsPerGB: 0.50,
	EC2PerHour: 0.096, RDSMultiAZPerHour: 0.342, RDSStoragePerGBMonth: 0.23, ALBPerHour: 0.0225, ALBLCUMonth: 6,
	OldInstances: 2, OldStorageGB: 100, HoursPerMonth: 730, MonthOrders: 300_000,
	LambdaMemoryGBDefault: 0.25, BillingRoundMillisecond: true,
}

// Usage is what a run used, counted from the local cloud's activity.
type Usage struct {
	APIRequests     int64   `json:"apiRequests"`
	LambdaRequests  int64   `json:"lambdaRequests"`
	LambdaGBSeconds float64 `json:"lambdaGBSeconds"` // each invocation's billed duration x its memory
	DynamoWRU       float64 `json:"dynamoWRU"`
	DynamoRRU       float64 `json:"dynamoRRU"`
	SNSPublishes    int64   `json:"snsPublishes"`
	SQSRequests     int64   `json:"sqsRequests"`
	LogBytes        int64   `json:"logBytes"`
	Orders          int64   `json:"orders"`  // accepted orders, for the cost per order
	Seconds         float64 `json:"seconds"` // how long the run has lasted
}

// CostLine is one service's share.
type CostLine struct {
	Service  string  `json:"service"`
	Quantity string  `json:"quantity"`
	USD      float64 `json:"usd"`
}

// Estimate is what a run costs on each design.
type Estimate struct {
	Lines []CostLine `json:"lines"`
	// USD is this run on the serverless design: only what ran.
	USD float64 `json:"usd"`
	// PerMillionOrders is USD scaled to a million orders (0 without orders).
	PerMillionOrders float64 `json:"perMillionOrders"`
	// MonthUSD is lab 6's month of orders at this run's cost per order.
	MonthUSD float64 `json:"monthUsd"`
	// OldRunUSD, OldHourUSD and OldMonthUSD are the always-on design sized
	// for the peak over this run, an hour and a month: it costs the same
	// whether orders come or not.
	OldRunUSD   float64 `json:"oldRunUsd"`
	OldHourUSD  float64 `json:"oldHourUsd"`
	OldMonthUSD float64 `json:"oldMonthUsd"`
	AsOf        string  `json:"asOf"`
	Source      string  `json:"source"`
}

// Cost prices a run's usage.
func Cost(u Usage, p Prices) Estimate {
	perM := func(n float64, price float64) float64 { return n / 1e6 * price }
	e := Estimate{AsOf: p.AsOf + ", " + p.Region, Source: p.Source}
	add := func(service, qty string, usd float64) {
		e.Lines = append(e.Lines, CostLine{service, qty, usd})
		e.USD += usd
	}
	add("API Gateway", count(u.APIRequests, "requests"), perM(float64(u.APIRequests), p.APIPerMillion))
	add("Lambda requests", count(u.LambdaRequests, "invocations"), perM(float64(u.LambdaRequests), p.LambdaPerMillion))
	add("Lambda duration", fmtf(u.LambdaGBSeconds, "GB-s"), u.LambdaGBSeconds*p.LambdaPerGBSecond)
	add("DynamoDB writes", fmtf(u.DynamoWRU, "WRU"), perM(u.DynamoWRU, p.DynamoWritePerMillion))
	add("DynamoDB reads", fmtf(u.DynamoRRU, "RRU"), perM(u.DynamoRRU, p.DynamoReadPerMillion))
	add("SNS", count(u.SNSPublishes, "publishes"), perM(float64(u.SNSPublishes), p.SNSPublishPerMillion))
	add("SQS", count(u.SQSRequests, "requests"), perM(float64(u.SQSRequests), p.SQSPerMillion))
	add("CloudWatch Logs", count(u.LogBytes, "bytes"), float64(u.LogBytes)/1e9*p.LogsPerGB)
	if u.Orders > 0 {
		e.PerMillionOrders = e.USD / float64(u.Orders) * 1e6
		e.MonthUSD = e.USD / float64(u.Orders) * p.MonthOrders
	}
	e.OldMonthUSD = p.OldMonth()
	e.OldHourUSD = e.OldMonthUSD / p.HoursPerMonth
	e.OldRunUSD = e.OldHourUSD * u.Seconds / 3600
	return e
}

// OldMonth is a month of the always-on design sized for the peak: the
// instances, the Multi-AZ database and its storage, the load balancer.
func (p Prices) OldMonth() float64 {
	h := p.HoursPerMonth
	return float64(p.OldInstances)*h*p.EC2PerHour + h*p.RDSMultiAZPerHour + p.OldStorageGB*p.RDSStoragePerGBMonth +
		h*p.ALBPerHour + p.ALBLCUMonth
}

// GBSeconds is what Lambda bills for one invocation of d at memoryMB.
func (p Prices) GBSeconds(d float64, memoryMB int) float64 {
	ms := d * 1000
	if p.BillingRoundMillisecond {
		ms = math.Ceil(ms)
	}
	gb := p.LambdaMemoryGBDefault
	if memoryMB > 0 {
		gb = float64(memoryMB) / 1024
	}
	return ms / 1000 * gb
}

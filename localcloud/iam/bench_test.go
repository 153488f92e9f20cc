package iam_test

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// runParallel runs op b.N times over 8 concurrent clients and reports p50/p99.
func runParallel(b *testing.B, op func(i int) error) {
	b.Helper()
	const clients = 8
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	b.SetParallelism((clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	var n int64
	var nmu sync.Mutex
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			nmu.Lock()
			i := int(n)
			n++
			nmu.Unlock()
			start := time.Now()
			if err := op(i); err != nil {
				b.Error(err)
				return
			}
			d := time.Since(start)
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		}
	})
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func BenchmarkGetRole(b *testing.B) {
	c, _, _ := newIAM(b, cloudtest.Account)
	createRole(b, c, "fn", trustLambda)
	ctx := context.Background()
	runParallel(b, func(int) error {
		_, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("fn")})
		return err
	})
}

func BenchmarkCreateRole(b *testing.B) {
	_, _, url := newIAM(b, cloudtest.Account)
	ctx := context.Background()
	var mu sync.Mutex
	clients := map[int]*awsiam.Client{}
	client := func(i int) *awsiam.Client {
		mu.Lock()
		defer mu.Unlock()
		k := i / 900 // stay under the per-account role quota
		if clients[k] == nil {
			clients[k] = awsiam.NewFromConfig(cloudtest.Config(url, fmt.Sprintf("%012d", k+1), "us-east-1"))
		}
		return clients[k]
	}
	runParallel(b, func(i int) error {
		_, err := client(i).CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("r-%d", i)), AssumeRolePolicyDocument: aws.String(trustLambda)})
		return err
	})
}

func BenchmarkAssumeRole(b *testing.B) {
	c, _, url := newIAM(b, cloudtest.Account)
	createRole(b, c, "fn", trustLambda)
	s := sts.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
	ctx := context.Background()
	runParallel(b, func(int) error {
		_, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + cloudtest.Account + ":role/fn"), RoleSessionName: aws.String("bench")})
		return err
	})
}

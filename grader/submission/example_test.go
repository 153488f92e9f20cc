package submission_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/submission"
)

// A learner exports their local-cloud account (what `lab submit` does).
func ExampleExport() {
	ctx := context.Background()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:4566"),
		Credentials: credentials.NewStaticCredentialsProvider("000000000000", "local", "")}
	a, err := submission.Export(ctx, cfg, submission.ExportOptions{Endpoint: "http://127.0.0.1:4566"})
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Create("submission.zip")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := submission.Write(f, a); err != nil {
		log.Fatal(err)
	}
}

// An instructor grades one archive in a sandboxed local cloud (what `lab
// submission grade` and `lab class grade --submissions` do).
func ExampleGrade() {
	results, err := submission.Grade(context.Background(), "submissions/ana.zip", []string{"all"})
	if err != nil {
		log.Fatal(err) // a refused archive's error wraps submission.ErrInvalid
	}
	s := grader.Summarize(results)
	fmt.Printf("%v/%v points\n", s.Points, s.Max)
}

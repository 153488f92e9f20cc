package kit_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/labkit-dev/labkit/kit"
)

// A Kit deploys the reference of labs 1 and 2 to the local cloud, mints a
// token for the orders API and sends a small spike.
func ExampleKit() {
	ctx := context.Background()
	k := &kit.Kit{
		AWS: aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:4566"),
			Credentials: credentials.NewStaticCredentialsProvider("000000000000", "x", "")},
		Out: os.Stdout, // one line per step
	}
	if err := k.Solve(ctx, "lab2"); err != nil {
		log.Fatal(err)
	}
	tok, err := k.Token(ctx, "web")
	if err != nil {
		log.Fatal(err)
	}
	_ = tok // curl -H "Authorization: Bearer $tok" .../orders
	rep, err := k.Load(ctx, kit.LoadOptions{Orders: 100, Rate: 50})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(rep)
}

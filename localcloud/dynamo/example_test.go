package dynamo_test

import (
	"fmt"
	"log"
	"net/http/httptest"
	"os"

	"github.com/labkit-dev/labkit/localcloud/dynamo"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// A Service is constructed with a data dir and served through the router.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "dynamo")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	svc, err := dynamo.New(dynamo.Config{DataDir: dir, Endpoint: "http://127.0.0.1:4566"})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()
	rt := protocol.NewRouter(protocol.RouterConfig{})
	rt.Handle(svc.Route())
	srv := httptest.NewServer(rt)
	defer srv.Close()
	fmt.Println(svc.Route().Targets)
	// Output: [DynamoDB_20120810. DynamoDBStreams_20120810.]
}

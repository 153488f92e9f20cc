// Command broken-intake is an order intake with one deliberate flaw, chosen
// by the environment variable BROKEN, for the grader's mutation tests:
//
//	novalidate     accepts any body (stores whatever it gets)
//	noidempotency  ignores the Idempotency-Key header (a retry stores a second order)
//	publishes      publishes OrderPlaced to TOPIC_ARN itself (a dual write)
//	nobase64       parses req.Body as it comes, ignoring isBase64Encoded (what
//	               curl -d without a JSON Content-Type then sends fails)
//	(empty)        behaves correctly: a different but correct handler
//
// Everything else follows the order API contract of LABS.md.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

type line struct {
	SKU            string `json:"sku" dynamodbav:"sku"`
	Quantity       int64  `json:"quantity" dynamodbav:"quantity"`
	UnitPriceCents int64  `json:"unitPriceCents" dynamodbav:"unitPriceCents"`
}

type order struct {
	OrderID    string `json:"orderId" dynamodbav:"orderId"`
	CustomerID string `json:"customerId" dynamodbav:"customerId"`
	Channel    string `json:"channel" dynamodbav:"channel"`
	Lines      []line `json:"lines" dynamodbav:"lines"`
	TotalCents int64  `json:"totalCents" dynamodbav:"totalCents"`
	Status     string `json:"status" dynamodbav:"status"`
	CreatedAt  string `json:"createdAt" dynamodbav:"createdAt"`
}

type handler struct {
	db     *dynamodb.Client
	topics *sns.Client
	table  string
	topic  string
	broken string
	log    *slog.Logger
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	h := &handler{db: dynamodb.NewFromConfig(cfg), topics: sns.NewFromConfig(cfg), table: os.Getenv("TABLE_NAME"),
		topic: os.Getenv("TOPIC_ARN"), broken: os.Getenv("BROKEN"), log: slog.New(slog.NewJSONHandler(os.Stdout, nil))}
	lambda.Start(h.Handle)
}

func respond(status int, v any) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(v)
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Body: string(b), Headers: map[string]string{"Content-Type": "application/json"}}
}

func invalid(field string) events.APIGatewayV2HTTPResponse {
	return respond(http.StatusBadRequest, map[string]any{"error": map[string]string{"code": "ValidationError", "field": field, "message": field + " is not valid"}})
}

func (h *handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	method := req.RequestContext.HTTP.Method
	switch {
	case method == http.MethodPost && req.RawPath == "/orders":
		return h.create(ctx, req), nil
	case method == http.MethodGet && strings.HasPrefix(req.RawPath, "/orders/"):
		return h.get(ctx, strings.TrimPrefix(req.RawPath, "/orders/")), nil
	}
	return respond(http.StatusNotFound, map[string]any{"error": map[string]string{"code": "NotFound"}}), nil
}

// validate returns the first bad field, or "".
func validate(body string) (order, string) {
	var o order
	if err := json.Unmarshal([]byte(body), &o); err != nil {
		return o, "body"
	}
	switch {
	case o.CustomerID == "":
		return o, "customerId"
	case o.Channel != "web" && o.Channel != "mobile" && o.Channel != "wholesale":
		return o, "channel"
	case len(o.Lines) == 0:
		return o, "lines"
	}
	for i, l := range o.Lines {
		p := "lines[" + strconv.Itoa(i) + "]."
		switch {
		case l.SKU == "":
			return o, p + "sku"
		case l.Quantity < 1:
			return o, p + "quantity"
		case l.UnitPriceCents < 0:
			return o, p + "unitPriceCents"
		}
	}
	return o, ""
}

func (h *handler) create(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	body := req.Body
	if req.IsBase64Encoded && h.broken != "nobase64" {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return invalid("body")
		}
		body = string(b)
	}
	o, field := validate(body)
	if field != "" && h.broken != "novalidate" {
		return invalid(field)
	}
	channel := ""
	if a := req.RequestContext.Authorizer; a != nil {
		channel, _ = a.Lambda["channel"].(string)
	}
	if h.broken != "novalidate" && o.Channel != channel {
		return respond(http.StatusForbidden, map[string]any{"error": map[string]string{"code": "ChannelMismatch", "field": "channel"}})
	}
	for _, l := range o.Lines {
		o.TotalCents += l.Quantity * l.UnitPriceCents
	}
	o.Status, o.CreatedAt = "ACCEPTED", time.Now().UTC().Format(time.RFC3339)
	key := ""
	for k, v := range req.Headers {
		if strings.EqualFold(k, "Idempotency-Key") {
			key = v
		}
	}
	if key != "" && h.broken != "noidempotency" {
		s := sha256.Sum256([]byte(o.Channel + "\x00" + o.CustomerID + "\x00" + key))
		o.OrderID = hex.EncodeToString(s[:16])
	} else {
		b := make([]byte, 16)
		rand.Read(b)
		o.OrderID = hex.EncodeToString(b)
	}
	item, err := attributevalue.MarshalMap(o)
	if err != nil {
		return respond(http.StatusInternalServerError, map[string]string{"error": err.Error()})
	}
	_, err = h.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &h.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(orderId)")})
	var exists *types.ConditionalCheckFailedException
	if errors.As(err, &exists) {
		return respond(http.StatusCreated, map[string]string{"orderId": o.OrderID, "status": o.Status})
	}
	if err != nil {
		h.log.ErrorContext(ctx, "store order", "orderId", o.OrderID, "error", err.Error())
		return respond(http.StatusInternalServerError, map[string]string{"error": "store"})
	}
	if h.broken == "publishes" && h.topic != "" {
		b, _ := json.Marshal(o)
		h.topics.Publish(ctx, &sns.PublishInput{TopicArn: &h.topic, Message: aws.String(string(b)),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"eventType": {DataType: aws.String("String"), StringValue: aws.String("OrderPlaced")}}})
	}
	h.log.InfoContext(ctx, "order accepted", "orderId", o.OrderID)
	return respond(http.StatusCreated, map[string]string{"orderId": o.OrderID, "status": o.Status})
}

func (h *handler) get(ctx context.Context, id string) events.APIGatewayV2HTTPResponse {
	out, err := h.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &h.table, ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: id}}})
	if err != nil {
		return respond(http.StatusInternalServerError, map[string]string{"error": "read"})
	}
	if out.Item == nil {
		return respond(http.StatusNotFound, map[string]any{"error": map[string]string{"code": "NotFound", "field": "orderId"}})
	}
	var o order
	attributevalue.UnmarshalMap(out.Item, &o)
	return respond(http.StatusOK, o)
}

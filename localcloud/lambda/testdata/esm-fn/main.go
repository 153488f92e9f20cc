// Command esm-fn is a test function for event source mappings. It forwards
// every record it gets, as JSON, to the FIFO queue SEEN_QUEUE_URL (when
// set), then by MODE:
//
//   - "" (report): answers batchItemFailures for the records that mention
//     "poison" (SQS message ids, stream sequence numbers);
//   - "error": fails the whole batch when a record mentions "poison";
//   - "fail": fails every batch.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

type handler struct {
	sqs  *sqs.Client
	seen string
	mode string
	n    atomic.Int64
}

type event struct {
	Records []json.RawMessage `json:"Records"`
}

type record struct {
	MessageID string `json:"messageId"`
	Dynamodb  struct {
		SequenceNumber string `json:"SequenceNumber"`
	} `json:"dynamodb"`
}

type failure struct {
	ItemIdentifier string `json:"itemIdentifier"`
}

type response struct {
	BatchItemFailures []failure `json:"batchItemFailures"`
}

func (h *handler) handle(ctx context.Context, ev event) (*response, error) {
	if h.seen != "" {
		if err := h.forward(ctx, ev.Records); err != nil {
			return nil, err
		}
	}
	var poison []failure
	for _, raw := range ev.Records {
		if !strings.Contains(string(raw), "poison") {
			continue
		}
		var r record
		json.Unmarshal(raw, &r)
		id := r.MessageID
		if id == "" {
			id = r.Dynamodb.SequenceNumber
		}
		poison = append(poison, failure{ItemIdentifier: id})
	}
	switch h.mode {
	case "fail":
		return nil, errors.New("this function fails every batch")
	case "error":
		if len(poison) > 0 {
			return nil, errors.New("poison in the batch")
		}
	case "sleep":
		time.Sleep(2 * time.Second)
	}
	return &response{BatchItemFailures: poison}, nil
}

// forward sends the records, in order, to the FIFO queue h.seen.
func (h *handler) forward(ctx context.Context, recs []json.RawMessage) error {
	for len(recs) > 0 {
		n := min(10, len(recs))
		var entries []types.SendMessageBatchRequestEntry
		for i, r := range recs[:n] {
			id := strconv.FormatInt(h.n.Add(1), 10) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(r)),
				MessageGroupId: aws.String("seen"), MessageDeduplicationId: aws.String(id)})
		}
		out, err := h.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(h.seen), Entries: entries})
		if err != nil {
			return err
		}
		if len(out.Failed) > 0 {
			return errors.New("send seen records: " + aws.ToString(out.Failed[0].Message))
		}
		recs = recs[n:]
	}
	return nil
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	h := &handler{sqs: sqs.NewFromConfig(cfg), seen: os.Getenv("SEEN_QUEUE_URL"), mode: os.Getenv("MODE")}
	lambda.Start(h.handle)
}

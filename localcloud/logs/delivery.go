package logs

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// A delivery pairs a delivery source with a delivery destination (see
// deliveries.go); it is stored under its id.

type delivery struct {
	ID                      string            `json:"id"`
	Arn                     string            `json:"arn"`
	DeliverySourceName      string            `json:"deliverySourceName"`
	DeliveryDestinationArn  string            `json:"deliveryDestinationArn"`
	DeliveryDestinationType string            `json:"deliveryDestinationType"`
	RecordFields            []string          `json:"recordFields,omitempty"`
	FieldDelimiter          *string           `json:"fieldDelimiter,omitempty"`
	S3DeliveryConfiguration *s3DeliveryConfig `json:"s3DeliveryConfiguration,omitempty"`
	Tags                    map[string]string `json:"tags,omitempty"`
}

type s3DeliveryConfig struct {
	SuffixPath               *string `json:"suffixPath,omitempty"`
	EnableHiveCompatiblePath *bool   `json:"enableHiveCompatiblePath,omitempty"`
}

// deliveryConfig is what CreateDelivery and UpdateDeliveryConfiguration
// both set.
type deliveryConfig struct {
	RecordFields            []string          `json:"recordFields"`
	FieldDelimiter          *string           `json:"fieldDelimiter"`
	S3DeliveryConfiguration *s3DeliveryConfig `json:"s3DeliveryConfiguration"`
}

// check validates the members against RecordFields (at most 128),
// FieldDelimiter (at most 5 characters) and DeliverySuffixPath (1 to 256).
func (c deliveryConfig) check() error {
	var v violations
	v.count("recordFields", len(c.RecordFields), 0, 128)
	if c.FieldDelimiter != nil {
		v.length("fieldDelimiter", *c.FieldDelimiter, 0, 5)
	}
	if c.S3DeliveryConfiguration != nil && c.S3DeliveryConfiguration.SuffixPath != nil {
		v.length("s3DeliveryConfiguration.suffixPath", *c.S3DeliveryConfiguration.SuffixPath, 1, 256)
	}
	return v.errAs(validationErr)
}

func (c deliveryConfig) applyTo(d *delivery) {
	if c.RecordFields != nil {
		d.RecordFields = c.RecordFields
	}
	if c.FieldDelimiter != nil {
		d.FieldDelimiter = c.FieldDelimiter
	}
	if c.S3DeliveryConfiguration != nil {
		d.S3DeliveryConfiguration = c.S3DeliveryConfiguration
	}
}

func (s *Service) createDelivery(ctx context.Context, body []byte) (any, error) {
	var in struct {
		SourceName     string            `json:"deliverySourceName"`
		DestinationArn string            `json:"deliveryDestinationArn"`
		Tags           map[string]string `json:"tags"`
		deliveryConfig
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v violations
	v.deliveryName("deliverySourceName", in.SourceName)
	if in.DestinationArn == "" {
		v = append(v, "Value null at 'deliveryDestinationArn' failed to satisfy constraint: Member must not be null")
	}
	if err := v.errAs(validationErr); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.getDoc(docKeyOf(ctx, kindDeliverySource, in.SourceName), &deliverySource{}) {
		return nil, resourceNotFound("The delivery source %s does not exist.", in.SourceName)
	}
	a, _ := protocol.ParseARN(in.DestinationArn)
	name, isDest := strings.CutPrefix(a.Resource, "delivery-destination:")
	var dst deliveryDestination
	if !isDest || a.Service != "logs" || a.Account != id.AccountID || a.Region != id.Region ||
		!s.getDoc(docKeyOf(ctx, kindDeliveryDest, name), &dst) || dst.Arn != in.DestinationArn {
		return nil, resourceNotFound("The delivery destination %s does not exist.", in.DestinationArn)
	}
	for _, k := range s.listDocs(kindDelivery, id.AccountID, id.Region, "", "") {
		var d delivery
		if s.getDoc(k, &d) && d.DeliverySourceName == in.SourceName && d.DeliveryDestinationArn == in.DestinationArn {
			return nil, conflict("A delivery from %s to %s already exists: %s.", in.SourceName, in.DestinationArn, d.ID)
		}
	}
	did := strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	d := delivery{ID: did, Arn: protocol.ARN("logs", id.Region, id.AccountID, "delivery:"+did),
		DeliverySourceName: in.SourceName, DeliveryDestinationArn: in.DestinationArn, DeliveryDestinationType: dst.Type, Tags: in.Tags}
	in.applyTo(&d)
	if err := s.putDoc(ctx, docKeyOf(ctx, kindDelivery, did), d); err != nil {
		return nil, err
	}
	return struct {
		Delivery delivery `json:"delivery"`
	}{d}, nil
}

// deliveryByID decodes the delivery the request's id names, or answers
// ResourceNotFoundException; s.mu must be held.
func (s *Service) deliveryByID(ctx context.Context, idv string) (docKey, delivery, error) {
	var d delivery
	var v violations
	v.length("id", idv, 1, 64)
	v.pattern("id", idv, idv != "" && strings.Trim(idv, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == "", "^[0-9A-Za-z]+$")
	if err := v.errAs(validationErr); err != nil {
		return docKey{}, d, err
	}
	k := docKeyOf(ctx, kindDelivery, idv)
	if !s.getDoc(k, &d) {
		return k, d, resourceNotFound("The delivery %s does not exist.", idv)
	}
	return k, d, nil
}

type deliveryIDInput struct {
	ID string `json:"id"`
}

func (s *Service) getDelivery(ctx context.Context, body []byte) (any, error) {
	var in deliveryIDInput
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, d, err := s.deliveryByID(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return struct {
		Delivery delivery `json:"delivery"`
	}{d}, nil
}

func (s *Service) deleteDelivery(ctx context.Context, body []byte) (any, error) {
	var in deliveryIDInput
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, _, err := s.deliveryByID(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return nil, s.delDocs(ctx, func(x docKey) bool { return x == k })
}

func (s *Service) updateDeliveryConfiguration(ctx context.Context, body []byte) (any, error) {
	var in struct {
		deliveryIDInput
		deliveryConfig
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, d, err := s.deliveryByID(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	in.applyTo(&d)
	return struct{}{}, s.putDoc(ctx, k, d)
}

func (s *Service) describeDeliveries(ctx context.Context, body []byte) (any, error) {
	out, next, err := describeDocs[delivery](ctx, s, body, kindDelivery)
	return struct {
		Deliveries []delivery `json:"deliveries"`
		NextToken  string     `json:"nextToken,omitempty"`
	}{out, next}, err
}

package logs

import (
	"context"
	"slices"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Logs delivery (the "V2" vended logs APIs): a delivery source stands for
// an AWS resource that sends logs, a delivery destination for where they
// go (a log group, an S3 bucket or a Firehose stream), and a delivery pairs
// one of each. The local cloud keeps them as documents; nothing is sent.
// These operations answer ValidationException, not InvalidParameterException.

const (
	kindDeliverySource = "delivery-source"
	kindDeliveryDest   = "delivery-destination"
	kindDeliveryPolicy = "delivery-destination-policy"
	kindDelivery       = "delivery"
)

// deliveryLogTypes are the log types PutDeliverySource accepts per service
// of the source resource's ARN (the logType member's documentation).
var deliveryLogTypes = map[string][]string{
	"bedrock":       {"APPLICATION_LOGS"},
	"cloudfront":    {"ACCESS_LOGS"},
	"codewhisperer": {"EVENT_LOGS"},
	"mediapackage":  {"EGRESS_ACCESS_LOGS", "INGRESS_ACCESS_LOGS"},
	"mediatailor":   {"AD_DECISION_SERVER_LOGS", "MANIFEST_SERVICE_LOGS", "TRANSCODE_LOGS"},
	"sso":           {"ERROR_LOGS"},
	"qbusiness":     {"EVENT_LOGS"},
	"ses":           {"APPLICATION_LOG"},
	"workmail": {"ACCESS_CONTROL_LOGS", "AUTHENTICATION_LOGS", "WORKMAIL_AVAILABILITY_PROVIDER_LOGS",
		"WORKMAIL_MAILBOX_ACCESS_LOGS", "WORKMAIL_PERSONAL_ACCESS_TOKEN_LOGS"},
}

// deliveryDestTypes maps the service of a destination resource's ARN to
// its DeliveryDestinationType.
var deliveryDestTypes = map[string]string{"s3": "S3", "logs": "CWL", "firehose": "FH"}

var outputFormats = []string{"json", "plain", "w3c", "raw", "parquet"}

type deliverySource struct {
	Name         string            `json:"name"`
	Arn          string            `json:"arn"`
	ResourceArns []string          `json:"resourceArns"`
	Service      string            `json:"service"`
	LogType      string            `json:"logType"`
	Tags         map[string]string `json:"tags,omitempty"`
}

type deliveryDestination struct {
	Name          string            `json:"name"`
	Arn           string            `json:"arn"`
	Type          string            `json:"deliveryDestinationType"`
	OutputFormat  string            `json:"outputFormat,omitempty"`
	Configuration destConfig        `json:"deliveryDestinationConfiguration"`
	Tags          map[string]string `json:"tags,omitempty"`
}

type destConfig struct {
	DestinationResourceArn string `json:"destinationResourceArn"`
}

func validationErr(format string, args ...any) error {
	return protocol.Errorf("ValidationException", format, args...)
}

func conflict(format string, args ...any) error {
	return protocol.Errorf("ConflictException", format, args...)
}

func resourceNotFound(format string, args ...any) error {
	return protocol.Errorf("ResourceNotFoundException", format, args...)
}

// deliveryName checks a DeliverySourceName or DeliveryDestinationName
// (1 to 60 characters of [\w-]).
func (v *violations) deliveryName(field, name string) {
	v.length(field, name, 1, 60)
	v.pattern(field, name, strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == "", `[\w-]*`)
}

// docKeyOf is the key of an account-level document of the caller's.
func docKeyOf(ctx context.Context, kind, name string) docKey {
	id := protocol.IdentityFrom(ctx)
	return docKey{kind: kind, account: id.AccountID, region: id.Region, name: name}
}

func (s *Service) putDeliverySource(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Name        string            `json:"name"`
		ResourceArn string            `json:"resourceArn"`
		LogType     string            `json:"logType"`
		Tags        map[string]string `json:"tags"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v violations
	v.deliveryName("name", in.Name)
	v.length("logType", in.LogType, 1, 255)
	if err := v.errAs(validationErr); err != nil {
		return nil, err
	}
	a, ok := protocol.ParseARN(in.ResourceArn)
	types := deliveryLogTypes[a.Service]
	if !ok || types == nil {
		return nil, resourceNotFound("The resource %s does not exist or does not support log delivery.", in.ResourceArn)
	}
	if !slices.Contains(types, in.LogType) {
		return nil, validationErr("Log type %s is not supported by %s; its log types are %s.", in.LogType, a.Service, strings.Join(types, ", "))
	}
	k := docKeyOf(ctx, kindDeliverySource, in.Name)
	s.mu.Lock()
	defer s.mu.Unlock()
	var old deliverySource
	if s.getDoc(k, &old) {
		if old.ResourceArns[0] != in.ResourceArn {
			return nil, conflict("Update to existing Delivery Source with new ResourceId is not allowed. Please create a new Delivery Source instead.")
		}
		if in.Tags != nil {
			return nil, conflict("Tags can only be provided when a resource is being created, not updated.")
		}
		in.Tags = old.Tags
	}
	for _, ok := range s.listDocs(kindDeliverySource, k.account, k.region, "", "") {
		var o deliverySource
		if ok.name != in.Name && s.getDoc(ok, &o) && o.ResourceArns[0] == in.ResourceArn && o.LogType == in.LogType {
			return nil, conflict("This ResourceId has already been used in another Delivery Source in this account.")
		}
	}
	src := deliverySource{Name: in.Name, Arn: protocol.ARN("logs", k.region, k.account, "delivery-source:"+in.Name),
		ResourceArns: []string{in.ResourceArn}, Service: a.Service, LogType: in.LogType, Tags: in.Tags}
	if err := s.putDoc(ctx, k, src); err != nil {
		return nil, err
	}
	return struct {
		DeliverySource deliverySource `json:"deliverySource"`
	}{src}, nil
}

func (s *Service) putDeliveryDestination(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Name          string            `json:"name"`
		OutputFormat  string            `json:"outputFormat"`
		Configuration *destConfig       `json:"deliveryDestinationConfiguration"`
		Tags          map[string]string `json:"tags"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v violations
	v.deliveryName("name", in.Name)
	if in.OutputFormat != "" && !slices.Contains(outputFormats, in.OutputFormat) {
		v.add(quote(in.OutputFormat), "outputFormat", "satisfy enum value set: ["+strings.Join(outputFormats, ", ")+"]")
	}
	if in.Configuration == nil {
		v = append(v, "Value null at 'deliveryDestinationConfiguration' failed to satisfy constraint: Member must not be null")
	}
	if err := v.errAs(validationErr); err != nil {
		return nil, err
	}
	a, _ := protocol.ParseARN(in.Configuration.DestinationResourceArn)
	typ := deliveryDestTypes[a.Service]
	if typ == "" {
		return nil, validationErr("The destination resource %s is not a log group, an S3 bucket or a Firehose delivery stream.", in.Configuration.DestinationResourceArn)
	}
	k := docKeyOf(ctx, kindDeliveryDest, in.Name)
	s.mu.Lock()
	defer s.mu.Unlock()
	var old deliveryDestination
	if s.getDoc(k, &old) {
		if in.OutputFormat != "" && in.OutputFormat != old.OutputFormat {
			return nil, validationErr("The outputFormat of a delivery destination cannot be updated.")
		}
		if in.Tags != nil {
			return nil, conflict("Tags can only be provided when a resource is being created, not updated.")
		}
		in.OutputFormat, in.Tags = old.OutputFormat, old.Tags
	}
	d := deliveryDestination{Name: in.Name, Arn: protocol.ARN("logs", k.region, k.account, "delivery-destination:"+in.Name),
		Type: typ, OutputFormat: in.OutputFormat, Configuration: *in.Configuration, Tags: in.Tags}
	if err := s.putDoc(ctx, k, d); err != nil {
		return nil, err
	}
	return struct {
		DeliveryDestination deliveryDestination `json:"deliveryDestination"`
	}{d}, nil
}

// byName decodes the caller's document of one kind named by the request's
// member field, or answers ResourceNotFoundException.
func byName[T any](ctx context.Context, s *Service, body []byte, kind, field string) (docKey, T, error) {
	var in map[string]any
	var v T
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return docKey{}, v, err
	}
	name, _ := in[field].(string)
	var vs violations
	vs.deliveryName(field, name)
	if err := vs.errAs(validationErr); err != nil {
		return docKey{}, v, err
	}
	k := docKeyOf(ctx, kind, name)
	if !s.getDoc(k, &v) {
		return k, v, resourceNotFound("The %s %s does not exist.", strings.ReplaceAll(kind, "-", " "), name)
	}
	return k, v, nil
}

func (s *Service) getDeliverySource(ctx context.Context, body []byte) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, src, err := byName[deliverySource](ctx, s, body, kindDeliverySource, "name")
	if err != nil {
		return nil, err
	}
	return struct {
		DeliverySource deliverySource `json:"deliverySource"`
	}{src}, nil
}

func (s *Service) getDeliveryDestination(ctx context.Context, body []byte) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, d, err := byName[deliveryDestination](ctx, s, body, kindDeliveryDest, "name")
	if err != nil {
		return nil, err
	}
	return struct {
		DeliveryDestination deliveryDestination `json:"deliveryDestination"`
	}{d}, nil
}

// deleteInUse deletes the named source or destination unless a delivery
// uses it (inUse).
func deleteInUse[T any](ctx context.Context, s *Service, body []byte, kind string, inUse func(delivery, T) bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, v, err := byName[T](ctx, s, body, kind, "name")
	if err != nil {
		return err
	}
	for _, dk := range s.listDocs(kindDelivery, k.account, k.region, "", "") {
		var d delivery
		if s.getDoc(dk, &d) && inUse(d, v) {
			return conflict("The %s %s is used by delivery %s; delete the delivery first.", strings.ReplaceAll(kind, "-", " "), k.name, d.ID)
		}
	}
	policy := k
	policy.kind = kindDeliveryPolicy
	return s.delDocs(ctx, func(x docKey) bool { return x == k || kind == kindDeliveryDest && x == policy })
}

func (s *Service) deleteDeliverySource(ctx context.Context, body []byte) (any, error) {
	return nil, deleteInUse(ctx, s, body, kindDeliverySource, func(d delivery, src deliverySource) bool { return d.DeliverySourceName == src.Name })
}

func (s *Service) deleteDeliveryDestination(ctx context.Context, body []byte) (any, error) {
	return nil, deleteInUse(ctx, s, body, kindDeliveryDest, func(d delivery, dst deliveryDestination) bool { return d.DeliveryDestinationArn == dst.Arn })
}

func (s *Service) describeDeliverySources(ctx context.Context, body []byte) (any, error) {
	out, next, err := describeDocs[deliverySource](ctx, s, body, kindDeliverySource)
	return struct {
		DeliverySources []deliverySource `json:"deliverySources"`
		NextToken       string           `json:"nextToken,omitempty"`
	}{out, next}, err
}

func (s *Service) describeDeliveryDestinations(ctx context.Context, body []byte) (any, error) {
	out, next, err := describeDocs[deliveryDestination](ctx, s, body, kindDeliveryDest)
	return struct {
		DeliveryDestinations []deliveryDestination `json:"deliveryDestinations"`
		NextToken            string                `json:"nextToken,omitempty"`
	}{out, next}, err
}

// describeDocs pages the caller's documents of one kind as the
// DescribeDeliver* operations ask (nextToken, limit up to 50).
func describeDocs[T any](ctx context.Context, s *Service, body []byte, kind string) ([]T, string, error) {
	var in struct {
		NextToken string `json:"nextToken"`
		Limit     *int   `json:"limit"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, "", err
	}
	if in.Limit != nil {
		var v violations
		if v.value("limit", *in.Limit, 1, 50); v != nil {
			return nil, "", v.errAs(validationErr)
		}
	}
	return docsPage[T](ctx, s, kind, "", "", in.NextToken, in.Limit)
}

type deliveryPolicy struct {
	DeliveryDestinationPolicy string `json:"deliveryDestinationPolicy,omitempty"`
}

// destinationPolicyKey checks that the request's deliveryDestinationName
// names a destination and returns the key of its policy; s.mu must be held.
func (s *Service) destinationPolicyKey(ctx context.Context, body []byte) (docKey, error) {
	k, _, err := byName[deliveryDestination](ctx, s, body, kindDeliveryDest, "deliveryDestinationName")
	k.kind = kindDeliveryPolicy
	return k, err
}

func (s *Service) putDeliveryDestinationPolicy(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Policy string `json:"deliveryDestinationPolicy"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var v violations
	if v.length("deliveryDestinationPolicy", in.Policy, 1, 51200); v != nil {
		return nil, v.errAs(validationErr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.destinationPolicyKey(ctx, body)
	if err != nil {
		return nil, err
	}
	p := deliveryPolicy{in.Policy}
	if err := s.putDoc(ctx, k, p); err != nil {
		return nil, err
	}
	return struct {
		Policy deliveryPolicy `json:"policy"`
	}{p}, nil
}

func (s *Service) getDeliveryDestinationPolicy(ctx context.Context, body []byte) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, err := s.destinationPolicyKey(ctx, body)
	if err != nil {
		return nil, err
	}
	var p deliveryPolicy
	s.getDoc(k, &p)
	return struct {
		Policy deliveryPolicy `json:"policy"`
	}{p}, nil
}

func (s *Service) deleteDeliveryDestinationPolicy(ctx context.Context, body []byte) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.destinationPolicyKey(ctx, body)
	if err != nil {
		return nil, err
	}
	return nil, s.delDocs(ctx, func(x docKey) bool { return x == k })
}

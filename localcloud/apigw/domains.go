package apigw

import (
	"context"
	"net/http"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Custom domain names and their API mappings. The local cloud records them
// as AWS does (the execute endpoint does not serve custom host names: a
// learner's DNS cannot point at it).

// domainNameConfig is a DomainNameConfiguration on the wire.
type domainNameConfig struct {
	ApiGatewayDomainName                string   `json:"apiGatewayDomainName,omitempty"`
	CertificateArn                      string   `json:"certificateArn,omitempty"`
	CertificateName                     string   `json:"certificateName,omitempty"`
	CertificateUploadDate               *isoTime `json:"certificateUploadDate,omitempty"`
	DomainNameStatus                    string   `json:"domainNameStatus,omitempty"`
	DomainNameStatusMessage             string   `json:"domainNameStatusMessage,omitempty"`
	EndpointType                        string   `json:"endpointType,omitempty"`
	HostedZoneId                        string   `json:"hostedZoneId,omitempty"`
	SecurityPolicy                      string   `json:"securityPolicy,omitempty"`
	OwnershipVerificationCertificateArn string   `json:"ownershipVerificationCertificateArn,omitempty"`
}

type mutualTLS struct {
	TruststoreUri      string   `json:"truststoreUri,omitempty"`
	TruststoreVersion  string   `json:"truststoreVersion,omitempty"`
	TruststoreWarnings []string `json:"truststoreWarnings,omitempty"`
}

// domainName is a DomainName on the wire.
type domainName struct {
	ApiMappingSelectionExpression string             `json:"apiMappingSelectionExpression"`
	DomainName                    string             `json:"domainName"`
	DomainNameConfigurations      []domainNameConfig `json:"domainNameConfigurations"`
	MutualTlsAuthentication       *mutualTLS         `json:"mutualTlsAuthentication,omitempty"`
	Tags                          map[string]string  `json:"tags"`
}

// apiMapping is an ApiMapping on the wire.
type apiMapping struct {
	ApiId         string `json:"apiId"`
	ApiMappingId  string `json:"apiMappingId"`
	ApiMappingKey string `json:"apiMappingKey"`
	Stage         string `json:"stage"`
}

// domainRecord is what the store keeps for a domain name.
type domainRecord struct {
	Domain   domainName             `json:"domain"`
	Mappings map[string]*apiMapping `json:"mappings,omitempty"`
}

// regionalZones are the Route 53 hosted zones of API Gateway's regional
// endpoints (AWS General Reference, "Amazon API Gateway endpoints").
var regionalZones = map[string]string{
	"us-east-1": "Z1UJRXOUMOOFQ8", "us-east-2": "ZOJJZC49E0EPZ", "us-west-1": "Z2MUQ32089INYE", "us-west-2": "Z2OJLYMUO9EFXC",
	"eu-west-1": "ZLY8HYME6SFDD", "eu-west-2": "ZJ5UAJN8Y3Z2Q", "eu-central-1": "Z1U9ULNL0V5AJ3",
	"ap-southeast-1": "ZL327KTPIQFUL", "ap-southeast-2": "Z2RPCDW04V8134", "ap-northeast-1": "Z1YSHQZHG15GKL",
}

const cloudFrontZone = "Z2FDTNDATAQYW2" // every edge-optimized (CloudFront) name

func domainMissing() error {
	return notFound("The domain name resource specified in the request was not found.")
}

func mappingMissing(id string) error {
	return notFound("Invalid ApiMapping identifier specified %s", id)
}

type domainInput struct {
	DomainName               *string            `json:"domainName"`
	DomainNameConfigurations []domainNameConfig `json:"domainNameConfigurations"`
	MutualTlsAuthentication  *mutualTLS         `json:"mutualTlsAuthentication"`
	Tags                     map[string]string  `json:"tags"`
}

// configure completes the configurations a caller gave as AWS does.
func configure(region string, in []domainNameConfig) ([]domainNameConfig, error) {
	if len(in) > 1 {
		return nil, badRequest("Only one domain name configuration is supported")
	}
	out := make([]domainNameConfig, 0, len(in))
	for _, c := range in {
		if c.EndpointType == "" {
			c.EndpointType = "REGIONAL"
		}
		if c.SecurityPolicy == "" {
			c.SecurityPolicy = "TLS_1_2"
		}
		switch c.EndpointType {
		case "REGIONAL":
			c.ApiGatewayDomainName = "d-" + newID(10) + ".execute-api." + region + ".amazonaws.com"
			c.HostedZoneId = regionalZones[region]
		case "EDGE":
			c.ApiGatewayDomainName = "d" + newID(13) + ".cloudfront.net"
			c.HostedZoneId = cloudFrontZone
		default:
			return nil, badRequest("Invalid endpointType %q: must be REGIONAL or EDGE", c.EndpointType)
		}
		if c.SecurityPolicy != "TLS_1_0" && c.SecurityPolicy != "TLS_1_2" {
			return nil, badRequest("Invalid securityPolicy %q: must be TLS_1_0 or TLS_1_2", c.SecurityPolicy)
		}
		c.DomainNameStatus = "AVAILABLE"
		c.DomainNameStatusMessage = ""
		out = append(out, c)
	}
	return out, nil
}

func (s *Service) createDomainName(ctx context.Context, _ *http.Request, _ pathArgs, body []byte) (any, error) {
	var in domainInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name := strings.ToLower(deref(in.DomainName))
	if name == "" {
		return nil, badRequest("domainName is required")
	}
	if err := checkLen("domainName", name, 1, 512); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	ident := protocol.IdentityFrom(ctx)
	cfgs, err := configure(ident.Region, in.DomainNameConfigurations)
	if err != nil {
		return nil, err
	}
	tags := in.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	rec := &domainRecord{Domain: domainName{ApiMappingSelectionExpression: "$request.basepath", DomainName: name,
		DomainNameConfigurations: cfgs, MutualTlsAuthentication: in.MutualTlsAuthentication, Tags: tags}}
	if err := s.domains.create(ctx, keyFor(ctx, name), rec, conflict("The domain name resource already exists.")); err != nil {
		return nil, err
	}
	return rec.Domain, nil
}

func (s *Service) getDomainName(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	rec := s.domains.get(keyFor(ctx, strings.ToLower(p.api)))
	if rec == nil {
		return nil, domainMissing()
	}
	return rec.Domain, nil
}

func (s *Service) getDomainNames(ctx context.Context, r *http.Request, _ pathArgs, _ []byte) (any, error) {
	return listOf(ctx, r, s.domains, func(rec *domainRecord) domainName { return rec.Domain })
}

func (s *Service) updateDomainName(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in domainInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	region := protocol.IdentityFrom(ctx).Region
	rec, err := s.domains.update(ctx, keyFor(ctx, strings.ToLower(p.api)), domainMissing(), func(rec *domainRecord) error {
		if in.DomainNameConfigurations != nil {
			cfgs, err := configure(region, in.DomainNameConfigurations)
			if err != nil {
				return err
			}
			rec.Domain.DomainNameConfigurations = cfgs
		}
		if in.MutualTlsAuthentication != nil {
			rec.Domain.MutualTlsAuthentication = in.MutualTlsAuthentication
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rec.Domain, nil
}

func (s *Service) deleteDomainName(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	return nil, s.domains.remove(ctx, keyFor(ctx, strings.ToLower(p.api)), domainMissing())
}

type mappingInput struct {
	ApiId         *string `json:"apiId"`
	ApiMappingKey *string `json:"apiMappingKey"`
	Stage         *string `json:"stage"`
}

// checkMapping holds a mapping to an API and stage of the caller and a key
// no other mapping of the domain uses.
func (s *Service) checkMapping(ctx context.Context, rec *domainRecord, m *apiMapping) error {
	if m.ApiId == "" {
		return badRequest("apiId is required")
	}
	if m.Stage == "" {
		return badRequest("stage is required")
	}
	if err := checkMappingKey(m.ApiMappingKey); err != nil {
		return err
	}
	a, err := s.getAPI(ctx, m.ApiId)
	if err != nil {
		return err
	}
	if a.Stages[m.Stage] == nil {
		return badRequest("Invalid stage identifier specified")
	}
	for _, x := range rec.Mappings {
		if x.ApiMappingId != m.ApiMappingId && x.ApiMappingKey == m.ApiMappingKey {
			return conflict("ApiMapping key already exists for this domain name")
		}
	}
	return nil
}

// checkMappingKey checks an API mapping key as API Gateway does, before it
// looks the API and stage up, in its words: no '/' at the end, none at the
// start nor two in a row, only letters, digits, '/' and $-_.+!*'(), and
// at most 300 characters.
func checkMappingKey(key string) error {
	switch {
	case strings.HasSuffix(key, "/"):
		return badRequest("API mapping key should not end with a '/'.")
	case strings.HasPrefix(key, "/") || strings.Contains(key, "//"):
		return badRequest("API mapping key should not start with a '/' or have consecutive '/'s.")
	case strings.Trim(key, mappingKeyChars) != "":
		return badRequest("An API mapping key may contain only letters, numbers and one of $-_.+!*'(), characters.")
	case len(key) > 300:
		return badRequest("ApiMapping key length must be under 300 characters.")
	}
	return nil
}

const mappingKeyChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/$-_.+!*'(),"

func (s *Service) createApiMapping(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in mappingInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	m := &apiMapping{ApiId: deref(in.ApiId), ApiMappingId: newID(6), ApiMappingKey: deref(in.ApiMappingKey), Stage: deref(in.Stage)}
	_, err := s.domains.update(ctx, keyFor(ctx, strings.ToLower(p.api)), domainMissing(), func(rec *domainRecord) error {
		if err := s.checkMapping(ctx, rec, m); err != nil {
			return err
		}
		if rec.Mappings == nil {
			rec.Mappings = map[string]*apiMapping{}
		}
		rec.Mappings[m.ApiMappingId] = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (s *Service) getApiMapping(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	rec := s.domains.get(keyFor(ctx, strings.ToLower(p.api)))
	if rec == nil {
		return nil, domainMissing()
	}
	m := rec.Mappings[p.sub]
	if m == nil {
		return nil, mappingMissing(p.sub)
	}
	return m, nil
}

func (s *Service) getApiMappings(ctx context.Context, r *http.Request, p pathArgs, _ []byte) (any, error) {
	rec := s.domains.get(keyFor(ctx, strings.ToLower(p.api)))
	if rec == nil {
		return nil, domainMissing()
	}
	return listPage(r, rec.Mappings)
}

func (s *Service) updateApiMapping(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in mappingInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var out *apiMapping
	_, err := s.domains.update(ctx, keyFor(ctx, strings.ToLower(p.api)), domainMissing(), func(rec *domainRecord) error {
		m := rec.Mappings[p.sub]
		if m == nil {
			return mappingMissing(p.sub)
		}
		if in.ApiId != nil {
			m.ApiId = *in.ApiId
		}
		if in.ApiMappingKey != nil {
			m.ApiMappingKey = *in.ApiMappingKey
		}
		if in.Stage != nil {
			m.Stage = *in.Stage
		}
		out = m
		return s.checkMapping(ctx, rec, m)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) deleteApiMapping(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	_, err := s.domains.update(ctx, keyFor(ctx, strings.ToLower(p.api)), domainMissing(), func(rec *domainRecord) error {
		if rec.Mappings[p.sub] == nil {
			return mappingMissing(p.sub)
		}
		delete(rec.Mappings, p.sub)
		return nil
	})
	return nil, err
}

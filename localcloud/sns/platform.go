package sns

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Mobile push: platform applications and their endpoints. The local cloud
// keeps them as SNS does and accepts publishes to enabled endpoints; it
// cannot reach Apple's, Google's or other push services, so nothing reaches
// a device. Platform credentials (API keys, private keys) are secrets: they
// are checked for presence and never stored or returned, as SNS never
// returns them.

var platformSchema = `CREATE TABLE IF NOT EXISTS platform (arn TEXT PRIMARY KEY, kind TEXT NOT NULL, doc TEXT NOT NULL)`

// platforms are the push services SNS supports.
var platforms = map[string]bool{"ADM": true, "APNS": true, "APNS_SANDBOX": true, "APNS_VOIP": true, "APNS_VOIP_SANDBOX": true,
	"BAIDU": true, "GCM": true, "MPNS": true, "WNS": true}

// secretAttributes are platform application attributes SNS never returns.
var secretAttributes = map[string]bool{"PlatformCredential": true, "PlatformPrincipal": true}

type platformApp struct {
	Arn      string            `json:"arn"`
	Account  string            `json:"account"`
	Region   string            `json:"region"`
	Platform string            `json:"platform"`
	Attrs    map[string]string `json:"attrs"`
}

type platformEndpoint struct {
	Arn   string            `json:"arn"`
	App   string            `json:"app"`
	Attrs map[string]string `json:"attrs"` // Token, Enabled, CustomUserData
}

var appNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

func appMissing() error      { return notFound("PlatformApplication does not exist") }
func endpointMissing() error { return notFound("Endpoint does not exist") }

func (s *Service) loadPlatform() error {
	rows, err := s.db.Query(`SELECT kind, doc FROM platform`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var kind, doc string
		if err := rows.Scan(&kind, &doc); err != nil {
			return err
		}
		switch kind {
		case "app":
			a := &platformApp{}
			if err := json.Unmarshal([]byte(doc), a); err != nil {
				return fmt.Errorf("platform application: %w", err)
			}
			s.apps[a.Arn] = a
		case "endpoint":
			e := &platformEndpoint{}
			if err := json.Unmarshal([]byte(doc), e); err != nil {
				return fmt.Errorf("platform endpoint: %w", err)
			}
			s.endpoints[e.Arn] = e
		}
	}
	return rows.Err()
}

func savePlatform(ctx context.Context, tx *sql.Tx, arn, kind string, v any) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO platform (arn, kind, doc) VALUES (?, ?, ?)`, arn, kind, string(doc))
	return err
}

// publicAttrs drops the attributes SNS never returns.
func publicAttrs(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !secretAttributes[k] {
			out[k] = v
		}
	}
	return out
}

// checkAppAttributes holds a platform application's attributes to what
// its platform needs (names SNS documents for SetPlatformApplicationAttributes).
func checkAppAttributes(platform string, attrs map[string]string, creating bool) error {
	for k := range attrs {
		switch k {
		case "PlatformCredential", "PlatformPrincipal", "EventEndpointCreated", "EventEndpointDeleted", "EventEndpointUpdated",
			"EventDeliveryFailure", "SuccessFeedbackRoleArn", "FailureFeedbackRoleArn", "SuccessFeedbackSampleRate",
			"ApplePlatformTeamID", "ApplePlatformBundleID":
		default:
			return invalidParameter("Attributes Reason: Invalid attribute name: %s", k)
		}
	}
	if !creating {
		return nil
	}
	if attrs["PlatformCredential"] == "" {
		return invalidParameter("Attributes Reason: PlatformCredential attribute is required")
	}
	if strings.HasPrefix(platform, "APNS") && attrs["PlatformPrincipal"] == "" {
		return invalidParameter("Attributes Reason: PlatformPrincipal attribute is required")
	}
	return nil
}

type platformAppArn struct{ PlatformApplicationArn string }

func (s *Service) createPlatformApplication(ctx context.Context, form url.Values) (any, error) {
	name, platform := form.Get("Name"), form.Get("Platform")
	attrs := attributeEntries(form, "Attributes")
	if !appNameRE.MatchString(name) {
		return nil, invalidParameter("Name Reason: must be between 1 and 256 characters long and contain only alphanumeric characters, hyphens, underscores and periods")
	}
	if !platforms[platform] {
		return nil, invalidParameter("Platform Reason: %s is not supported", platform)
	}
	if len(attrs) == 0 {
		return nil, errNoAttributes()
	}
	if err := checkAppAttributes(platform, attrs, true); err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	a := &platformApp{Arn: protocol.ARN("sns", id.Region, id.AccountID, "app/"+platform+"/"+name), Account: id.AccountID, Region: id.Region,
		Platform: platform, Attrs: publicAttrs(attrs)}
	a.Attrs["Enabled"] = "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.write(ctx, func(tx *sql.Tx) error { return savePlatform(ctx, tx, a.Arn, "app", a) }); err != nil {
		return nil, err
	}
	s.apps[a.Arn] = a
	return platformAppArn{a.Arn}, nil
}

// errNoAttributes is SNS's answer to a platform application call without
// its required Attributes (an empty map reaches SNS as none).
func errNoAttributes() *protocol.Error {
	return protocol.Errorf("ValidationError", "1 validation error detected: Value null at 'attributes' failed to satisfy constraint: Member must not be null")
}

// app returns the caller's platform application; s.mu must be held.
func (s *Service) app(ctx context.Context, arn string) (*platformApp, error) {
	if arn == "" {
		return nil, invalidParameter("PlatformApplicationArn Reason: no value for required parameter")
	}
	id := protocol.IdentityFrom(ctx)
	a := s.apps[arn]
	if a == nil || a.Account != id.AccountID || a.Region != id.Region {
		return nil, appMissing()
	}
	return a, nil
}

func (s *Service) getPlatformApplicationAttributes(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, err := s.app(ctx, form.Get("PlatformApplicationArn"))
	if err != nil {
		return nil, err
	}
	return attributesOf(a.Attrs), nil
}

func (s *Service) setPlatformApplicationAttributes(ctx context.Context, form url.Values) (any, error) {
	attrs := attributeEntries(form, "Attributes")
	if len(attrs) == 0 {
		return nil, errNoAttributes()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.app(ctx, form.Get("PlatformApplicationArn"))
	if err != nil {
		return nil, err
	}
	if err := checkAppAttributes(a.Platform, attrs, false); err != nil {
		return nil, err
	}
	next := *a
	next.Attrs = publicAttrs(a.Attrs)
	for k, v := range publicAttrs(attrs) {
		next.Attrs[k] = v
	}
	if err := s.write(ctx, func(tx *sql.Tx) error { return savePlatform(ctx, tx, next.Arn, "app", &next) }); err != nil {
		return nil, err
	}
	s.apps[a.Arn] = &next
	return nil, nil
}

type platformAppMember struct {
	PlatformApplicationArn string
	Attributes             struct {
		Entry []attributeEntry `xml:"entry"`
	}
}

func (s *Service) listPlatformApplications(ctx context.Context, form url.Values) (any, error) {
	id := protocol.IdentityFrom(ctx)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var arns []string
	for arn, a := range s.apps {
		if a.Account == id.AccountID && a.Region == id.Region {
			arns = append(arns, arn)
		}
	}
	arns, next, err := page(arns, form.Get("NextToken"))
	if err != nil {
		return nil, err
	}
	out := struct {
		PlatformApplications members[platformAppMember]
		NextToken            string `xml:",omitempty"`
	}{PlatformApplications: members[platformAppMember]{Member: []platformAppMember{}}, NextToken: next}
	for _, arn := range arns {
		m := platformAppMember{PlatformApplicationArn: arn}
		m.Attributes = attributesOf(s.apps[arn].Attrs).Attributes
		out.PlatformApplications.Member = append(out.PlatformApplications.Member, m)
	}
	return out, nil
}

// deletePlatformApplication deletes an application and its endpoints; a
// missing one is no error, as in SNS.
func (s *Service) deletePlatformApplication(ctx context.Context, form url.Values) (any, error) {
	arn := form.Get("PlatformApplicationArn")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.app(ctx, arn); err != nil {
		return nil, nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM platform WHERE arn = ? OR (kind = 'endpoint' AND json_extract(doc, '$.app') = ?)`, arn, arn)
		return err
	})
	if err != nil {
		return nil, err
	}
	delete(s.apps, arn)
	for k, e := range s.endpoints {
		if e.App == arn {
			delete(s.endpoints, k)
		}
	}
	return nil, nil
}

var endpointAttributes = map[string]bool{"CustomUserData": true, "Enabled": true, "Token": true}

func checkEndpointAttributes(attrs map[string]string) error {
	for k, v := range attrs {
		if !endpointAttributes[k] {
			return invalidParameter("Attributes Reason: Invalid attribute name: %s", k)
		}
		if k == "Enabled" && v != "true" && v != "false" {
			return invalidParameter("Attributes Reason: Enabled must be true or false")
		}
		if k == "CustomUserData" && len(v) > 2048 {
			return invalidParameter("Attributes Reason: CustomUserData must be at most 2048 bytes long")
		}
	}
	return nil
}

type endpointArn struct{ EndpointArn string }

func (s *Service) createPlatformEndpoint(ctx context.Context, form url.Values) (any, error) {
	token := form.Get("Token")
	attrs := attributeEntries(form, "Attributes")
	if err := checkEndpointAttributes(attrs); err != nil {
		return nil, err
	}
	if token == "" {
		return nil, invalidParameter("Token Reason: no value for required parameter")
	}
	if v := form.Get("CustomUserData"); v != "" {
		attrs["CustomUserData"] = v
	}
	attrs["Token"] = token
	if attrs["Enabled"] == "" {
		attrs["Enabled"] = "true"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.app(ctx, form.Get("PlatformApplicationArn"))
	if err != nil {
		return nil, err
	}
	for _, e := range s.endpoints {
		if e.App != a.Arn || e.Attrs["Token"] != token {
			continue
		}
		if sameAttributes(e.Attrs, attrs) {
			return endpointArn{e.Arn}, nil // idempotent: the same token and attributes
		}
		return nil, invalidParameter("Token Reason: Endpoint %s already exists with the same Token, but different attributes.", e.Arn)
	}
	name := strings.TrimPrefix(a.Arn, protocol.ARN("sns", a.Region, a.Account, "app/"))
	e := &platformEndpoint{Arn: protocol.ARN("sns", a.Region, a.Account, "endpoint/"+name+"/"+uuid.NewString()), App: a.Arn, Attrs: attrs}
	if err := s.write(ctx, func(tx *sql.Tx) error { return savePlatform(ctx, tx, e.Arn, "endpoint", e) }); err != nil {
		return nil, err
	}
	s.endpoints[e.Arn] = e
	return endpointArn{e.Arn}, nil
}

func sameAttributes(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// endpoint returns the caller's endpoint or nil; s.mu must be held.
func (s *Service) endpoint(ctx context.Context, arn string) *platformEndpoint {
	e := s.endpoints[arn]
	if e == nil {
		return nil
	}
	id := protocol.IdentityFrom(ctx)
	if a := s.apps[e.App]; a == nil || a.Account != id.AccountID || a.Region != id.Region {
		return nil
	}
	return e
}

func (s *Service) getEndpointAttributes(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.endpoint(ctx, form.Get("EndpointArn"))
	if e == nil {
		return nil, endpointMissing()
	}
	return attributesOf(e.Attrs), nil
}

func (s *Service) setEndpointAttributes(ctx context.Context, form url.Values) (any, error) {
	attrs := attributeEntries(form, "Attributes")
	if err := checkEndpointAttributes(attrs); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.endpoint(ctx, form.Get("EndpointArn"))
	if e == nil {
		return nil, endpointMissing()
	}
	next := &platformEndpoint{Arn: e.Arn, App: e.App, Attrs: map[string]string{}}
	for k, v := range e.Attrs {
		next.Attrs[k] = v
	}
	for k, v := range attrs {
		next.Attrs[k] = v
	}
	if err := s.write(ctx, func(tx *sql.Tx) error { return savePlatform(ctx, tx, next.Arn, "endpoint", next) }); err != nil {
		return nil, err
	}
	s.endpoints[e.Arn] = next
	return nil, nil
}

// deleteEndpoint deletes an endpoint; a missing one is no error, as in SNS.
func (s *Service) deleteEndpoint(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.endpoint(ctx, form.Get("EndpointArn"))
	if e == nil {
		return nil, nil
	}
	if err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM platform WHERE arn = ?`, e.Arn)
		return err
	}); err != nil {
		return nil, err
	}
	delete(s.endpoints, e.Arn)
	return nil, nil
}

type endpointMember struct {
	EndpointArn string
	Attributes  struct {
		Entry []attributeEntry `xml:"entry"`
	}
}

func (s *Service) listEndpointsByPlatformApplication(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, err := s.app(ctx, form.Get("PlatformApplicationArn"))
	if err != nil {
		return nil, err
	}
	var arns []string
	for arn, e := range s.endpoints {
		if e.App == a.Arn {
			arns = append(arns, arn)
		}
	}
	arns, next, err := page(arns, form.Get("NextToken"))
	if err != nil {
		return nil, err
	}
	out := struct {
		Endpoints members[endpointMember]
		NextToken string `xml:",omitempty"`
	}{Endpoints: members[endpointMember]{Member: []endpointMember{}}, NextToken: next}
	for _, arn := range arns {
		m := endpointMember{EndpointArn: arn}
		m.Attributes = attributesOf(s.endpoints[arn].Attrs).Attributes
		out.Endpoints.Member = append(out.Endpoints.Member, m)
	}
	return out, nil
}

func isEndpointARN(arn string) bool {
	p, ok := protocol.ParseARN(arn)
	return ok && p.Service == "sns" && strings.HasPrefix(p.Resource, "endpoint/")
}

// publishToEndpoint accepts a message for an enabled endpoint, as SNS does
// before handing it to the push service.
func (s *Service) publishToEndpoint(ctx context.Context, arn string, in publishInput) (any, error) {
	s.mu.RLock()
	e := s.endpoint(ctx, arn)
	var enabled bool
	if e != nil {
		enabled = e.Attrs["Enabled"] == "true"
	}
	s.mu.RUnlock()
	if e == nil {
		return nil, invalidParameter("TargetArn Reason: No endpoint found for the target arn specified")
	}
	if !enabled {
		return nil, protocol.Errorf("EndpointDisabled", "Endpoint is disabled")
	}
	m, err := in.validate(&publishTopic{arn: arn, owner: protocol.IdentityFrom(ctx).AccountID})
	if err != nil {
		return nil, err
	}
	return publishResult{MessageId: m.id}, nil
}

package monitoring

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// dashboard is a stored dashboard. Dashboards are global on AWS (their ARN
// has no region), so they are kept per account.
type dashboard struct {
	Name     string
	Body     string
	Modified time.Time
}

var dashboardNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// maxDashboardBody is the largest dashboard body AWS accepts.
const maxDashboardBody = 1 << 20

func dashboardARN(id protocol.Identity, name string) string {
	return protocol.GlobalARN(id.Region, "cloudwatch", id.AccountID, "dashboard/"+name)
}

type validationMessage struct {
	DataPath string `json:",omitempty"`
	Message  string
}

// validateDashboardBody checks what AWS checks first: a JSON object whose
// widgets is a list of objects with a type and properties.
func validateDashboardBody(body string) []validationMessage {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		return []validationMessage{{DataPath: "", Message: "The dashboard body is not valid JSON: " + err.Error()}}
	}
	raw, ok := doc["widgets"]
	if !ok {
		return []validationMessage{{DataPath: "", Message: "Should have required property 'widgets'"}}
	}
	var widgets []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &widgets); err != nil {
		return []validationMessage{{DataPath: "/widgets", Message: "Should be array of objects"}}
	}
	var msgs []validationMessage
	for i, w := range widgets {
		if _, ok := w["type"]; !ok {
			msgs = append(msgs, validationMessage{DataPath: fmt.Sprintf("/widgets/%d", i), Message: "Should have required property 'type'"})
		}
	}
	return msgs
}

type putDashboardInput struct {
	DashboardName string
	DashboardBody string
}

func (s *Service) putDashboard(ctx context.Context, tree map[string]any) (any, error) {
	var in putDashboardInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	if in.DashboardName == "" {
		return nil, missingParam("DashboardName")
	}
	if in.DashboardBody == "" {
		return nil, missingParam("DashboardBody")
	}
	if !dashboardNameRE.MatchString(in.DashboardName) {
		return nil, dashboardInvalid("The value %s for parameter DashboardName is invalid: use letters, digits, dashes and underscores, at most 255.", in.DashboardName)
	}
	if len(in.DashboardBody) > maxDashboardBody {
		return nil, dashboardInvalid("The dashboard body is larger than 1 MB.")
	}
	if msgs := validateDashboardBody(in.DashboardBody); len(msgs) > 0 {
		return nil, &protocol.Error{Code: "DashboardInvalidInputError", QueryCode: "InvalidParameterInput",
			Message: "The field DashboardBody has an invalid value: " + msgs[0].Message}
	}
	id := protocol.IdentityFrom(ctx)
	rk := regionKey{id.AccountID, ""}
	d := &dashboard{Name: in.DashboardName, Body: in.DashboardBody, Modified: s.now().UTC()}
	s.mu.Lock()
	if s.dashes[rk] == nil {
		s.dashes[rk] = map[string]*dashboard{}
	}
	s.dashes[rk][d.Name] = d
	s.mu.Unlock()
	if err := s.w.write(putResource("dashboard", rk.account, "", d.Name, []byte(mustJSON(d)))); err != nil {
		return nil, err
	}
	return struct{ DashboardValidationMessages []validationMessage }{[]validationMessage{}}, nil
}

func (s *Service) getDashboard(ctx context.Context, tree map[string]any) (any, error) {
	var in putDashboardInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	if in.DashboardName == "" {
		return nil, missingParam("DashboardName")
	}
	id := protocol.IdentityFrom(ctx)
	s.mu.RLock()
	d := s.dashes[regionKey{id.AccountID, ""}][in.DashboardName]
	s.mu.RUnlock()
	if d == nil {
		return nil, dashboardNotFound("Dashboard %s does not exist", in.DashboardName)
	}
	return struct{ DashboardArn, DashboardBody, DashboardName string }{dashboardARN(id, d.Name), d.Body, d.Name}, nil
}

type dashboardEntry struct {
	DashboardName string
	DashboardArn  string
	LastModified  time.Time
	Size          int64
}

func (s *Service) listDashboards(ctx context.Context, tree map[string]any) (any, error) {
	var in struct {
		DashboardNamePrefix string
		NextToken           string
	}
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	out := struct {
		DashboardEntries []dashboardEntry
		NextToken        string `json:",omitempty"`
	}{DashboardEntries: []dashboardEntry{}}
	s.mu.RLock()
	for _, d := range s.dashes[regionKey{id.AccountID, ""}] {
		if strings.HasPrefix(d.Name, in.DashboardNamePrefix) {
			out.DashboardEntries = append(out.DashboardEntries, dashboardEntry{d.Name, dashboardARN(id, d.Name), d.Modified, int64(len(d.Body))})
		}
	}
	s.mu.RUnlock()
	sort.Slice(out.DashboardEntries, func(i, j int) bool {
		return out.DashboardEntries[i].DashboardName < out.DashboardEntries[j].DashboardName
	})
	if in.NextToken != "" {
		after := decodeToken(in.NextToken)
		i := sort.Search(len(out.DashboardEntries), func(i int) bool { return out.DashboardEntries[i].DashboardName > after })
		out.DashboardEntries = out.DashboardEntries[i:]
	}
	if len(out.DashboardEntries) > 1000 {
		out.DashboardEntries = out.DashboardEntries[:1000]
		out.NextToken = encodeToken(out.DashboardEntries[999].DashboardName)
	}
	return out, nil
}

func (s *Service) deleteDashboards(ctx context.Context, tree map[string]any) (any, error) {
	var in struct{ DashboardNames []string }
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	if len(in.DashboardNames) == 0 {
		return nil, missingParam("DashboardNames")
	}
	id := protocol.IdentityFrom(ctx)
	rk := regionKey{id.AccountID, ""}
	s.mu.Lock()
	for _, n := range in.DashboardNames {
		if s.dashes[rk][n] == nil {
			s.mu.Unlock()
			return nil, dashboardNotFound("The specified dashboard does not exist. [%s]", n)
		}
	}
	var ops []writeOp
	for _, n := range in.DashboardNames {
		delete(s.dashes[rk], n)
		ops = append(ops, putResource("dashboard", rk.account, "", n, nil))
	}
	s.mu.Unlock()
	return struct{}{}, s.w.write(all(ops...))
}

// Tags: alarms are the taggable resources the local cloud keeps.

type tagInput struct {
	ResourceARN string
	Tags        []tag
	TagKeys     []string
}

// taggable finds the alarm an ARN names; the caller holds s.mu.
func (s *Service) taggable(ctx context.Context, arn string) error {
	if arn == "" {
		return missingParam("ResourceARN")
	}
	p, ok := protocol.ParseARN(arn)
	if !ok || p.Service != "cloudwatch" {
		return invalidValue("The value %s for parameter ResourceARN is not a valid ARN.", arn)
	}
	id := protocol.IdentityFrom(ctx)
	if name, ok := strings.CutPrefix(p.Resource, "alarm:"); ok && p.Account == id.AccountID {
		if a := s.alarms[regionKey{p.Account, p.Region}][name]; a != nil {
			return nil
		}
	}
	return resourceNotFound("The specified resource %s does not exist.", arn)
}

func (s *Service) tagResource(ctx context.Context, tree map[string]any) (any, error) {
	var in tagInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, missingParam("Tags")
	}
	for i, t := range in.Tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 || strings.HasPrefix(t.Key, "aws:") {
			return nil, invalidValue("The value for parameter Tags.member.%d is invalid.", i+1)
		}
	}
	s.mu.Lock()
	if err := s.taggable(ctx, in.ResourceARN); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	m := s.tags[in.ResourceARN]
	if m == nil {
		m = map[string]string{}
	}
	for _, t := range in.Tags {
		m[t.Key] = t.Value
	}
	if len(m) > 50 {
		s.mu.Unlock()
		return nil, invalidValue("A resource can have at most 50 tags.")
	}
	s.tags[in.ResourceARN] = m
	data := []byte(mustJSON(m))
	s.mu.Unlock()
	return struct{}{}, s.w.write(putResource("tags", "", "", in.ResourceARN, data))
}

func (s *Service) untagResource(ctx context.Context, tree map[string]any) (any, error) {
	var in tagInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, missingParam("TagKeys")
	}
	s.mu.Lock()
	if err := s.taggable(ctx, in.ResourceARN); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	m := s.tags[in.ResourceARN]
	for _, k := range in.TagKeys {
		delete(m, k)
	}
	data := []byte(mustJSON(m))
	s.mu.Unlock()
	return struct{}{}, s.w.write(putResource("tags", "", "", in.ResourceARN, data))
}

func (s *Service) listTagsForResource(ctx context.Context, tree map[string]any) (any, error) {
	var in tagInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.taggable(ctx, in.ResourceARN); err != nil {
		return nil, err
	}
	out := struct{ Tags []tag }{Tags: []tag{}}
	for k, v := range s.tags[in.ResourceARN] {
		out.Tags = append(out.Tags, tag{k, v})
	}
	sort.Slice(out.Tags, func(i, j int) bool { return out.Tags[i].Key < out.Tags[j].Key })
	return out, nil
}

// loadResources reads alarms, dashboards and tags into memory.
func (s *Service) loadResources() error {
	rows, err := s.db.Query(`SELECT kind, account, region, name, data FROM resources`)
	if err != nil {
		return fmt.Errorf("load resources: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, account, region, name, data string
		if err := rows.Scan(&kind, &account, &region, &name, &data); err != nil {
			return fmt.Errorf("load resources: %w", err)
		}
		rk := regionKey{account, region}
		switch kind {
		case "alarm":
			var a alarm
			if err := json.Unmarshal([]byte(data), &a); err != nil {
				return fmt.Errorf("load alarm %s: %w", name, err)
			}
			if s.alarms[rk] == nil {
				s.alarms[rk] = map[string]*alarm{}
			}
			s.alarms[rk][name] = &a
		case "dashboard":
			var d dashboard
			if err := json.Unmarshal([]byte(data), &d); err != nil {
				return fmt.Errorf("load dashboard %s: %w", name, err)
			}
			if s.dashes[rk] == nil {
				s.dashes[rk] = map[string]*dashboard{}
			}
			s.dashes[rk][name] = &d
		case "tags":
			var m map[string]string
			if err := json.Unmarshal([]byte(data), &m); err != nil {
				return fmt.Errorf("load tags of %s: %w", name, err)
			}
			s.tags[name] = m
		}
	}
	return rows.Err()
}

package logs

import (
	"context"
	"encoding/base64"
	"sort"
	"strconv"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// retentionDays are the values PutRetentionPolicy accepts.
var retentionDays = map[int]bool{
	1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true, 120: true, 150: true,
	180: true, 365: true, 400: true, 545: true, 731: true, 1096: true, 1827: true, 2192: true,
	2557: true, 2922: true, 3288: true, 3653: true,
}

const maxTags = 50

func validGroupName(field, name string) error {
	var v violations
	v.groupName(field, name)
	return v.err()
}

// groupName checks a member of the shape LogGroupName.
func (v *violations) groupName(field, name string) {
	v.length(field, name, 1, 512)
	v.pattern(field, name, groupNameChars(name), `[\.\-_/#A-Za-z0-9]+`)
}

// groupNameChars reports whether name matches [\.\-_/#A-Za-z0-9]+.
func groupNameChars(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '/' || c == '#') {
			return false
		}
	}
	return name != ""
}

func validStreamName(name string) error {
	var v violations
	v.length("logStreamName", name, 1, 512)
	v.pattern("logStreamName", name, noneOf(name, ":*"), "[^:*]*")
	return v.err()
}

func validTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return protocol.Errorf("TooManyTagsException", "A resource can have no more than %d tags.", maxTags)
	}
	for k, v := range tags {
		if len(k) < 1 || len(k) > 128 || len(v) > 256 || strings.HasPrefix(k, "aws:") {
			return invalidParam("1 validation error detected: tag key %q or its value is invalid", k)
		}
	}
	return nil
}

// groupName resolves logGroupName or logGroupIdentifier (a name or an ARN in
// the caller's account and region) to a group name.
func groupName(id protocol.Identity, name, identifier string, required bool) (string, error) {
	switch {
	case name != "" && identifier != "":
		return "", invalidParam("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case name != "":
		return name, validGroupName("logGroupName", name)
	case identifier == "":
		if !required {
			return "", nil
		}
		return "", invalidParam("Either the log group name or the log group identifier must be specified.")
	case strings.HasSuffix(identifier, "*"):
		// The model's pattern for LogGroupIdentifier is [\w#+=/:,.@-]*: an
		// ARN as DescribeLogGroups' arn member writes it, ending in :*, is
		// refused (logGroupArn has no :*).
		return "", invalidParam("1 validation error detected: Value '%s' at 'logGroupIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w#+=/:,.@-]*", identifier)
	case !strings.HasPrefix(identifier, "arn:"):
		return identifier, validGroupName("logGroupIdentifier", identifier)
	}
	a, ok := protocol.ParseARN(identifier)
	res, isGroup := strings.CutPrefix(a.Resource, "log-group:")
	if !ok || a.Service != "logs" || !isGroup {
		return "", invalidParam("Invalid log group identifier %s", identifier)
	}
	if a.Account != id.AccountID || a.Region != id.Region || !protocol.InPartition(a, id) {
		return "", groupNotFound()
	}
	return res, validGroupName("logGroupIdentifier", res)
}

// findGroup returns the caller's group; s.mu must be held.
func (s *Service) findGroup(ctx context.Context, name string) (*group, error) {
	id := protocol.IdentityFrom(ctx)
	g := s.groups[groupKey{id.AccountID, id.Region, name}]
	if g == nil {
		return nil, groupNotFound()
	}
	return g, nil
}

func (s *Service) createLogGroup(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName  string            `json:"logGroupName"`
		KmsKeyID      string            `json:"kmsKeyId"`
		LogGroupClass string            `json:"logGroupClass"`
		Tags          map[string]string `json:"tags"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	switch in.LogGroupClass {
	case "":
		in.LogGroupClass = "STANDARD"
	case "STANDARD", "INFREQUENT_ACCESS", "DELIVERY":
	default:
		return nil, invalidParam("1 validation error detected: Value '%s' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]", in.LogGroupClass)
	}
	if err := validTags(in.Tags); err != nil {
		return nil, err
	}
	if len(in.KmsKeyID) > 256 {
		return nil, invalidParam("1 validation error detected: Value '%s' at 'kmsKeyId' failed to satisfy constraint: Member must have length less than or equal to 256", in.KmsKeyID)
	}
	id := protocol.IdentityFrom(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	k := groupKey{id.AccountID, id.Region, in.LogGroupName}
	if s.groups[k] != nil {
		return nil, protocol.Errorf("ResourceAlreadyExistsException", "The specified log group already exists")
	}
	g := &group{key: k, created: s.now().UnixMilli(), class: in.LogGroupClass, kmsKeyID: in.KmsKeyID, tags: in.Tags, streams: map[string]*stream{}}
	if err := saveGroup(ctx, s.db, g); err != nil {
		return nil, err
	}
	s.groups[k] = g
	return nil, nil
}

func (s *Service) deleteLogGroup(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findGroup(ctx, in.LogGroupName)
	if err != nil {
		return nil, err
	}
	k := g.key
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	for _, q := range []string{
		`DELETE FROM groups WHERE account = ? AND region = ? AND name = ?`,
		`DELETE FROM group_kms WHERE account = ? AND region = ? AND name = ?`,
		`DELETE FROM streams WHERE account = ? AND region = ? AND grp = ?`,
		`DELETE FROM events WHERE account = ? AND region = ? AND grp = ?`,
		`DELETE FROM metric_filters WHERE account = ? AND region = ? AND grp = ?`,
		`DELETE FROM docs WHERE account = ? AND region = ? AND grp = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, k.account, k.region, k.name); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	delete(s.groups, k)
	for dk := range s.docs {
		if dk.account == k.account && dk.region == k.region && dk.grp == k.name {
			delete(s.docs, dk)
		}
	}
	return nil, nil
}

type logGroupOut struct {
	LogGroupName      string `json:"logGroupName"`
	CreationTime      int64  `json:"creationTime"`
	RetentionInDays   *int   `json:"retentionInDays,omitempty"`
	MetricFilterCount int    `json:"metricFilterCount"`
	Arn               string `json:"arn"`
	LogGroupArn       string `json:"logGroupArn"`
	StoredBytes       int64  `json:"storedBytes"`
	LogGroupClass     string `json:"logGroupClass"`
	KmsKeyID          string `json:"kmsKeyId,omitempty"`
	// DataProtectionStatus is set by the caller, which sees the policies.
	DataProtectionStatus string `json:"dataProtectionStatus,omitempty"`
}

func (g *group) out() logGroupOut {
	o := logGroupOut{
		LogGroupName:      g.key.name,
		CreationTime:      g.created,
		Arn:               g.arn() + ":*",
		LogGroupArn:       g.arn(),
		LogGroupClass:     g.class,
		KmsKeyID:          g.kmsKeyID,
		MetricFilterCount: len(g.filters),
	}
	if g.retention > 0 {
		r := g.retention
		o.RetentionInDays = &r
	}
	for _, st := range g.streams {
		o.StoredBytes += st.storedBytes
	}
	return o
}

func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", invalidParam("The specified nextToken is invalid.")
	}
	return string(b), nil
}

// offsetToken is the offset a list's nextToken carries (0 without one).
func offsetToken(tok string) (int, error) {
	if tok == "" {
		return 0, nil
	}
	t, err := decodeToken(tok)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 {
		return 0, invalidParam("The specified nextToken is invalid.")
	}
	return n, nil
}

func encodeToken(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func checkLimit(limit *int, def, max int) (int, error) {
	if limit == nil {
		return def, nil
	}
	var v violations
	if v.value("limit", *limit, 1, max); v != nil {
		return 0, v.err()
	}
	return *limit, nil
}

func (s *Service) describeLogGroups(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupNamePrefix  string `json:"logGroupNamePrefix"`
		LogGroupNamePattern string `json:"logGroupNamePattern"`
		NextToken           string `json:"nextToken"`
		Limit               *int   `json:"limit"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if in.LogGroupNamePrefix != "" && in.LogGroupNamePattern != "" {
		return nil, invalidParam("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	if in.LogGroupNamePrefix != "" {
		if err := validGroupName("logGroupNamePrefix", in.LogGroupNamePrefix); err != nil {
			return nil, err
		}
	}
	limit, err := checkLimit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	after := ""
	if in.NextToken != "" {
		if after, err = decodeToken(in.NextToken); err != nil {
			return nil, err
		}
	}
	id := protocol.IdentityFrom(ctx)
	pattern := strings.ToLower(in.LogGroupNamePattern)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var names []string
	for k := range s.groups {
		if k.account != id.AccountID || k.region != id.Region || !strings.HasPrefix(k.name, in.LogGroupNamePrefix) ||
			!strings.Contains(strings.ToLower(k.name), pattern) || (after != "" && k.name <= after) {
			continue
		}
		names = append(names, k.name)
	}
	sort.Strings(names)
	out := struct {
		LogGroups []logGroupOut `json:"logGroups"`
		NextToken string        `json:"nextToken,omitempty"`
	}{LogGroups: []logGroupOut{}}
	if len(names) > limit {
		names = names[:limit]
		out.NextToken = encodeToken(names[limit-1])
	}
	for _, n := range names {
		g := s.groups[groupKey{id.AccountID, id.Region, n}]
		o := g.out()
		o.DataProtectionStatus = s.dataProtectionStatus(g)
		out.LogGroups = append(out.LogGroups, o)
	}
	return out, nil
}

func (s *Service) putRetentionPolicy(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName    string `json:"logGroupName"`
		RetentionInDays *int   `json:"retentionInDays"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	if in.RetentionInDays == nil {
		return nil, invalidParam("1 validation error detected: Value null at 'retentionInDays' failed to satisfy constraint: Member must not be null")
	}
	if !retentionDays[*in.RetentionInDays] {
		return nil, invalidParam("1 validation error detected: Value '%d' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]", *in.RetentionInDays)
	}
	return nil, s.setRetention(ctx, in.LogGroupName, *in.RetentionInDays)
}

func (s *Service) deleteRetentionPolicy(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	return nil, s.setRetention(ctx, in.LogGroupName, 0)
}

func (s *Service) setRetention(ctx context.Context, name string, days int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findGroup(ctx, name)
	if err != nil {
		return err
	}
	c := *g
	c.retention = days
	if err := saveGroup(ctx, s.db, &c); err != nil {
		return err
	}
	g.retention = days
	return nil
}

package logs

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

const maxMetricFilters = 100 // per log group

// metricFilter is a stored metric filter. Matching events publish its
// metrics (see emitMetrics).
type metricFilter struct {
	name            string
	pattern         string
	transformations []metricTransformation
	created         int64

	once     sync.Once
	compiled *Pattern // nil when the pattern does not compile
}

func (f *metricFilter) matcher() *Pattern {
	f.once.Do(func() { f.compiled, _ = CompilePattern(f.pattern) })
	return f.compiled
}

type metricTransformation struct {
	MetricName      string            `json:"metricName"`
	MetricNamespace string            `json:"metricNamespace"`
	MetricValue     string            `json:"metricValue"`
	DefaultValue    *float64          `json:"defaultValue,omitempty"`
	Dimensions      map[string]string `json:"dimensions,omitempty"`
	Unit            string            `json:"unit,omitempty"`
}

var metricUnits = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true, "Megabytes": true,
	"Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true, "Megabits": true, "Gigabits": true, "Terabits": true,
	"Percent": true, "Count": true, "Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true,
	"Gigabytes/Second": true, "Terabytes/Second": true, "Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true,
	"Gigabits/Second": true, "Terabits/Second": true, "Count/Second": true, "None": true,
}

func validMetricName(field, s string) error {
	var v violations
	v.length(field, s, 1, 255)
	v.pattern(field, s, noneOf(s, ":*$"), "[^:*$]*")
	return v.err()
}

func (s *Service) putMetricFilter(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName          string                 `json:"logGroupName"`
		FilterName            string                 `json:"filterName"`
		FilterPattern         *string                `json:"filterPattern"`
		MetricTransformations []metricTransformation `json:"metricTransformations"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	if err := validFilterName("filterName", in.FilterName); err != nil {
		return nil, err
	}
	if in.FilterPattern == nil {
		return nil, invalidParam("1 validation error detected: Value null at 'filterPattern' failed to satisfy constraint: Member must not be null")
	}
	if _, err := CompilePattern(*in.FilterPattern); err != nil {
		return nil, invalidParam("Invalid metric filter pattern")
	}
	if len(in.MetricTransformations) != 1 {
		return nil, invalidParam("1 validation error detected: Value at 'metricTransformations' failed to satisfy constraint: Member must have length less than or equal to 1 and greater than or equal to 1")
	}
	t := in.MetricTransformations[0]
	if err := validMetricName("metricTransformations.1.member.metricName", t.MetricName); err != nil {
		return nil, err
	}
	if err := validMetricName("metricTransformations.1.member.metricNamespace", t.MetricNamespace); err != nil {
		return nil, err
	}
	var v violations
	if v.length("metricTransformations.1.member.metricValue", t.MetricValue, 1, 100); v != nil {
		return nil, v.err()
	}
	if t.Unit != "" && !metricUnits[t.Unit] {
		return nil, invalidParam("1 validation error detected: Value '%s' at 'metricTransformations.1.member.unit' failed to satisfy constraint: Member must satisfy enum value set", t.Unit)
	}
	if len(t.Dimensions) > 3 {
		return nil, invalidParam("A metric transformation can have at most 3 dimensions.")
	}
	if len(t.Dimensions) > 0 && t.DefaultValue != nil {
		return nil, invalidParam("You cannot specify a default value for a metric transformation with dimensions.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findGroup(ctx, in.LogGroupName)
	if err != nil {
		return nil, err
	}
	if g.filters[in.FilterName] == nil && len(g.filters) >= maxMetricFilters {
		return nil, protocol.Errorf("LimitExceededException", "Resource limit exceeded: at most %d metric filters per log group.", maxMetricFilters)
	}
	f := &metricFilter{name: in.FilterName, pattern: *in.FilterPattern, transformations: in.MetricTransformations, created: s.now().UnixMilli()}
	tj, _ := json.Marshal(f.transformations)
	_, err = s.db.ExecContext(ctx, `INSERT OR REPLACE INTO metric_filters (account, region, grp, name, pattern, transformations, created) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		g.key.account, g.key.region, g.key.name, f.name, f.pattern, string(tj), f.created)
	if err != nil {
		return nil, err
	}
	if g.filters == nil {
		g.filters = map[string]*metricFilter{}
	}
	g.filters[f.name] = f
	return nil, nil
}

func (s *Service) deleteMetricFilter(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
		FilterName   string `json:"filterName"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	if err := validFilterName("filterName", in.FilterName); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findGroup(ctx, in.LogGroupName)
	if err != nil {
		return nil, err
	}
	if g.filters[in.FilterName] == nil {
		return nil, protocol.Errorf("ResourceNotFoundException", "The specified metric filter does not exist.")
	}
	_, err = s.db.ExecContext(ctx, `DELETE FROM metric_filters WHERE account = ? AND region = ? AND grp = ? AND name = ?`, g.key.account, g.key.region, g.key.name, in.FilterName)
	if err != nil {
		return nil, err
	}
	delete(g.filters, in.FilterName)
	return nil, nil
}

func (s *Service) describeMetricFilters(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName     string `json:"logGroupName"`
		FilterNamePrefix string `json:"filterNamePrefix"`
		NextToken        string `json:"nextToken"`
		Limit            *int   `json:"limit"`
		MetricName       string `json:"metricName"`
		MetricNamespace  string `json:"metricNamespace"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validDescribeMetricFilters(in.LogGroupName, in.FilterNamePrefix, in.MetricName, in.MetricNamespace); err != nil {
		return nil, err
	}
	if in.FilterNamePrefix != "" && in.LogGroupName == "" {
		return nil, invalidParam("If you specify filterNamePrefix, you must also specify logGroupName.")
	}
	if (in.MetricName == "") != (in.MetricNamespace == "") {
		return nil, invalidParam("metricName and metricNamespace must be specified together.")
	}
	limit, err := checkLimit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	offset, err := offsetToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	type filterOut struct {
		FilterName            string                 `json:"filterName"`
		FilterPattern         string                 `json:"filterPattern"`
		MetricTransformations []metricTransformation `json:"metricTransformations"`
		CreationTime          int64                  `json:"creationTime"`
		LogGroupName          string                 `json:"logGroupName"`
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var groups []*group
	if in.LogGroupName != "" {
		g, err := s.findGroup(ctx, in.LogGroupName)
		if err != nil {
			return nil, err
		}
		groups = []*group{g}
	} else {
		for k, g := range s.groups {
			if k.account == id.AccountID && k.region == id.Region && len(g.filters) > 0 {
				groups = append(groups, g)
			}
		}
	}
	var all []filterOut
	for _, g := range groups {
		for _, f := range g.filters {
			if !strings.HasPrefix(f.name, in.FilterNamePrefix) {
				continue
			}
			if in.MetricName != "" && (f.transformations[0].MetricName != in.MetricName || f.transformations[0].MetricNamespace != in.MetricNamespace) {
				continue
			}
			all = append(all, filterOut{f.name, f.pattern, f.transformations, f.created, g.key.name})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].LogGroupName != all[j].LogGroupName {
			return all[i].LogGroupName < all[j].LogGroupName
		}
		return all[i].FilterName < all[j].FilterName
	})
	out := struct {
		MetricFilters []filterOut `json:"metricFilters"`
		NextToken     string      `json:"nextToken,omitempty"`
	}{MetricFilters: []filterOut{}}
	if offset > len(all) {
		offset = len(all)
	}
	end := offset + limit
	if end < len(all) {
		out.NextToken = encodeToken(strconv.Itoa(end))
	} else {
		end = len(all)
	}
	out.MetricFilters = append(out.MetricFilters, all[offset:end]...)
	return out, nil
}

// validDescribeMetricFilters checks DescribeMetricFilters' optional members
// against their shapes (LogGroupName, FilterName, MetricName and
// MetricNamespace) before anything is looked up.
func validDescribeMetricFilters(group, prefix, metric, namespace string) error {
	var v violations
	if group != "" {
		v.groupName("logGroupName", group)
	}
	if prefix != "" {
		v.length("filterNamePrefix", prefix, 1, 512)
		v.pattern("filterNamePrefix", prefix, noneOf(prefix, ":*"), "[^:*]*")
	}
	v.length("metricName", metric, 0, 255)
	v.pattern("metricName", metric, noneOf(metric, ":*$"), "[^:*$]*")
	v.length("metricNamespace", namespace, 0, 255)
	v.pattern("metricNamespace", namespace, noneOf(namespace, ":*$"), "[^:*$]*")
	return v.err()
}

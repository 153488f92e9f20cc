package logs

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// metricsBox lets an interface value live in an atomic.Value.
type metricsBox struct{ p protocol.MetricPublisher }

// SetMetrics tells the service where metric filters and embedded-metric-
// format lines publish (the CloudWatch service, built after this one).
func (s *Service) SetMetrics(p protocol.MetricPublisher) { s.metrics.Store(metricsBox{p}) }

// emitMetrics publishes what committed events produce: each metric filter
// of the group, per matching event (or its default value once per batch
// with no match), and, for lines written by Lambda (emf), the metrics of
// lines in CloudWatch's embedded metric format.
func (s *Service) emitMetrics(k groupKey, evs []event, emf bool) {
	box, _ := s.metrics.Load().(metricsBox)
	if box.p == nil {
		return
	}
	s.mu.RLock()
	var filters []*metricFilter
	if g := s.groups[k]; g != nil {
		for _, f := range g.filters {
			filters = append(filters, f)
		}
	}
	s.mu.RUnlock()
	var out []protocol.MetricDatum
	docs := make([]map[string]any, len(evs))
	doc := func(i int) map[string]any {
		if docs[i] == nil {
			docs[i] = map[string]any{}
			if m := strings.TrimSpace(evs[i].msg); strings.HasPrefix(m, "{") {
				json.Unmarshal([]byte(m), &docs[i])
			}
		}
		return docs[i]
	}
	for _, f := range filters {
		p := f.matcher()
		if p == nil {
			continue
		}
		matched := false
		for i, e := range evs {
			if !p.Match(e.msg) {
				continue
			}
			matched = true
			for _, t := range f.transformations {
				if d, ok := filterDatum(t, doc(i), e.ts); ok {
					out = append(out, d)
				}
			}
		}
		if !matched && len(evs) > 0 {
			for _, t := range f.transformations {
				if t.DefaultValue != nil {
					out = append(out, protocol.MetricDatum{Namespace: t.MetricNamespace, MetricName: t.MetricName, Value: *t.DefaultValue, Unit: t.Unit, Time: time.UnixMilli(evs[len(evs)-1].ts)})
				}
			}
		}
	}
	if emf {
		for i, e := range evs {
			if strings.Contains(e.msg, `"_aws"`) {
				out = append(out, emfData(doc(i), e.ts)...)
			}
		}
	}
	if len(out) > 0 {
		box.p.PublishMetrics(k.account, k.region, out)
	}
}

// jsonPath reads a selector like $.a.b from a JSON line.
func jsonPath(doc map[string]any, sel string) (any, bool) {
	path, ok := strings.CutPrefix(sel, "$.")
	if !ok {
		return nil, false
	}
	var cur any = doc
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func filterDatum(t metricTransformation, doc map[string]any, ts int64) (protocol.MetricDatum, bool) {
	d := protocol.MetricDatum{Namespace: t.MetricNamespace, MetricName: t.MetricName, Unit: t.Unit, Time: time.UnixMilli(ts)}
	if v, ok := jsonPath(doc, t.MetricValue); ok {
		f, ok := metricNumber(v)
		if !ok {
			return d, false
		}
		d.Value = f
	} else if f, err := strconv.ParseFloat(t.MetricValue, 64); err == nil {
		d.Value = f
	} else {
		return d, false
	}
	for name, sel := range t.Dimensions {
		v, ok := jsonPath(doc, sel)
		if !ok {
			if strings.HasPrefix(sel, "$") {
				return d, false
			}
			v = sel
		}
		if d.Dimensions == nil {
			d.Dimensions = map[string]string{}
		}
		switch x := v.(type) {
		case string:
			d.Dimensions[name] = x
		case float64:
			d.Dimensions[name] = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			return d, false
		}
	}
	return d, true
}

func metricNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// emfData reads the metrics of one line in the embedded metric format:
// {"_aws":{"Timestamp":ms,"CloudWatchMetrics":[{"Namespace":..,
// "Dimensions":[["a","b"]],"Metrics":[{"Name":"x","Unit":"Milliseconds"}]}]},
// "a":"..","b":"..","x":12}.
func emfData(doc map[string]any, ts int64) []protocol.MetricDatum {
	meta, _ := doc["_aws"].(map[string]any)
	if meta == nil {
		return nil
	}
	if t, ok := meta["Timestamp"].(float64); ok && t > 0 {
		ts = int64(t)
	}
	directives, _ := meta["CloudWatchMetrics"].([]any)
	var out []protocol.MetricDatum
	for _, d := range directives {
		dir, _ := d.(map[string]any)
		ns, _ := dir["Namespace"].(string)
		if ns == "" || strings.HasPrefix(ns, "AWS/") {
			continue
		}
		sets, _ := dir["Dimensions"].([]any)
		if len(sets) == 0 {
			sets = []any{[]any{}}
		}
		metrics, _ := dir["Metrics"].([]any)
		for _, set := range sets {
			keys, _ := set.([]any)
			dims := map[string]string{}
			complete := true
			for _, k := range keys {
				name, _ := k.(string)
				v, ok := doc[name].(string)
				if !ok {
					complete = false
					break
				}
				dims[name] = v
			}
			if !complete {
				continue
			}
			for _, m := range metrics {
				def, _ := m.(map[string]any)
				name, _ := def["Name"].(string)
				unit, _ := def["Unit"].(string)
				var vals []any
				switch v := doc[name].(type) {
				case []any:
					vals = v
				case nil:
				default:
					vals = []any{v}
				}
				for _, v := range vals {
					if f, ok := v.(float64); ok && name != "" {
						out = append(out, protocol.MetricDatum{Namespace: ns, MetricName: name, Dimensions: dims, Value: f, Unit: unit, Time: time.UnixMilli(ts)})
					}
				}
			}
		}
	}
	return out
}

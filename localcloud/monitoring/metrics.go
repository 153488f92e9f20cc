package monitoring

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Dimension is a metric dimension.
type Dimension struct {
	Name  string
	Value string
}

// Metric names a metric.
type Metric struct {
	Namespace  string      `json:",omitempty"`
	MetricName string      `json:",omitempty"`
	Dimensions []Dimension `json:",omitempty"`
}

// point is one published datum (or the sum of several for the same
// timestamp from a service).
type point struct {
	t     int64 // Unix milliseconds
	unit  string
	count float64
	sum   float64
	min   float64
	max   float64
	vals  [][2]float64 // raw values and their counts; nil for statistic sets
}

// series is every point of one metric (namespace, name, dimension set).
type series struct {
	metric  Metric
	points  []point // in time order
	lastPut time.Time
}

// seriesKey identifies a series within an account and region.
func seriesKey(namespace, name string, dims []Dimension) string {
	var b strings.Builder
	b.WriteString(namespace)
	b.WriteByte(0)
	b.WriteString(name)
	for _, d := range dims {
		b.WriteByte(0)
		b.WriteString(d.Name)
		b.WriteByte(1)
		b.WriteString(d.Value)
	}
	return b.String()
}

func sortDims(d []Dimension) []Dimension {
	out := append([]Dimension(nil), d...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// region is one account and region's metrics.
type regionKey struct{ account, region string }

func (s *Service) addPoint(rk regionKey, m Metric, p point, now time.Time) {
	key := seriesKey(m.Namespace, m.MetricName, m.Dimensions)
	byKey := s.series[rk]
	if byKey == nil {
		byKey = map[string]*series{}
		s.series[rk] = byKey
	}
	sr := byKey[key]
	if sr == nil {
		sr = &series{metric: m}
		byKey[key] = sr
	}
	if now.After(sr.lastPut) {
		sr.lastPut = now
	}
	i := len(sr.points)
	for i > 0 && sr.points[i-1].t > p.t {
		i--
	}
	sr.points = append(sr.points, point{})
	copy(sr.points[i+1:], sr.points[i:])
	sr.points[i] = p
}

// Units CloudWatch accepts.
var units = map[string]bool{}

func init() {
	for _, u := range strings.Fields(`Seconds Microseconds Milliseconds Bytes Kilobytes Megabytes Gigabytes Terabytes
		Bits Kilobits Megabits Gigabits Terabits Percent Count Bytes/Second Kilobytes/Second Megabytes/Second
		Gigabytes/Second Terabytes/Second Bits/Second Kilobits/Second Megabits/Second Gigabits/Second
		Terabits/Second Count/Second None`) {
		units[u] = true
	}
}

type statisticSet struct {
	SampleCount *float64
	Sum         *float64
	Minimum     *float64
	Maximum     *float64
}

type metricDatum struct {
	MetricName        string
	Dimensions        []Dimension
	Timestamp         *time.Time
	Value             *float64
	StatisticValues   *statisticSet
	Values            []float64
	Counts            []float64
	Unit              string
	StorageResolution *int
}

type putMetricDataInput struct {
	Namespace  string
	MetricData []metricDatum
}

// Limits of PutMetricData (AWS's documented quotas).
const (
	maxDataPerPut   = 1000
	maxValuesPerDat = 150
	maxDimensions   = 30
)

// validValue is the range of values CloudWatch accepts (it rejects values
// too small or too large in magnitude, and NaN or infinities).
func validValue(v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return false
	}
	a := math.Abs(v)
	return a == 0 || (a >= 8.515920e-109 && a <= 1.174271e+108)
}

func validateDims(dims []Dimension, param string) error {
	if len(dims) > maxDimensions {
		return invalidValue("The collection %s must not have a size greater than %d.", param, maxDimensions)
	}
	seen := map[string]bool{}
	for i, d := range dims {
		if d.Name == "" || len(d.Name) > 255 {
			return invalidValue("The parameter %s.member.%d.Name must be a value between 1 and 255 characters.", param, i+1)
		}
		if d.Value == "" || len(d.Value) > 1024 {
			return invalidValue("The parameter %s.member.%d.Value must be a value between 1 and 1024 characters.", param, i+1)
		}
		if seen[d.Name] {
			return invalidValue("No metric may have duplicate dimension names (%s).", d.Name)
		}
		seen[d.Name] = true
	}
	return nil
}

func validNamespace(ns string) error {
	if ns == "" {
		return missingParam("Namespace")
	}
	if len(ns) > 255 || strings.ContainsAny(ns, "\x00\n\t") || strings.HasPrefix(ns, ":") {
		return invalidValue("The value %s for parameter Namespace is invalid.", ns)
	}
	return nil
}

// datumPoint checks one datum and turns it into a point.
func datumPoint(d metricDatum, i int, now time.Time) (point, error) {
	p := fmt.Sprintf("MetricData.member.%d", i+1)
	if d.MetricName == "" {
		return point{}, missingParam(p + ".MetricName")
	}
	if len(d.MetricName) > 255 {
		return point{}, invalidValue("The parameter %s.MetricName must be a value between 1 and 255 characters.", p)
	}
	if err := validateDims(d.Dimensions, p+".Dimensions"); err != nil {
		return point{}, err
	}
	if d.Unit != "" && !units[d.Unit] {
		return point{}, invalidValue("The parameter %s.Unit must be a value in the set [ %s ].", p, unitList())
	}
	if d.StorageResolution != nil && *d.StorageResolution != 1 && *d.StorageResolution != 60 {
		return point{}, invalidValue("The parameter %s.StorageResolution must be 1 or 60.", p)
	}
	given := 0
	for _, b := range []bool{d.Value != nil, d.StatisticValues != nil, len(d.Values) > 0} {
		if b {
			given++
		}
	}
	if given > 1 {
		return point{}, invalidCombination("The parameters %s.Value, %s.StatisticValues and %s.Values are mutually exclusive and you have specified more than one.", p, p, p)
	}
	if given == 0 {
		return point{}, missingParam(p + ".Value")
	}
	ts := now
	if d.Timestamp != nil {
		ts = *d.Timestamp
		if ts.Before(now.Add(-14*24*time.Hour)) || ts.After(now.Add(2*time.Hour)) {
			return point{}, invalidValue("The parameter %s.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.", p)
		}
	}
	unit := d.Unit
	if unit == "" {
		unit = "None"
	}
	pt := point{t: ts.UnixMilli(), unit: unit}
	switch {
	case d.Value != nil:
		if !validValue(*d.Value) {
			return point{}, invalidValue("The value %v for parameter %s.Value is invalid.", *d.Value, p)
		}
		v := *d.Value
		pt.count, pt.sum, pt.min, pt.max, pt.vals = 1, v, v, v, [][2]float64{{v, 1}}
	case d.StatisticValues != nil:
		sv := d.StatisticValues
		for _, f := range []struct {
			name string
			v    *float64
		}{{"SampleCount", sv.SampleCount}, {"Sum", sv.Sum}, {"Minimum", sv.Minimum}, {"Maximum", sv.Maximum}} {
			if f.v == nil {
				return point{}, missingParam(p + ".StatisticValues." + f.name)
			}
			if !validValue(*f.v) {
				return point{}, invalidValue("The value %v for parameter %s.StatisticValues.%s is invalid.", *f.v, p, f.name)
			}
		}
		if *sv.SampleCount <= 0 || *sv.Minimum > *sv.Maximum {
			return point{}, invalidValue("The parameter %s.StatisticValues must have SampleCount > 0 and Minimum <= Maximum.", p)
		}
		pt.count, pt.sum, pt.min, pt.max = *sv.SampleCount, *sv.Sum, *sv.Minimum, *sv.Maximum
	default:
		if len(d.Values) > maxValuesPerDat {
			return point{}, invalidValue("The collection %s.Values must not have a size greater than %d.", p, maxValuesPerDat)
		}
		if len(d.Counts) > 0 && len(d.Counts) != len(d.Values) {
			return point{}, invalidParameterCombinationCounts(p)
		}
		pt.min, pt.max = math.Inf(1), math.Inf(-1)
		for j, v := range d.Values {
			c := 1.0
			if len(d.Counts) > 0 {
				c = d.Counts[j]
			}
			if !validValue(v) || c < 0 || !validValue(c) {
				return point{}, invalidValue("The value %v for parameter %s.Values.member.%d is invalid.", v, p, j+1)
			}
			pt.vals = append(pt.vals, [2]float64{v, c})
			pt.count += c
			pt.sum += v * c
			pt.min, pt.max = math.Min(pt.min, v), math.Max(pt.max, v)
		}
	}
	return pt, nil
}

func invalidParameterCombinationCounts(p string) error {
	return invalidValue("The parameters %s.Values and %s.Counts must be of the same size.", p, p)
}

func unitList() string {
	l := make([]string, 0, len(units))
	for u := range units {
		l = append(l, u)
	}
	sort.Strings(l)
	return strings.Join(l, ", ")
}

func (s *Service) putMetricData(ctx context.Context, tree map[string]any) (any, error) {
	var in putMetricDataInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	if err := validNamespace(in.Namespace); err != nil {
		return nil, err
	}
	if strings.HasPrefix(in.Namespace, "AWS/") {
		return nil, invalidValue("The value AWS/ for parameter Namespace is invalid.")
	}
	if len(in.MetricData) == 0 {
		return nil, missingParam("MetricData")
	}
	if len(in.MetricData) > maxDataPerPut {
		return nil, invalidValue("The collection MetricData must not have a size greater than %d.", maxDataPerPut)
	}
	id := protocol.IdentityFrom(ctx)
	now := s.now()
	batch := make([]published, len(in.MetricData))
	for i, d := range in.MetricData {
		p, err := datumPoint(d, i, now)
		if err != nil {
			return nil, err
		}
		batch[i] = published{metric: Metric{Namespace: in.Namespace, MetricName: d.MetricName, Dimensions: sortDims(d.Dimensions)}, p: p}
	}
	return nil, s.publish(regionKey{id.AccountID, id.Region}, batch)
}

// published is a datum ready to store.
type published struct {
	metric Metric
	p      point
}

// publish stores points durably and adds them to memory.
func (s *Service) publish(rk regionKey, batch []published) error {
	rows := make([][]any, len(batch))
	for i, b := range batch {
		dims, _ := json.Marshal(b.metric.Dimensions)
		vals := "[]"
		if b.p.vals != nil {
			v, _ := json.Marshal(b.p.vals)
			vals = string(v)
		}
		rows[i] = []any{rk.account, rk.region, b.metric.Namespace, b.metric.MetricName, string(dims), b.p.t, b.p.unit, 60, b.p.count, b.p.sum, b.p.min, b.p.max, vals}
	}
	s.mu.Lock()
	now := s.now()
	for _, b := range batch {
		s.addPoint(rk, b.metric, b.p, now)
	}
	s.mu.Unlock()
	return s.w.write(func(tx *sql.Tx) error {
		for _, r := range rows {
			if _, err := tx.Exec(`INSERT INTO points(account, region, namespace, name, dims, ts, unit, res, count, sum, min, max, vals) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)`, r...); err != nil {
				return fmt.Errorf("insert point: %w", err)
			}
		}
		return nil
	})
}

// loadPoints reads the retained datapoints into memory.
func (s *Service) loadPoints(now time.Time) error {
	rows, err := s.db.Query(`SELECT account, region, namespace, name, dims, ts, unit, count, sum, min, max, vals FROM points WHERE ts >= ? ORDER BY ts`, now.Add(-Retention).UnixMilli())
	if err != nil {
		return fmt.Errorf("load points: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rk regionKey
		var m Metric
		var dims, vals string
		var p point
		if err := rows.Scan(&rk.account, &rk.region, &m.Namespace, &m.MetricName, &dims, &p.t, &p.unit, &p.count, &p.sum, &p.min, &p.max, &vals); err != nil {
			return fmt.Errorf("load points: %w", err)
		}
		json.Unmarshal([]byte(dims), &m.Dimensions)
		if vals != "[]" {
			json.Unmarshal([]byte(vals), &p.vals)
		}
		s.addPoint(rk, m, p, time.UnixMilli(p.t))
	}
	return rows.Err()
}

type dimensionFilter struct {
	Name  string
	Value *string
}

type listMetricsInput struct {
	Namespace      string
	MetricName     string
	Dimensions     []dimensionFilter
	NextToken      string
	RecentlyActive string
	OwningAccount  string
}

type listMetricsOutput struct {
	Metrics   []Metric
	NextToken string `json:",omitempty"`
}

// listMetricsPage is ListMetrics' page size (AWS: up to 500).
const listMetricsPage = 500

func (s *Service) listMetrics(ctx context.Context, tree map[string]any) (any, error) {
	s.flushObserved()
	var in listMetricsInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	if in.RecentlyActive != "" && in.RecentlyActive != "PT3H" {
		return nil, invalidValue("The value %s for parameter RecentlyActive is invalid. It must be PT3H.", in.RecentlyActive)
	}
	if len(in.Dimensions) > 10 {
		return nil, invalidValue("The collection Dimensions must not have a size greater than 10.")
	}
	for i, f := range in.Dimensions {
		if f.Name == "" {
			return nil, missingParam(fmt.Sprintf("Dimensions.member.%d.Name", i+1))
		}
	}
	id := protocol.IdentityFrom(ctx)
	since := time.Time{}
	if in.RecentlyActive != "" {
		since = s.now().Add(-3 * time.Hour)
	}
	var keys []string
	var found []Metric
	s.mu.RLock()
	for key, sr := range s.series[regionKey{id.AccountID, id.Region}] {
		m := sr.metric
		if (in.Namespace != "" && m.Namespace != in.Namespace) || (in.MetricName != "" && m.MetricName != in.MetricName) ||
			sr.lastPut.Before(since) || !matchDims(m.Dimensions, in.Dimensions) {
			continue
		}
		keys = append(keys, key)
		found = append(found, m)
	}
	s.mu.RUnlock()
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	out := listMetricsOutput{Metrics: []Metric{}}
	for _, i := range idx {
		if in.NextToken != "" && keys[i] <= decodeToken(in.NextToken) {
			continue
		}
		if len(out.Metrics) == listMetricsPage {
			out.NextToken = encodeToken(keys[idx[indexOf(idx, i)-1]])
			break
		}
		m := found[i]
		if m.Dimensions == nil {
			m.Dimensions = []Dimension{}
		}
		out.Metrics = append(out.Metrics, m)
	}
	return out, nil
}

func indexOf(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// matchDims reports whether a metric has every filtered dimension (with the
// filter's value, when one is given).
func matchDims(dims []Dimension, filters []dimensionFilter) bool {
	for _, f := range filters {
		ok := false
		for _, d := range dims {
			if d.Name == f.Name && (f.Value == nil || *f.Value == d.Value) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

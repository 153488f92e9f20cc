package monitoring

import (
	"context"
	"encoding/base64"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// bucket is the aggregate of the points in one period.
type bucket struct {
	start time.Time
	count float64
	sum   float64
	min   float64
	max   float64
	vals  [][2]float64
	raw   bool // every point carried raw values (percentiles are defined)
	unit  string
}

// aggregate groups a series' points with unit (all units when empty) in
// [start, end) into periods aligned to the period.
func aggregate(pts []point, unit string, start, end time.Time, period time.Duration) []*bucket {
	ps := period.Milliseconds()
	lo, hi := start.UnixMilli(), end.UnixMilli()
	i := sort.Search(len(pts), func(i int) bool { return pts[i].t >= lo })
	var out []*bucket
	var cur *bucket
	for ; i < len(pts) && pts[i].t < hi; i++ {
		p := &pts[i]
		if unit != "" && p.unit != unit {
			continue
		}
		bs := p.t - ((p.t%ps)+ps)%ps
		if cur == nil || cur.start.UnixMilli() != bs {
			cur = &bucket{start: time.UnixMilli(bs).UTC(), min: math.Inf(1), max: math.Inf(-1), raw: true, unit: p.unit}
			out = append(out, cur)
		}
		cur.count += p.count
		cur.sum += p.sum
		cur.min = math.Min(cur.min, p.min)
		cur.max = math.Max(cur.max, p.max)
		if p.vals == nil {
			cur.raw = false
		}
		cur.vals = append(cur.vals, p.vals...)
	}
	return out
}

var extendedStatRE = regexp.MustCompile(`^p(\d{1,2}(\.\d{0,10})?|100(\.0{0,10})?)$`)

// validStat reports whether stat is a statistic CloudWatch accepts in
// alarms and metric stats: the five basics or a percentile.
func validStat(stat string) bool {
	switch stat {
	case "SampleCount", "Average", "Sum", "Minimum", "Maximum":
		return true
	}
	return extendedStatRE.MatchString(stat)
}

// value computes one statistic of a bucket; ok is false when it is not
// defined (a percentile over statistic sets).
func (b *bucket) value(stat string) (float64, bool) {
	switch stat {
	case "SampleCount":
		return b.count, true
	case "Sum":
		return b.sum, true
	case "Average":
		if b.count == 0 {
			return 0, false
		}
		return b.sum / b.count, true
	case "Minimum":
		return b.min, true
	case "Maximum":
		return b.max, true
	}
	if !extendedStatRE.MatchString(stat) || !b.raw || len(b.vals) == 0 {
		return 0, false
	}
	q, _ := strconv.ParseFloat(stat[1:], 64)
	return percentile(b.vals, q), true
}

// percentile is the nearest-rank percentile of weighted values.
func percentile(vals [][2]float64, q float64) float64 {
	v := append([][2]float64(nil), vals...)
	sort.Slice(v, func(i, j int) bool { return v[i][0] < v[j][0] })
	var total float64
	for _, e := range v {
		total += e[1]
	}
	rank := math.Ceil(q / 100 * total)
	if rank < 1 {
		rank = 1
	}
	var seen float64
	for _, e := range v {
		seen += e[1]
		if seen >= rank {
			return e[0]
		}
	}
	return v[len(v)-1][0]
}

// checkPeriod validates a period in seconds: 1, 5, 10, 30 or a multiple of 60.
func checkPeriod(period int, param string) error {
	if period <= 0 {
		return invalidValue("The parameter %s must be greater than 0.", param)
	}
	switch period {
	case 1, 5, 10, 30:
		return nil
	}
	if period%60 != 0 {
		return invalidValue("The parameter %s must be 1, 5, 10, 30, or a multiple of 60.", param)
	}
	return nil
}

type getMetricStatisticsInput struct {
	Namespace          string
	MetricName         string
	Dimensions         []Dimension
	StartTime          *time.Time
	EndTime            *time.Time
	Period             *int
	Statistics         []string
	ExtendedStatistics []string
	Unit               string
}

type datapoint struct {
	Timestamp          time.Time
	SampleCount        *float64           `json:",omitempty"`
	Average            *float64           `json:",omitempty"`
	Sum                *float64           `json:",omitempty"`
	Minimum            *float64           `json:",omitempty"`
	Maximum            *float64           `json:",omitempty"`
	Unit               string             `json:",omitempty"`
	ExtendedStatistics map[string]float64 `json:",omitempty"`
}

type getMetricStatisticsOutput struct {
	Label      string
	Datapoints []datapoint
}

// maxDatapoints is how many datapoints one GetMetricStatistics may return.
const maxDatapoints = 1440

func (s *Service) getMetricStatistics(ctx context.Context, tree map[string]any) (any, error) {
	s.flushObserved()
	var in getMetricStatisticsInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	for _, req := range []struct {
		name string
		ok   bool
	}{{"Namespace", in.Namespace != ""}, {"MetricName", in.MetricName != ""}, {"StartTime", in.StartTime != nil}, {"EndTime", in.EndTime != nil}, {"Period", in.Period != nil}} {
		if !req.ok {
			return nil, missingParam(req.name)
		}
	}
	if err := checkPeriod(*in.Period, "Period"); err != nil {
		return nil, err
	}
	if err := validateDims(in.Dimensions, "Dimensions"); err != nil {
		return nil, err
	}
	if len(in.Statistics) == 0 && len(in.ExtendedStatistics) == 0 {
		return nil, missingParam("Statistics")
	}
	if len(in.Statistics) > 0 && len(in.ExtendedStatistics) > 0 {
		return nil, invalidCombination("The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.")
	}
	for i, st := range in.Statistics {
		if !validStat(st) || strings.HasPrefix(st, "p") {
			return nil, invalidValue("The parameter Statistics.member.%d must be a value in the set [ Maximum, Minimum, Sum, SampleCount, Average ].", i+1)
		}
	}
	for _, st := range in.ExtendedStatistics {
		if !extendedStatRE.MatchString(st) {
			return nil, invalidValue("The value %s for parameter ExtendedStatistics is not supported.", st)
		}
	}
	if len(in.ExtendedStatistics) > 10 {
		return nil, invalidValue("The collection ExtendedStatistics must not have a size greater than 10.")
	}
	if in.Unit != "" && !units[in.Unit] {
		return nil, invalidValue("The parameter Unit must be a value in the set [ %s ].", unitList())
	}
	start, end := in.StartTime.UTC(), in.EndTime.UTC()
	if !start.Before(end) {
		return nil, invalidValue("The parameter StartTime must be less than the parameter EndTime.")
	}
	period := time.Duration(*in.Period) * time.Second
	start = start.Truncate(period)
	if n := int(math.Ceil(float64(end.Sub(start)) / float64(period))); n > maxDatapoints {
		return nil, invalidCombination("You have requested up to %d datapoints, which exceeds the limit of %d. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", n, maxDatapoints)
	}
	id := protocol.IdentityFrom(ctx)
	out := getMetricStatisticsOutput{Label: in.MetricName, Datapoints: []datapoint{}}
	s.mu.RLock()
	var buckets []*bucket
	if sr := s.series[regionKey{id.AccountID, id.Region}][seriesKey(in.Namespace, in.MetricName, sortDims(in.Dimensions))]; sr != nil {
		buckets = aggregate(sr.points, in.Unit, start, end, period)
	}
	s.mu.RUnlock()
	for _, b := range buckets {
		dp := datapoint{Timestamp: b.start, Unit: b.unit}
		for _, st := range in.Statistics {
			v, _ := b.value(st)
			f := &v
			switch st {
			case "SampleCount":
				dp.SampleCount = f
			case "Average":
				dp.Average = f
			case "Sum":
				dp.Sum = f
			case "Minimum":
				dp.Minimum = f
			case "Maximum":
				dp.Maximum = f
			}
		}
		for _, st := range in.ExtendedStatistics {
			if v, ok := b.value(st); ok {
				if dp.ExtendedStatistics == nil {
					dp.ExtendedStatistics = map[string]float64{}
				}
				dp.ExtendedStatistics[st] = v
			}
		}
		out.Datapoints = append(out.Datapoints, dp)
	}
	return out, nil
}

func encodeToken(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeToken(s string) string {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "\xff"
	}
	return string(b)
}

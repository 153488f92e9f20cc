package monitoring

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

type metricStat struct {
	Metric *Metric
	Period *int
	Stat   string
	Unit   string `json:",omitempty"`
}

type metricDataQuery struct {
	Id         string
	MetricStat *metricStat `json:",omitempty"`
	Expression string      `json:",omitempty"`
	Label      string      `json:",omitempty"`
	ReturnData *bool       `json:",omitempty"`
	Period     *int        `json:",omitempty"`
	AccountId  string      `json:",omitempty"`
}

func (q metricDataQuery) returns() bool { return q.ReturnData == nil || *q.ReturnData }

var queryIDRE = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

// maxQueries bounds the queries of one GetMetricData or alarm (AWS: 500; an
// alarm: 20... checked by the caller).
const maxQueries = 500

// validateQueries checks a list of metric data queries; param names the list
// in messages.
func validateQueries(qs []metricDataQuery, param string) error {
	if len(qs) == 0 {
		return missingParam(param)
	}
	if len(qs) > maxQueries {
		return invalidValue("The collection %s must not have a size greater than %d.", param, maxQueries)
	}
	ids := map[string]bool{}
	returned := 0
	for i, q := range qs {
		p := fmt.Sprintf("%s.member.%d", param, i+1)
		if q.Id == "" {
			return missingParam(p + ".Id")
		}
		if !queryIDRE.MatchString(q.Id) || len(q.Id) > 255 {
			return invalidValue("The value %s for parameter %s.Id is invalid: an id starts with a lowercase letter and holds only letters, digits and underscores.", q.Id, p)
		}
		if ids[q.Id] {
			return invalidValue("The value %s for parameter %s.Id is a duplicate: ids must be unique.", q.Id, p)
		}
		ids[q.Id] = true
		if (q.MetricStat == nil) == (q.Expression == "") {
			return invalidCombination("Exactly one of %s.MetricStat and %s.Expression must be given.", p, p)
		}
		if ms := q.MetricStat; ms != nil {
			if ms.Metric == nil || ms.Metric.MetricName == "" || ms.Metric.Namespace == "" {
				return missingParam(p + ".MetricStat.Metric.MetricName")
			}
			if ms.Period == nil {
				return missingParam(p + ".MetricStat.Period")
			}
			if err := checkPeriod(*ms.Period, p+".MetricStat.Period"); err != nil {
				return err
			}
			if !validStat(ms.Stat) {
				return invalidValue("The value %s for parameter %s.MetricStat.Stat is invalid.", ms.Stat, p)
			}
			if err := validateDims(ms.Metric.Dimensions, p+".MetricStat.Metric.Dimensions"); err != nil {
				return err
			}
		} else if _, err := parseExpr(q.Expression); err != nil {
			return invalidValue("Error in expression %s: %v", q.Id, err)
		}
		if q.returns() {
			returned++
		}
	}
	if returned == 0 {
		return invalidValue("At least one of the queries in %s must have ReturnData set to true.", param)
	}
	return nil
}

// queryResult is one query's values over the grid (NaN: no data).
type queryResult struct {
	q      metricDataQuery
	values []float64
	label  string
}

// runQueries evaluates queries over the grid of periods from start to end.
func (s *Service) runQueries(rk regionKey, qs []metricDataQuery, start, end time.Time) ([]time.Time, []queryResult, error) {
	period := 0
	for _, q := range qs {
		if q.MetricStat != nil && (period == 0 || *q.MetricStat.Period < period) {
			period = *q.MetricStat.Period
		}
	}
	for _, q := range qs {
		if period == 0 && q.Period != nil && *q.Period > 0 {
			period = *q.Period
		}
	}
	if period == 0 {
		period = 60
	}
	step := time.Duration(period) * time.Second
	start = start.UTC().Truncate(step)
	var grid []time.Time
	for t := start; t.Before(end); t = t.Add(step) {
		grid = append(grid, t)
		if len(grid) > 100800 {
			return nil, nil, invalidValue("The time range holds more than 100,800 periods.")
		}
	}
	byID := map[string]int{}
	for i, q := range qs {
		byID[q.Id] = i
	}
	results := make([]queryResult, len(qs))
	done := make([]bool, len(qs))
	env := &mathEnv{n: len(grid), period: float64(period), vars: map[string]value{}}
	for _, q := range qs {
		if q.MetricStat != nil {
			env.metrics = append(env.metrics, q.Id)
		}
	}
	visiting := map[string]bool{}
	var eval func(i int) (value, error)
	eval = func(i int) (value, error) {
		q := qs[i]
		if done[i] {
			return env.vars[q.Id], nil
		}
		if visiting[q.Id] {
			return value{}, invalidValue("Error in expression %s: it refers to itself", q.Id)
		}
		visiting[q.Id] = true
		var v value
		if q.MetricStat != nil {
			v = value{series: [][]float64{s.statSeries(rk, *q.MetricStat, grid, step)}, isSer: true}
			results[i].label = q.MetricStat.Metric.MetricName
		} else {
			n, err := parseExpr(q.Expression)
			if err == nil {
				v, err = n.eval(env)
			}
			if err != nil {
				if _, ok := protocol.AsError(err); !ok {
					err = invalidValue("Error in expression %s: %v", q.Id, err)
				}
				return value{}, err
			}
			results[i].label = q.Id
		}
		if q.Label != "" {
			results[i].label = q.Label
		}
		done[i] = true
		env.vars[q.Id] = v
		vs := env.toSeries(v).series
		if len(vs) != 1 {
			if q.returns() {
				return value{}, invalidValue("Error in expression %s: it returns %d time series; a returned query must give one", q.Id, len(vs))
			}
			vs = [][]float64{make([]float64, len(grid))}
		}
		results[i].q, results[i].values = q, vs[0]
		return v, nil
	}
	env.lookup = func(id string) (value, error) {
		i, ok := byID[id]
		if !ok {
			return value{}, invalidValue("Error in expression: unknown metric id %s", id)
		}
		return eval(i)
	}
	for i := range qs {
		if _, err := eval(i); err != nil {
			return nil, nil, err
		}
	}
	return grid, results, nil
}

// statSeries computes a metric stat's value in each period of the grid.
func (s *Service) statSeries(rk regionKey, ms metricStat, grid []time.Time, step time.Duration) []float64 {
	out := make([]float64, len(grid))
	for i := range out {
		out[i] = math.NaN()
	}
	if len(grid) == 0 {
		return out
	}
	period := time.Duration(*ms.Period) * time.Second
	s.mu.RLock()
	var buckets []*bucket
	if sr := s.series[rk][seriesKey(ms.Metric.Namespace, ms.Metric.MetricName, sortDims(ms.Metric.Dimensions))]; sr != nil {
		buckets = aggregate(sr.points, ms.Unit, grid[0], grid[len(grid)-1].Add(step), period)
	}
	s.mu.RUnlock()
	for _, b := range buckets {
		i := int(b.start.Sub(grid[0]) / step)
		if i >= 0 && i < len(out) {
			if v, ok := b.value(ms.Stat); ok {
				out[i] = v
			}
		}
	}
	return out
}

type getMetricDataInput struct {
	MetricDataQueries []metricDataQuery
	StartTime         *time.Time
	EndTime           *time.Time
	NextToken         string
	ScanBy            string
	MaxDatapoints     *int
}

type metricDataResult struct {
	Id         string
	Label      string
	Timestamps []time.Time
	Values     []float64
	StatusCode string
	Messages   []struct{} `json:",omitempty"`
}

type getMetricDataOutput struct {
	MetricDataResults []metricDataResult
	NextToken         string     `json:",omitempty"`
	Messages          []struct{} `json:",omitempty"`
}

// pageToken is where the next page of GetMetricData starts: how many grid
// periods (in scan order) earlier pages covered.
type pageToken struct {
	Offset int   `json:"o"`
	Start  int64 `json:"s"`
	End    int64 `json:"e"`
}

func (s *Service) getMetricData(ctx context.Context, tree map[string]any) (any, error) {
	s.flushObserved()
	var in getMetricDataInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	if err := validateQueries(in.MetricDataQueries, "MetricDataQueries"); err != nil {
		return nil, err
	}
	if in.StartTime == nil {
		return nil, missingParam("StartTime")
	}
	if in.EndTime == nil {
		return nil, missingParam("EndTime")
	}
	if !in.StartTime.Before(*in.EndTime) {
		return nil, invalidValue("The parameter StartTime must be less than the parameter EndTime.")
	}
	ascending := false
	switch in.ScanBy {
	case "", "TimestampDescending":
	case "TimestampAscending":
		ascending = true
	default:
		return nil, invalidValue("The value %s for parameter ScanBy is invalid.", in.ScanBy)
	}
	maxPoints := 100800
	if in.MaxDatapoints != nil {
		if *in.MaxDatapoints <= 0 {
			return nil, invalidValue("The parameter MaxDatapoints must be greater than 0.")
		}
		maxPoints = *in.MaxDatapoints
	}
	var tok pageToken
	if in.NextToken != "" {
		if err := json.Unmarshal([]byte(decodeToken(in.NextToken)), &tok); err != nil || tok.Offset < 0 ||
			tok.Start != in.StartTime.UnixMilli() || tok.End != in.EndTime.UnixMilli() {
			return nil, invalidNextToken()
		}
	}
	id := protocol.IdentityFrom(ctx)
	grid, results, err := s.runQueries(regionKey{id.AccountID, id.Region}, in.MetricDataQueries, *in.StartTime, *in.EndTime)
	if err != nil {
		return nil, err
	}
	out := getMetricDataOutput{MetricDataResults: []metricDataResult{}}
	var returned []queryResult
	for _, r := range results {
		if r.q.returns() {
			returned = append(returned, r)
			out.MetricDataResults = append(out.MetricDataResults, metricDataResult{Id: r.q.Id, Label: r.label, Timestamps: []time.Time{}, Values: []float64{}, StatusCode: "Complete"})
		}
	}
	count, k := 0, tok.Offset
	for ; k < len(grid); k++ {
		gi := len(grid) - 1 - k
		if ascending {
			gi = k
		}
		n := 0
		for _, r := range returned {
			if v := r.values[gi]; !math.IsNaN(v) && !math.IsInf(v, 0) {
				n++
			}
		}
		if count+n > maxPoints && count > 0 {
			break
		}
		count += n
		for j, r := range returned {
			if v := r.values[gi]; !math.IsNaN(v) && !math.IsInf(v, 0) {
				out.MetricDataResults[j].Timestamps = append(out.MetricDataResults[j].Timestamps, grid[gi])
				out.MetricDataResults[j].Values = append(out.MetricDataResults[j].Values, v)
			}
		}
	}
	if k < len(grid) {
		b, _ := json.Marshal(pageToken{Offset: k, Start: in.StartTime.UnixMilli(), End: in.EndTime.UnixMilli()})
		out.NextToken = encodeToken(string(b))
		for j := range out.MetricDataResults {
			out.MetricDataResults[j].StatusCode = "PartialData"
		}
	}
	return out, nil
}

package monitoring

import (
	"fmt"
	"math"
	"strings"
)

func (n callNode) eval(env *mathEnv) (value, error) {
	switch n.fn {
	case "METRICS":
		return env.metricsArray(n.args)
	case "FILL":
		return n.fill(env)
	case "PERIOD":
		if len(n.args) != 1 {
			return value{}, fmt.Errorf("PERIOD takes one argument")
		}
		return scalarV(env.period), nil
	}
	args := make([]value, len(n.args))
	for i, a := range n.args {
		v, err := a.eval(env)
		if err != nil {
			return value{}, err
		}
		args[i] = v
	}
	switch n.fn {
	case "SUM", "AVG", "MIN", "MAX", "STDDEV":
		if len(args) != 1 {
			return value{}, fmt.Errorf("%s takes one argument", n.fn)
		}
		return env.reduce(n.fn, args[0]), nil
	case "ABS", "CEIL", "FLOOR":
		if len(args) != 1 {
			return value{}, fmt.Errorf("%s takes one argument", n.fn)
		}
		f := map[string]func(float64) float64{"ABS": math.Abs, "CEIL": math.Ceil, "FLOOR": math.Floor}[n.fn]
		return env.elementwise(args[0], scalarV(0), func(a, _ float64) float64 { return f(a) })
	case "IF":
		if len(args) != 2 && len(args) != 3 {
			return value{}, fmt.Errorf("IF takes two or three arguments")
		}
		if len(args) == 2 {
			args = append(args, scalarV(math.NaN()))
		}
		pick := func(when bool) func(c, a float64) float64 {
			return func(c, a float64) float64 {
				// Where the condition has no data, neither has the result.
				if !math.IsNaN(c) && truthy(c) == when {
					return a
				}
				return math.NaN()
			}
		}
		t, err := env.elementwise(args[0], args[1], pick(true))
		if err != nil {
			return value{}, err
		}
		f, err := env.elementwise(args[0], args[2], pick(false))
		if err != nil {
			return value{}, err
		}
		return env.elementwise(t, f, orElse)
	case "DIFF", "RATE":
		if len(args) != 1 || !args[0].isSer {
			return value{}, fmt.Errorf("%s takes one time series", n.fn)
		}
		out := value{isSer: true, array: args[0].array}
		for _, s := range args[0].series {
			d := make([]float64, len(s))
			prev := math.NaN()
			for i, v := range s {
				d[i] = v - prev
				if n.fn == "RATE" {
					d[i] /= env.period
				}
				if !math.IsNaN(v) {
					prev = v
				}
			}
			out.series = append(out.series, d)
		}
		return out, nil
	}
	return value{}, fmt.Errorf("unknown function %s", n.fn)
}

// orElse is a where it is present, else b.
func orElse(a, b float64) float64 {
	if math.IsNaN(a) {
		return b
	}
	return a
}

// reduce is SUM/AVG/MIN/MAX/STDDEV: across an array's series per period, or
// over all periods of one series.
func (env *mathEnv) reduce(fn string, v value) value {
	if !v.isSer {
		return v
	}
	agg := func(xs []float64) float64 {
		var n, sum, sq float64
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, x := range xs {
			if math.IsNaN(x) {
				continue
			}
			n++
			sum += x
			sq += x * x
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		if n == 0 {
			return math.NaN()
		}
		switch fn {
		case "SUM":
			return sum
		case "AVG":
			return sum / n
		case "MIN":
			return lo
		case "MAX":
			return hi
		}
		mean := sum / n
		return math.Sqrt(math.Max(0, sq/n-mean*mean))
	}
	if !v.array {
		return scalarV(agg(v.series[0]))
	}
	out := make([]float64, env.n)
	col := make([]float64, len(v.series))
	for i := range out {
		for j, s := range v.series {
			col[j] = s[i]
		}
		out[i] = agg(col)
	}
	return value{series: [][]float64{out}, isSer: true}
}

func (env *mathEnv) metricsArray(args []node) (value, error) {
	filter := ""
	if len(args) > 1 {
		return value{}, fmt.Errorf("METRICS takes at most one argument")
	}
	if len(args) == 1 {
		s, ok := args[0].(strNode)
		if !ok {
			return value{}, fmt.Errorf("the argument of METRICS must be a string")
		}
		filter = string(s)
	}
	out := value{isSer: true, array: true}
	for _, id := range env.metrics {
		if filter != "" && !strings.Contains(id, filter) {
			continue
		}
		v, err := env.lookup(id)
		if err != nil {
			return value{}, err
		}
		out.series = append(out.series, env.toSeries(v).series...)
	}
	return out, nil
}

// fill replaces missing values with a scalar, a series' values, or the
// previous value (REPEAT) or a straight line between neighbours (LINEAR).
func (n callNode) fill(env *mathEnv) (value, error) {
	if len(n.args) != 2 {
		return value{}, fmt.Errorf("FILL takes two arguments")
	}
	x, err := n.args[0].eval(env)
	if err != nil {
		return value{}, err
	}
	x = env.toSeries(x)
	if id, ok := n.args[1].(idNode); ok && (strings.EqualFold(string(id), "REPEAT") || strings.EqualFold(string(id), "LINEAR")) {
		linear := strings.EqualFold(string(id), "LINEAR")
		out := value{isSer: true, array: x.array}
		for _, s := range x.series {
			out.series = append(out.series, fillGaps(s, linear))
		}
		return out, nil
	}
	with, err := n.args[1].eval(env)
	if err != nil {
		return value{}, err
	}
	return env.elementwise(x, with, orElse)
}

func fillGaps(s []float64, linear bool) []float64 {
	out := append([]float64(nil), s...)
	last := -1
	for i, v := range s {
		if math.IsNaN(v) {
			continue
		}
		if last >= 0 && i-last > 1 {
			for k := last + 1; k < i; k++ {
				if linear {
					out[k] = s[last] + (v-s[last])*float64(k-last)/float64(i-last)
				} else {
					out[k] = s[last]
				}
			}
		}
		last = i
	}
	if !linear && last >= 0 {
		for k := last + 1; k < len(s); k++ {
			out[k] = s[last]
		}
	}
	return out
}

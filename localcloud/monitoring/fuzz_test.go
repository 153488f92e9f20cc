package monitoring

import (
	"net/url"
	"testing"

	"github.com/aws/smithy-go/encoding/cbor"
)

// FuzzQueryForm feeds form bodies through the query decoder into every
// operation's input shape: it must answer with an error or a value, never
// panic or hang.
func FuzzQueryForm(f *testing.F) {
	f.Add("Namespace=Lab&MetricData.member.1.MetricName=m&MetricData.member.1.Value=1&MetricData.member.1.Dimensions.member.1.Name=a&MetricData.member.1.Dimensions.member.1.Value=b")
	f.Add("MetricDataQueries.member.1.Id=e&MetricDataQueries.member.1.Expression=SUM(METRICS())&StartTime=2026-01-01T00:00:00Z")
	f.Add("Tags.member.1.Key=a&Tags.member.1.Value=b&Tags.member.2.Key=c&X.entry.1.key=k&X.entry.1.value=v")
	f.Add("A.member.1=x&A=y&A.member.999999999=z&A.member.1.B=q")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		tree, err := formTree(form)
		if err != nil {
			return
		}
		decodeAll(tree)
	})
}

// FuzzCBOR feeds rpcv2-cbor bodies through the CBOR reader and the decoder.
func FuzzCBOR(f *testing.F) {
	f.Add(cbor.Encode(cbor.Map{"Namespace": cbor.String("Lab"), "MetricData": cbor.List{cbor.Map{"MetricName": cbor.String("m"),
		"Value": cbor.Float64(1), "Timestamp": &cbor.Tag{ID: 1, Value: cbor.Float64(1.7e9)}}}}))
	f.Add([]byte{0xbf, 0x61, 0x41, 0x9f, 0x01, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, body []byte) {
		tree, err := cborTree(body)
		if err != nil {
			return
		}
		decodeAll(tree)
	})
}

func decodeAll(tree map[string]any) {
	for _, dst := range []any{&putMetricDataInput{}, &getMetricStatisticsInput{}, &getMetricDataInput{}, &listMetricsInput{},
		&putMetricAlarmInput{}, &describeAlarmsInput{}, &describeAlarmHistoryInput{}, &tagInput{}, &putDashboardInput{}} {
		if decode(tree, dst) == nil {
			if in, ok := dst.(*putMetricDataInput); ok {
				for i, d := range in.MetricData {
					datumPoint(d, i, base)
				}
			}
			if in, ok := dst.(*getMetricDataInput); ok {
				validateQueries(in.MetricDataQueries, "MetricDataQueries")
			}
		}
	}
}

// FuzzExpression parses and evaluates metric math over a small grid.
func FuzzExpression(f *testing.F) {
	for _, s := range []string{"SUM(METRICS())", "100*e/i", "IF(e > 2 AND i < 3, e, 0)", "FILL(e, LINEAR)", "AVG([e, i]) ^ -2", "((((e))))", "METRICS(\"e\")", "-!e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		n, err := parseExpr(src)
		if err != nil {
			return
		}
		env := &mathEnv{n: 3, period: 60, metrics: []string{"e", "i"}}
		env.lookup = func(id string) (value, error) {
			if id == "e" || id == "i" {
				return value{series: [][]float64{{1, 2, 3}}, isSer: true}, nil
			}
			return value{}, errUnknown
		}
		n.eval(env)
	})
}

// FuzzAlarmRule parses composite alarm rules.
func FuzzAlarmRule(f *testing.F) {
	for _, s := range []string{`ALARM("a") OR (OK(b) AND NOT INSUFFICIENT_DATA("c"))`, "TRUE", `ALARM(arn:aws:cloudwatch:us-east-1:1:alarm:x)`, "NOT NOT FALSE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		r, err := parseRule(src)
		if err != nil {
			return
		}
		r.eval(func(string) string { return "ALARM" })
	})
}

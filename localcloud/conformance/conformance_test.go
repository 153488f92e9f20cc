package conformance_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/labkit-dev/labkit/localcloud/conformance"
)

// testModel has one operation of each body layout, with every kind of
// shape the checks know.
const testModel = `{
 "metadata": {"protocol": "rest-json"},
 "operations": {
  "Get": {"output": {"shape": "GetOut", "resultWrapper": "GetResult"}},
  "Copy": {"output": {"shape": "CopyOut"}},
  "Delete": {}
 },
 "shapes": {
  "GetOut": {"type": "structure", "required": ["Name", "Items"], "members": {
   "Name": {"shape": "Str", "locationName": "name"},
   "Count": {"shape": "Int"},
   "Size": {"shape": "Long"},
   "Ratio": {"shape": "Dbl"},
   "On": {"shape": "Bool"},
   "State": {"shape": "State"},
   "When": {"shape": "Time"},
   "WhenText": {"shape": "Time", "timestampFormat": "iso8601"},
   "Data": {"shape": "Blob"},
   "Items": {"shape": "Items"},
   "Flat": {"shape": "Items", "flattened": true},
   "Tags": {"shape": "Tags"},
   "Inner": {"shape": "Inner"},
   "RequestId": {"shape": "Str", "location": "header", "locationName": "x-amzn-RequestId"},
   "Modified": {"shape": "Time", "location": "header", "locationName": "Last-Modified"},
   "Length": {"shape": "Long", "location": "header", "locationName": "Content-Length"},
   "Status": {"shape": "Int", "location": "statusCode"}
  }},
  "Inner": {"type": "structure", "required": ["Id"], "members": {"Id": {"shape": "Str"}}},
  "CopyOut": {"type": "structure", "payload": "Result", "members": {"Result": {"shape": "Inner"}}},
  "Items": {"type": "list", "member": {"shape": "Inner"}},
  "Tags": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}},
  "Str": {"type": "string"},
  "Int": {"type": "integer"},
  "Long": {"type": "long"},
  "Dbl": {"type": "double"},
  "Bool": {"type": "boolean"},
  "State": {"type": "string", "enum": ["ON", "OFF"]},
  "Time": {"type": "timestamp"},
  "Blob": {"type": "blob"}
 }
}`

func model(t *testing.T, protocol string) *conformance.Model {
	t.Helper()
	m, err := conformance.Parse([]byte(strings.Replace(testModel, "rest-json", protocol, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func problems(vs []conformance.Violation) string {
	var s []string
	for _, v := range vs {
		s = append(s, v.String())
	}
	return strings.Join(s, "\n")
}

func TestCheckJSON(t *testing.T) {
	m := model(t, "rest-json")
	cases := []struct {
		name, body string
		want       []string // substrings of the violations, in order; none for a good body
	}{
		{"good", `{"name":"a","Count":1,"Size":12345678901,"Ratio":0.5,"On":true,"State":"ON","When":1700000000.5,` +
			`"WhenText":"2024-01-02T03:04:05Z","Data":"AAE=","Items":[{"Id":"x"}],"Tags":{"k":"v"},"Inner":{"Id":"y"}}`, nil},
		{"required only", `{"name":"a","Items":[]}`, nil},
		{"member name where the model has a locationName", `{"Name":"a","Items":[]}`,
			[]string{"Get.Name: not a member of GetOut", "Get: required member name of GetOut is missing"}},
		{"extra key deep down", `{"name":"a","Items":[{"Id":"x","Arn":"y"}]}`, []string{"Get.Items[0].Arn: not a member of Inner"}},
		{"missing required deep down", `{"name":"a","Items":[{}]}`, []string{"Get.Items[0]: required member Id of Inner"}},
		{"header member in the body", `{"name":"a","Items":[],"RequestId":"r"}`, []string{"Get.RequestId: GetOut.RequestId is bound to the header"}},
		{"string number", `{"name":"a","Items":[],"Count":"1"}`, []string{`Get.Count: string "1" where botocore has integer Int`}},
		{"fraction in an integer", `{"name":"a","Items":[],"Size":1.5}`, []string{"Get.Size: 1.5 is not a whole number"}},
		{"string boolean", `{"name":"a","Items":[],"On":"true"}`, []string{"Get.On: string"}},
		{"enum", `{"name":"a","Items":[],"State":"on"}`, []string{`Get.State: "on" is not one of State's values [ON OFF]`}},
		{"iso date in epoch seconds", `{"name":"a","Items":[],"When":"2024-01-02T03:04:05Z"}`, []string{"Get.When: string"}},
		{"epoch in an iso member", `{"name":"a","Items":[],"WhenText":1}`, []string{"Get.WhenText: number 1 where botocore has timestamp"}},
		{"bad iso text", `{"name":"a","Items":[],"WhenText":"yesterday"}`, []string{`"yesterday" is not an iso8601 timestamp`}},
		{"blob not base64", `{"name":"a","Items":[],"Data":"!!"}`, []string{"Get.Data: blob Blob is not base64"}},
		{"null", `{"name":"a","Items":[],"Inner":null}`, []string{"Get.Inner: null where botocore has structure Inner"}},
		{"object for a list", `{"name":"a","Items":{}}`, []string{"Get.Items: an object where botocore has list Items"}},
		{"map value type", `{"name":"a","Items":[],"Tags":{"k":1}}`, []string{"Get.Tags.k: number 1 where botocore has string Str"}},
		{"not JSON", `<x/>`, []string{"Get: the body is not JSON"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := m.CheckJSON("Get", []byte(c.body))
			if len(got) != len(c.want) {
				t.Fatalf("got %d violations, want %d:\n%s", len(got), len(c.want), problems(got))
			}
			for i, w := range c.want {
				if !strings.Contains(got[i].String(), w) {
					t.Errorf("violation %d is %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
	if got := m.CheckJSON("Delete", nil); len(got) != 0 {
		t.Errorf("empty body of an operation without output: %s", problems(got))
	}
	if got := m.CheckJSON("Delete", []byte(`{"Deleted":true}`)); len(got) != 1 {
		t.Errorf("a body for an operation without output: got %q, want one violation", problems(got))
	}
	if got := m.CheckJSON("Nope", []byte(`{}`)); len(got) != 1 {
		t.Errorf("an unknown operation: got %q, want one violation", problems(got))
	}
	m.Shapes["Inner"].Members["Name"] = &conformance.Ref{Shape: "Str"}
	m.Shapes["Inner"].Required = nil
	m.Shapes["Inner"].Union = true
	for body, want := range map[string]int{`{"Id":"x"}`: 0, `{"Id":"x","Name":"y"}`: 1, `{}`: 1} {
		if got := m.CheckJSON("Get", []byte(`{"name":"a","Items":[],"Inner":`+body+`}`)); len(got) != want {
			t.Errorf("union %s: got %q, want %d violations", body, problems(got), want)
		}
	}
	m.Shapes["Inner"].Union = false
	m.NewerValues = map[string][]string{"State": {"on"}}
	if got := m.CheckJSON("Get", []byte(`{"name":"a","Items":[],"State":"on"}`)); len(got) != 0 {
		t.Errorf("a newer enum value: %s", problems(got))
	}
	m.Newer = map[string][]string{"Inner": {"Arn"}}
	if got := m.CheckJSON("Get", []byte(`{"name":"a","Items":[{"Id":"x","Arn":"y"}]}`)); len(got) != 0 {
		t.Errorf("a newer member: %s", problems(got))
	}
}

func TestCheckHeaders(t *testing.T) {
	m := model(t, "rest-json")
	body := []byte(`{"name":"a","Items":[]}`)
	good := http.Header{"Last-Modified": {"Mon, 02 Jan 2006 15:04:05 GMT"}, "Content-Length": {"23"}}
	if got := m.CheckCall(conformance.Call{Operation: "Get", Status: 200, Header: good, Body: body}); len(got) != 0 {
		t.Errorf("good headers: %s", problems(got))
	}
	bad := http.Header{"Last-Modified": {"2006-01-02T15:04:05Z"}, "Content-Length": {"x"}}
	got := m.CheckCall(conformance.Call{Operation: "Get", Status: 200, Header: bad, Body: body})
	if len(got) != 2 || !strings.Contains(got[0].String(), `Get header Content-Length: "x" where botocore has long`) ||
		!strings.Contains(got[1].String(), `Get header Last-Modified: "2006-01-02T15:04:05Z" is not an rfc822 date`) {
		t.Errorf("bad headers: got %q", problems(got))
	}
}

func TestCheckRestXMLPayload(t *testing.T) {
	m := model(t, "rest-xml")
	if got := m.CheckXML("Copy", []byte(`<CopyResult><Id>x</Id></CopyResult>`)); len(got) != 0 {
		t.Errorf("good payload: %s", problems(got))
	}
	if got := m.CheckXML("Copy", []byte(`<CopyResult><Id>x</Id><Extra/></CopyResult>`)); len(got) != 1 {
		t.Errorf("payload with an extra element: got %q, want one violation", problems(got))
	}
}

func TestCheckJSONQueryModel(t *testing.T) {
	// SQS answers its query-protocol model in JSON with member names.
	m := model(t, "query")
	if got := m.CheckJSON("Get", []byte(`{"Name":"a","Items":[]}`)); len(got) != 0 {
		t.Errorf("member names: %s", problems(got))
	}
}

func TestCheckXML(t *testing.T) {
	m := model(t, "query")
	wrap := func(s string) string {
		return `<GetResponse xmlns="x"><GetResult>` + s + `</GetResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetResponse>`
	}
	cases := []struct {
		name, body string
		want       []string
	}{
		{"good", wrap(`<name>a</name><Count>1</Count><Size>12345678901</Size><Ratio>0.5</Ratio><On>true</On><State>OFF</State>` +
			`<When>2024-01-02T03:04:05.123Z</When><Data>AAE=</Data><Items><member><Id>x</Id></member></Items>` +
			`<Flat><Id>1</Id></Flat><Flat><Id>2</Id></Flat><Tags><entry><key>k</key><value>v</value></entry></Tags><Inner><Id>y</Id></Inner>`), nil},
		{"required only", wrap(`<name>a</name><Items/>`), nil},
		{"wrong root", `<Get><GetResult><name>a</name><Items/></GetResult></Get>`, []string{"Get: the root element is <Get>"}},
		{"no result", `<GetResponse><ResponseMetadata/></GetResponse>`, []string{"Get: no <GetResult> element", "required member <name>", "required member <Items>"}},
		{"extra element", wrap(`<name>a</name><Items/><Extra/>`), []string{"Get.Extra: element <Extra> is not a member of GetOut"}},
		{"list items", wrap(`<name>a</name><Items><Inner><Id>x</Id></Inner></Items>`), []string{"Get.Items[0]: element <Inner> in list Items, whose items are <member>"}},
		{"repeated element", wrap(`<name>a</name><name>b</name><Items/>`), []string{"Get.name: 2 <name> elements"}},
		{"integer text", wrap(`<name>a</name><Items/><Count>1.0</Count>`), []string{`Get.Count: "1.0" where botocore has integer Int`}},
		{"boolean text", wrap(`<name>a</name><Items/><On>True</On>`), []string{`Get.On: "True" where botocore has boolean`}},
		{"epoch in XML", wrap(`<name>a</name><Items/><When>1700000000</When>`), []string{`"1700000000" is not an iso8601 timestamp`}},
		{"enum", wrap(`<name>a</name><Items/><State>x</State>`), []string{`Get.State: "x" is not one of`}},
		{"map entry", wrap(`<name>a</name><Items/><Tags><entry><k>k</k></entry></Tags>`), []string{"Get.Tags.k: element <k> in a map entry", "Get.Tags: a map entry without"}},
		{"structure for a string", wrap(`<name><x/></name><Items/>`), []string{"Get.name: child elements where botocore has string"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := m.CheckXML("Get", []byte(c.body))
			if len(got) != len(c.want) {
				t.Fatalf("got %d violations, want %d:\n%s", len(got), len(c.want), problems(got))
			}
			for i, w := range c.want {
				if !strings.Contains(got[i].String(), w) {
					t.Errorf("violation %d is %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
	m.Shapes["GetOut"].Required = append(m.Shapes["GetOut"].Required, "Flat")
	if got := m.CheckXML("Get", []byte(wrap(`<name>a</name><Items/>`))); len(got) != 0 {
		t.Errorf("a required flattened list that is empty: %s", problems(got))
	}
	if got := m.CheckXML("Delete", []byte(`<DeleteResponse><ResponseMetadata/></DeleteResponse>`)); len(got) != 0 {
		t.Errorf("an operation without output: %s", problems(got))
	}
	if got := m.CheckXML("Delete", []byte(`<DeleteResponse><DeleteResult/><ResponseMetadata/></DeleteResponse>`)); len(got) != 1 {
		t.Errorf("a result for an operation without output: got %q, want one violation", problems(got))
	}
}

// TestRecorderWithSTS drives the real STS client through a Recorder
// against a server answering canned bodies, and checks them against
// botocore's STS model.
func TestRecorderWithSTS(t *testing.T) {
	m := conformance.LoadForTest(t, "sts")
	body := `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
		`<Arn>arn:aws:iam::123456789012:user/a</Arn><UserId>AIDA</UserId><Account>123456789012</Account>%s` +
		`</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
	for _, c := range []struct {
		extra string
		want  int
	}{{"", 0}, {"<Partition>aws</Partition>", 1}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/xml")
			w.Write([]byte(strings.Replace(body, "%s", c.extra, 1)))
		}))
		rec := &conformance.Recorder{}
		cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: rec,
			Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")}
		if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
		srv.Close()
		calls := rec.Calls()
		if len(calls) != 1 || calls[0].Operation != "GetCallerIdentity" || calls[0].Status != 200 {
			t.Fatalf("recorded %+v, want one GetCallerIdentity 200", calls)
		}
		if got := m.CheckCall(calls[0]); len(got) != c.want {
			t.Errorf("with %q: got %q, want %d violations", c.extra, problems(got), c.want)
		}
	}
}

func TestCheckCBOR(t *testing.T) {
	m := model(t, "query")
	items := cbor.List{cbor.Map{"Id": cbor.String("x")}}
	good := cbor.Map{"Name": cbor.String("a"), "Items": items, "Count": cbor.Uint(1), "Size": cbor.NegInt(5), "Ratio": cbor.Float64(0.5),
		"On": cbor.Bool(true), "When": &cbor.Tag{ID: 1, Value: cbor.Float64(1700000000.5)}, "Data": cbor.Slice{1, 2}}
	if got := m.CheckCBOR("Get", cbor.Encode(good)); len(got) != 0 {
		t.Errorf("good body: %s", problems(got))
	}
	bad := cbor.Map{"Name": cbor.String("a"), "Items": items, "When": cbor.Float64(1), "Data": cbor.String("AAE="), "Count": cbor.String("1")}
	want := []string{`Get.Count: string "1" where botocore has integer`, "Get.Data: string", "Get.When: number 1 where botocore has timestamp Time (CBOR tag 1"}
	got := m.CheckCBOR("Get", cbor.Encode(bad))
	if len(got) != len(want) {
		t.Fatalf("got %d violations, want %d:\n%s", len(got), len(want), problems(got))
	}
	for i, w := range want {
		if !strings.Contains(got[i].String(), w) {
			t.Errorf("violation %d is %q, want it to contain %q", i, got[i], w)
		}
	}
}

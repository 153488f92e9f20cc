package sns

import (
	"strings"
	"testing"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

func str(v string) protocol.MessageAttributeValue {
	return protocol.MessageAttributeValue{DataType: "String", StringValue: v}
}

func num(v string) protocol.MessageAttributeValue {
	return protocol.MessageAttributeValue{DataType: "Number", StringValue: v}
}

func arr(v string) protocol.MessageAttributeValue {
	return protocol.MessageAttributeValue{DataType: "String.Array", StringValue: v}
}

type attrs = map[string]protocol.MessageAttributeValue

func TestFilterPolicyMatchAttributes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy string
		attrs  attrs
		want   bool
	}{
		{"exact string", `{"store":["example_corp"]}`, attrs{"store": str("example_corp")}, true},
		{"exact string mismatch", `{"store":["example_corp"]}`, attrs{"store": str("other")}, false},
		{"missing attribute", `{"store":["example_corp"]}`, attrs{}, false},
		{"or within array", `{"event":["order_placed","order_cancelled"]}`, attrs{"event": str("order_cancelled")}, true},
		{"and across keys", `{"a":["1"],"b":["2"]}`, attrs{"a": str("1"), "b": str("2")}, true},
		{"and across keys one fails", `{"a":["1"],"b":["2"]}`, attrs{"a": str("1"), "b": str("3")}, false},
		{"string policy does not match number attribute", `{"price":["100"]}`, attrs{"price": num("100")}, false},
		{"exact number", `{"price":[100]}`, attrs{"price": num("100.0")}, true},
		{"exact number mismatch", `{"price":[100]}`, attrs{"price": num("101")}, false},
		{"number policy does not match string attribute", `{"price":[100]}`, attrs{"price": str("100")}, false},
		{"prefix", `{"customer_interests":[{"prefix":"bas"}]}`, attrs{"customer_interests": str("baseball")}, true},
		{"prefix mismatch", `{"customer_interests":[{"prefix":"bas"}]}`, attrs{"customer_interests": str("rugby")}, false},
		{"suffix", `{"f":[{"suffix":".png"}]}`, attrs{"f": str("a.png")}, true},
		{"suffix mismatch", `{"f":[{"suffix":".png"}]}`, attrs{"f": str("a.jpg")}, false},
		{"equals-ignore-case", `{"c":[{"equals-ignore-case":"RED"}]}`, attrs{"c": str("rEd")}, true},
		{"equals-ignore-case mismatch", `{"c":[{"equals-ignore-case":"RED"}]}`, attrs{"c": str("blue")}, false},
		{"anything-but value", `{"c":[{"anything-but":"red"}]}`, attrs{"c": str("blue")}, true},
		{"anything-but value excluded", `{"c":[{"anything-but":"red"}]}`, attrs{"c": str("red")}, false},
		{"anything-but list", `{"c":[{"anything-but":["red","green"]}]}`, attrs{"c": str("green")}, false},
		{"anything-but list other", `{"c":[{"anything-but":["red","green"]}]}`, attrs{"c": str("blue")}, true},
		{"anything-but number", `{"n":[{"anything-but":[100]}]}`, attrs{"n": num("100")}, false},
		{"anything-but number other", `{"n":[{"anything-but":[100]}]}`, attrs{"n": num("5")}, true},
		{"anything-but missing attribute", `{"c":[{"anything-but":"red"}]}`, attrs{}, false},
		{"anything-but prefix", `{"c":[{"anything-but":{"prefix":"org-"}}]}`, attrs{"c": str("org-1")}, false},
		{"anything-but prefix other", `{"c":[{"anything-but":{"prefix":"org-"}}]}`, attrs{"c": str("user-1")}, true},
		{"anything-but suffix", `{"c":[{"anything-but":{"suffix":".tmp"}}]}`, attrs{"c": str("x.tmp")}, false},
		{"numeric equals", `{"p":[{"numeric":["=",301.5]}]}`, attrs{"p": num("301.5")}, true},
		{"numeric less", `{"p":[{"numeric":["<",0]}]}`, attrs{"p": num("-1")}, true},
		{"numeric equals at five decimals", `{"p":[{"numeric":["=",1]}]}`, attrs{"p": num("1.000001")}, true},
		{"numeric greater at five decimals", `{"p":[{"numeric":[">",1]}]}`, attrs{"p": num("1.000001")}, false},
		{"numeric greater in the fifth decimal", `{"p":[{"numeric":[">",1]}]}`, attrs{"p": num("1.00001")}, true},
		{"exact number at five decimals", `{"price":[0.3]}`, attrs{"price": num("0.30000000000000004")}, true},
		{"numeric less fails", `{"p":[{"numeric":["<",0]}]}`, attrs{"p": num("0")}, false},
		{"numeric less or equal", `{"p":[{"numeric":["<=",0]}]}`, attrs{"p": num("0")}, true},
		{"numeric greater", `{"p":[{"numeric":[">",10]}]}`, attrs{"p": num("10.5")}, true},
		{"numeric greater or equal", `{"p":[{"numeric":[">=",10]}]}`, attrs{"p": num("10")}, true},
		{"numeric range in", `{"p":[{"numeric":[">",0,"<=",150]}]}`, attrs{"p": num("150")}, true},
		{"numeric range out", `{"p":[{"numeric":[">",0,"<=",150]}]}`, attrs{"p": num("0")}, false},
		{"numeric on string attribute", `{"p":[{"numeric":[">",0]}]}`, attrs{"p": str("5")}, false},
		{"numeric on bad number", `{"p":[{"numeric":[">",0]}]}`, attrs{"p": num("abc")}, false},
		{"exists true present", `{"p":[{"exists":true}]}`, attrs{"p": str("x")}, true},
		{"exists true absent", `{"p":[{"exists":true}]}`, attrs{}, false},
		{"exists false absent", `{"p":[{"exists":false}]}`, attrs{"q": str("x")}, true},
		{"exists false present", `{"p":[{"exists":false}]}`, attrs{"p": str("x")}, false},
		{"exists true binary", `{"p":[{"exists":true}]}`, attrs{"p": {DataType: "Binary", BinaryValue: []byte{1}}}, true},
		{"binary never matches value", `{"p":["x"]}`, attrs{"p": {DataType: "Binary", BinaryValue: []byte("x")}}, false},
		{"string array any element", `{"sports":["rugby"]}`, attrs{"sports": arr(`["soccer","rugby","hockey"]`)}, true},
		{"string array no element", `{"sports":["rugby"]}`, attrs{"sports": arr(`["soccer","hockey"]`)}, false},
		{"string array numbers", `{"n":[{"numeric":[">",5]}]}`, attrs{"n": arr(`[1,7]`)}, true},
		{"string array bad json", `{"n":["a"]}`, attrs{"n": arr(`not json`)}, false},
		{"custom string type", `{"c":["x"]}`, attrs{"c": {DataType: "String.custom", StringValue: "x"}}, true},
		{"$or first branch", `{"$or":[{"a":["1"]},{"b":["2"]}]}`, attrs{"a": str("1")}, true},
		{"$or second branch", `{"$or":[{"a":["1"]},{"b":["2"]}]}`, attrs{"b": str("2")}, true},
		{"$or no branch", `{"$or":[{"a":["1"]},{"b":["2"]}]}`, attrs{"a": str("2")}, false},
		{"$or and key", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"namespace":["AWS/EC2"]}]}`, attrs{"source": str("aws.cloudwatch"), "namespace": str("AWS/EC2")}, true},
		{"$or and key fails", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"namespace":["AWS/EC2"]}]}`, attrs{"source": str("other"), "namespace": str("AWS/EC2")}, false},
		{"mixed conditions or", `{"p":["free",{"numeric":[">",100]}]}`, attrs{"p": num("150")}, true},
		{"empty policy matches all", `{}`, attrs{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := CompileFilterPolicy(tt.policy)
			if err != nil {
				t.Fatalf("CompileFilterPolicy(%s): %v", tt.policy, err)
			}
			if got := p.MatchAttributes(tt.attrs); got != tt.want {
				t.Errorf("MatchAttributes(%s, %v) = %v, want %v", tt.policy, tt.attrs, got, tt.want)
			}
		})
	}
}

func TestFilterPolicyMatchBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy string
		body   string
		want   bool
	}{
		{"top-level string", `{"store":["example_corp"]}`, `{"store":"example_corp"}`, true},
		{"nested key", `{"order":{"status":["paid"]}}`, `{"order":{"status":"paid","id":1}}`, true},
		{"nested key mismatch", `{"order":{"status":["paid"]}}`, `{"order":{"status":"new"}}`, false},
		{"nested missing", `{"order":{"status":["paid"]}}`, `{"other":1}`, false},
		{"nested exists false", `{"order":{"coupon":[{"exists":false}]}}`, `{"order":{"status":"x"}}`, true},
		{"deep nesting", `{"a":{"b":{"c":[1]}}}`, `{"a":{"b":{"c":1}}}`, true},
		{"array of scalars", `{"tags":["blue"]}`, `{"tags":["red","blue"]}`, true},
		{"array of objects", `{"items":{"sku":["x1"]}}`, `{"items":[{"sku":"x0"},{"sku":"x1"}]}`, true},
		{"array of objects no match", `{"items":{"sku":["x9"]}}`, `{"items":[{"sku":"x0"},{"sku":"x1"}]}`, false},
		{"number", `{"price":[{"numeric":[">=",10,"<",20]}]}`, `{"price":12.5}`, true},
		{"number out of range", `{"price":[{"numeric":[">=",10,"<",20]}]}`, `{"price":20}`, false},
		{"boolean", `{"gift":[true]}`, `{"gift":true}`, true},
		{"boolean mismatch", `{"gift":[true]}`, `{"gift":"true"}`, false},
		{"null", `{"x":[null]}`, `{"x":null}`, true},
		{"prefix", `{"email":[{"prefix":"admin@"}]}`, `{"email":"admin@example.com"}`, true},
		{"anything-but", `{"state":[{"anything-but":["draft"]}]}`, `{"state":"final"}`, true},
		{"anything-but excluded", `{"state":[{"anything-but":["draft"]}]}`, `{"state":"draft"}`, false},
		{"object value against leaf", `{"order":["x"]}`, `{"order":{"a":1}}`, false},
		{"exists on object value", `{"order":[{"exists":true}]}`, `{"order":{"a":1}}`, true},
		{"$or nested", `{"order":{"$or":[{"a":[1]},{"b":[2]}]}}`, `{"order":{"b":2}}`, true},
		{"$or nested no match", `{"order":{"$or":[{"a":[1]},{"b":[2]}]}}`, `{"order":{"b":3}}`, false},
		{"not json", `{"a":["1"]}`, `hello`, false},
		{"json array body", `{"a":["1"]}`, `["1"]`, false},
		{"exists false on non json", `{"a":[{"exists":false}]}`, `plain text`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := CompileFilterPolicy(tt.policy)
			if err != nil {
				t.Fatalf("CompileFilterPolicy(%s): %v", tt.policy, err)
			}
			if got := p.MatchBody([]byte(tt.body)); got != tt.want {
				t.Errorf("MatchBody(%s, %s) = %v, want %v", tt.policy, tt.body, got, tt.want)
			}
		})
	}
}

func TestCompileFilterPolicyErrors(t *testing.T) {
	t.Parallel()
	tooMany := `{"a":[` + strings.TrimSuffix(strings.Repeat(`"x",`, 151), ",") + `]}`
	combos := `{"a":[1,2,3,4,5,6],"b":[1,2,3,4,5,6],"c":[1,2,3,4,5]}`
	tests := []struct {
		name, policy, wantErr string
	}{
		{"not json", `{`, "failed to parse JSON"},
		{"trailing data", `{} {}`, "trailing data"},
		{"not an object", `["a"]`, "must be a JSON object"},
		{"scalar value", `{"a":"x"}`, "must be an array or an object"},
		{"empty array", `{"a":[]}`, "Empty arrays are not allowed"},
		{"unknown operator", `{"a":[{"wildcard":"x*"}]}`, "Unrecognized match type wildcard"},
		{"two operators", `{"a":[{"prefix":"x","suffix":"y"}]}`, "exactly one operator"},
		{"prefix not string", `{"a":[{"prefix":1}]}`, "must be a string"},
		{"exists not bool", `{"a":[{"exists":"yes"}]}`, "either true or false"},
		{"numeric bad op", `{"a":[{"numeric":["!=",1]}]}`, "Unrecognized numeric range operator"},
		{"numeric not number", `{"a":[{"numeric":["<","x"]}]}`, "must be numeric"},
		{"numeric wrong length", `{"a":[{"numeric":["<",1,">"]}]}`, "one or two operator"},
		{"numeric bad range order", `{"a":[{"numeric":["<",1,">",0]}]}`, "Bad numeric range"},
		{"numeric bottom above top", `{"a":[{"numeric":[">",5,"<",1]}]}`, "Bottom must be less than top"},
		{"number too large", `{"a":[10000000000]}`, "between -1000000000 and 1000000000"},
		{"nested array", `{"a":[["x"]]}`, "Match value must be"},
		{"anything-but empty", `{"a":[{"anything-but":[]}]}`, "Empty arrays"},
		{"anything-but bool", `{"a":[{"anything-but":[true]}]}`, "only strings or numbers"},
		{"anything-but unknown", `{"a":[{"anything-but":{"wildcard":"x"}}]}`, "Unsupported anything-but"},
		{"$or single branch", `{"$or":[{"a":["1"]}]}`, "$or must be an array of at least two"},
		{"$or not objects", `{"$or":["a","b"]}`, "non-empty JSON objects"},
		{"too many values", tooMany, "too complex"},
		{"too many combinations", combos, "too complex"},
		{"empty key", `{"":["x"]}`, "must not be empty"},
		{"six keys", `{"a":[1],"b":[1],"c":[1],"d":[1],"e":[1],"f":[1]}`, "more than 5 keys"},
		{"six nested keys", `{"o":{"a":[1],"b":[1],"c":[1]},"$or":[{"d":[1]},{"e":[1],"f":[1]}]}`, "more than 5 keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := CompileFilterPolicy(tt.policy)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CompileFilterPolicy(%s) error = %v, want one containing %q", tt.policy, err, tt.wantErr)
			}
		})
	}
}

func TestFilterPolicyNested(t *testing.T) {
	t.Parallel()
	for policy, want := range map[string]bool{
		`{"a":["x"]}`:                     false,
		`{"a":{"b":["x"]}}`:               true,
		`{"$or":[{"a":["1"]},{"b":[2]}]}`: false,
	} {
		p, err := CompileFilterPolicy(policy)
		if err != nil {
			t.Fatalf("CompileFilterPolicy(%s): %v", policy, err)
		}
		if got := p.Nested(); got != want {
			t.Errorf("Nested(%s) = %v, want %v", policy, got, want)
		}
	}
}

func FuzzFilterPolicy(f *testing.F) {
	f.Add(`{"a":["x",{"prefix":"p"}]}`, `{"a":"px"}`, "px")
	f.Add(`{"n":[{"numeric":[">",0,"<=",10]}]}`, `{"n":5}`, "5")
	f.Add(`{"$or":[{"a":[{"exists":true}]},{"b":{"c":[{"anything-but":["z"]}]}}]}`, `{"b":{"c":["y"]}}`, "y")
	f.Add(`{"a":[{"anything-but":{"prefix":"q"}}]}`, `[1,2`, "")
	f.Add(`{"a":{"b":{"c":{"d":[null,true,1e9]}}}}`, `{"a":[{"b":{"c":{"d":null}}}]}`, "x")
	f.Fuzz(func(t *testing.T, policy, body, value string) {
		p, err := CompileFilterPolicy(policy)
		if err != nil {
			return
		}
		p.MatchBody([]byte(body))
		p.MatchAttributes(attrs{"a": str(value), "n": num(value), "s": arr(value), "b": {DataType: "Binary", BinaryValue: []byte(value)}})
	})
}

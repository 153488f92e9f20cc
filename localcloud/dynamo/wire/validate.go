package wire

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ValidationError is a request whose members break the model's
// constraints; Msg is DynamoDB's message, Pieces the failures it lists.
type ValidationError struct {
	Msg    string
	Pieces []string
}

func (e *ValidationError) Error() string { return e.Msg }

// maxErrors is how many constraint failures DynamoDB lists at most.
const maxErrors = 10

// memberOrder is the order DynamoDB reports the members of these inputs
// in, where it is not the model's (members not listed follow in the
// model's order). From DynamoDB's answers as recorded by a conformance suite.
var memberOrder = map[string][]string{
	"GetItemInput":                     {"ReturnConsumedCapacity", "AttributesToGet", "TableName", "Key"},
	"PutItemInput":                     {"ReturnConsumedCapacity", "TableName", "Item", "ConditionalOperator", "Expected", "ReturnValues", "ReturnItemCollectionMetrics"},
	"DeleteItemInput":                  {"ReturnConsumedCapacity", "TableName", "Key", "ConditionalOperator", "Expected", "ReturnValues", "ReturnItemCollectionMetrics"},
	"CreateTableInput":                 {"AttributeDefinitions", "TableName", "BillingMode", "ProvisionedThroughput", "KeySchema", "LocalSecondaryIndexes", "GlobalSecondaryIndexes"},
	"QueryInput":                       {"Limit", "ExclusiveStartKey", "KeyConditions", "ReturnConsumedCapacity", "AttributesToGet", "TableName", "Select", "ConsistentRead", "IndexName", "ScanIndexForward"},
	"ScanInput":                        {"Limit", "TotalSegments", "ReturnConsumedCapacity", "AttributesToGet", "Select", "TableName", "ExclusiveStartKey", "Segment", "ScanFilter"},
	"UpdateItemInput":                  {"ReturnConsumedCapacity", "TableName", "ReturnItemCollectionMetrics", "ReturnValues", "Key", "ConditionalOperator", "Expected", "AttributeUpdates"},
	"BatchWriteItemInput":              {"ReturnConsumedCapacity", "ReturnItemCollectionMetrics", "RequestItems"},
	"CreateGlobalSecondaryIndexAction": {"Projection", "IndexName", "ProvisionedThroughput", "KeySchema"},
	"ProvisionedThroughput":            {"WriteCapacityUnits", "ReadCapacityUnits"},
	"ListTablesInput":                  {"Limit", "ExclusiveStartTableName"},
}

// enumOrder is how DynamoDB lists an enum's values where the model lists
// them in another order.
var enumOrder = map[string]string{
	"ScalarAttributeType": "[B, N, S]",
	"ReturnValue":         "[ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
	"ComparisonOperator":  "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]",
	"ConditionalOperator": "[OR, AND]",
	"Select":              "[SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
	"ProjectionType":      "[ALL, INCLUDE, KEYS_ONLY]",
}

// mapEntriesChecked are the structures whose entries in a map are checked
// here (the legacy conditions); BatchGetItem's and BatchWriteItem's request
// maps have their own checks and messages in the operations ("Too many
// items requested for the BatchGetItem call").
var mapEntriesChecked = map[string]bool{"Condition": true, "ExpectedAttributeValue": true, "AttributeValueUpdate": true}

// tableNameFirst are the operations that check TableName on its own
// before the other constraints, with their own messages.
var tableNameFirst = map[string]bool{"CreateTable": true, "DescribeTable": true, "DeleteTable": true, "UpdateTable": true, "DescribeTimeToLive": true, "UpdateTimeToLive": true}

// Validate checks body, a well-typed request of op (Check passed), against
// the constraints of botocore's model: required members, lengths, patterns,
// ranges and enums. It returns a *ValidationError with DynamoDB's message
// ("2 validation errors detected: Value null at 'tableName' failed to
// satisfy constraint: Member must not be null; ...") or nil.
func Validate(op string, body []byte) error {
	in, ok := operations[op]
	if !ok {
		return nil
	}
	if tableNameFirst[op] {
		name, present := topString(body, "TableName")
		if !present {
			return &ValidationError{Msg: "The parameter 'TableName' is required but was not present in the request"}
		}
		if n := len([]rune(name)); n < 3 || n > 255 {
			return &ValidationError{Msg: "TableName must be at least 3 characters long and at most 255 characters long"}
		}
	}
	if op == "UpdateTimeToLive" {
		// An empty attribute name has its own message, not the length
		// constraint's.
		for _, m := range members(body) {
			if string(m.name) == "TimeToLiveSpecification" {
				if name, ok := topString(body[m.start:m.end], "AttributeName"); ok && name == "" {
					return &ValidationError{Msg: "TimeToLiveSpecification.AttributeName must be non empty"}
				}
			}
		}
	}
	v := validator{}
	v.structure(in, body, "")
	if len(v.errs) == 0 {
		return nil
	}
	s := "s"
	if len(v.errs) == 1 {
		s = ""
	}
	return &ValidationError{fmt.Sprintf("%d validation error%s detected: %s", len(v.errs), s, strings.Join(v.errs, "; ")), v.errs}
}

// Elements returns the raw elements of the JSON array raw, nil if raw is
// not an array. raw must be well formed (Check passed).
func Elements(raw []byte) [][]byte { return listElems(raw) }

type validator struct{ errs []string }

func (v *validator) fail(value, path, constraint string) {
	if len(v.errs) < maxErrors {
		v.errs = append(v.errs, "Value "+value+" at '"+path+"' failed to satisfy constraint: Member must "+constraint)
	}
}

// span is one member's value in the raw body.
type span struct {
	name       []byte // raw, escapes included
	start, end int
}

// members returns the members of the JSON object raw, in document order;
// nil for anything else (null).
func members(raw []byte) []span {
	w := walker{b: raw}
	if w.peek() != '{' {
		return nil
	}
	w.i++
	out := make([]span, 0, 8)
	if w.peek() == '}' {
		return out
	}
	for {
		if w.peek() != '"' {
			return out
		}
		name, _, err := w.str()
		if err != nil || w.peek() != ':' {
			return out
		}
		w.i++
		w.peek()
		start := w.i
		if w.skip() != nil {
			return out
		}
		out = append(out, span{name, start, w.i})
		if w.peek() != ',' {
			return out
		}
		w.i++
	}
}

// topString returns the top-level string member name of body.
func topString(body []byte, name string) (string, bool) {
	for _, m := range members(body) {
		if string(m.name) == name {
			raw := body[m.start:m.end]
			if len(raw) > 0 && raw[0] == '"' {
				w := walker{b: raw}
				s, esc, _ := w.str()
				return text(s, esc), true
			}
			return "", false
		}
	}
	return "", false
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// structure validates the object raw against structure shape sh; path is
// the parent's path ("" at the top, "provisionedThroughput", or
// "keySchema.1.member").
func (v *validator) structure(sh int, raw []byte, path string) {
	s := &shapes[sh]
	found := members(raw)
	for _, m := range orderedMembers(s) {
		var val []byte
		for _, f := range found {
			if string(f.name) == m.name {
				val = raw[f.start:f.end]
			}
		}
		absent := val == nil || string(val) == "null"
		if absent && !m.required {
			continue
		}
		p := lowerFirst(m.name)
		if path != "" {
			p = path + "." + p
		}
		if absent {
			v.fail("null", p, "not be null")
			continue
		}
		v.value(m.shape, val, p)
	}
}

// reordered holds, for the shapes memberOrder names, their members in
// DynamoDB's order; it is made once and only read.
var reordered = func() map[string][]member {
	out := map[string][]member{}
	for i := range shapes {
		if _, ok := memberOrder[shapes[i].name]; ok {
			out[shapes[i].name] = reorder(&shapes[i])
		}
	}
	return out
}()

// orderedMembers is s's members in DynamoDB's order.
func orderedMembers(s *shape) []member {
	if m, ok := reordered[s.name]; ok {
		return m
	}
	return s.members
}

func reorder(s *shape) []member {
	order := memberOrder[s.name]
	out := make([]member, 0, len(s.members))
	for _, name := range order {
		for _, m := range s.members {
			if m.name == name {
				out = append(out, m)
			}
		}
	}
	for _, m := range s.members {
		if !contains(order, m.name) {
			out = append(out, m)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// value validates one present value (well typed: Check passed).
func (v *validator) value(sh int, raw []byte, path string) {
	s := &shapes[sh]
	switch s.kind {
	case kString:
		w := walker{b: raw}
		b, esc, err := w.str()
		if err != nil {
			return
		}
		if s.pattern == "" && !s.hasMin && !s.hasMax && len(s.enum) == 0 {
			return
		}
		str := text(b, esc)
		quoted := func() string { return "'" + str + "'" }
		if s.name == "TableName" && strings.HasPrefix(str, "arn:") {
			// DynamoDB takes a table's ARN where it takes its name.
			if len(str) > 1024 {
				v.fail(quoted(), path, "have length less than or equal to 1024")
			}
			return
		}
		if s.pattern != "" && !patternMatch(s.pattern, str) {
			v.fail(quoted(), path, "satisfy regular expression pattern: "+s.pattern)
		}
		v.length(s, utf8.RuneCountInString(str), quoted, path)
		if len(s.enum) > 0 && !contains(s.enum, str) {
			list, ok := enumOrder[s.name]
			if !ok {
				list = "[" + strings.Join(s.enum, ", ") + "]"
			}
			v.fail(quoted(), path, "satisfy enum value set: "+list)
		}
	case kInteger, kLong:
		n, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return
		}
		quoted := "'" + strconv.FormatInt(int64(n), 10) + "'"
		if s.hasMin && n < float64(s.min) {
			v.fail(quoted, path, "have value greater than or equal to "+strconv.FormatInt(s.min, 10))
		}
		if s.hasMax && n > float64(s.max) {
			v.fail(quoted, path, "have value less than or equal to "+strconv.FormatInt(s.max, 10))
		}
	case kList:
		elems := listElems(raw)
		v.length(s, len(elems), func() string {
			strs := make([]string, len(elems))
			for i, e := range elems {
				strs[i] = scalarText(e)
			}
			return "'[" + strings.Join(strs, ", ") + "]'"
		}, path)
		if shapes[s.elem].kind == kStruct {
			for i, e := range elems {
				if string(e) != "null" {
					v.structure(s.elem, e, path+"."+strconv.Itoa(i+1)+".member")
				}
			}
		}
	case kMap:
		if s.hasMin || s.hasMax {
			v.length(s, len(members(raw)), func() string { return "'" + string(raw) + "'" }, path)
		}
		if mapEntriesChecked[shapes[s.elem].name] {
			// DynamoDB reports a map's entries last key first.
			ms := members(raw)
			for i := len(ms) - 1; i >= 0; i-- {
				e := raw[ms[i].start:ms[i].end]
				if string(e) != "null" {
					v.structure(s.elem, e, path+"."+text(ms[i].name, true)+".member")
				}
			}
		}
	case kStruct:
		v.structure(sh, raw, path)
	}
}

// length checks a length n against s's bounds; quoted makes the value's
// text only when it fails.
func (v *validator) length(s *shape, n int, quoted func() string, path string) {
	if s.hasMin && int64(n) < s.min {
		v.fail(quoted(), path, "have length greater than or equal to "+strconv.FormatInt(s.min, 10))
	}
	if s.hasMax && int64(n) > s.max {
		v.fail(quoted(), path, "have length less than or equal to "+strconv.FormatInt(s.max, 10))
	}
}

// listElems returns the raw elements of the JSON array raw.
func listElems(raw []byte) [][]byte {
	w := walker{b: raw}
	if w.peek() != '[' {
		return nil
	}
	w.i++
	var out [][]byte
	if w.peek() == ']' {
		return out
	}
	for {
		w.peek()
		start := w.i
		if w.skip() != nil {
			return out
		}
		out = append(out, raw[start:w.i])
		if w.peek() != ',' {
			return out
		}
		w.i++
	}
}

// scalarText is how a list element shows in a message: a string's text,
// anything else its JSON.
func scalarText(raw []byte) string {
	if len(raw) > 0 && raw[0] == '"' {
		w := walker{b: raw}
		b, esc, _ := w.str()
		return text(b, esc)
	}
	return string(raw)
}

// patternMatch reports whether s matches the model's pattern whole. The
// model's patterns are Java regular expressions; the ones DynamoDB's
// inputs use are RE2 too. A pattern RE2 cannot compile matches anything.
func patternMatch(pattern, s string) bool {
	if pattern == namePattern {
		return nameChars(s)
	}
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	if err != nil {
		return true
	}
	return re.MatchString(s)
}

// namePattern is the pattern of table and index names, checked without a
// regular expression as it is on every request.
const namePattern = "[a-zA-Z0-9_.-]+"

func nameChars(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

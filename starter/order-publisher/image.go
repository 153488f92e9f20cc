package main

// Provided: you do not need to change this file.

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// imageJSON converts a stream image to the plain JSON object it stands for: strings and
// numbers as themselves (numbers keep DynamoDB's exact digits), booleans, null, lists and maps
// as JSON arrays and objects, string and number sets as arrays, binary as base64 strings.
func imageJSON(image map[string]events.DynamoDBAttributeValue) ([]byte, error) {
	obj, err := plainMap(image)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode image: %w", err)
	}
	return b, nil
}

func plainMap(m map[string]events.DynamoDBAttributeValue) (map[string]any, error) {
	out := make(map[string]any, len(m))
	for k, av := range m {
		v, err := plain(av)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

// plain converts one attribute value.
func plain(av events.DynamoDBAttributeValue) (any, error) {
	switch av.DataType() {
	case events.DataTypeString:
		return av.String(), nil
	case events.DataTypeNumber:
		return number(av.Number())
	case events.DataTypeBoolean:
		return av.Boolean(), nil
	case events.DataTypeNull:
		return nil, nil
	case events.DataTypeBinary:
		return av.Binary(), nil // encoding/json writes []byte as base64
	case events.DataTypeStringSet:
		return av.StringSet(), nil
	case events.DataTypeNumberSet:
		out := []any{}
		for _, n := range av.NumberSet() {
			v, err := number(n)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case events.DataTypeBinarySet:
		return av.BinarySet(), nil
	case events.DataTypeList:
		out := []any{}
		for i, e := range av.List() {
			v, err := plain(e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			out = append(out, v)
		}
		return out, nil
	case events.DataTypeMap:
		return plainMap(av.Map())
	}
	return nil, fmt.Errorf("unknown attribute type %v", av.DataType())
}

// number returns s as a json.Number after checking it is a valid JSON number.
func number(s string) (json.Number, error) {
	if !json.Valid([]byte(s)) {
		return "", fmt.Errorf("number %q is not valid JSON", s)
	}
	var n json.Number
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		return "", fmt.Errorf("number %q: %w", s, err)
	}
	return n, nil
}

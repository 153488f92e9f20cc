package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestPolicyCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want []string // substrings of the output
		deny []string
	}{
		{"full", nil, []string{`"dynamodb:DescribeTable"`, `"apigateway:GET"`, `"lambda:UpdateFunctionConfiguration"`}, []string{`"Action": "*"`}},
		{"read-only", []string{"--read-only", "--account", "123456789012", "--region", "eu-west-1"},
			[]string{`arn:aws:dynamodb:eu-west-1:123456789012:table/*`, `"iam:GetRole"`}, []string{"UpdateFunctionConfiguration", "DeleteItem", "SendMessage"}},
		{"cross-account", []string{"--cross-account"}, []string{`"sts:ExternalId"`, `"AWS::IAM::Role"`, "GraderAccountId"}, []string{"UpdateFunctionConfiguration"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			if code := Run(context.Background(), append([]string{"policy"}, tc.args...), &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			var v map[string]any
			if err := json.Unmarshal(out.Bytes(), &v); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %s", w)
				}
			}
			for _, d := range tc.deny {
				if strings.Contains(out.String(), d) {
					t.Errorf("output has %s", d)
				}
			}
		})
	}
	var errb bytes.Buffer
	if code := Run(context.Background(), []string{"policy", "--account", "12"}, &bytes.Buffer{}, &errb); code != 2 {
		t.Errorf("bad account: got exit %d, want 2", code)
	}
}

package iam

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Partitions. IAM and STS are global, but each partition is its own IAM:
// a request's partition is the one its SigV4 region belongs to
// (protocol.Partition), and every ARN IAM and STS answer with is written in
// it: GetCallerIdentity signed for cn-north-1 answers
// arn:aws-cn:iam::ACCOUNT:root, a role created or read there is
// arn:aws-cn:iam::ACCOUNT:role/NAME, AssumeRole's AssumedRoleUser is
// arn:aws-cn:sts::....
//
// The local cloud keeps one IAM per account, not one per partition and
// account: a role created while talking to us-east-1 is the same role read
// through cn-north-1, where it is named arn:aws-cn:iam::.... (On AWS the
// partitions are separate account spaces; a learner uses one.) Inside, the
// service keeps ARNs in the aws partition (its data directory and keys, as
// before partitions), and this file moves them across its edge: the ARNs a
// request names, in any partition, are read as the aws form; the ARNs in
// answers and error messages are written in the request's partition.

// partitionedOps wraps every operation of ops with inPartition.
func partitionedOps(ops map[string]protocol.QueryOp) map[string]protocol.QueryOp {
	for name, op := range ops {
		ops[name] = inPartition(op)
	}
	return ops
}

// inPartition wraps an operation so that it reads the request's IAM and STS
// ARNs in their aws form and answers in the request's partition.
func inPartition(op protocol.QueryOp) protocol.QueryOp {
	return func(ctx context.Context, form url.Values) (any, error) {
		part := protocol.PartitionOf(protocol.IdentityFrom(ctx))
		out, err := op(ctx, canonicalForm(form))
		if part == "aws" {
			return out, err
		}
		if err != nil {
			return nil, errorInPartition(err, part)
		}
		if out == nil {
			return nil, nil
		}
		return partitioned{out, part}, nil
	}
}

// isARNParam reports whether a request parameter names an IAM or STS
// entity by ARN: PolicyArn, RoleArn, PolicyArns.member.N.arn,
// PermissionsBoundary, SerialNumber...
func isARNParam(key string) bool {
	k := strings.ToLower(key)
	return strings.HasSuffix(k, "arn") || k == "permissionsboundary" || k == "serialnumber"
}

// canonicalForm returns form with the IAM and STS ARNs of its ARN
// parameters in the aws partition.
func canonicalForm(form url.Values) url.Values {
	var out url.Values
	for k, vs := range form {
		if !isARNParam(k) {
			continue
		}
		for i, v := range vs {
			c := canonicalARN(v)
			if c == v {
				continue
			}
			if out == nil {
				out = make(url.Values, len(form))
				for k, vs := range form {
					out[k] = append([]string(nil), vs...)
				}
			}
			out[k][i] = c
		}
	}
	if out == nil {
		return form
	}
	return out
}

// canonicalARN is s, when it is an IAM or STS ARN of any partition, in the
// aws partition the service keeps its ARNs in; anything else unchanged.
func canonicalARN(s string) string {
	a, ok := protocol.ParseARN(s)
	if !ok || a.Partition == "aws" || !protocol.IsPartition(a.Partition) || (a.Service != "iam" && a.Service != "sts") {
		return s
	}
	return protocol.WithPartition(s, "aws")
}

// shownARN is s, an ARN the service keeps (aws partition), as the
// partition part writes it; s that is no IAM or STS ARN is unchanged.
func shownARN(s, part string) string {
	if part == "aws" || !(strings.HasPrefix(s, "arn:aws:iam:") || strings.HasPrefix(s, "arn:aws:sts:")) {
		return s
	}
	return protocol.WithPartition(s, part)
}

// ctxARN is s, an ARN the service keeps, as the partition of ctx's request
// writes it.
func ctxARN(ctx context.Context, s string) string {
	return shownARN(s, protocol.PartitionOf(protocol.IdentityFrom(ctx)))
}

// errorInPartition rewrites the IAM and STS ARNs an error message names
// (its own entities, and the request's ARNs read in the aws form) into
// partition part.
func errorInPartition(err error, part string) error {
	var e *protocol.Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Message = strings.NewReplacer("arn:aws:iam:", "arn:"+part+":iam:", "arn:aws:sts:", "arn:"+part+":sts:").Replace(e.Message)
	return &c
}

// partitioned is an operation's answer whose IAM and STS ARNs are written in
// partition part when it is encoded: the text of every element named like
// an ARN member (Arn, PolicyArn, PermissionsBoundaryArn...) or SerialNumber.
// Documents, descriptions and tags are left as they were written.
type partitioned struct {
	v    any
	part string
}

// MarshalXML implements xml.Marshaler.
func (p partitioned) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	var buf bytes.Buffer
	inner := xml.NewEncoder(&buf)
	if err := inner.EncodeElement(p.v, start); err != nil {
		return err
	}
	if err := inner.Flush(); err != nil {
		return err
	}
	d := xml.NewDecoder(&buf)
	var names []string
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			names = append(names, t.Name.Local)
		case xml.EndElement:
			names = names[:len(names)-1]
		case xml.CharData:
			if len(names) > 0 && isARNParam(names[len(names)-1]) {
				tok = xml.CharData(shownARN(string(t), p.part))
			}
		}
		if err := e.EncodeToken(xml.CopyToken(tok)); err != nil {
			return err
		}
	}
}

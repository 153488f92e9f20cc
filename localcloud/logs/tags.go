package logs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

func (s *Service) groupFromARN(ctx context.Context, arn string) (*group, error) {
	id := protocol.IdentityFrom(ctx)
	a, ok := protocol.ParseARN(arn)
	res, isGroup := strings.CutPrefix(a.Resource, "log-group:")
	if !ok || a.Service != "logs" {
		return nil, invalidParam("Invalid resource ARN %s", arn)
	}
	if !isGroup {
		return nil, protocol.Errorf("ResourceNotFoundException", "The specified resource does not exist.")
	}
	res = strings.TrimSuffix(res, ":*")
	if a.Account != id.AccountID || a.Region != id.Region {
		return nil, groupNotFound()
	}
	return s.findGroup(ctx, res)
}

// tagTarget is what carries a resource's tags: a log group, or a stored
// document (a destination, delivery source, delivery destination or
// delivery) whose "tags" member holds them.
type tagTarget struct {
	g *group
	k docKey
}

// docTagKinds are the kinds of documents TagResource takes; each is also
// the resource type in its ARN (arn:aws:logs:region:account:destination:name).
var docTagKinds = map[string]bool{kindDestination: true, kindDeliverySource: true, kindDeliveryDest: true, kindDelivery: true}

// tagTarget resolves a resource ARN of the caller's; s.mu must be held.
func (s *Service) tagTarget(ctx context.Context, arn string) (tagTarget, error) {
	a, ok := protocol.ParseARN(arn)
	if !ok || a.Service != "logs" {
		return tagTarget{}, invalidParam("Invalid resource ARN %s", arn)
	}
	if strings.HasPrefix(a.Resource, "log-group:") {
		g, err := s.groupFromARN(ctx, arn)
		return tagTarget{g: g}, err
	}
	id := protocol.IdentityFrom(ctx)
	kind, name, _ := strings.Cut(a.Resource, ":")
	k := docKey{kind: kind, account: a.Account, region: a.Region, name: name}
	if _, ok := s.docs[k]; !ok || !docTagKinds[kind] || a.Account != id.AccountID || a.Region != id.Region {
		return tagTarget{}, protocol.Errorf("ResourceNotFoundException", "The specified resource does not exist.")
	}
	return tagTarget{k: k}, nil
}

func (s *Service) tagsOf(t tagTarget) map[string]string {
	if t.g != nil {
		return t.g.tags
	}
	var v struct {
		Tags map[string]string `json:"tags"`
	}
	s.getDoc(t.k, &v)
	return v.Tags
}

// changeTags adds and removes tags of t; s.mu must be held for writing.
func (s *Service) changeTags(ctx context.Context, t tagTarget, add map[string]string, remove []string) error {
	tags := map[string]string{}
	for k, v := range s.tagsOf(t) {
		tags[k] = v
	}
	for k, v := range add {
		tags[k] = v
	}
	for _, k := range remove {
		delete(tags, k)
	}
	if err := validTags(tags); err != nil {
		return err
	}
	if t.g == nil {
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(s.docs[t.k], &doc); err != nil {
			return fmt.Errorf("decode %s %s: %w", t.k.kind, t.k.name, err)
		}
		delete(doc, "tags")
		if len(tags) > 0 {
			doc["tags"], _ = json.Marshal(tags)
		}
		return s.putDoc(ctx, t.k, doc)
	}
	c := *t.g
	c.tags = tags
	if err := saveGroup(ctx, s.db, &c); err != nil {
		return err
	}
	t.g.tags = tags
	return nil
}

func (s *Service) tagResource(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ResourceArn string            `json:"resourceArn"`
		Tags        map[string]string `json:"tags"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, invalidParam("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.tagTarget(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return nil, s.changeTags(ctx, t, in.Tags, nil)
}

func (s *Service) untagResource(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ResourceArn string   `json:"resourceArn"`
		TagKeys     []string `json:"tagKeys"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.tagTarget(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return nil, s.changeTags(ctx, t, nil, in.TagKeys)
}

func (s *Service) listTagsForResource(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ResourceArn string `json:"resourceArn"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.tagTarget(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return tagsOut(s.tagsOf(t)), nil
}

func tagsOut(tags map[string]string) any {
	if tags == nil {
		tags = map[string]string{}
	}
	return struct {
		Tags map[string]string `json:"tags"`
	}{tags}
}

func (s *Service) tagLogGroup(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName string            `json:"logGroupName"`
		Tags         map[string]string `json:"tags"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findGroup(ctx, in.LogGroupName)
	if err != nil {
		return nil, err
	}
	return nil, s.changeTags(ctx, tagTarget{g: g}, in.Tags, nil)
}

func (s *Service) untagLogGroup(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName string   `json:"logGroupName"`
		Tags         []string `json:"tags"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findGroup(ctx, in.LogGroupName)
	if err != nil {
		return nil, err
	}
	return nil, s.changeTags(ctx, tagTarget{g: g}, nil, in.Tags)
}

func (s *Service) listTagsLogGroup(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.findGroup(ctx, in.LogGroupName)
	if err != nil {
		return nil, err
	}
	return tagsOut(g.tags), nil
}

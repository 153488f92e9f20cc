package logs

import (
	"context"
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

func (s *Service) changeTags(ctx context.Context, g *group, add map[string]string, remove []string) error {
	tags := map[string]string{}
	for k, v := range g.tags {
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
	c := *g
	c.tags = tags
	if err := saveGroup(ctx, s.db, &c); err != nil {
		return err
	}
	g.tags = tags
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
	g, err := s.groupFromARN(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return nil, s.changeTags(ctx, g, in.Tags, nil)
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
	g, err := s.groupFromARN(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return nil, s.changeTags(ctx, g, nil, in.TagKeys)
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
	g, err := s.groupFromARN(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return tagsOut(g.tags), nil
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
	return nil, s.changeTags(ctx, g, in.Tags, nil)
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
	return nil, s.changeTags(ctx, g, nil, in.Tags)
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

package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// metaMutation persists m as its table's definition.
func metaMutation(m *tableMeta) mutation {
	mb, _ := json.Marshal(m)
	return mutation{kind: mutExec, sql: `UPDATE tables SET meta = ? WHERE account = ? AND region = ? AND name = ?`, args: []any{mb, m.Account, m.Region, m.Name}}
}

// changeMeta applies change to a copy of t.meta, persists the copy and only
// then makes it the table's, so a refused change or a failed commit leaves
// the table as it was. The caller holds t.mu.
func (s *Service) changeMeta(t *table, change func(m *tableMeta) error) error {
	meta := t.meta
	if err := change(&meta); err != nil {
		return err
	}
	if err := s.com.commit([]mutation{metaMutation(&meta)}); err != nil {
		return err
	}
	t.meta = meta
	return nil
}

type resourceArnInput struct {
	ResourceArn string `json:"ResourceArn"`
	Tags        []tag  `json:"Tags"`
	TagKeys     []string
	NextToken   string `json:"NextToken"`
}

// arnTable decodes a request that names a table by ResourceArn and finds
// the table.
func (s *Service) arnTable(ctx context.Context, body []byte) (*table, resourceArnInput, error) {
	var in resourceArnInput
	if err := decode(body, &in); err != nil {
		return nil, in, err
	}
	t, err := s.tableByARN(ctx, in.ResourceArn)
	return t, in, err
}

// tableByARN finds the caller's table from a resource ARN.
func (s *Service) tableByARN(ctx context.Context, arn string) (*table, error) {
	id := protocol.IdentityFrom(ctx)
	a, ok := protocol.ParseARN(arn)
	if !ok || a.Service != "dynamodb" || !strings.HasPrefix(a.Resource, "table/") {
		return nil, validationf("Invalid TableArn: Invalid ResourceArn provided as input %s", arn)
	}
	if a.Account != id.AccountID || a.Region != id.Region || a.Partition != protocol.Partition(id.Region) {
		return nil, protocol.Errorf("ResourceNotFoundException", "Requested resource not found: ResourcArn: %s not found", arn)
	}
	t, err := s.lookup(ctx, arn)
	if err != nil {
		return nil, protocol.Errorf("ResourceNotFoundException", "Requested resource not found: ResourcArn: %s not found", arn)
	}
	return t, nil
}

func (s *Service) tagResource(ctx context.Context, body []byte) (any, error) {
	var in resourceArnInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	t, err := s.tableByARN(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	// A table is tagged once it exists: not while CREATING or DELETING.
	if st := t.status(s.now()); st == statusCreating || st == statusDeleting {
		return nil, t.inUse(s.now())
	}
	err = s.changeMeta(t, func(m *tableMeta) error {
		tags := append([]tag(nil), m.Tags...)
		for _, nt := range in.Tags {
			replaced := false
			for i := range tags {
				if tags[i].Key == nt.Key {
					tags[i].Value = nt.Value
					replaced = true
				}
			}
			if !replaced {
				tags = append(tags, nt)
			}
		}
		if len(tags) > 50 {
			return validationf("One or more parameter values were invalid: The number of tags exceeds the limit of 50")
		}
		m.Tags = tags
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) untagResource(ctx context.Context, body []byte) (any, error) {
	t, in, err := s.arnTable(ctx, body)
	if pe := (*protocol.Error)(nil); errors.As(err, &pe) && pe.Code == "ResourceNotFoundException" {
		// UntagResource's answer does not name the ARN.
		return nil, protocol.Errorf("ResourceNotFoundException", "Requested resource not found")
	}
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	err = s.changeMeta(t, func(m *tableMeta) error {
		var tags []tag
		for _, tg := range m.Tags {
			if !slices.Contains(in.TagKeys, tg.Key) {
				tags = append(tags, tg)
			}
		}
		m.Tags = tags
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type listTagsOutput struct {
	Tags []tag `json:"Tags"`
}

func (s *Service) listTagsOfResource(ctx context.Context, body []byte) (any, error) {
	t, _, err := s.arnTable(ctx, body)
	if err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return listTagsOutput{Tags: append([]tag{}, t.meta.Tags...)}, nil
}

func (s *Service) describeContinuousBackups(ctx context.Context, body []byte) (any, error) {
	var in tableNameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	t, err := s.lookup(ctx, in.TableName)
	if err != nil {
		return nil, protocol.Errorf("TableNotFoundException", "Table not found: %s", in.TableName)
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return continuousBackupsOutput{continuousBackups(&t.meta)}, nil
}

type continuousBackupsOutput struct {
	ContinuousBackupsDescription continuousBackupsDescription `json:"ContinuousBackupsDescription"`
}

type continuousBackupsDescription struct {
	ContinuousBackupsStatus        string          `json:"ContinuousBackupsStatus"`
	PointInTimeRecoveryDescription pitrDescription `json:"PointInTimeRecoveryDescription"`
}

type pitrDescription struct {
	PointInTimeRecoveryStatus  string  `json:"PointInTimeRecoveryStatus"`
	EarliestRestorableDateTime float64 `json:"EarliestRestorableDateTime,omitempty"`
	LatestRestorableDateTime   float64 `json:"LatestRestorableDateTime,omitempty"`
	RecoveryPeriodInDays       int     `json:"RecoveryPeriodInDays,omitempty"`
}

func continuousBackups(m *tableMeta) continuousBackupsDescription {
	d := continuousBackupsDescription{ContinuousBackupsStatus: "ENABLED", PointInTimeRecoveryDescription: pitrDescription{PointInTimeRecoveryStatus: "DISABLED"}}
	if m.PITR {
		now := time.Now().UTC()
		earliest := now.Add(-35 * 24 * time.Hour)
		if m.Created.After(earliest) {
			earliest = m.Created
		}
		d.PointInTimeRecoveryDescription = pitrDescription{
			PointInTimeRecoveryStatus:  "ENABLED",
			EarliestRestorableDateTime: epoch(earliest),
			LatestRestorableDateTime:   epoch(now.Add(-5 * time.Minute).Truncate(time.Second)),
			RecoveryPeriodInDays:       35,
		}
	}
	return d
}

type updateContinuousBackupsInput struct {
	TableName                        string `json:"TableName"`
	PointInTimeRecoverySpecification *struct {
		PointInTimeRecoveryEnabled *bool `json:"PointInTimeRecoveryEnabled"`
		RecoveryPeriodInDays       *int  `json:"RecoveryPeriodInDays"`
	} `json:"PointInTimeRecoverySpecification"`
}

func (s *Service) updateContinuousBackups(ctx context.Context, body []byte) (any, error) {
	var in updateContinuousBackupsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.PointInTimeRecoverySpecification == nil || in.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled == nil {
		return nil, validationf("1 validation error detected: Value null at 'pointInTimeRecoverySpecification' failed to satisfy constraint: Member must not be null")
	}
	t, err := s.lookup(ctx, in.TableName)
	if err != nil {
		return nil, protocol.Errorf("TableNotFoundException", "Table not found: %s", in.TableName)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	err = s.changeMeta(t, func(m *tableMeta) error {
		m.PITR = *in.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled
		return nil
	})
	if err != nil {
		return nil, err
	}
	return continuousBackupsOutput{continuousBackups(&t.meta)}, nil
}

func (s *Service) describeTimeToLive(ctx context.Context, body []byte) (any, error) {
	t, err := s.namedTable(ctx, body)
	if err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	d := timeToLiveDescription{TimeToLiveStatus: "DISABLED"}
	if t.meta.TTLEnabled {
		d = timeToLiveDescription{TimeToLiveStatus: "ENABLED", AttributeName: t.meta.TTLAttribute}
	}
	return describeTTLOutput{TimeToLiveDescription: d}, nil
}

type describeTTLOutput struct {
	TimeToLiveDescription timeToLiveDescription `json:"TimeToLiveDescription"`
}

type timeToLiveDescription struct {
	TimeToLiveStatus string `json:"TimeToLiveStatus"`
	AttributeName    string `json:"AttributeName,omitempty"`
}

type updateTTLOutput struct {
	TimeToLiveSpecification ttlSpecification `json:"TimeToLiveSpecification"`
}

type ttlSpecification struct {
	Enabled       bool   `json:"Enabled"`
	AttributeName string `json:"AttributeName"`
}

type updateTTLInput struct {
	TableName               string `json:"TableName"`
	TimeToLiveSpecification *struct {
		Enabled       *bool  `json:"Enabled"`
		AttributeName string `json:"AttributeName"`
	} `json:"TimeToLiveSpecification"`
}

func (s *Service) updateTimeToLive(ctx context.Context, body []byte) (any, error) {
	var in updateTTLInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	spec := in.TimeToLiveSpecification
	if spec == nil || spec.Enabled == nil || spec.AttributeName == "" {
		return nil, validationf("1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null")
	}
	t, err := s.lookup(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if *spec.Enabled == t.meta.TTLEnabled {
		if *spec.Enabled {
			return nil, validationf("TimeToLive is already enabled")
		}
		return nil, validationf("TimeToLive is already disabled")
	}
	err = s.changeMeta(t, func(m *tableMeta) error {
		m.TTLEnabled = *spec.Enabled
		m.TTLAttribute = spec.AttributeName
		return nil
	})
	if err != nil {
		return nil, err
	}
	return updateTTLOutput{TimeToLiveSpecification: ttlSpecification{Enabled: *spec.Enabled, AttributeName: spec.AttributeName}}, nil
}

type describeLimitsOutput struct {
	AccountMaxReadCapacityUnits  int64 `json:"AccountMaxReadCapacityUnits"`
	AccountMaxWriteCapacityUnits int64 `json:"AccountMaxWriteCapacityUnits"`
	TableMaxReadCapacityUnits    int64 `json:"TableMaxReadCapacityUnits"`
	TableMaxWriteCapacityUnits   int64 `json:"TableMaxWriteCapacityUnits"`
}

func (s *Service) describeLimits(ctx context.Context, body []byte) (any, error) {
	return describeLimitsOutput{
		AccountMaxReadCapacityUnits:  80000,
		AccountMaxWriteCapacityUnits: 80000,
		TableMaxReadCapacityUnits:    40000,
		TableMaxWriteCapacityUnits:   40000,
	}, nil
}

type describeEndpointsOutput struct {
	Endpoints []endpoint `json:"Endpoints"`
}

type endpoint struct {
	Address              string `json:"Address"`
	CachePeriodInMinutes int64  `json:"CachePeriodInMinutes"`
}

func (s *Service) describeEndpoints(ctx context.Context, body []byte) (any, error) {
	addr := s.cfg.Endpoint
	if i := strings.Index(addr, "://"); i >= 0 {
		addr = addr[i+3:]
	}
	if addr == "" {
		id := protocol.IdentityFrom(ctx)
		addr = fmt.Sprintf("dynamodb.%s.amazonaws.com", id.Region)
	}
	return describeEndpointsOutput{Endpoints: []endpoint{{Address: addr, CachePeriodInMinutes: 1440}}}, nil
}

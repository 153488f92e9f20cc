package dynamo

import (
	"context"
	"time"
)

func (s *Service) deleteTable(ctx context.Context, body []byte) (any, error) {
	t, err := s.namedTable(ctx, body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	now := s.now()
	if t.deleted {
		// "If table is already in the DELETING state, no error is
		// returned" (DynamoDB API Reference, DeleteTable).
		return deletedTableOutput(t, now), nil
	}
	if err := t.inUse(now); err != nil {
		return nil, err
	}
	if t.meta.DeletionProtection {
		return nil, validationf("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
	}
	m := &t.meta
	muts := []mutation{
		{kind: mutExec, sql: `DELETE FROM tables WHERE account = ? AND region = ? AND name = ?`, args: []any{m.Account, m.Region, m.Name}},
		{kind: mutExec, sql: `DELETE FROM items WHERE tid = ?`, args: []any{m.ID}},
	}
	var sm *streamMeta
	if m.StreamArn != "" {
		if cur := s.streams[m.StreamArn]; cur != nil && cur.Disabled.IsZero() {
			c := *cur
			c.Disabled = now.UTC()
			sm = &c
			muts = append(muts, sm.mutation())
		}
	}
	if err := s.com.commit(muts); err != nil {
		return nil, err
	}
	if sm != nil {
		s.streams[sm.Arn] = sm
	}
	// The table stays, DELETING, until the delay has passed (lookup then
	// drops it); its rows are already gone, so a restart forgets it.
	t.deleted = true
	t.goneAt.Store(now.Add(s.delay).UnixNano())
	return deletedTableOutput(t, now), nil
}

// deletedTableOutput is DeleteTable's answer for t, DELETING; the caller
// holds t.mu.
func deletedTableOutput(t *table, now time.Time) tableDescriptionOutput {
	desc := t.describe(now)
	desc.GlobalSecondaryIndexes = nil // DeleteTable's answer leaves them out
	return tableDescriptionOutput{TableDescription: desc}
}

type updateTableInput struct {
	TableName                   string         `json:"TableName"`
	AttributeDefinitions        []attrDef      `json:"AttributeDefinitions"`
	BillingMode                 string         `json:"BillingMode"`
	ProvisionedThroughput       *throughput    `json:"ProvisionedThroughput"`
	StreamSpecification         *streamSpec    `json:"StreamSpecification"`
	SSESpecification            *sseSpec       `json:"SSESpecification"`
	DeletionProtection          *bool          `json:"DeletionProtectionEnabled"`
	TableClass                  string         `json:"TableClass"`
	GlobalSecondaryIndexUpdates []gsiUpdateReq `json:"GlobalSecondaryIndexUpdates"`
}

func (s *Service) updateTable(ctx context.Context, body []byte) (any, error) {
	var in updateTableInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkUpdateTable(&in); err != nil {
		return nil, err
	}
	t, err := s.lookup(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	s.mu.Lock() // streams map
	defer s.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	now := s.now().UTC()
	if err := t.inUse(now); err != nil {
		return nil, err
	}
	if err := checkGSIUpdateLimits(in.GlobalSecondaryIndexUpdates); err != nil {
		return nil, err
	}
	if in.BillingMode == "" || in.BillingMode == t.meta.BillingMode {
		if err := unchangedThroughput(&t.meta, in.ProvisionedThroughput); err != nil {
			return nil, err
		}
	}
	meta := t.meta // copy; slices are replaced, not mutated
	meta.GSIs = append([]indexMeta(nil), t.meta.GSIs...)
	meta.AttributeDefinitions = append([]attrDef(nil), t.meta.AttributeDefinitions...)
	changed := false
	if in.BillingMode != "" {
		if in.BillingMode != "PROVISIONED" && in.BillingMode != "PAY_PER_REQUEST" {
			return nil, validationf("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", in.BillingMode)
		}
		if in.BillingMode != meta.BillingMode {
			meta.BillingMode = in.BillingMode
			if in.BillingMode == "PAY_PER_REQUEST" {
				meta.RCU, meta.WCU = 0, 0
				meta.BillingModeUpdated = now
				for i := range meta.GSIs {
					meta.GSIs[i].RCU, meta.GSIs[i].WCU = 0, 0
				}
			} else if in.ProvisionedThroughput == nil {
				return nil, validationf("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
			}
			changed = true
		}
	}
	if in.ProvisionedThroughput != nil {
		rcu, wcu, err := validateThroughput(meta.BillingMode, in.ProvisionedThroughput, "")
		if err != nil {
			return nil, err
		}
		meta.provisioned.change(rcu, wcu, now, now.Add(s.delay))
		changed = true
	}
	if in.DeletionProtection != nil {
		meta.DeletionProtection = *in.DeletionProtection
		changed = true
	}
	if in.TableClass != "" {
		meta.TableClass = in.TableClass
		changed = true
	}
	if sse := in.SSESpecification; sse != nil {
		meta.SSEEnabled = boolv(sse.Enabled)
		meta.SSEType = sse.SSEType
		if meta.SSEEnabled && meta.SSEType == "" {
			meta.SSEType = "KMS"
		}
		meta.KMSKey = sse.KMSMasterKeyId
		changed = true
	}
	var muts []mutation
	var newStreams []*streamMeta
	if ss := in.StreamSpecification; ss != nil {
		enable := boolv(ss.StreamEnabled)
		switch {
		case enable && meta.StreamEnabled:
			return nil, validationf("Table already has an enabled stream: %s", meta.StreamArn)
		case enable:
			if !validViewType(ss.StreamViewType) {
				return nil, validationf("One or more parameter values were invalid: StreamViewType must be specified and valid when StreamEnabled is true")
			}
			meta.StreamEnabled = true
			meta.StreamViewType = ss.StreamViewType
			sm := s.newStream(&meta, now)
			newStreams = append(newStreams, sm)
			muts = append(muts, sm.mutation())
		case meta.StreamEnabled:
			meta.StreamEnabled = false
			meta.StreamViewType = ""
			if cur := s.streams[meta.StreamArn]; cur != nil {
				c := *cur
				c.Disabled = now
				newStreams = append(newStreams, &c)
				muts = append(muts, c.mutation())
			}
		default:
			return nil, validationf("Table already has no stream enabled")
		}
		changed = true
	}
	if len(in.AttributeDefinitions) > 0 {
		for _, d := range in.AttributeDefinitions {
			found := false
			for i := range meta.AttributeDefinitions {
				if meta.AttributeDefinitions[i].AttributeName == d.AttributeName {
					meta.AttributeDefinitions[i] = d
					found = true
				}
			}
			if !found {
				meta.AttributeDefinitions = append(meta.AttributeDefinitions, d)
			}
		}
	}
	if len(in.GlobalSecondaryIndexUpdates) > 0 {
		if err := applyGSIUpdates(&meta, in.GlobalSecondaryIndexUpdates, now, now.Add(s.delay)); err != nil {
			return nil, err
		}
		changed = true
	}
	if !changed && len(in.AttributeDefinitions) == 0 {
		return nil, validationf("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
	}
	s.startTransition(&meta, statusUpdating, now)
	muts = append(muts, metaMutation(&meta))
	if err := s.com.commit(muts); err != nil {
		return nil, err
	}
	gsiChanged := len(in.GlobalSecondaryIndexUpdates) > 0
	t.meta = meta
	if gsiChanged {
		t.rebuildIndexes()
	}
	for _, sm := range newStreams {
		s.streams[sm.Arn] = sm
	}
	return tableDescriptionOutput{TableDescription: t.describe(now)}, nil
}

// change records a provisioned throughput change asked at now
// that takes effect at done: until then DescribeTable shows the old values
// and the time it was asked as LastIncrease/LastDecreaseDateTime; after,
// the new values, the time it took effect, and a decrease counted.
func (m *provisioned) change(rcu, wcu int64, now, done time.Time) {
	if m.RCU == 0 && m.WCU == 0 {
		m.RCU, m.WCU = rcu, wcu // from on-demand: nothing to show as before
		return
	}
	m.OldRCU, m.OldWCU = m.RCU, m.WCU
	if rcu > m.RCU || wcu > m.WCU {
		m.IncreaseAsked, m.IncreaseDone = now, done
	}
	if rcu < m.RCU || wcu < m.WCU {
		if !sameDay(m.DecreaseDone, done) {
			m.Decreases = 0 // the count is per day
		}
		m.DecreaseAsked, m.DecreaseDone = now, done
		m.Decreases++
	}
	m.RCU, m.WCU = rcu, wcu
}

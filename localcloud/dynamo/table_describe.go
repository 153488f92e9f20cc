package dynamo

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// tableDescription is DynamoDB's TableDescription as the local cloud fills it.
type tableDescription struct {
	AttributeDefinitions      []attrDef             `json:"AttributeDefinitions"`
	BillingModeSummary        *billingModeSummary   `json:"BillingModeSummary,omitempty"`
	CreationDateTime          float64               `json:"CreationDateTime"`
	DeletionProtectionEnabled bool                  `json:"DeletionProtectionEnabled,omitempty"`
	GlobalSecondaryIndexes    []gsiDescription      `json:"GlobalSecondaryIndexes,omitempty"`
	ItemCount                 int                   `json:"ItemCount"`
	KeySchema                 []keyElement          `json:"KeySchema"`
	LatestStreamArn           string                `json:"LatestStreamArn,omitempty"`
	LatestStreamLabel         string                `json:"LatestStreamLabel,omitempty"`
	LocalSecondaryIndexes     []lsiDescription      `json:"LocalSecondaryIndexes,omitempty"`
	ProvisionedThroughput     throughputDescription `json:"ProvisionedThroughput"`
	SSEDescription            *sseDescription       `json:"SSEDescription,omitempty"`
	StreamSpecification       *streamSpecification  `json:"StreamSpecification,omitempty"`
	TableArn                  string                `json:"TableArn"`
	TableClassSummary         *tableClassSummary    `json:"TableClassSummary,omitempty"`
	TableId                   string                `json:"TableId"`
	TableName                 string                `json:"TableName"`
	TableSizeBytes            int64                 `json:"TableSizeBytes"`
	TableStatus               string                `json:"TableStatus"`
	// TableThroughputModeSummary is not in the API model, but DynamoDB
	// returns it beside BillingModeSummary, with the same contents.
	TableThroughputModeSummary *throughputModeSummary `json:"TableThroughputModeSummary,omitempty"`
}

type billingModeSummary struct {
	BillingMode                       string  `json:"BillingMode"`
	LastUpdateToPayPerRequestDateTime float64 `json:"LastUpdateToPayPerRequestDateTime,omitempty"`
}

type throughputModeSummary struct {
	TableThroughputMode               string  `json:"TableThroughputMode"`
	LastUpdateToPayPerRequestDateTime float64 `json:"LastUpdateToPayPerRequestDateTime,omitempty"`
}

type throughputDescription struct {
	LastDecreaseDateTime   float64 `json:"LastDecreaseDateTime,omitempty"`
	LastIncreaseDateTime   float64 `json:"LastIncreaseDateTime,omitempty"`
	NumberOfDecreasesToday int     `json:"NumberOfDecreasesToday"`
	ReadCapacityUnits      int64   `json:"ReadCapacityUnits"`
	WriteCapacityUnits     int64   `json:"WriteCapacityUnits"`
}

func sameDay(a, b time.Time) bool {
	ya, ma, da := a.UTC().Date()
	yb, mb, db := b.UTC().Date()
	return ya == yb && ma == mb && da == db
}

// describe is the ProvisionedThroughput of a table or index at now: while a
// change is UPDATING, the old values and when the change was asked; once
// it took effect, the new values, when, and the decrease counted (that
// day).
func (m *provisioned) describe(now time.Time) throughputDescription {
	pt := throughputDescription{ReadCapacityUnits: m.RCU, WriteCapacityUnits: m.WCU, NumberOfDecreasesToday: m.Decreases}
	if m.updating(now) {
		pt.ReadCapacityUnits, pt.WriteCapacityUnits = m.OldRCU, m.OldWCU
	}
	at := func(asked, done time.Time) float64 {
		switch {
		case asked.IsZero():
			return 0
		case now.Before(done):
			return epoch(asked)
		}
		return epoch(done)
	}
	pt.LastIncreaseDateTime = at(m.IncreaseAsked, m.IncreaseDone)
	pt.LastDecreaseDateTime = at(m.DecreaseAsked, m.DecreaseDone)
	switch {
	case now.Before(m.DecreaseDone):
		pt.NumberOfDecreasesToday-- // counted once it takes effect
	case !sameDay(m.DecreaseDone, now):
		pt.NumberOfDecreasesToday = 0
	}
	return pt
}

type gsiDescription struct {
	IndexName             string                `json:"IndexName"`
	KeySchema             []keyElement          `json:"KeySchema"`
	Projection            projection            `json:"Projection"`
	IndexStatus           string                `json:"IndexStatus"`
	Backfilling           bool                  `json:"Backfilling,omitempty"`
	IndexArn              string                `json:"IndexArn"`
	ProvisionedThroughput throughputDescription `json:"ProvisionedThroughput"`
	ItemCount             int                   `json:"ItemCount"`
	IndexSizeBytes        int64                 `json:"IndexSizeBytes"`
}

type lsiDescription struct {
	IndexName      string       `json:"IndexName"`
	KeySchema      []keyElement `json:"KeySchema"`
	Projection     projection   `json:"Projection"`
	IndexArn       string       `json:"IndexArn"`
	ItemCount      int          `json:"ItemCount"`
	IndexSizeBytes int64        `json:"IndexSizeBytes"`
}

type streamSpecification struct {
	StreamEnabled  bool   `json:"StreamEnabled"`
	StreamViewType string `json:"StreamViewType"`
}

type sseDescription struct {
	Status          string `json:"Status"`
	SSEType         string `json:"SSEType"`
	KMSMasterKeyArn string `json:"KMSMasterKeyArn,omitempty"`
}

type tableClassSummary struct {
	TableClass string `json:"TableClass"`
}

// describe returns the TableDescription; the caller holds t.mu (or owns t).
func (t *table) describe(now time.Time) tableDescription {
	m := &t.meta
	status := t.status(now)
	d := tableDescription{
		TableName:                 m.Name,
		TableArn:                  m.arn(),
		TableId:                   m.ID,
		TableStatus:               status,
		KeySchema:                 m.KeySchema,
		AttributeDefinitions:      m.AttributeDefinitions,
		CreationDateTime:          epoch(m.Created),
		ItemCount:                 t.base.count,
		TableSizeBytes:            t.base.bytes,
		DeletionProtectionEnabled: m.DeletionProtection,
		ProvisionedThroughput:     m.provisioned.describe(now),
		LatestStreamArn:           m.StreamArn,
		LatestStreamLabel:         m.StreamLabel,
	}
	// A provisioned table that never changed mode has no summary (and no
	// DeletionProtectionEnabled while it is off), as the TableDescription
	// a public conformance suite compares whole with DynamoDB's shows.
	if m.BillingMode == "PAY_PER_REQUEST" || !m.BillingModeUpdated.IsZero() {
		d.BillingModeSummary = &billingModeSummary{BillingMode: m.BillingMode}
		if m.BillingMode == "PAY_PER_REQUEST" && !m.BillingModeUpdated.IsZero() {
			d.BillingModeSummary.LastUpdateToPayPerRequestDateTime = epoch(m.BillingModeUpdated)
		}
		d.TableThroughputModeSummary = &throughputModeSummary{d.BillingModeSummary.BillingMode, d.BillingModeSummary.LastUpdateToPayPerRequestDateTime}
	}
	for _, g := range m.GSIs {
		gd := gsiDescription{
			IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection,
			IndexArn:              m.arn() + "/index/" + g.IndexName,
			ProvisionedThroughput: g.provisioned.describe(now),
		}
		if ix := t.gsis[g.IndexName]; ix != nil {
			gd.ItemCount, gd.IndexSizeBytes = ix.count, ix.bytes
		}
		gd.IndexStatus, gd.Backfilling = g.status(now, status)
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, gd)
	}
	for _, l := range m.LSIs {
		ld := lsiDescription{IndexName: l.IndexName, KeySchema: l.KeySchema, Projection: l.Projection, IndexArn: m.arn() + "/index/" + l.IndexName}
		if ix := t.lsis[l.IndexName]; ix != nil {
			ld.ItemCount, ld.IndexSizeBytes = ix.count, ix.bytes
		}
		d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, ld)
	}
	if m.StreamEnabled {
		d.StreamSpecification = &streamSpecification{StreamEnabled: true, StreamViewType: m.StreamViewType}
	}
	if m.SSEEnabled {
		d.SSEDescription = &sseDescription{Status: "ENABLED", SSEType: m.SSEType}
		if m.SSEType == "KMS" {
			key := m.KMSKey
			if key == "" || !strings.HasPrefix(key, "arn:") {
				if key == "" {
					key = "alias/aws/dynamodb"
				}
				key = protocol.ARN("kms", m.Region, m.Account, key)
			}
			d.SSEDescription.KMSMasterKeyArn = key
		}
	}
	if m.TableClass != "" {
		d.TableClassSummary = &tableClassSummary{TableClass: m.TableClass}
	}
	return d
}

func epoch(t time.Time) float64 {
	return float64(t.UnixMilli()) / 1000
}

// tableDescriptionOutput answers CreateTable, UpdateTable and DeleteTable.
type tableDescriptionOutput struct {
	TableDescription tableDescription `json:"TableDescription"`
}

type describeTableOutput struct {
	Table tableDescription `json:"Table"`
}

type listTablesOutput struct {
	LastEvaluatedTableName string   `json:"LastEvaluatedTableName,omitempty"`
	TableNames             []string `json:"TableNames"`
}

type tableNameInput struct {
	TableName string `json:"TableName"`
}

// namedTable decodes a request that names one table and finds the table.
func (s *Service) namedTable(ctx context.Context, body []byte) (*table, error) {
	var in tableNameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return s.lookup(ctx, in.TableName)
}

func (s *Service) describeTable(ctx context.Context, body []byte) (any, error) {
	t, err := s.namedTable(ctx, body)
	if err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return describeTableOutput{Table: t.describe(s.now())}, nil
}

type listTablesInput struct {
	ExclusiveStartTableName string `json:"ExclusiveStartTableName"`
	Limit                   *int   `json:"Limit"`
}

func (s *Service) listTables(ctx context.Context, body []byte) (any, error) {
	var in listTablesInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit, err := listLimit(in.Limit)
	if err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	now := s.now()
	s.mu.RLock()
	var names []string
	for k, t := range s.tables {
		if k.account == id.AccountID && k.region == id.Region && k.name > in.ExclusiveStartTableName && !t.gone(now) {
			names = append(names, k.name)
		}
	}
	s.mu.RUnlock()
	sort.Strings(names)
	var out listTablesOutput
	if len(names) > limit {
		names = names[:limit]
		out.LastEvaluatedTableName = names[limit-1]
	}
	if names == nil {
		names = []string{}
	}
	out.TableNames = names
	return out, nil
}

// listLimit is a List operation's Limit: 1 to 100, 100 when not given.
func listLimit(l *int) (int, error) {
	if l == nil {
		return 100, nil
	}
	if *l < 1 || *l > 100 {
		return 0, validationf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100", *l)
	}
	return *l, nil
}

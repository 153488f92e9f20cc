package monitoring

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// DeleteAlarms, Enable/DisableAlarmActions, SetAlarmState and
// DescribeAlarmHistory.

type alarmNamesInput struct{ AlarmNames []string }

func (s *Service) deleteAlarms(ctx context.Context, tree map[string]any) (any, error) {
	var in alarmNamesInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	if len(in.AlarmNames) == 0 {
		return nil, missingParam("AlarmNames")
	}
	if len(in.AlarmNames) > 100 {
		return nil, invalidValue("The collection AlarmNames must not have a size greater than 100.")
	}
	id := protocol.IdentityFrom(ctx)
	rk := regionKey{id.AccountID, id.Region}
	s.mu.Lock()
	for _, n := range in.AlarmNames {
		if s.alarms[rk][n] == nil {
			s.mu.Unlock()
			return nil, alarmNotFound("1 of the alarms specified was not found: %s", n)
		}
	}
	var ops []writeOp
	for _, n := range in.AlarmNames {
		a := s.alarms[rk][n]
		delete(s.alarms[rk], n)
		delete(s.tags, a.AlarmArn)
		ops = append(ops, putResource("alarm", rk.account, rk.region, n, nil), putResource("tags", "", "", a.AlarmArn, nil))
	}
	s.mu.Unlock()
	return nil, s.w.write(all(ops...))
}

func (s *Service) setActionsEnabled(ctx context.Context, tree map[string]any, enabled bool) (any, error) {
	var in alarmNamesInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	if len(in.AlarmNames) == 0 {
		return nil, missingParam("AlarmNames")
	}
	id := protocol.IdentityFrom(ctx)
	rk := regionKey{id.AccountID, id.Region}
	var ops []writeOp
	s.mu.Lock()
	for _, n := range in.AlarmNames {
		if a := s.alarms[rk][n]; a != nil && a.ActionsEnabled != enabled {
			a.ActionsEnabled = enabled
			ops = append(ops, putResource("alarm", rk.account, rk.region, n, []byte(mustJSON(a))))
		}
	}
	s.mu.Unlock()
	return nil, s.w.write(all(ops...))
}

func (s *Service) enableAlarmActions(ctx context.Context, tree map[string]any) (any, error) {
	return s.setActionsEnabled(ctx, tree, true)
}

func (s *Service) disableAlarmActions(ctx context.Context, tree map[string]any) (any, error) {
	return s.setActionsEnabled(ctx, tree, false)
}

type setAlarmStateInput struct {
	AlarmName       string
	StateValue      string
	StateReason     string
	StateReasonData string
}

func (s *Service) setAlarmState(ctx context.Context, tree map[string]any) (any, error) {
	var in setAlarmStateInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	if in.AlarmName == "" {
		return nil, missingParam("AlarmName")
	}
	if in.StateValue == "" {
		return nil, missingParam("StateValue")
	}
	if !alarmStates[in.StateValue] {
		return nil, invalidValue("The value %s for parameter StateValue is invalid.", in.StateValue)
	}
	if in.StateReason == "" {
		return nil, missingParam("StateReason")
	}
	if in.StateReasonData != "" && !json.Valid([]byte(in.StateReasonData)) {
		return nil, invalidFormat("The parameter StateReasonData must be valid JSON.")
	}
	id := protocol.IdentityFrom(ctx)
	rk := regionKey{id.AccountID, id.Region}
	s.mu.RLock()
	a := s.alarms[rk][in.AlarmName]
	s.mu.RUnlock()
	if a == nil {
		return nil, alarmNotFound("Alarm %s not found", in.AlarmName)
	}
	return nil, s.transition(rk, in.AlarmName, in.StateValue, in.StateReason, in.StateReasonData, nil)
}

type describeAlarmHistoryInput struct {
	AlarmName       string
	AlarmTypes      []string
	HistoryItemType string
	StartDate       *time.Time
	EndDate         *time.Time
	MaxRecords      *int
	NextToken       string
	ScanBy          string
}

func (s *Service) describeAlarmHistory(ctx context.Context, tree map[string]any) (any, error) {
	var in describeAlarmHistoryInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	switch in.HistoryItemType {
	case "", "ConfigurationUpdate", "StateUpdate", "Action":
	default:
		return nil, invalidValue("The value %s for parameter HistoryItemType is invalid.", in.HistoryItemType)
	}
	max := 100
	if in.MaxRecords != nil {
		if *in.MaxRecords < 1 || *in.MaxRecords > 100 {
			return nil, invalidValue("The parameter MaxRecords must be between 1 and 100.")
		}
		max = *in.MaxRecords
	}
	order := "DESC"
	switch in.ScanBy {
	case "", "TimestampDescending":
	case "TimestampAscending":
		order = "ASC"
	default:
		return nil, invalidValue("The value %s for parameter ScanBy is invalid.", in.ScanBy)
	}
	offset := 0
	if in.NextToken != "" {
		if _, err := fmt.Sscanf(decodeToken(in.NextToken), "%d", &offset); err != nil || offset < 0 {
			return nil, invalidNextToken()
		}
	}
	types := map[string]bool{}
	for _, t := range in.AlarmTypes {
		types[t] = true
	}
	id := protocol.IdentityFrom(ctx)
	q := `SELECT data FROM history WHERE account=? AND region=?`
	args := []any{id.AccountID, id.Region}
	if in.AlarmName != "" {
		q += ` AND alarm=?`
		args = append(args, in.AlarmName)
	}
	if in.StartDate != nil {
		q += ` AND ts >= ?`
		args = append(args, in.StartDate.UnixMilli())
	}
	if in.EndDate != nil {
		q += ` AND ts <= ?`
		args = append(args, in.EndDate.UnixMilli())
	}
	q += ` ORDER BY ts ` + order + `, id ` + order
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read alarm history: %w", err)
	}
	defer rows.Close()
	out := struct {
		AlarmHistoryItems []historyItem
		NextToken         string `json:",omitempty"`
	}{AlarmHistoryItems: []historyItem{}}
	seen := 0
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("read alarm history: %w", err)
		}
		var h historyItem
		if json.Unmarshal([]byte(data), &h) != nil {
			continue
		}
		if (in.HistoryItemType != "" && h.HistoryItemType != in.HistoryItemType) || (len(types) > 0 && !types[h.AlarmType]) {
			continue
		}
		seen++
		if seen <= offset {
			continue
		}
		if len(out.AlarmHistoryItems) == max {
			out.NextToken = encodeToken(fmt.Sprint(seen - 1))
			break
		}
		out.AlarmHistoryItems = append(out.AlarmHistoryItems, h)
	}
	return out, rows.Err()
}

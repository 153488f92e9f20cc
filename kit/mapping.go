package kit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// mappingSpec is the reference shape of an event source mapping.
type mappingSpec struct {
	function, source string
	start            types.EventSourcePosition // streams only
	batch            int32
	filter           string // one filter pattern, or ""
	bisect           bool
	retries          *int32
	onFailure        string // destination ARN, or ""
	maxConcurrency   int32  // SQS only; 0 for none
}

// mappings lists the function's event source mappings.
func (k *Kit) mappings(ctx context.Context, function string) ([]types.EventSourceMappingConfiguration, error) {
	var all []types.EventSourceMappingConfiguration
	p := lambda.NewListEventSourceMappingsPaginator(k.cl().lam, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(function)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if isNotFound(err) || errCode(err) == "UnknownOperationException" {
			return nil, nil // no function, or a target without mappings: none to list
		}
		if err != nil {
			return nil, fmt.Errorf("list event source mappings of %s: %w", function, err)
		}
		all = append(all, out.EventSourceMappings...)
	}
	return all, nil
}

// ensureMapping creates the function's mapping from s.source or converges
// it, deletes its mappings from other sources (a stale stream, say), and
// waits until it is Enabled.
func (k *Kit) ensureMapping(ctx context.Context, s mappingSpec) error {
	lam := k.cl().lam
	all, err := k.mappings(ctx, s.function)
	if err != nil {
		return err
	}
	var found *types.EventSourceMappingConfiguration
	for i := range all {
		m := &all[i]
		if aws.ToString(m.EventSourceArn) == s.source && found == nil {
			found = m
			continue
		}
		k.logf("  function %s: delete mapping from %s", s.function, aws.ToString(m.EventSourceArn))
		if _, err := lam.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: m.UUID}); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete mapping %s: %w", aws.ToString(m.UUID), err)
		}
	}
	var filter *types.FilterCriteria
	if s.filter != "" {
		filter = &types.FilterCriteria{Filters: []types.Filter{{Pattern: aws.String(s.filter)}}}
	}
	var dest *types.DestinationConfig
	if s.onFailure != "" {
		dest = &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(s.onFailure)}}
	}
	var scaling *types.ScalingConfig
	if s.maxConcurrency > 0 {
		scaling = &types.ScalingConfig{MaximumConcurrency: aws.Int32(s.maxConcurrency)}
	}
	rt := []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures}
	var uuid string
	if found == nil {
		k.logf("  function %s: mapping from %s", s.function, sourceLabel(s.source))
		in := &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(s.function), EventSourceArn: aws.String(s.source),
			BatchSize: aws.Int32(s.batch), FilterCriteria: filter, FunctionResponseTypes: rt, Enabled: aws.Bool(true),
			DestinationConfig: dest, ScalingConfig: scaling, MaximumRetryAttempts: s.retries, StartingPosition: s.start}
		if s.start != "" {
			in.BisectBatchOnFunctionError = aws.Bool(s.bisect)
		}
		var out *lambda.CreateEventSourceMappingOutput
		err := retry(ctx, 90*time.Second, func(err error) bool { return isConflict(err) || roleNotReadyForSource(err) }, func() error {
			var err error
			out, err = lam.CreateEventSourceMapping(ctx, in)
			return err
		})
		if err != nil {
			return fmt.Errorf("create mapping %s -> %s: %w", sourceLabel(s.source), s.function, err)
		}
		uuid = aws.ToString(out.UUID)
	} else {
		uuid = aws.ToString(found.UUID)
		if k.mappingDiffers(found, s, filter) {
			k.logf("  function %s: mapping from %s -> reference settings", s.function, sourceLabel(s.source))
			in := &lambda.UpdateEventSourceMappingInput{UUID: found.UUID, FunctionName: aws.String(s.function), BatchSize: aws.Int32(s.batch),
				FunctionResponseTypes: rt, Enabled: aws.Bool(true), ScalingConfig: scaling, MaximumRetryAttempts: s.retries}
			if filter != nil {
				in.FilterCriteria = filter
			} else {
				in.FilterCriteria = &types.FilterCriteria{}
			}
			if s.start != "" {
				in.BisectBatchOnFunctionError = aws.Bool(s.bisect)
				in.DestinationConfig = dest
			}
			err := retry(ctx, 90*time.Second, isConflict, func() error {
				_, err := lam.UpdateEventSourceMapping(ctx, in)
				return err
			})
			if err != nil {
				return fmt.Errorf("update mapping %s -> %s: %w", sourceLabel(s.source), s.function, err)
			}
		}
	}
	return k.waitMapping(ctx, uuid)
}

func (k *Kit) mappingDiffers(m *types.EventSourceMappingConfiguration, s mappingSpec, filter *types.FilterCriteria) bool {
	if m.State != nil && *m.State != "Enabled" && *m.State != "Enabling" && *m.State != "Updating" && *m.State != "Creating" {
		return true
	}
	if aws.ToInt32(m.BatchSize) != s.batch || !slices.Equal(m.FunctionResponseTypes, []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures}) {
		return true
	}
	var got []string
	if m.FilterCriteria != nil {
		for _, f := range m.FilterCriteria.Filters {
			got = append(got, aws.ToString(f.Pattern))
		}
	}
	if s.filter == "" && len(got) > 0 || s.filter != "" && (len(got) != 1 || !sameJSON(got[0], s.filter)) {
		return true
	}
	if s.start != "" {
		if aws.ToBool(m.BisectBatchOnFunctionError) != s.bisect || aws.ToInt32(m.MaximumRetryAttempts) != aws.ToInt32(s.retries) {
			return true
		}
		var dest string
		if m.DestinationConfig != nil && m.DestinationConfig.OnFailure != nil {
			dest = aws.ToString(m.DestinationConfig.OnFailure.Destination)
		}
		if dest != s.onFailure {
			return true
		}
	}
	if s.maxConcurrency > 0 && (m.ScalingConfig == nil || aws.ToInt32(m.ScalingConfig.MaximumConcurrency) != s.maxConcurrency) {
		return true
	}
	return false
}

// sourceLabel names an event source ARN for progress lines.
func sourceLabel(arn string) string {
	if i := strings.Index(arn, ":table/"); i >= 0 {
		if j := strings.Index(arn[i:], "/stream/"); j >= 0 {
			return "the stream of " + arn[i+len(":table/"):i+j]
		}
	}
	return lastPart(arn)
}

// roleNotReadyForSource: a new role's permissions on the source take
// seconds to reach Lambda on AWS.
func roleNotReadyForSource(err error) bool {
	return errCode(err) == "InvalidParameterValueException" && roleNotReadyMsg(err)
}

// waitMapping waits until the mapping is Enabled.
func (k *Kit) waitMapping(ctx context.Context, uuid string) error {
	deadline := time.Now().Add(3 * time.Minute)
	delay := 100 * time.Millisecond
	for {
		out, err := k.cl().lam.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(uuid)})
		if err != nil {
			return fmt.Errorf("get mapping %s: %w", uuid, err)
		}
		state := aws.ToString(out.State)
		if state == "Enabled" {
			return nil
		}
		if state == "Disabled" || time.Now().After(deadline) {
			return fmt.Errorf("mapping %s is %s, want Enabled (%s)", uuid, state, aws.ToString(out.StateTransitionReason))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		if delay < 2*time.Second {
			delay *= 2
		}
	}
}

// deleteMappings deletes every mapping of the function.
func (k *Kit) deleteMappings(ctx context.Context, function string) (int, error) {
	all, err := k.mappings(ctx, function)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range all {
		if _, err := k.cl().lam.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: m.UUID}); err != nil && !isNotFound(err) {
			return n, fmt.Errorf("delete mapping %s: %w", aws.ToString(m.UUID), err)
		}
		n++
	}
	return n, nil
}

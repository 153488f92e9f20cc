package logs

import (
	"context"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Export tasks copy a group's events to an S3 bucket. The local cloud has
// no S3, so no bucket exists: CreateExportTask checks its request and the
// group as AWS does, then answers what AWS answers for a missing bucket,
// and there are never tasks to describe or cancel.

func (s *Service) createExportTask(ctx context.Context, body []byte) (any, error) {
	var in struct {
		TaskName            string `json:"taskName"`
		LogGroupName        string `json:"logGroupName"`
		LogStreamNamePrefix string `json:"logStreamNamePrefix"`
		From                *int64 `json:"from"`
		To                  *int64 `json:"to"`
		Destination         string `json:"destination"`
		DestinationPrefix   string `json:"destinationPrefix"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		null bool
	}{{"from", in.From == nil}, {"to", in.To == nil}, {"destination", in.Destination == ""}} {
		if f.null {
			return nil, invalidParam("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", f.name)
		}
	}
	if len(in.TaskName) > 512 || len(in.Destination) > 512 {
		return nil, invalidParam("1 validation error detected: Value '%s' at 'destination' failed to satisfy constraint: Member must have length less than or equal to 512", in.Destination)
	}
	if *in.From < 0 || *in.To < 0 {
		return nil, invalidParam("1 validation error detected: Value at 'from' failed to satisfy constraint: Member must have value greater than or equal to 0")
	}
	if *in.To < *in.From {
		return nil, invalidParam("Specified time range of '%d' and '%d' is not valid. Please make sure the values are within the retention period of the log group and from value is less than the to values", *in.From, *in.To)
	}
	s.mu.RLock()
	_, err := s.findGroup(ctx, in.LogGroupName)
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	return nil, invalidParam("The given bucket does not exist. Please make sure the bucket is valid.")
}

func (s *Service) describeExportTasks(_ context.Context, body []byte) (any, error) {
	var in struct {
		TaskID     string `json:"taskId"`
		StatusCode string `json:"statusCode"`
		NextToken  string `json:"nextToken"`
		Limit      *int   `json:"limit"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if _, err := checkLimit(in.Limit, 50, 50); err != nil {
		return nil, err
	}
	switch in.StatusCode {
	case "", "CANCELLED", "COMPLETED", "FAILED", "PENDING", "PENDING_CANCEL", "RUNNING":
	default:
		return nil, invalidParam("1 validation error detected: Value '%s' at 'statusCode' failed to satisfy constraint: Member must satisfy enum value set: [CANCELLED, COMPLETED, FAILED, PENDING, PENDING_CANCEL, RUNNING]", in.StatusCode)
	}
	return struct {
		ExportTasks []struct{} `json:"exportTasks"`
	}{[]struct{}{}}, nil
}

func (s *Service) cancelExportTask(_ context.Context, body []byte) (any, error) {
	var in struct {
		TaskID string `json:"taskId"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if in.TaskID == "" {
		return nil, invalidParam("1 validation error detected: Value null at 'taskId' failed to satisfy constraint: Member must not be null")
	}
	return nil, protocol.Errorf("ResourceNotFoundException", "The specified export task does not exist.")
}

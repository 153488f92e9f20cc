package logs

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Export tasks copy a group's events to an S3 bucket, as AWS lays them out:
// an "aws-logs-write-test" object (under the destination prefix the caller
// gave, else at the bucket's root) holding "Permission Check Successful",
// then per log stream with events in [from, to] the gzipped file
// <prefix>/<taskId>/<stream>/000000.gz of lines "<ISO 8601 time> <message>",
// the prefix defaulting to "exportedlogs". The local cloud exports at once,
// so a task is COMPLETED when CreateExportTask answers.

// ExportDestination is the S3 that export tasks write to.
type ExportDestination interface {
	// WriteObject stores body as key in bucket as the caller in ctx would
	// put it; S3's errors are *protocol.Error with S3's codes.
	WriteObject(ctx context.Context, bucket, key, contentType string, body io.Reader) error
	// AllowsService reports whether bucket's policy lets one of the
	// service principals do action on resource; a missing bucket is S3's
	// NoSuchBucket.
	AllowsService(ctx context.Context, bucket string, services []string, action, resource string) (bool, error)
}

const kindExportTask = "export-task"

// exportTask is an ExportTask as DescribeExportTasks answers it.
type exportTask struct {
	TaskID            string `json:"taskId"`
	TaskName          string `json:"taskName,omitempty"`
	LogGroupName      string `json:"logGroupName"`
	From              int64  `json:"from"`
	To                int64  `json:"to"`
	Destination       string `json:"destination"`
	DestinationPrefix string `json:"destinationPrefix"`
	Status            struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"status"`
	ExecutionInfo struct {
		CreationTime   int64 `json:"creationTime"`
		CompletionTime int64 `json:"completionTime,omitempty"`
	} `json:"executionInfo"`
}

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
	id := protocol.IdentityFrom(ctx)
	s.mu.RLock()
	_, err := s.findGroup(ctx, in.LogGroupName)
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	if s.exports == nil {
		return nil, invalidParam("The given bucket does not exist. Please make sure the bucket is valid.")
	}
	t := exportTask{TaskID: protocol.NewRequestID(), TaskName: in.TaskName, LogGroupName: in.LogGroupName, From: *in.From, To: *in.To,
		Destination: in.Destination, DestinationPrefix: in.DestinationPrefix}
	t.ExecutionInfo.CreationTime = s.now().UnixMilli()
	testKey := "aws-logs-write-test"
	if t.DestinationPrefix != "" {
		testKey = t.DestinationPrefix + "/" + testKey
	} else {
		t.DestinationPrefix = "exportedlogs"
	}
	if err := s.checkExportPolicy(ctx, id.Region, t.Destination, testKey); err != nil {
		return nil, err
	}
	if err := s.exports.WriteObject(ctx, t.Destination, testKey, "text/plain", strings.NewReader("Permission Check Successful")); err != nil {
		return nil, exportError(err)
	}
	if err := s.export(ctx, id, t, in.LogStreamNamePrefix); err != nil {
		return nil, exportError(err)
	}
	t.Status.Code, t.Status.Message = "COMPLETED", "Completed successfully"
	t.ExecutionInfo.CompletionTime = s.now().UnixMilli()
	s.mu.Lock()
	err = s.putDoc(ctx, docKey{kind: kindExportTask, account: id.AccountID, region: id.Region, name: t.TaskID}, t)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return map[string]string{"taskId": t.TaskID}, nil
}

// checkExportPolicy checks what CloudWatch Logs checks before it writes:
// it writes as its service principal, not as the caller, so the bucket's
// policy must let logs.REGION.amazonaws.com (or logs.amazonaws.com) get
// the bucket's ACL and put the objects, even in the caller's own bucket
// (CloudWatch Logs user guide, "Export log data to Amazon S3").
func (s *Service) checkExportPolicy(ctx context.Context, region, bucket, testKey string) error {
	services := []string{"logs." + region + ".amazonaws.com", "logs.amazonaws.com"}
	for _, c := range []struct{ action, resource string }{
		{"s3:GetBucketAcl", protocol.GlobalARN(region, "s3", "", bucket)}, // arn:aws:s3:::bucket in region's partition
		{"s3:PutObject", protocol.GlobalARN(region, "s3", "", bucket+"/"+testKey)},
	} {
		ok, err := s.exports.AllowsService(ctx, bucket, services, c.action, c.resource)
		if err != nil {
			return exportError(err)
		}
		if !ok {
			return errExportDenied()
		}
	}
	return nil
}

// errExportDenied is CloudWatch Logs' answer when its principal may not
// write to the bucket.
func errExportDenied() error {
	return invalidParam("GetBucketAcl call on the given bucket failed. Please check if CloudWatch Logs has been granted permission to perform this operation.")
}

// exportError answers S3's refusals as CloudWatch Logs does.
func exportError(err error) error {
	var e *protocol.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Code {
	case "NoSuchBucket":
		return invalidParam("The given bucket does not exist. Please make sure the bucket is valid.")
	case "AccessDenied":
		return errExportDenied()
	}
	return invalidParam("PutObject call on the given bucket failed: %s", e.Message)
}

// export writes each stream's events in [t.From, t.To] to its file.
func (s *Service) export(ctx context.Context, id protocol.Identity, t exportTask, streamPrefix string) error {
	q := `SELECT stream, ts, message FROM events WHERE account = ? AND region = ? AND grp = ? AND ts >= ? AND ts <= ?`
	args := []any{id.AccountID, id.Region, t.LogGroupName, t.From, t.To}
	if streamPrefix != "" {
		q += ` AND substr(stream, 1, ?) = ?`
		args = append(args, len(streamPrefix), streamPrefix)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY stream, ts, id`, args...)
	if err != nil {
		return fmt.Errorf("read events to export: %w", err)
	}
	defer rows.Close()
	var (
		current string
		pw      *io.PipeWriter
		zw      *gzip.Writer
		done    chan error
	)
	finish := func() error {
		if pw == nil {
			return nil
		}
		err := zw.Close()
		pw.CloseWithError(err)
		if werr := <-done; err == nil {
			err = werr
		}
		pw = nil
		return err
	}
	defer func() {
		if pw != nil {
			pw.CloseWithError(errors.New("export stopped"))
			<-done
		}
	}()
	for rows.Next() {
		var stream, msg string
		var ts int64
		if err := rows.Scan(&stream, &ts, &msg); err != nil {
			return fmt.Errorf("read events to export: %w", err)
		}
		if pw == nil || stream != current {
			if err := finish(); err != nil {
				return err
			}
			current = stream
			var pr *io.PipeReader
			pr, pw = io.Pipe()
			zw = gzip.NewWriter(pw)
			done = make(chan error, 1)
			key := t.DestinationPrefix + "/" + t.TaskID + "/" + stream + "/000000.gz"
			go func() {
				err := s.exports.WriteObject(ctx, t.Destination, key, "application/x-gzip", pr)
				pr.CloseWithError(err)
				done <- err
			}()
		}
		line := time.UnixMilli(ts).UTC().Format("2006-01-02T15:04:05.000Z") + " " + msg + "\n"
		if _, err := io.WriteString(zw, line); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read events to export: %w", err)
	}
	return finish()
}

func (s *Service) describeExportTasks(ctx context.Context, body []byte) (any, error) {
	var in struct {
		TaskID     string `json:"taskId"`
		StatusCode string `json:"statusCode"`
		NextToken  string `json:"nextToken"`
		Limit      *int   `json:"limit"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	limit, err := checkLimit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	switch in.StatusCode {
	case "", "CANCELLED", "COMPLETED", "FAILED", "PENDING", "PENDING_CANCEL", "RUNNING":
	default:
		return nil, invalidParam("1 validation error detected: Value '%s' at 'statusCode' failed to satisfy constraint: Member must satisfy enum value set: [CANCELLED, COMPLETED, FAILED, PENDING, PENDING_CANCEL, RUNNING]", in.StatusCode)
	}
	start, err := offsetToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	var tasks []exportTask
	s.mu.RLock()
	for _, k := range s.listDocs(kindExportTask, id.AccountID, id.Region, "", in.TaskID) {
		var t exportTask
		if s.getDoc(k, &t) && (in.TaskID == "" || t.TaskID == in.TaskID) && (in.StatusCode == "" || t.Status.Code == in.StatusCode) {
			tasks = append(tasks, t)
		}
	}
	s.mu.RUnlock()
	// Newest first.
	sort.SliceStable(tasks, func(i, j int) bool { return tasks[i].ExecutionInfo.CreationTime > tasks[j].ExecutionInfo.CreationTime })
	out := struct {
		ExportTasks []exportTask `json:"exportTasks"`
		NextToken   string       `json:"nextToken,omitempty"`
	}{ExportTasks: []exportTask{}}
	if start < len(tasks) {
		end := min(start+limit, len(tasks))
		out.ExportTasks = tasks[start:end]
		if end < len(tasks) {
			out.NextToken = encodeToken(fmt.Sprint(end))
		}
	}
	return out, nil
}

func (s *Service) cancelExportTask(ctx context.Context, body []byte) (any, error) {
	var in struct {
		TaskID string `json:"taskId"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if in.TaskID == "" {
		return nil, invalidParam("1 validation error detected: Value null at 'taskId' failed to satisfy constraint: Member must not be null")
	}
	id := protocol.IdentityFrom(ctx)
	s.mu.RLock()
	_, ok := s.docs[docKey{kind: kindExportTask, account: id.AccountID, region: id.Region, name: in.TaskID}]
	s.mu.RUnlock()
	if !ok {
		return nil, protocol.Errorf("ResourceNotFoundException", "The specified export task does not exist.")
	}
	// Tasks complete before CreateExportTask answers.
	return nil, protocol.Errorf("InvalidOperationException", "The specified export task has already finished")
}

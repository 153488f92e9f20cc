package sqs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// moveTask is a message move task (dead-letter queue redrive).
type moveTask struct {
	ID             string `json:"id"`
	Account        string `json:"account"`
	Region         string `json:"region"`
	SourceArn      string `json:"source"`
	DestinationArn string `json:"destination,omitempty"`
	Rate           *int32 `json:"rate,omitempty"`
	Status         string `json:"status"`
	Moved          int64  `json:"moved"`
	ToMove         int64  `json:"toMove"`
	MaxSeq         int64  `json:"maxSeq"` // only messages sent before the task started move
	FailureReason  string `json:"failure,omitempty"`
	Started        int64  `json:"started"`

	cancel chan struct{}
}

type startMoveInput struct {
	SourceArn                    string `json:"SourceArn"`
	DestinationArn               string `json:"DestinationArn"`
	MaxNumberOfMessagesPerSecond *int32 `json:"MaxNumberOfMessagesPerSecond"`
}

type startMoveOutput struct {
	TaskHandle string `json:"TaskHandle"`
}

type listMovesInput struct {
	SourceArn  string `json:"SourceArn"`
	MaxResults *int32 `json:"MaxResults"`
}

type moveTaskEntry struct {
	TaskHandle                        string `json:"TaskHandle,omitempty" xml:",omitempty"`
	Status                            string `json:"Status"`
	SourceArn                         string `json:"SourceArn"`
	DestinationArn                    string `json:"DestinationArn,omitempty" xml:",omitempty"`
	MaxNumberOfMessagesPerSecond      *int32 `json:"MaxNumberOfMessagesPerSecond,omitempty" xml:",omitempty"`
	ApproximateNumberOfMessagesMoved  int64  `json:"ApproximateNumberOfMessagesMoved"`
	ApproximateNumberOfMessagesToMove int64  `json:"ApproximateNumberOfMessagesToMove"`
	FailureReason                     string `json:"FailureReason,omitempty" xml:",omitempty"`
	StartedTimestamp                  int64  `json:"StartedTimestamp"`
}

type listMovesOutput struct {
	Results []moveTaskEntry `json:"Results" xml:"ListMessageMoveTasksResultEntry"`
}

type cancelMoveInput struct {
	TaskHandle string `json:"TaskHandle"`
}

type cancelMoveOutput struct {
	ApproximateNumberOfMessagesMoved int64 `json:"ApproximateNumberOfMessagesMoved"`
}

func resourceNotFound(msg string) *protocol.Error {
	return &protocol.Error{Code: "ResourceNotFoundException", QueryCode: "ResourceNotFoundException", Message: msg, Status: 404}
}

func taskHandle(t *moveTask) string {
	b, _ := json.Marshal(map[string]string{"taskId": t.ID, "sourceArn": t.SourceArn})
	return base64.StdEncoding.EncodeToString(b)
}

func (s *Service) saveTask(t *moveTask) writeOp {
	b, _ := json.Marshal(t)
	id, account, region := t.ID, t.Account, t.Region
	return func(tx *wtx) error {
		_, err := tx.Exec(`INSERT OR REPLACE INTO move_tasks(id, account, region, data) VALUES(?,?,?,?)`, id, account, region, string(b))
		return err
	}
}

// callerQueueByARN finds a queue of the caller by ARN.
func (s *Service) callerQueueByARN(ctx context.Context, arn string) *queue {
	id := protocol.IdentityFrom(ctx)
	q := s.queueByARN(arn)
	if q == nil || q.key.account != id.AccountID || q.key.region != id.Region {
		return nil
	}
	return q
}

// isDeadLetterQueue reports whether some queue redrives to arn.
func (s *Service) isDeadLetterQueue(arn string) bool {
	for _, q := range s.allQueues() {
		if q.redrivesTo(arn) {
			return true
		}
	}
	return false
}

// startMessageMoveTask implements StartMessageMoveTask: moves the messages of a dead-letter queue back to
// their source queues (or to DestinationArn) in the background.
func (s *Service) startMessageMoveTask(ctx context.Context, in *startMoveInput) (*startMoveOutput, error) {
	if in.SourceArn == "" {
		return nil, missingParam("SourceArn")
	}
	src := s.callerQueueByARN(ctx, in.SourceArn)
	if src == nil {
		return nil, resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	if !s.isDeadLetterQueue(src.arn) {
		return nil, invalidParam("Source queue must be configured as a Dead Letter Queue.")
	}
	if in.DestinationArn != "" && s.callerQueueByARN(ctx, in.DestinationArn) == nil {
		return nil, resourceNotFound("The resource that you specified for the DestinationArn parameter doesn't exist.")
	}
	if r := in.MaxNumberOfMessagesPerSecond; r != nil && (*r < 1 || *r > 500) {
		return nil, invalidParam("Value %d for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500.", *r)
	}
	id := protocol.IdentityFrom(ctx)
	now := time.Now()
	var (
		vis    int
		maxSeq int64
	)
	src.locked(func() {
		vis, _, _ = src.counts(now.UnixMilli())
		maxSeq = src.nextSeq
	})
	t := &moveTask{ID: uuid.NewString(), Account: id.AccountID, Region: id.Region, SourceArn: src.arn, DestinationArn: in.DestinationArn, Rate: in.MaxNumberOfMessagesPerSecond, Status: "RUNNING", ToMove: int64(vis), MaxSeq: maxSeq, Started: now.UnixMilli(), cancel: make(chan struct{})}
	done, err := s.addTask(t)
	if err != nil {
		return nil, err
	}
	if err := wait(ctx, done); err != nil {
		s.wg.Done()
		return nil, err
	}
	go s.runTask(t)
	return &startMoveOutput{TaskHandle: taskHandle(t)}, nil
}

// addTask registers t as running, and saves it, unless its source queue has
// a running task already or the service is closing.
func (s *Service) addTask(t *moveTask) (<-chan error, error) {
	s.tasksMu.Lock()
	defer s.tasksMu.Unlock()
	for _, o := range s.tasks {
		if o.SourceArn == t.SourceArn && o.Account == t.Account && (o.Status == "RUNNING" || o.Status == "CANCELLING") {
			return nil, invalidParam("There is already a task running. Only one active task is allowed for each source queue arn at a given time.")
		}
	}
	if s.closing {
		return nil, errClosed
	}
	s.tasks[t.ID] = t
	s.wg.Add(1)
	return s.w.enqueue(s.saveTask(t)), nil
}

// withTasks runs f holding s.tasksMu, released even when f panics.
func (s *Service) withTasks(f func()) {
	s.tasksMu.Lock()
	defer s.tasksMu.Unlock()
	f()
}

// resumeTasks loads move tasks and restarts the ones that were running.
func (s *Service) resumeTasks() {
	rows, err := s.db.Query(`SELECT data FROM move_tasks`)
	if err != nil {
		s.log.Error("load sqs move tasks", "err", err)
		return
	}
	var running []*moveTask
	s.withTasks(func() {
		for rows.Next() {
			var data string
			if rows.Scan(&data) != nil {
				continue
			}
			t := &moveTask{}
			if json.Unmarshal([]byte(data), t) != nil {
				continue
			}
			t.cancel = make(chan struct{})
			if t.Status == "CANCELLING" {
				t.Status = "CANCELLED"
			}
			s.tasks[t.ID] = t
			if t.Status == "RUNNING" {
				running = append(running, t)
			}
		}
	})
	rows.Close()
	for _, t := range running {
		s.wg.Add(1)
		go s.runTask(t)
	}
}

func (s *Service) finishTask(t *moveTask, status, reason string) {
	var done <-chan error
	s.withTasks(func() {
		t.Status, t.FailureReason = status, reason
		done = s.w.enqueue(s.saveTask(t))
	})
	<-done
}

// runTask moves messages in batches of up to ten, at the task's rate.
func (s *Service) runTask(t *moveTask) {
	defer s.wg.Done()
	const batch = 10
	for {
		select {
		case <-s.done:
			return
		case <-t.cancel:
			s.finishTask(t, "CANCELLED", "")
			return
		default:
		}
		src := s.queueByARN(t.SourceArn)
		if src == nil {
			s.finishTask(t, "FAILED", "AWS.SimpleQueueService.NonExistentQueue")
			return
		}
		var left int64
		s.withTasks(func() { left = t.ToMove - t.Moved })
		n := batch
		if t.Rate != nil && int(*t.Rate) < n {
			n = int(*t.Rate)
		}
		if left < int64(n) {
			n = int(left)
		}
		if n <= 0 {
			s.finishTask(t, "COMPLETED", "")
			return
		}
		start := time.Now()
		moved, failure := s.moveBatch(t, src, n)
		if failure != "" {
			s.finishTask(t, "FAILED", failure)
			return
		}
		if moved == 0 {
			s.finishTask(t, "COMPLETED", "")
			return
		}
		var done <-chan error
		s.withTasks(func() {
			t.Moved += int64(moved)
			done = s.w.enqueue(s.saveTask(t))
		})
		<-done
		if t.Rate != nil {
			// Keep to the rate: n messages per n/rate seconds.
			d := time.Duration(float64(moved)/float64(*t.Rate)*float64(time.Second)) - time.Since(start)
			if d > 0 {
				select {
				case <-time.After(d):
				case <-s.done:
					return
				case <-t.cancel:
				}
			}
		}
	}
}

// moveBatch moves up to n receivable messages from src.
func (s *Service) moveBatch(t *moveTask, src *queue, n int) (int, string) {
	var (
		byDest  = map[*queue][]*message{}
		order   []*queue
		taken   int
		failure string
	)
	src.locked(func() {
		if src.deleted {
			failure = "AWS.SimpleQueueService.NonExistentQueue"
			return
		}
		now := time.Now().UnixMilli()
		for _, m := range src.msgs {
			if taken >= n {
				break
			}
			if m.deleted || m.seq >= t.MaxSeq || m.visibleAt > now {
				continue
			}
			dstArn := t.DestinationArn
			if dstArn == "" {
				dstArn = m.dlqSource
			}
			dst := s.queueByARN(dstArn)
			if dst == nil || dst == src || dst.key.account != t.Account {
				// The messages taken so far still move below: they
				// are out of src's memory already.
				failure = "AWS.SimpleQueueService.NonExistentQueue"
				if t.DestinationArn == "" {
					failure += ": the message's original source queue does not exist"
				}
				break
			}
			src.remove(m)
			if _, ok := byDest[dst]; !ok {
				order = append(order, dst)
			}
			byDest[dst] = append(byDest[dst], m)
			taken++
		}
		src.compact()
	})
	var waits []<-chan error
	for _, dst := range order {
		ms := byDest[dst]
		seqs := make([]int64, len(ms))
		for i, m := range ms {
			seqs[i] = m.seq
		}
		waits = append(waits, s.moveTo(dst, ms, "", true, deleteMessages(src.id, seqs)))
		s.publishDepth(dst, false)
	}
	for _, w := range waits {
		<-w
	}
	s.publishDepth(src, false)
	return taken, failure
}

// listMessageMoveTasks implements ListMessageMoveTasks: lists the most recent move tasks of a source queue.
func (s *Service) listMessageMoveTasks(ctx context.Context, in *listMovesInput) (*listMovesOutput, error) {
	if in.SourceArn == "" {
		return nil, missingParam("SourceArn")
	}
	src := s.callerQueueByARN(ctx, in.SourceArn)
	if src == nil {
		return nil, resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	max := 1
	if in.MaxResults != nil {
		max = int(*in.MaxResults)
		if max < 1 || max > 10 {
			return nil, invalidParam("Value %d for parameter MaxResults is invalid. Reason: Must be between 1 and 10.", max)
		}
	}
	id := protocol.IdentityFrom(ctx)
	out := &listMovesOutput{Results: []moveTaskEntry{}}
	s.withTasks(func() { out.Results = s.listTasksLocked(src.arn, id.AccountID, max) })
	return out, nil
}

// listTasksLocked lists the newest max tasks of a source queue. Callers
// hold s.tasksMu.
func (s *Service) listTasksLocked(srcArn, account string, max int) []moveTaskEntry {
	var ts []*moveTask
	for _, t := range s.tasks {
		if t.SourceArn == srcArn && t.Account == account {
			ts = append(ts, t)
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Started > ts[j].Started })
	if len(ts) > max {
		ts = ts[:max]
	}
	out := []moveTaskEntry{}
	for _, t := range ts {
		e := moveTaskEntry{Status: t.Status, SourceArn: t.SourceArn, DestinationArn: t.DestinationArn, MaxNumberOfMessagesPerSecond: t.Rate, ApproximateNumberOfMessagesMoved: t.Moved, ApproximateNumberOfMessagesToMove: t.ToMove, FailureReason: t.FailureReason, StartedTimestamp: t.Started}
		if t.Status == "RUNNING" {
			e.TaskHandle = taskHandle(t)
		}
		out = append(out, e)
	}
	return out
}

// cancelMessageMoveTask implements CancelMessageMoveTask: stops a running move task.
func (s *Service) cancelMessageMoveTask(ctx context.Context, in *cancelMoveInput) (*cancelMoveOutput, error) {
	if in.TaskHandle == "" {
		return nil, missingParam("TaskHandle")
	}
	var h struct {
		TaskID string `json:"taskId"`
	}
	b, err := base64.StdEncoding.DecodeString(in.TaskHandle)
	if err != nil || json.Unmarshal(b, &h) != nil {
		return nil, resourceNotFound("The task handle is not valid.")
	}
	id := protocol.IdentityFrom(ctx)
	var (
		moved int64
		done  <-chan error
	)
	s.withTasks(func() {
		t := s.tasks[h.TaskID]
		switch {
		case t == nil || t.Account != id.AccountID:
			err = resourceNotFound("The task handle does not name a task.")
		case t.Status != "RUNNING":
			err = invalidParam("Only active tasks can be cancelled.")
		default:
			t.Status = "CANCELLING"
			close(t.cancel)
			moved = t.Moved
			done = s.w.enqueue(s.saveTask(t))
		}
	})
	if err != nil {
		return nil, err
	}
	if err := wait(ctx, done); err != nil {
		return nil, err
	}
	return &cancelMoveOutput{ApproximateNumberOfMessagesMoved: moved}, nil
}

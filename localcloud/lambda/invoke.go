package lambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

var _ protocol.FunctionInvoker = (*Service)(nil)

// result is the outcome of one invocation.
type result struct {
	payload       []byte
	functionError string // "Unhandled" when the function failed
	timedOut      bool
	cold          bool
	duration      time.Duration
	tail          []byte // the end of the invocation's log
}

func (r *result) outcome() string {
	switch {
	case r.timedOut:
		return "timeout"
	case r.functionError != "":
		return "error"
	}
	return "ok"
}

// invokeOpts are the per-request options of an invocation.
type invokeOpts struct {
	requestID     string
	tail          bool
	clientContext string
}

// invokeHTTP is Invoke: POST /2015-03-31/functions/{name}/invocations.
// invokeAsync is the deprecated InvokeAsync (POST
// /2014-11-13/functions/{name}/invoke-async/): an Event invocation whose
// answer is 202 with no body: botocore's InvokeAsyncResponse binds its one
// member, Status, to the status code.
func (s *Service) invokeAsync(w http.ResponseWriter, r *http.Request) error {
	f, err := s.lookupInvoke(r)
	if err != nil {
		return err
	}
	body, err := readBody(w, r, maxAsyncPayload, "InvokeAsync")
	if err != nil {
		return err
	}
	if body, err = checkPayload(body); err != nil {
		return err
	}
	if err := s.async.enqueue(f, requestQualifier(r), body, "api"); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func (s *Service) invokeHTTP(w http.ResponseWriter, r *http.Request) error {
	f, err := s.lookupInvoke(r)
	if err != nil {
		return err
	}
	typ := r.Header.Get("X-Amz-Invocation-Type")
	limit := int64(maxSyncPayload)
	switch typ {
	case "", "RequestResponse", "DryRun":
	case "Event":
		limit = maxAsyncPayload
	default:
		return protocol.Errorf("InvalidParameterValueException", "1 validation error detected: Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", truncate(typ, 64))
	}
	opts := invokeOpts{requestID: protocol.RequestID(r.Context())}
	switch lt := r.Header.Get("X-Amz-Log-Type"); lt {
	case "", "None":
	case "Tail":
		opts.tail = typ != "Event"
	default:
		return protocol.Errorf("InvalidParameterValueException", "1 validation error detected: Value '%s' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]", truncate(lt, 64))
	}
	if cc := r.Header.Get("X-Amz-Client-Context"); cc != "" {
		b, err := base64.StdEncoding.DecodeString(cc)
		if err != nil || len(b) > 3583 || !json.Valid(b) {
			return protocol.Errorf("InvalidParameterValueException", "Client context must be a valid Base64-encoded JSON object (at most 3583 bytes decoded).")
		}
		opts.clientContext = string(b)
	}
	body, err := readBody(w, r, limit, "Invoke")
	if err != nil {
		return err
	}
	if body, err = checkPayload(body); err != nil {
		return err
	}
	switch typ {
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return nil
	case "Event":
		if err := s.async.enqueue(f, requestQualifier(r), body, "api"); err != nil {
			return err
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusAccepted)
		return nil
	}
	res, err := s.invokeFunction(f, body, opts)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("X-Amz-Executed-Version", f.ver())
	if res.functionError != "" {
		h.Set("X-Amz-Function-Error", res.functionError)
	}
	if opts.tail {
		h.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(res.tail))
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(res.payload)))
	w.WriteHeader(http.StatusOK)
	w.Write(res.payload)
	return nil
}

// checkPayload validates an invocation payload: JSON, or empty ({}).
func checkPayload(b []byte) ([]byte, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return []byte("{}"), nil
	}
	if !json.Valid(b) {
		return nil, protocol.Errorf("InvalidRequestContentException", "Could not parse request body into json: Could not parse payload into json: the payload is not valid JSON")
	}
	return b, nil
}

// Invoke runs a function synchronously on behalf of the local cloud itself
// (event source mappings), without a resource-policy check. nameOrARN is a
// name, partial ARN or ARN in account and region.
func (s *Service) Invoke(ctx context.Context, account, region, nameOrARN string, payload []byte) (protocol.InvocationResult, error) {
	ref, err := parseFunctionRef(nameOrARN)
	if err != nil {
		return protocol.InvocationResult{}, err
	}
	f, err := s.find(account, region, ref)
	if err != nil {
		return protocol.InvocationResult{}, err
	}
	if len(payload) > maxSyncPayload {
		return protocol.InvocationResult{}, protocol.StatusErrorf(http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than %d bytes for the Invoke operation", maxSyncPayload)
	}
	if payload, err = checkPayload(payload); err != nil {
		return protocol.InvocationResult{}, err
	}
	res, err := s.invokeFunction(f, payload, invokeOpts{requestID: protocol.RequestID(ctx)})
	if err != nil {
		return protocol.InvocationResult{}, err
	}
	return protocol.InvocationResult{Payload: res.payload, FunctionError: res.functionError, TimedOut: res.timedOut}, nil
}

// InvokeFromService invokes a function for another service (API Gateway,
// SNS) when the function's resource-based policy allows in.SourcePrincipal
// from in.SourceArn; Async queues an Event invocation.
func (s *Service) InvokeFromService(ctx context.Context, in protocol.ServiceInvocation) (protocol.InvocationResult, error) {
	a, ok := protocol.ParseARN(in.FunctionARN)
	if !ok || a.Service != "lambda" {
		return protocol.InvocationResult{}, protocol.Errorf("InvalidParameterValueException", "%q is not a Lambda function ARN", in.FunctionARN)
	}
	ref, err := parseFunctionRef(in.FunctionARN)
	if err != nil {
		return protocol.InvocationResult{}, err
	}
	f, err := s.find(a.Account, a.Region, ref)
	if err != nil {
		return protocol.InvocationResult{}, err
	}
	policy := f.Policy
	if cur := s.current(f.key()); f.Version != "" && cur != nil {
		policy = cur.Policy // the statements are kept with the function
	}
	// Each version and alias has a policy of its own: only the statements
	// on the ARN the caller invokes count.
	resource := invokedResource(f, ref.qualifier)
	if !allows(statementsOn(policy, resource), in) {
		how := "AddPermission"
		if resource != f.arn() {
			how += " --qualifier " + ref.qualifier
		}
		return protocol.InvocationResult{}, protocol.StatusErrorf(http.StatusForbidden, "AccessDeniedException",
			"%s is not authorized to perform: lambda:InvokeFunction on resource: %s because no resource-based policy allows it (add one with %s: Principal %s, SourceArn %s)", in.SourcePrincipal, resource, how, in.SourcePrincipal, in.SourceARN)
	}
	if in.DryRun {
		return protocol.InvocationResult{}, nil
	}
	payload, err := checkPayload(in.Payload)
	if err != nil {
		return protocol.InvocationResult{}, err
	}
	if in.Async {
		if len(payload) > maxAsyncPayload {
			return protocol.InvocationResult{}, protocol.StatusErrorf(http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than %d bytes for the Invoke operation", maxAsyncPayload)
		}
		return protocol.InvocationResult{}, s.async.enqueue(f, ref.qualifier, payload, in.SourcePrincipal)
	}
	if len(payload) > maxSyncPayload {
		return protocol.InvocationResult{}, protocol.StatusErrorf(http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than %d bytes for the Invoke operation", maxSyncPayload)
	}
	res, err := s.invokeFunction(f, payload, invokeOpts{requestID: protocol.RequestID(ctx)})
	if err != nil {
		return protocol.InvocationResult{}, err
	}
	return protocol.InvocationResult{Payload: res.payload, FunctionError: res.functionError, TimedOut: res.timedOut}, nil
}

// invokeFunction runs one invocation within the concurrency limits. The
// caller going away does not stop the function, as on AWS.
func (s *Service) invokeFunction(f *function, payload []byte, opts invokeOpts) (*result, error) {
	release, err := s.conc.acquire(f.key())
	if err != nil {
		s.publishInvocation(f, "throttled", false, 0)
		return nil, err
	}
	defer release()
	res, err := s.execute(f, payload, opts)
	if err != nil {
		return nil, err
	}
	s.publishInvocation(f, res.outcome(), res.cold, res.duration)
	return res, nil
}

func (s *Service) publishInvocation(f *function, outcome string, cold bool, d time.Duration) {
	if s.cfg.Bus.Active() {
		s.cfg.Bus.Publish(activity.Event{Kind: activity.KindInvocation, Service: "lambda", Name: f.Name, Account: f.Account, Region: f.Region, Outcome: outcome, Cold: cold, Duration: d})
	}
}

// current returns the function's definition as it is now, or nil.
func (s *Service) current(k fnKey) *function {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.fns[k]
}

// execute runs an invocation in a warm environment, or a new one.
func (s *Service) execute(f *function, payload []byte, opts invokeOpts) (*result, error) {
	reqID := opts.requestID
	if reqID == "" {
		reqID = protocol.NewRequestID()
	}
	for attempt := 0; ; attempt++ {
		if s.isClosed() {
			return nil, protocol.StatusErrorf(http.StatusServiceUnavailable, "ServiceException", "the Lambda service is shutting down")
		}
		e := s.envs.take(f)
		cold := e == nil
		if cold {
			var ferr *fnError
			var err error
			e, ferr, err = s.startEnv(f, reqID)
			if err != nil {
				return nil, err
			}
			if ferr != nil {
				return s.failedStart(f, reqID, ferr, opts), nil
			}
		}
		inv := &invocation{
			id:            reqID,
			arn:           f.qualifiedARN(),
			payload:       payload,
			timeout:       time.Duration(f.Timeout) * time.Second,
			clientContext: opts.clientContext,
			wantTail:      opts.tail,
			started:       make(chan struct{}),
			done:          make(chan runtimeReply, 1),
		}
		res, retry, err := e.run(inv, cold)
		if retry && attempt < 3 {
			continue // a warm environment that exited before taking the work
		}
		if retry {
			return nil, protocol.StatusErrorf(http.StatusBadGateway, "ServiceException", "the function's environments keep exiting before taking work")
		}
		return res, err
	}
}

// failedStart answers an invocation whose environment could not start (its
// bootstrap cannot run here), logging it like AWS does.
func (s *Service) failedStart(f *function, reqID string, ferr *fnError, opts invokeOpts) *result {
	stream := time.Now().UTC().Format("2006/01/02") + "/[" + f.ver() + "]" + randomHex(16)
	lines := []sysLog{
		initErrorLog(0, ferr.Type),
		f.startLog(reqID),
		{text: ferr.Message},
		endLog(reqID, "error", ferr.Type, 0, 0),
		f.reportLog(reqID, "error", ferr.Type, 0, 0, 0, -1),
	}
	var tail bytes.Buffer
	now := time.Now()
	for _, ev := range lines {
		l := f.render(ev, now)
		s.logs.add(f, stream, protocol.LogEvent{Time: now, Message: l})
		appendTail(&tail, l)
	}
	return &result{payload: ferr.payload(), functionError: "Unhandled", cold: true, tail: lastBytes(tail.Bytes(), tailBytes)}
}

func lastBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// exitText describes how a process ended, as Lambda's messages do.
func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// run hands inv to the environment and waits for its outcome. retry is true
// when a warm environment turned out to have exited before taking the work.
func (e *env) run(inv *invocation, cold bool) (res *result, retry bool, err error) {
	s := e.s
	if cold {
		t := time.NewTimer(s.cfg.InitTimeout)
		defer t.Stop()
		var ferr *fnError
		select {
		case <-e.ready:
		case <-e.exited:
			ferr = &fnError{Type: "Runtime.ExitError", Message: fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", inv.id, exitText(e.exitErr))}
		case b := <-e.initErr:
			ferr = &fnError{}
			if json.Unmarshal(b, ferr) != nil || ferr.Message == "" {
				ferr.Message = string(b)
			}
			ferr.Type = firstNonEmpty(ferr.Type, "Runtime.InitError")
		case <-t.C:
			ferr = &fnError{Type: "Sandbox.Timedout", Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %s seconds", inv.id, formatSeconds(s.cfg.InitTimeout))}
		case <-s.closed:
			e.stop()
			return nil, false, protocol.StatusErrorf(http.StatusServiceUnavailable, "ServiceException", "the Lambda service is shutting down")
		}
		if ferr != nil {
			e.stop()
			e.logs.drain()
			return e.failedInit(inv, ferr), false, nil
		}
	}
	select {
	case e.work <- inv:
	case <-e.exited:
		if !cold {
			return nil, true, nil
		}
		e.logs.drain()
		return e.failedInit(inv, &fnError{Type: "Runtime.ExitError", Message: fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", inv.id, exitText(e.exitErr))}), false, nil
	case <-s.closed:
		e.stop()
		return nil, false, protocol.StatusErrorf(http.StatusServiceUnavailable, "ServiceException", "the Lambda service is shutting down")
	}
	<-inv.started
	var initDur time.Duration
	if cold {
		initDur = e.readyAt.Sub(e.startedAt)
	}

	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	var rep runtimeReply
	var ferr *fnError
	timedOut := false
	select {
	case rep = <-inv.done:
	case <-e.exited:
		select {
		case rep = <-inv.done:
		default:
			ferr = &fnError{Type: "Runtime.ExitError", Message: fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", inv.id, exitText(e.exitErr))}
		}
	case <-timer.C:
		select {
		case rep = <-inv.done:
		default:
			timedOut = true
			e.kill()
		}
	case <-s.closed:
		e.stop()
		return nil, false, protocol.StatusErrorf(http.StatusServiceUnavailable, "ServiceException", "the Lambda service is shutting down")
	}
	end := time.Now()
	dur := end.Sub(inv.startedAt)
	e.logs.drain()
	mem := e.memoryUsedMB()

	res = &result{cold: cold, duration: dur, payload: rep.payload}
	status, errType := "success", ""
	switch {
	case timedOut:
		ferr = &fnError{Type: "Sandbox.Timedout", Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %s seconds", inv.id, formatSeconds(inv.timeout))}
		e.platformLine(inv, fmt.Sprintf("%s %s Task timed out after %s seconds", end.UTC().Format("2006-01-02T15:04:05.000Z"), inv.id, formatSeconds(inv.timeout)))
		res.timedOut = true
		status = "timeout"
	case ferr != nil:
		e.platformLine(inv, ferr.Message)
		e.platformLine(inv, ferr.Type)
		status, errType = "error", ferr.Type
	case rep.failed:
		res.functionError = "Unhandled"
		status = "error"
	}
	if ferr != nil {
		res.payload = ferr.payload()
		res.functionError = "Unhandled"
	}
	e.sysLine(inv, endLog(inv.id, status, errType, ms(dur), len(rep.payload)))
	initMs := -1.0
	if cold {
		initMs = ms(initDur)
	}
	e.sysLine(inv, e.fn.reportLog(inv.id, status, errType, ms(dur), int64(math.Ceil(ms(dur)+ms(initDur))), mem, initMs))

	e.logMu.Lock()
	e.logInv = nil
	if inv.wantTail {
		res.tail = append([]byte(nil), lastBytes(inv.tail.Bytes(), tailBytes)...)
	}
	e.logMu.Unlock()
	e.mu.Lock()
	if e.cur == inv {
		e.cur = nil
	}
	e.mu.Unlock()

	if timedOut || ferr != nil {
		e.stop()
	} else {
		s.envs.put(e, s.currentOf(e.fn))
	}
	return res, false, nil
}

// failedInit answers an invocation whose new environment failed to start.
func (e *env) failedInit(inv *invocation, ferr *fnError) *result {
	inv.wantTail = true
	initDur := time.Since(e.startedAt)
	e.sysLine(inv, initErrorLog(ms(initDur), ferr.Type))
	e.sysLine(inv, e.fn.startLog(inv.id))
	e.platformLine(inv, ferr.Message)
	e.sysLine(inv, endLog(inv.id, "error", ferr.Type, ms(initDur), 0))
	e.sysLine(inv, e.fn.reportLog(inv.id, "error", ferr.Type, ms(initDur), int64(math.Ceil(ms(initDur))), e.maxMemMB, -1))
	e.logMu.Lock()
	tail := append([]byte(nil), lastBytes(inv.tail.Bytes(), tailBytes)...)
	e.logMu.Unlock()
	return &result{payload: ferr.payload(), functionError: "Unhandled", cold: true, duration: initDur, tail: tail}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

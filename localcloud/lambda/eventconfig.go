package lambda

import (
	"net/http"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// eventInvokeConfig is a function's (or version's, or alias's) settings
// for asynchronous invocation. MaximumRetryAttempts bounds the local
// cloud's retries of a failed Event invocation, MaximumEventAgeInSeconds
// how long it is kept; destinations receive invocation records
// (destinations.go).
type eventInvokeConfig struct {
	MaxRetries   *int           `json:"maxRetries,omitempty"`
	MaxAge       *int           `json:"maxAge,omitempty"`
	Destinations map[string]any `json:"destinations,omitempty"`
	LastModified time.Time      `json:"lastModified"`
}

type eventInvokeInput struct {
	MaximumRetryAttempts     *int
	MaximumEventAgeInSeconds *int
	DestinationConfig        map[string]any
}

func (in *eventInvokeInput) check() error {
	if n := in.MaximumRetryAttempts; n != nil && (*n < 0 || *n > 2) {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%d' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value %s", *n, map[bool]string{true: "greater than or equal to 0", false: "less than or equal to 2"}[*n < 0])
	}
	if n := in.MaximumEventAgeInSeconds; n != nil && (*n < 60 || *n > 21600) {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%d' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value %s", *n, map[bool]string{true: "greater than or equal to 60", false: "less than or equal to 21600"}[*n < 60])
	}
	for _, k := range []string{"OnSuccess", "OnFailure"} {
		d, _ := in.DestinationConfig[k].(map[string]any)
		arn, _ := d["Destination"].(string)
		if arn == "" {
			continue
		}
		a, ok := protocol.ParseARN(arn)
		if !ok {
			return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'destinationConfig.%s.destination' failed to satisfy constraint: Member must satisfy regular expression pattern: ^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)", truncate(arn, 200), lowerFirst(k))
		}
		switch a.Service {
		case "sqs", "sns", "lambda", "events", "s3":
		default:
			return protocol.Errorf("InvalidParameterValueException", "The provided destination config DestinationConfig(onSuccess=..., onFailure=...) is invalid: destinations must be SQS queues, SNS topics, Lambda functions or EventBridge event buses")
		}
	}
	return nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

func (c *eventInvokeConfig) output(arn string) map[string]any {
	out := map[string]any{"FunctionArn": arn, "LastModified": float64(c.LastModified.UnixMilli()) / 1000}
	if c.MaxRetries != nil {
		out["MaximumRetryAttempts"] = *c.MaxRetries
	}
	if c.MaxAge != nil {
		out["MaximumEventAgeInSeconds"] = *c.MaxAge
	}
	dest := map[string]any{"OnSuccess": map[string]any{}, "OnFailure": map[string]any{}}
	for k, v := range c.Destinations {
		dest[k] = v
	}
	out["DestinationConfig"] = dest
	return out
}

// eventTarget resolves an event invoke config request; no qualifier means
// $LATEST.
func (s *Service) eventTarget(r *http.Request) (settingTarget, error) {
	t, err := s.settingFor(r)
	if err != nil {
		return t, err
	}
	if t.qualifier == "" {
		t.qualifier = "$LATEST"
		t.arn = t.fn.arn() + ":$LATEST"
	}
	if _, err := s.resolve(t.fn, t.qualifier); err != nil {
		return t, err
	}
	return t, nil
}

func errNoEventConfig(arn string) error {
	return protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "The function %s doesn't have an EventInvokeConfig", arn)
}

// putEventInvokeConfig is Put (PUT: replace) and Update (POST: merge).
func (s *Service) putEventInvokeConfig(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<16, "PutFunctionEventInvokeConfig")
	if err != nil {
		return err
	}
	var in eventInvokeInput
	if err := decode(body, &in); err != nil {
		return err
	}
	if err := in.check(); err != nil {
		return err
	}
	t, err := s.eventTarget(r)
	if err != nil {
		return err
	}
	defer s.lockFunction(t.fn.key())()
	c := &eventInvokeConfig{}
	exists := s.getConfig(t.key(cfgEventInvoke), c)
	if r.Method == http.MethodPost && !exists {
		return errNoEventConfig(t.arn)
	}
	if r.Method == http.MethodPut {
		c = &eventInvokeConfig{}
	}
	if in.MaximumRetryAttempts != nil {
		c.MaxRetries = in.MaximumRetryAttempts
	}
	if in.MaximumEventAgeInSeconds != nil {
		c.MaxAge = in.MaximumEventAgeInSeconds
	}
	if in.DestinationConfig != nil {
		c.Destinations = in.DestinationConfig
	}
	c.LastModified = time.Now()
	if err := s.putConfig(t.key(cfgEventInvoke), c); err != nil {
		return err
	}
	protocol.WriteJSON(w, http.StatusOK, c.output(t.arn))
	return nil
}

func (s *Service) getEventInvokeConfig(w http.ResponseWriter, r *http.Request) error {
	t, err := s.eventTarget(r)
	if err != nil {
		return err
	}
	c := &eventInvokeConfig{}
	if !s.getConfig(t.key(cfgEventInvoke), c) {
		return errNoEventConfig(t.arn)
	}
	protocol.WriteJSON(w, http.StatusOK, c.output(t.arn))
	return nil
}

func (s *Service) deleteEventInvokeConfig(w http.ResponseWriter, r *http.Request) error {
	t, err := s.eventTarget(r)
	if err != nil {
		return err
	}
	if !s.getConfig(t.key(cfgEventInvoke), &eventInvokeConfig{}) {
		return errNoEventConfig(t.arn)
	}
	if err := s.deleteConfig(t.key(cfgEventInvoke)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) listEventInvokeConfigs(w http.ResponseWriter, r *http.Request) error {
	t, err := s.settingFor(r)
	if err != nil {
		return err
	}
	items := []map[string]any{}
	for _, x := range listConfigs[eventInvokeConfig](s, t.fn.key(), cfgEventInvoke) {
		items = append(items, x.v.output(t.fn.arn()+":"+x.qualifier))
	}
	protocol.WriteJSON(w, http.StatusOK, map[string]any{"FunctionEventInvokeConfigs": items})
	return nil
}

// maxAsyncRetries is how many times the failed Event invocation ev is
// retried: the MaximumRetryAttempts of its event invoke config, within the
// configured delays.
func (s *Service) maxAsyncRetries(ev *asyncEvent) int {
	n := len(s.cfg.AsyncRetryDelays)
	if c := s.eventConfigOf(ev); c != nil && c.MaxRetries != nil {
		n = min(n, *c.MaxRetries)
	}
	return n
}

package lambda

import (
	"net/http"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// urlConfig is a function URL's configuration. The local cloud keeps and
// answers it; it does not serve the URL's host (*.lambda-url.<region>.on.aws).
type urlConfig struct {
	ID           string         `json:"id"`
	AuthType     string         `json:"authType"`
	Cors         map[string]any `json:"cors,omitempty"`
	InvokeMode   string         `json:"invokeMode"`
	Created      time.Time      `json:"created"`
	LastModified time.Time      `json:"lastModified"`
}

func (u *urlConfig) output(t settingTarget, withModified bool) map[string]any {
	out := map[string]any{
		"FunctionUrl":  "https://" + u.ID + ".lambda-url." + t.fn.Region + ".on.aws/",
		"FunctionArn":  t.arn,
		"AuthType":     u.AuthType,
		"CreationTime": isoMillis(u.Created),
		"InvokeMode":   u.InvokeMode,
	}
	if u.Cors != nil {
		out["Cors"] = u.Cors
	}
	if withModified {
		out["LastModifiedTime"] = isoMillis(u.LastModified)
	}
	return out
}

type urlInput struct {
	AuthType   *string
	Cors       map[string]any
	InvokeMode *string
}

func (in *urlInput) apply(u *urlConfig) error {
	if in.AuthType != nil {
		u.AuthType = *in.AuthType
	}
	if in.InvokeMode != nil {
		u.InvokeMode = *in.InvokeMode
	}
	if in.Cors != nil {
		u.Cors = in.Cors
	}
	switch u.AuthType {
	case "NONE", "AWS_IAM":
	default:
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'authType' failed to satisfy constraint: Member must satisfy enum value set: [NONE, AWS_IAM]", truncate(u.AuthType, 40))
	}
	switch u.InvokeMode {
	case "BUFFERED", "RESPONSE_STREAM":
	default:
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'invokeMode' failed to satisfy constraint: Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]", truncate(u.InvokeMode, 40))
	}
	return nil
}

// urlTarget resolves a URL config request: $LATEST or an alias, not a
// version.
func (s *Service) urlTarget(r *http.Request) (settingTarget, error) {
	t, err := s.settingFor(r)
	if err != nil {
		return t, err
	}
	if t.qualifier == "$LATEST" {
		t.qualifier, t.arn = "", t.fn.arn()
	}
	if t.qualifier != "" {
		if digitsRE.MatchString(t.qualifier) {
			return t, protocol.Errorf("InvalidParameterValueException", "Function URLs are not supported for function versions. Use an alias or $LATEST.")
		}
		if _, err := s.resolve(t.fn, t.qualifier); err != nil {
			return t, err
		}
	}
	return t, nil
}

func errNoURL() error {
	return protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "The resource you requested does not exist.")
}

func (s *Service) createURLConfig(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<16, "CreateFunctionUrlConfig")
	if err != nil {
		return err
	}
	var in urlInput
	if err := decode(body, &in); err != nil {
		return err
	}
	if in.AuthType == nil {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value null at 'authType' failed to satisfy constraint: Member must not be null")
	}
	t, err := s.urlTarget(r)
	if err != nil {
		return err
	}
	defer s.lockFunction(t.fn.key())()
	if s.getConfig(t.key(cfgURL), &urlConfig{}) {
		return protocol.StatusErrorf(http.StatusConflict, "ResourceConflictException", "Failed to create function url config for [functionArn = %s]. Error message:  FunctionUrlConfig exists for this Lambda function", t.arn)
	}
	now := time.Now()
	u := &urlConfig{ID: randomHex(16), InvokeMode: "BUFFERED", Created: now, LastModified: now}
	if err := in.apply(u); err != nil {
		return err
	}
	if err := s.putConfig(t.key(cfgURL), u); err != nil {
		return err
	}
	protocol.WriteJSON(w, http.StatusCreated, u.output(t, false))
	return nil
}

func (s *Service) getURLConfig(w http.ResponseWriter, r *http.Request) error {
	t, err := s.urlTarget(r)
	if err != nil {
		return err
	}
	u := &urlConfig{}
	if !s.getConfig(t.key(cfgURL), u) {
		return errNoURL()
	}
	protocol.WriteJSON(w, http.StatusOK, u.output(t, true))
	return nil
}

func (s *Service) updateURLConfig(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<16, "UpdateFunctionUrlConfig")
	if err != nil {
		return err
	}
	var in urlInput
	if err := decode(body, &in); err != nil {
		return err
	}
	t, err := s.urlTarget(r)
	if err != nil {
		return err
	}
	defer s.lockFunction(t.fn.key())()
	u := &urlConfig{}
	if !s.getConfig(t.key(cfgURL), u) {
		return errNoURL()
	}
	if err := in.apply(u); err != nil {
		return err
	}
	u.LastModified = time.Now()
	if err := s.putConfig(t.key(cfgURL), u); err != nil {
		return err
	}
	protocol.WriteJSON(w, http.StatusOK, u.output(t, true))
	return nil
}

func (s *Service) deleteURLConfig(w http.ResponseWriter, r *http.Request) error {
	t, err := s.urlTarget(r)
	if err != nil {
		return err
	}
	if !s.getConfig(t.key(cfgURL), &urlConfig{}) {
		return errNoURL()
	}
	if err := s.deleteConfig(t.key(cfgURL)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) listURLConfigs(w http.ResponseWriter, r *http.Request) error {
	t, err := s.settingFor(r)
	if err != nil {
		return err
	}
	items := []map[string]any{}
	for _, x := range listConfigs[urlConfig](s, t.fn.key(), cfgURL) {
		qt := settingTarget{fn: t.fn, qualifier: x.qualifier, arn: t.fn.arn()}
		if x.qualifier != "" {
			qt.arn += ":" + x.qualifier
		}
		items = append(items, x.v.output(qt, true))
	}
	protocol.WriteJSON(w, http.StatusOK, map[string]any{"FunctionUrlConfigs": items})
	return nil
}

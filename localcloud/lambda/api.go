package lambda

import (
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// createFunctionInput is CreateFunction's request body.
type createFunctionInput struct {
	FunctionName  string
	Runtime       string
	Role          string
	Handler       string
	Description   string
	Timeout       *int
	MemorySize    *int
	Publish       bool
	PackageType   string
	Architectures []string
	Environment   *struct{ Variables map[string]string }
	Tags          map[string]string
	TracingConfig *struct{ Mode string }
	Layers        []string
	// EphemeralStorage sizes /tmp (kept and reported, not enforced).
	EphemeralStorage *ephemeralStorage
	// DeadLetterConfig names where failed Event invocations go.
	DeadLetterConfig *deadLetterConfig
	LoggingConfig    *loggingConfig
	VpcConfig        *vpcConfig
	KMSKeyArn        *string
	// CodeSigningConfigArn attaches a code signing config (kept, as with
	// PutFunctionCodeSigningConfig; signatures are not verified).
	CodeSigningConfigArn *string
	Code                 *struct {
		ZipFile         []byte
		S3Bucket        string
		S3Key           string
		S3ObjectVersion string
		ImageUri        string
	}
}

func (s *Service) createFunction(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, maxCreateBodySize, "CreateFunction")
	if err != nil {
		return err
	}
	var in createFunctionInput
	if err := decode(body, &in); err != nil {
		return err
	}
	id := protocol.IdentityFrom(r.Context())
	if in.FunctionName == "" {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null")
	}
	ref, err := parseFunctionRef(in.FunctionName)
	if err != nil {
		return err
	}
	if ref.qualifier != "" || (ref.account != "" && ref.account != id.AccountID) || (ref.region != "" && ref.region != id.Region) {
		return protocol.Errorf("InvalidParameterValueException", "FunctionName %s must be a name or an ARN of this account and region, without a qualifier", truncate(in.FunctionName, 170))
	}
	if in.Role == "" {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null")
	}
	if in.Code == nil {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value null at 'code' failed to satisfy constraint: Member must not be null")
	}
	f := &function{
		Account: id.AccountID, Region: id.Region, Name: ref.name,
		Runtime: in.Runtime, Handler: in.Handler, Role: in.Role, Description: in.Description,
		Timeout: 3, MemorySize: 128, Architectures: []string{"x86_64"},
		Tags: in.Tags,
	}
	if in.Timeout != nil {
		f.Timeout = *in.Timeout
	}
	if in.MemorySize != nil {
		f.MemorySize = *in.MemorySize
	}
	if in.Architectures != nil {
		f.Architectures = in.Architectures
	}
	if in.Environment != nil {
		f.Env = in.Environment.Variables
		if f.Env == nil {
			f.Env = map[string]string{}
		}
	}
	if err := f.setTracing(in.TracingConfig); err != nil {
		return err
	}
	if err := f.setEphemeral(in.EphemeralStorage); err != nil {
		return err
	}
	if err := checkShape(f); err != nil {
		return err
	}
	if err := f.setLoggingVpcKMS(in.LoggingConfig, in.VpcConfig, in.KMSKeyArn); err != nil {
		return err
	}
	if in.PackageType != "" && in.PackageType != "Zip" && in.PackageType != "Image" {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'packageType' failed to satisfy constraint: Member must satisfy enum value set: [Zip, Image]", truncate(in.PackageType, 64))
	}
	if in.PackageType == "Image" {
		return protocol.Errorf("InvalidParameterValueException", "The local cloud runs Zip functions only (PackageType %s): upload the zip that `go run ./cmd/lab package <dir>` builds", truncate(in.PackageType, 32))
	}
	if in.Runtime == "" || in.Handler == "" {
		return protocol.Errorf("InvalidParameterValueException", "Runtime and Handler are mandatory parameters for functions created with Zip package type.")
	}
	if in.Code.ImageUri != "" {
		return protocol.Errorf("InvalidParameterValueException", "The local cloud takes code as a zip only (no container images): pass --zip-file fileb://function.zip or the zip's S3Bucket and S3Key")
	}
	if err := f.setDeadLetter(in.DeadLetterConfig); err != nil {
		return err
	}
	if err := validateSettings(f); err != nil {
		return err
	}
	if err := validateTags(f.Tags); err != nil {
		return err
	}
	if err := s.checkRole(r.Context(), f.Role); err != nil {
		return err
	}
	if f.Layers, err = s.checkLayers(id.AccountID, in.Layers); err != nil {
		return err
	}
	if len(f.Layers) == 0 {
		f.Layers = nil
	}
	code, err := s.packageCode(r.Context(), in.Code.ZipFile, in.Code.S3Bucket, in.Code.S3Key, in.Code.S3ObjectVersion)
	if err != nil {
		return err
	}
	defer code.remove()

	if in.CodeSigningConfigArn != nil {
		s.cscMu.Lock() // the config stays while the function is created
		defer s.cscMu.Unlock()
		if _, err := s.attachableCodeSigningConfig(r, *in.CodeSigningConfigArn); err != nil {
			return err
		}
	}
	defer s.lockFunction(f.key())()
	if s.current(f.key()) != nil {
		return protocol.StatusErrorf(http.StatusConflict, "ResourceConflictException", "Function already exist: %s", f.Name)
	}
	if err := s.storeCode(f, code); err != nil {
		return err
	}
	f.LastModified = time.Now()
	f.RevisionID = newRevision()
	f.Generation = 1
	if err := s.saveFunction(f); err != nil {
		return err
	}
	s.publish(f)
	if in.CodeSigningConfigArn != nil {
		if err := s.putConfig(cfgKey{f.key(), cfgCodeSigning, ""}, *in.CodeSigningConfigArn); err != nil {
			return err
		}
	}
	out := f.configuration()
	if in.Publish {
		// The answer is version 1's configuration under the function's
		// unqualified ARN, as CreateFunction's example in the API
		// reference shows (PublishVersion's names the version).
		v, err := s.publishVersion(f, "")
		if err != nil {
			return err
		}
		out = v.configuration()
		out.FunctionArn = f.arn()
	}
	if f.Runtime == "go1.x" {
		s.log.WarnContext(r.Context(), "lambda runtime go1.x is deprecated on AWS: build a bootstrap with `go run ./cmd/lab package <dir>` and use provided.al2023", "function", f.Name)
	}
	s.log.InfoContext(r.Context(), "lambda function created", "function", f.Name, "account", f.Account, "region", f.Region, "runtime", f.Runtime)
	protocol.WriteJSON(w, http.StatusCreated, out)
	return nil
}

// storeCode moves a function's staged zip to its place under the data
// directory and unpacks it, setting the code fields of f.
func (s *Service) storeCode(f *function, code *stagedZip) error {
	f.CodeSha256 = base64.StdEncoding.EncodeToString(code.sum[:])
	f.CodeHex = hex.EncodeToString(code.sum[:])
	f.CodeSize = code.size
	if err := code.install(s.zipPath(f)); err != nil {
		return err
	}
	if err := unpack(s.zipPath(f), s.codeDir(f)); err != nil {
		os.Remove(s.zipPath(f))
		return errBadZip(err.Error())
	}
	return nil
}

func (s *Service) getFunction(w http.ResponseWriter, r *http.Request) error {
	f, err := s.lookup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	out := map[string]any{
		"Configuration": requestedConfiguration(r, f),
		"Code": map[string]string{
			"RepositoryType": "S3",
			"Location":       s.codeURL(f),
		},
	}
	if len(f.Tags) > 0 {
		out["Tags"] = f.Tags
	}
	if f.Reserved != nil {
		out["Concurrency"] = map[string]int{"ReservedConcurrentExecutions": *f.Reserved}
	}
	protocol.WriteJSON(w, http.StatusOK, out)
	return nil
}

// codeURL is where GetFunction says the code can be downloaded: a URL of
// the local cloud, as AWS gives a presigned S3 URL.
func (s *Service) codeURL(f *function) string {
	base := strings.TrimSuffix(s.endpointURL(), "/")
	if base == "" {
		base = "http://127.0.0.1:4566"
	}
	return base + "/2015-03-31/code/" + f.Account + "/" + f.Region + "/" + url.PathEscape(f.Name) + "/" + f.CodeHex + ".zip"
}

// getCode serves a function's zip at the URL GetFunction gives. The code's
// hash in the URL is the capability, as a presigned URL's signature is.
func (s *Service) getCode(w http.ResponseWriter, r *http.Request) error {
	k := fnKey{r.PathValue("account"), r.PathValue("region"), r.PathValue("name")}
	f := s.current(k)
	if f == nil || !strings.HasSuffix(r.PathValue("file"), ".zip") || !s.servesCode(f, strings.TrimSuffix(r.PathValue("file"), ".zip")) {
		return protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "no such code")
	}
	b, err := os.ReadFile(s.zipPath(f))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/zip")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}

func (s *Service) getFunctionConfiguration(w http.ResponseWriter, r *http.Request) error {
	f, err := s.lookup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	protocol.WriteJSON(w, http.StatusOK, requestedConfiguration(r, f))
	return nil
}

// requestedConfiguration is the configuration GetFunction and
// GetFunctionConfiguration answer: asked for $LATEST by name, its
// FunctionArn ends in :$LATEST, as on AWS.
func requestedConfiguration(r *http.Request, f *function) configuration {
	c := f.configuration()
	if f.Version == "" && requestQualifier(r) == "$LATEST" {
		c.FunctionArn = f.arn() + ":$LATEST"
	}
	return c
}

func (s *Service) listFunctions(w http.ResponseWriter, r *http.Request) error {
	id := protocol.IdentityFrom(r.Context())
	max, set, err := queryInt(r, "MaxItems")
	if err != nil {
		return err
	}
	if !set {
		max = 50
	}
	if max < 1 || max > 10000 {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", max)
	}
	all := false
	switch v := r.URL.Query().Get("FunctionVersion"); v {
	case "":
	case "ALL":
		all = true
	default:
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]", truncate(v, 64))
	}
	// The marker is the list key of the last function answered: its name
	// and version number ($LATEST first), so that FunctionVersion=ALL pages
	// through versions too.
	key := func(f *function) string { return fmt.Sprintf("%s:%010d", f.Name, versionNumber(f)) }
	marker := r.URL.Query().Get("Marker")
	s.mu.RLock()
	var fns []*function
	for k, f := range s.fns {
		if k.account != id.AccountID || k.region != id.Region {
			continue
		}
		if key(f) > marker {
			fns = append(fns, f)
		}
		if q := s.quals[k]; all && q != nil {
			for _, v := range q.versions {
				if key(v) > marker {
					fns = append(fns, v)
				}
			}
		}
	}
	s.mu.RUnlock()
	sort.Slice(fns, func(i, j int) bool { return key(fns[i]) < key(fns[j]) })
	out := map[string]any{}
	if len(fns) > max {
		fns = fns[:max]
		out["NextMarker"] = key(fns[max-1])
	}
	cfgs := make([]configuration, 0, len(fns))
	for _, f := range fns {
		if all {
			cfgs = append(cfgs, f.listed())
		} else {
			cfgs = append(cfgs, f.configuration())
		}
	}
	out["Functions"] = cfgs
	protocol.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) deleteFunction(w http.ResponseWriter, r *http.Request) error {
	ref, err := parseFunctionRef(r.PathValue("name"))
	if err != nil {
		return err
	}
	q := cmp.Or(r.URL.Query().Get("Qualifier"), ref.qualifier)
	f, err := s.lookup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	switch {
	case q == "$LATEST":
		return protocol.Errorf("InvalidParameterValueException", "$LATEST version cannot be deleted without deleting the function.")
	case q != "" && !digitsRE.MatchString(q):
		return protocol.Errorf("InvalidParameterValueException", "Deletion of aliases is not supported.")
	case q != "":
		return s.deleteVersion(w, f, q)
	}
	defer s.lockFunction(f.key())()
	if f = s.current(f.key()); f == nil {
		return notFound(protocol.ARN("lambda", protocol.IdentityFrom(r.Context()).Region, protocol.IdentityFrom(r.Context()).AccountID, "function:"+r.PathValue("name")))
	}
	if err := s.deleteFunctionRow(f.key()); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.fns, f.key())
	delete(s.quals, f.key())
	s.mu.Unlock()
	s.forgetConfigs(f.key())
	s.conc.setReserved(f.key(), nil)
	s.async.forget(f.key())
	s.envs.retire(f.key())
	go s.removeWhenIdle(f)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// removeWhenIdle deletes a deleted function's files once no environment
// runs from them.
func (s *Service) removeWhenIdle(f *function) {
	dir := s.fnDir(f.Account, f.Region, f.Name)
	for i := 0; i < 600 && s.envs.usesDir(dir); i++ {
		select {
		case <-s.closed:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	defer s.lockFunction(f.key())()
	if s.current(f.key()) == nil {
		os.RemoveAll(dir)
	}
}

// update applies change to the function a request names and commits it.
// A change that affects running code bumps the generation, so warm
// environments are replaced.
func (s *Service) update(r *http.Request, revisionID string, code bool, change func(*function) error) (*function, error) {
	found, err := s.lookup(r, r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	defer s.lockFunction(found.key())()
	old := s.current(found.key())
	if old == nil {
		return nil, notFound(found.arn())
	}
	if revisionID != "" && revisionID != old.RevisionID {
		return nil, protocol.StatusErrorf(http.StatusPreconditionFailed, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	}
	f := old.clone()
	if err := change(f); err != nil {
		return nil, err
	}
	if code {
		f.Generation++
		f.LastModified = time.Now()
	}
	f.RevisionID = newRevision()
	if err := s.saveFunction(f); err != nil {
		return nil, err
	}
	s.publish(f)
	if code {
		s.envs.retire(f.key())
		if old.CodeHex != f.CodeHex {
			go func() {
				select {
				case <-s.closed:
					return
				case <-time.After(time.Second): // let retired environments stop
				}
				defer s.lockFunction(f.key())()
				if cur := s.current(f.key()); cur != nil {
					s.removeStaleCode(f.Account, f.Region, f.Name, cur.CodeHex)
				}
			}()
		}
	}
	return f, nil
}

func (s *Service) updateFunctionConfiguration(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<20, "UpdateFunctionConfiguration")
	if err != nil {
		return err
	}
	var in struct {
		Role, Handler, Runtime, RevisionId string
		Description                        *string
		Timeout, MemorySize                *int
		Environment                        *struct{ Variables map[string]string }
		TracingConfig                      *struct{ Mode string }
		EphemeralStorage                   *ephemeralStorage
		Layers                             *[]string
		DeadLetterConfig                   *deadLetterConfig
		LoggingConfig                      *loggingConfig
		VpcConfig                          *vpcConfig
		KMSKeyArn                          *string
	}
	if err := decode(body, &in); err != nil {
		return err
	}
	f, err := s.update(r, in.RevisionId, true, func(f *function) error {
		if err := f.setTracing(in.TracingConfig); err != nil {
			return err
		}
		if err := f.setEphemeral(in.EphemeralStorage); err != nil {
			return err
		}
		if err := f.setDeadLetter(in.DeadLetterConfig); err != nil {
			return err
		}
		if err := f.setLoggingVpcKMS(in.LoggingConfig, in.VpcConfig, in.KMSKeyArn); err != nil {
			return err
		}
		if in.Role != "" && in.Role != f.Role {
			f.Role = in.Role
			if err := validateSettings(f); err != nil {
				return err
			}
			if err := s.checkRole(r.Context(), f.Role); err != nil {
				return err
			}
		}
		if in.Layers != nil {
			layers, err := s.checkLayers(f.Account, *in.Layers)
			if err != nil {
				return err
			}
			f.Layers = nil
			if len(layers) > 0 {
				f.Layers = layers
			}
		}
		if in.Handler != "" {
			f.Handler = in.Handler
		}
		if in.Runtime != "" {
			f.Runtime = in.Runtime
		}
		if in.Description != nil {
			f.Description = *in.Description
		}
		if in.Timeout != nil {
			f.Timeout = *in.Timeout
		}
		if in.MemorySize != nil {
			f.MemorySize = *in.MemorySize
		}
		if in.Environment != nil {
			f.Env = in.Environment.Variables
			if f.Env == nil {
				f.Env = map[string]string{}
			}
		}
		return validateSettings(f)
	})
	if err != nil {
		return err
	}
	protocol.WriteJSON(w, http.StatusOK, f.configuration())
	return nil
}

func (s *Service) updateFunctionCode(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, maxCreateBodySize, "UpdateFunctionCode")
	if err != nil {
		return err
	}
	var in struct {
		ZipFile                                    []byte
		S3Bucket, S3Key, S3ObjectVersion, ImageUri string
		RevisionId                                 string
		Architectures                              []string
		Publish, DryRun                            bool
	}
	if err := decode(body, &in); err != nil {
		return err
	}
	if in.ImageUri != "" {
		return protocol.Errorf("InvalidParameterValueException", "The local cloud takes code as a zip only (no container images): pass --zip-file fileb://function.zip or the zip's --s3-bucket and --s3-key")
	}
	if in.S3Bucket == "" && in.S3Key == "" && in.ZipFile == nil {
		return protocol.Errorf("InvalidParameterValueException", "Please provide a source for function code.")
	}
	code, err := s.packageCode(r.Context(), in.ZipFile, in.S3Bucket, in.S3Key, in.S3ObjectVersion)
	if err != nil {
		return err
	}
	defer code.remove()
	if in.DryRun {
		f, err := s.lookup(r, r.PathValue("name"))
		if err != nil {
			return err
		}
		protocol.WriteJSON(w, http.StatusOK, f.configuration())
		return nil
	}
	f, err := s.update(r, in.RevisionId, true, func(f *function) error {
		if in.Architectures != nil {
			f.Architectures = in.Architectures
			if err := validateSettings(f); err != nil {
				return err
			}
		}
		return s.storeCode(f, code)
	})
	if err != nil {
		return err
	}
	if in.Publish {
		unlock := s.lockFunction(f.key())
		if cur := s.current(f.key()); cur != nil {
			f, err = s.publishVersion(cur, "")
		}
		unlock()
		if err != nil {
			return err
		}
	}
	protocol.WriteJSON(w, http.StatusOK, f.configuration())
	return nil
}

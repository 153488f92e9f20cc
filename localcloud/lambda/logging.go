package lambda

import (
	"regexp"
	"slices"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// A function's LoggingConfig (API reference "LoggingConfig", developer
// guide "Configuring advanced logging controls for Lambda functions"):
// its log format (Text or JSON), the log group its streams are written to
// (by default /aws/lambda/<name>) and, with the JSON format only, the
// levels its application and system logs are filtered at.

// loggingConfig is the LoggingConfig shape of requests and answers.
type loggingConfig struct {
	ApplicationLogLevel string `json:"ApplicationLogLevel,omitempty"`
	LogFormat           string `json:"LogFormat,omitempty"`
	LogGroup            string `json:"LogGroup,omitempty"`
	SystemLogLevel      string `json:"SystemLogLevel,omitempty"`
}

// The model's enums and LogGroup's constraints.
var (
	logFormats   = []string{"JSON", "Text"}
	appLogLevels = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
	sysLogLevels = []string{"DEBUG", "INFO", "WARN"}
	logGroupRE   = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`)
)

// logGroup is where the function's log streams are: its LoggingConfig's
// LogGroup, or /aws/lambda/<name>.
func (f *function) logGroup() string {
	if f.LogGroup != "" {
		return f.LogGroup
	}
	return "/aws/lambda/" + f.Name
}

// logFormat is LoggingConfig.LogFormat: Text unless set.
func (f *function) logFormat() string {
	if f.LogFormat != "" {
		return f.LogFormat
	}
	return "Text"
}

// jsonLogs says whether the function's logs are in the JSON format.
func (f *function) jsonLogs() bool { return f.LogFormat == "JSON" }

// loggingOut is the LoggingConfig of a function's configuration.
func (f *function) loggingOut() loggingConfig {
	return loggingConfig{LogFormat: f.logFormat(), LogGroup: f.logGroup(), ApplicationLogLevel: f.AppLogLevel, SystemLogLevel: f.SysLogLevel}
}

// setLogging applies a request's LoggingConfig (nil leaves it as it is;
// the members a request leaves out keep their values).
func (f *function) setLogging(lc *loggingConfig) error {
	if lc == nil {
		return nil
	}
	if err := lc.validate(); err != nil {
		return err
	}
	if lc.LogFormat != "" {
		f.LogFormat = lc.LogFormat
	}
	if lc.LogGroup != "" {
		f.LogGroup = lc.LogGroup
	}
	if lc.ApplicationLogLevel != "" {
		f.AppLogLevel = lc.ApplicationLogLevel
	}
	if lc.SystemLogLevel != "" {
		f.SysLogLevel = lc.SystemLogLevel
	}
	if !f.jsonLogs() {
		// Log levels apply to the JSON format only ("To use log-level
		// filtering, your function must be configured to use the JSON
		// log format"). AWS's refusal, as CloudFormation relays it (aws-cdk
		// pull request 28045).
		if lc.ApplicationLogLevel != "" || lc.SystemLogLevel != "" {
			return protocol.Errorf("InvalidParameterValueException", `LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change the LogFormat to "Json" and try again.`)
		}
		// A function switched back to Text keeps no levels of its JSON days.
		f.AppLogLevel, f.SysLogLevel = "", ""
	}
	return nil
}

// validate checks a LoggingConfig against the model's constraints.
func (lc *loggingConfig) validate() error {
	var errs []string
	enum := func(v, member string, set []string) {
		if v != "" && !slices.Contains(set, v) {
			errs = append(errs, "Value '"+truncate(v, 64)+"' at 'loggingConfig."+member+"' failed to satisfy constraint: Member must satisfy enum value set: ["+strings.Join(set, ", ")+"]")
		}
	}
	enum(lc.ApplicationLogLevel, "applicationLogLevel", appLogLevels)
	enum(lc.LogFormat, "logFormat", logFormats)
	if g := lc.LogGroup; g != "" {
		if len(g) > 512 {
			errs = append(errs, "Value '"+truncate(g, 512)+"' at 'loggingConfig.logGroup' failed to satisfy constraint: Member must have length less than or equal to 512")
		} else if !logGroupRE.MatchString(g) {
			errs = append(errs, "Value '"+g+"' at 'loggingConfig.logGroup' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+")
		}
	}
	enum(lc.SystemLogLevel, "systemLogLevel", sysLogLevels)
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return protocol.Errorf("ValidationException", "1 validation error detected: %s", errs[0])
	}
	return protocol.Errorf("ValidationException", "%d validation errors detected: %s", len(errs), strings.Join(errs, "; "))
}

package lambda

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

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
	if len(errs) == 0 {
		return nil
	}
	return protocol.Errorf("ValidationException", "%s", protocol.ValidationMessage(errs))
}

// sysLog is one of Lambda's own log records (system logs) in both
// formats: text is its Text line; with the JSON format a record of a type
// is written as {"time","type","record"} (the Telemetry API's event
// schema, "Lambda Telemetry API Event schema reference"), in which
// platform.runtimeDone stands for END. A record without a type (an error
// message) is written as its text in both formats.
type sysLog struct {
	text   string
	typ    string
	record any
}

// render is the record's line in f's log format.
func (f *function) render(ev sysLog, now time.Time) string {
	if !f.jsonLogs() || ev.typ == "" {
		return ev.text
	}
	b, _ := json.Marshal(struct {
		Time   string `json:"time"`
		Type   string `json:"type"`
		Record any    `json:"record"`
	}{now.UTC().Format("2006-01-02T15:04:05.000Z"), ev.typ, ev.record})
	return string(b)
}

// Records of the system log events the local cloud writes.
type (
	initStartRecord struct {
		InitializationType string `json:"initializationType"`
		Phase              string `json:"phase"`
		RuntimeVersion     string `json:"runtimeVersion"`
		RuntimeVersionArn  string `json:"runtimeVersionArn"`
		FunctionName       string `json:"functionName"`
		FunctionVersion    string `json:"functionVersion"`
	}
	initReportRecord struct {
		InitializationType string          `json:"initializationType"`
		Phase              string          `json:"phase"`
		Status             string          `json:"status"`
		ErrorType          string          `json:"errorType,omitempty"`
		Metrics            durationMetrics `json:"metrics"`
	}
	durationMetrics struct {
		DurationMs float64 `json:"durationMs"`
	}
	startRecord struct {
		RequestID string `json:"requestId"`
		Version   string `json:"version"`
	}
	runtimeDoneRecord struct {
		RequestID string             `json:"requestId"`
		Status    string             `json:"status"`
		ErrorType string             `json:"errorType,omitempty"`
		Metrics   runtimeDoneMetrics `json:"metrics"`
	}
	runtimeDoneMetrics struct {
		DurationMs    float64 `json:"durationMs"`
		ProducedBytes int     `json:"producedBytes"`
	}
	reportRecord struct {
		RequestID string        `json:"requestId"`
		Status    string        `json:"status"`
		ErrorType string        `json:"errorType,omitempty"`
		Metrics   reportMetrics `json:"metrics"`
	}
	reportMetrics struct {
		DurationMs       float64  `json:"durationMs"`
		BilledDurationMs int64    `json:"billedDurationMs"`
		MemorySizeMB     int      `json:"memorySizeMB"`
		MaxMemoryUsedMB  int      `json:"maxMemoryUsedMB"`
		InitDurationMs   *float64 `json:"initDurationMs,omitempty"`
	}
)

// round2 keeps a duration's two decimals, as the Text lines write them.
func round2(v float64) float64 { return math.Round(v*100) / 100 }

// initStartLog is INIT_START.
func (f *function) initStartLog() sysLog {
	arn := protocol.ARN("lambda", f.Region, "", "runtime:local")
	rv := runtimeVersion(f.Runtime) + ".local"
	return sysLog{"INIT_START Runtime Version: " + rv + "\tRuntime Version ARN: " + arn, "platform.initStart",
		initStartRecord{"on-demand", "init", rv, arn, f.Name, f.ver()}}
}

// initErrorLog is INIT_REPORT of an initialisation that failed.
func initErrorLog(d float64, errType string) sysLog {
	return sysLog{fmt.Sprintf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: error\tError Type: %s", d, errType), "platform.initReport",
		initReportRecord{"on-demand", "init", "error", errType, durationMetrics{round2(d)}}}
}

// startLog is START.
func (f *function) startLog(reqID string) sysLog {
	return sysLog{"START RequestId: " + reqID + " Version: " + f.ver(), "platform.start", startRecord{reqID, f.ver()}}
}

// endLog is END; status is success, error or timeout.
func endLog(reqID, status, errType string, d float64, produced int) sysLog {
	return sysLog{"END RequestId: " + reqID, "platform.runtimeDone", runtimeDoneRecord{reqID, status, errType, runtimeDoneMetrics{round2(d), produced}}}
}

// reportLog is REPORT; init is the Init Duration of a cold start, else
// negative.
func (f *function) reportLog(reqID, status, errType string, d float64, billed int64, maxMem int, init float64) sysLog {
	text := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB", reqID, d, billed, f.MemorySize, maxMem)
	m := reportMetrics{DurationMs: round2(d), BilledDurationMs: billed, MemorySizeMB: f.MemorySize, MaxMemoryUsedMB: maxMem}
	if init >= 0 {
		text += fmt.Sprintf("\tInit Duration: %.2f ms", init)
		i := round2(init)
		m.InitDurationMs = &i
	}
	switch status {
	case "timeout":
		text += "\tStatus: timeout"
	case "error":
		if errType != "" {
			text += "\tStatus: error\tError Type: " + errType
		}
	}
	return sysLog{text, "platform.report", reportRecord{reqID, status, errType, m}}
}

// keepOutput says whether a line the function wrote passes its application
// log level. The developer guide ("Log-level filtering"): with the JSON
// format, a runtime without built-in JSON logging has its lines filtered
// by the "level" of the JSON objects it writes; a line with an invalid or
// missing level is INFO; the default level is INFO; Lambda sends the
// selected level and those of less detail (TRACE the most, FATAL the
// least).
func (f *function) keepOutput(line string) bool {
	if !f.jsonLogs() {
		return true
	}
	level := "INFO"
	if strings.HasPrefix(line, "{") {
		var v struct {
			Level any `json:"level"`
		}
		if json.Unmarshal([]byte(line), &v) == nil {
			if s, ok := v.Level.(string); ok && slices.Contains(appLogLevels, strings.ToUpper(s)) {
				level = strings.ToUpper(s)
			}
		}
	}
	threshold := f.AppLogLevel
	if threshold == "" {
		threshold = "INFO"
	}
	return slices.Index(appLogLevels, level) >= slices.Index(appLogLevels, threshold)
}

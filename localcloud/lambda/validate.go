package lambda

import (
	"context"
	"net/http"
	"regexp"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Lambda checks a request in two passes, as the API reference's error
// lists show: first each member against the service model's constraints
// (ValidationException, before anything else about the request is looked
// at, so a bad Architectures or EphemeralStorage is reported even for a
// container image), then what the combination means
// (InvalidParameterValueException and the like).

// ephemeral storage sizes in MB (EphemeralStorage.Size, API reference:
// "Minimum value of 512. Maximum value of 10240"); /tmp gets 512 MB unless
// the function asks for more.
const (
	minEphemeralMB = 512
	maxEphemeralMB = 10240
)

// ephemeralStorage is the EphemeralStorage request member.
type ephemeralStorage struct{ Size *int }

// setEphemeral applies a request's EphemeralStorage (nil leaves it as it
// is); checkShape checks the size.
func (f *function) setEphemeral(e *ephemeralStorage) error {
	if e == nil {
		return nil
	}
	if e.Size == nil {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value null at 'ephemeralStorage.size' failed to satisfy constraint: Member must not be null")
	}
	f.Ephemeral = *e.Size
	return nil
}

// ephemeralMB is the function's /tmp size as the API reports it.
func (f *function) ephemeralMB() int {
	if f.Ephemeral == 0 {
		return minEphemeralMB
	}
	return f.Ephemeral
}

// checkShape checks the settings the service model constrains, with the
// model's ValidationException.
func checkShape(f *function) error {
	if !roleRE.MatchString(f.Role) {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+", truncate(f.Role, 200))
	}
	if len(f.Handler) > 128 || strings.ContainsAny(f.Handler, " \t\r\n") {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'handler' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+", truncate(f.Handler, 200))
	}
	if len(f.Description) > 256 {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	if err := checkRange("timeout", f.Timeout, 1, 900); err != nil {
		return err
	}
	if err := checkRange("memorySize", f.MemorySize, 128, 10240); err != nil {
		return err
	}
	if err := checkRange("ephemeralStorage.size", f.ephemeralMB(), minEphemeralMB, maxEphemeralMB); err != nil {
		return err
	}
	return checkArchitectures(f.Architectures)
}

// checkRange checks an integer member against the model's range.
func checkRange(member string, v, min, max int) error {
	switch {
	case v < min:
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", v, member, min)
	case v > max:
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", v, member, max)
	}
	return nil
}

// checkArchitectures checks Architectures: one member (ArchitecturesList
// has min and max 1), x86_64 or arm64. Values print as a Java list, as
// AWS's validation messages show them.
func checkArchitectures(archs []string) error {
	val := javaList(archs, 64)
	switch {
	case len(archs) > 1:
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1", val)
	case len(archs) == 0:
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'architectures' failed to satisfy constraint: Member must have length greater than or equal to 1", val)
	case archs[0] != "x86_64" && archs[0] != "arm64":
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]", val)
	}
	return nil
}

// validateSettings checks the settings shared by create and update.
func validateSettings(f *function) error {
	if err := checkRuntime(f.Runtime); err != nil {
		return err
	}
	if err := checkShape(f); err != nil {
		return err
	}
	return validateEnv(f.Env)
}

// checkRole refuses an execution role of another account (IAM's PassRole
// check: AccessDeniedException "Cross-account pass role is not allowed.")
// and one that does not exist or does not trust lambda.amazonaws.com, with
// Lambda's error.
func (s *Service) checkRole(ctx context.Context, role string) error {
	if arn, ok := protocol.ParseARN(role); ok && arn.Account != protocol.IdentityFrom(ctx).AccountID {
		return protocol.StatusErrorf(http.StatusForbidden, "AccessDeniedException", "Cross-account pass role is not allowed.")
	}
	if s.cfg.Roles == nil || s.cfg.Roles.ServiceCanAssume(ctx, role, "lambda.amazonaws.com") {
		return nil
	}
	return protocol.Errorf("InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.")
}

// reservedEnv are the variables Lambda sets itself and refuses in
// Environment.Variables.
var reservedEnv = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_DEFAULT_REGION": true, "AWS_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true, "AWS_LAMBDA_LOG_GROUP_NAME": true,
	"AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true,
	"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_LAMBDA_RUNTIME_API": true,
	"LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

var envKeyRE = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9_])*$`)

// validateEnv checks Environment.Variables as Lambda does.
func validateEnv(vars map[string]string) error {
	size := 0
	var reserved []string
	for k, v := range vars {
		if !envKeyRE.MatchString(k) {
			return protocol.Errorf("ValidationException", "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]")
		}
		if reservedEnv[k] {
			reserved = append(reserved, k)
		}
		size += len(k) + len(v)
	}
	if len(reserved) > 0 {
		return protocol.Errorf("InvalidParameterValueException", "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", strings.Join(reserved, ", "))
	}
	if size > maxEnvVarsBytes {
		return protocol.Errorf("InvalidParameterValueException", "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %d bytes", size)
	}
	return nil
}

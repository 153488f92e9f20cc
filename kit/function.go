package kit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Function settings of the reference deployment.
const (
	functionRuntime = types.RuntimeProvidedal2023
	functionHandler = "bootstrap"
	functionTimeout = 10  // seconds
	functionMemory  = 256 // MB
)

// functionSpec is the reference shape of one function.
type functionSpec struct {
	key     string // name key; also selects the source folder
	from    string // "solutions" (default), "starter" or a directory
	roleARN string
	// env returns the environment from the current one (nil when the
	// function does not exist yet).
	env func(current map[string]string) (map[string]string, error)
}

// ensureFunction creates the function or converges its code and
// configuration, waiting until it is Active with a Successful last update.
// It returns the function's ARN.
func (k *Kit) ensureFunction(ctx context.Context, s functionSpec) (string, error) {
	name := k.name(s.key)
	dir, err := k.sourceDir(s.key, s.from)
	if err != nil {
		return "", err
	}
	zip, sha, err := k.zip(ctx, dir)
	if err != nil {
		return "", err
	}
	arch, _ := k.lambdaArch()
	lam := k.cl().lam
	cur, err := lam.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
	if isNotFound(err) {
		env, err := s.env(nil)
		if err != nil {
			return "", err
		}
		k.logf("  create function %s", name)
		var out *lambda.CreateFunctionOutput
		// A new role takes a few seconds to be usable by Lambda on AWS.
		err = retry(ctx, 90*time.Second, roleNotReady, func() error {
			var err error
			out, err = lam.CreateFunction(ctx, &lambda.CreateFunctionInput{
				FunctionName: aws.String(name), Role: aws.String(s.roleARN), Runtime: functionRuntime, Handler: aws.String(functionHandler),
				Architectures: []types.Architecture{types.Architecture(arch)}, Timeout: aws.Int32(functionTimeout), MemorySize: aws.Int32(functionMemory),
				Code: &types.FunctionCode{ZipFile: zip}, Environment: &types.Environment{Variables: env},
				Tags: map[string]string{"course": "week1"},
			})
			return err
		})
		if err != nil {
			return "", fmt.Errorf("create function %s: %w", name, err)
		}
		if err := k.waitActive(ctx, name); err != nil {
			return "", err
		}
		return aws.ToString(out.FunctionArn), nil
	}
	if err != nil {
		return "", fmt.Errorf("get function %s: %w", name, err)
	}
	if err := k.waitUpdated(ctx, name); err != nil {
		return "", err
	}
	if aws.ToString(cur.CodeSha256) != sha || len(cur.Architectures) != 1 || string(cur.Architectures[0]) != arch {
		if err := k.updateCode(ctx, name, zip, arch); err != nil {
			return "", err
		}
	}
	var curEnv map[string]string
	if cur.Environment != nil {
		curEnv = cur.Environment.Variables
	}
	env, err := s.env(maps.Clone(curEnv))
	if err != nil {
		return "", err
	}
	if aws.ToString(cur.Role) != s.roleARN || aws.ToString(cur.Handler) != functionHandler || cur.Runtime != functionRuntime ||
		aws.ToInt32(cur.Timeout) != functionTimeout || aws.ToInt32(cur.MemorySize) != functionMemory || !maps.Equal(curEnv, env) {
		k.logf("  function %s: configuration -> reference%s", name, envChange(curEnv, env))
		if err := k.updateConfig(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Role: aws.String(s.roleARN),
			Handler: aws.String(functionHandler), Runtime: functionRuntime, Timeout: aws.Int32(functionTimeout), MemorySize: aws.Int32(functionMemory),
			Environment: &types.Environment{Variables: env}}); err != nil {
			return "", err
		}
	}
	return aws.ToString(cur.FunctionArn), nil
}

// envChange names the environment variables that change (never values:
// one of them may be a secret).
func envChange(old, new map[string]string) string {
	var changed []string
	for k, v := range new {
		if ov, ok := old[k]; !ok || ov != v {
			changed = append(changed, k)
		}
	}
	for k := range old {
		if _, ok := new[k]; !ok {
			changed = append(changed, "-"+k)
		}
	}
	if len(changed) == 0 {
		return ""
	}
	return " (env " + strings.Join(changed, ", ") + ")"
}

// updateCode uploads zip and waits for the update to succeed.
func (k *Kit) updateCode(ctx context.Context, name string, zip []byte, arch string) error {
	k.logf("  function %s: upload code (%d KiB)", name, len(zip)/1024)
	err := retry(ctx, 60*time.Second, isConflict, func() error {
		_, err := k.cl().lam.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: zip,
			Architectures: []types.Architecture{types.Architecture(arch)}})
		return err
	})
	if err != nil {
		return fmt.Errorf("update code of %s: %w", name, err)
	}
	return k.waitUpdated(ctx, name)
}

// updateConfig applies in and waits for the update to succeed.
func (k *Kit) updateConfig(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput) error {
	name := aws.ToString(in.FunctionName)
	err := retry(ctx, 90*time.Second, func(err error) bool { return isConflict(err) || roleNotReady(err) }, func() error {
		_, err := k.cl().lam.UpdateFunctionConfiguration(ctx, in)
		return err
	})
	if err != nil {
		return fmt.Errorf("update configuration of %s: %w", name, err)
	}
	return k.waitUpdated(ctx, name)
}

// roleNotReady reports whether Lambda refused a role it cannot assume yet
// (IAM is eventually consistent: a new role needs seconds to propagate).
func roleNotReady(err error) bool {
	if errCode(err) != "InvalidParameterValueException" {
		return false
	}
	return roleNotReadyMsg(err)
}

// roleNotReadyMsg reports whether the error's message blames the role
// (the code alone covers many unrelated refusals).
func roleNotReadyMsg(err error) bool {
	var msg string
	var ie *types.InvalidParameterValueException
	if errors.As(err, &ie) {
		msg = ie.ErrorMessage()
	}
	var ae interface{ ErrorMessage() string }
	if msg == "" && errors.As(err, &ae) {
		msg = ae.ErrorMessage()
	}
	return strings.Contains(msg, "role") || strings.Contains(msg, "execution role")
}

func (k *Kit) waitActive(ctx context.Context, name string) error {
	w := lambda.NewFunctionActiveV2Waiter(k.cl().lam, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 3*time.Second
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 5*time.Minute); err != nil {
		return fmt.Errorf("wait for function %s to be Active: %w", name, err)
	}
	return nil
}

func (k *Kit) waitUpdated(ctx context.Context, name string) error {
	w := lambda.NewFunctionUpdatedV2Waiter(k.cl().lam, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 3*time.Second
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 5*time.Minute); err != nil {
		return fmt.Errorf("wait for function %s's update to succeed: %w", name, err)
	}
	return nil
}

// functionConfig returns the function's configuration, or nil when it
// does not exist.
func (k *Kit) functionConfig(ctx context.Context, name string) (*lambda.GetFunctionConfigurationOutput, error) {
	out, err := k.cl().lam.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get function %s: %w", name, err)
	}
	return out, nil
}

// ensurePermission lets principal invoke the function from sourceARN,
// under the statement id sid, replacing a statement of that id that differs.
func (k *Kit) ensurePermission(ctx context.Context, function, sid, principal, sourceARN string) error {
	lam := k.cl().lam
	pol, err := lam.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(function)})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("get policy of %s: %w", function, err)
	}
	if err == nil {
		var doc struct {
			Statement []struct {
				Sid       string
				Principal any
				Condition map[string]map[string]string
			}
		}
		if jerr := jsonUnmarshal(aws.ToString(pol.Policy), &doc); jerr == nil {
			for _, st := range doc.Statement {
				if st.Sid != sid {
					continue
				}
				if st.Condition["ArnLike"]["AWS:SourceArn"] == sourceARN && strings.Contains(fmt.Sprint(st.Principal), principal) {
					return nil
				}
				k.logf("  function %s: replace permission %s", function, sid)
				if _, err := lam.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(function), StatementId: aws.String(sid)}); err != nil && !isNotFound(err) {
					return fmt.Errorf("remove permission %s of %s: %w", sid, function, err)
				}
			}
		}
	}
	k.logf("  function %s: allow %s from %s", function, principal, sourceARN)
	err = retry(ctx, 30*time.Second, func(err error) bool { return errCode(err) == "TooManyRequestsException" }, func() error {
		_, err := lam.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String(function), StatementId: aws.String(sid),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(principal), SourceArn: aws.String(sourceARN)})
		return err
	})
	if err != nil && errCode(err) != "ResourceConflictException" {
		return fmt.Errorf("add permission to %s: %w", function, err)
	}
	return nil
}

// deleteFunction deletes the function; a missing one is not an error.
func (k *Kit) deleteFunction(ctx context.Context, name string) (bool, error) {
	_, err := k.cl().lam.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)})
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("delete function %s: %w", name, err)
	}
	return true, nil
}

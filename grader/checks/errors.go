package checks

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/labkit-dev/labkit/grader"
)

// notFoundCodes are the error codes services use for a missing resource.
var notFoundCodes = map[string]bool{
	"ResourceNotFoundException": true, "NotFoundException": true, "NoSuchEntity": true,
	"AWS.SimpleQueueService.NonExistentQueue": true, "QueueDoesNotExist": true, "NotFound": true,
}

// isNotFound reports whether err says the resource does not exist.
func isNotFound(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && notFoundCodes[ae.ErrorCode()]
}

// notInflight reports whether err says a message is no longer in flight:
// its visibility timeout ran out before the sweep put it back (a slow
// machine), so it is visible again already, which is what putting it back
// wanted.
func notInflight(err error) bool {
	var e *sqstypes.MessageNotInflight
	return errors.As(err, &e)
}

// undecided turns an error the grader got while looking into an Error
// outcome: throttling, network trouble and the grader's own missing
// permissions are never the learner's failure.
func undecided(what string, err error) grader.Outcome {
	var ae smithy.APIError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return grader.Errorf("%s: timed out", what)
	case errors.As(err, &ae) && strings.Contains(ae.ErrorCode(), "AccessDenied"):
		return grader.Errorf("%s: the grader is not allowed to (%s); check the grader's role has the policy from `lab policy`", what, ae.ErrorCode())
	case errors.As(err, &ae) && isThrottle(ae.ErrorCode()):
		return grader.Errorf("%s: AWS throttled the grader; try again in a moment", what)
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return grader.Errorf("%s: cannot reach the target: %v", what, err)
	}
	return grader.Errorf("%s: %v", what, err)
}

func isThrottle(code string) bool {
	_, ok := retry.DefaultThrottleErrorCodes[code]
	return ok
}

package monitoring

import (
	"fmt"
	"net/http"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// The errors CloudWatch's model declares: Code is the Smithy shape name the
// SDKs type errors by, QueryCode the awsQuery code (botocore's "error.code").

func invalidValue(format string, args ...any) error {
	return &protocol.Error{Code: "InvalidParameterValueException", QueryCode: "InvalidParameterValue", Message: fmt.Sprintf(format, args...)}
}

func missingParam(name string) error {
	return &protocol.Error{Code: "MissingRequiredParameterException", QueryCode: "MissingParameter",
		Message: fmt.Sprintf("The parameter %s is required.", name)}
}

func invalidCombination(format string, args ...any) error {
	return &protocol.Error{Code: "InvalidParameterCombinationException", QueryCode: "InvalidParameterCombination", Message: fmt.Sprintf(format, args...)}
}

func limitExceeded(format string, args ...any) error {
	return &protocol.Error{Code: "LimitExceededFault", QueryCode: "LimitExceeded", Message: fmt.Sprintf(format, args...)}
}

func alarmNotFound(format string, args ...any) error {
	return &protocol.Error{Code: "ResourceNotFound", QueryCode: "ResourceNotFound", Status: http.StatusNotFound, Message: fmt.Sprintf(format, args...)}
}

func resourceNotFound(format string, args ...any) error {
	return &protocol.Error{Code: "ResourceNotFoundException", QueryCode: "ResourceNotFoundException", Status: http.StatusNotFound, Message: fmt.Sprintf(format, args...)}
}

func dashboardNotFound(format string, args ...any) error {
	return &protocol.Error{Code: "DashboardNotFoundError", QueryCode: "ResourceNotFound", Status: http.StatusNotFound, Message: fmt.Sprintf(format, args...)}
}

func dashboardInvalid(format string, args ...any) error {
	return &protocol.Error{Code: "DashboardInvalidInputError", QueryCode: "InvalidParameterInput", Message: fmt.Sprintf(format, args...)}
}

func invalidFormat(format string, args ...any) error {
	return &protocol.Error{Code: "InvalidFormatFault", QueryCode: "InvalidFormat", Message: fmt.Sprintf(format, args...)}
}

func invalidNextToken() error {
	return &protocol.Error{Code: "InvalidNextToken", QueryCode: "InvalidNextToken", Message: "The service couldn't process the NextToken."}
}

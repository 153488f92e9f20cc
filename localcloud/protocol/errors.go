package protocol

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Error is an AWS API error: a code the SDKs map to a typed error, a message,
// and the HTTP status. Operations return *Error for anything the caller did
// wrong or asked for that does not exist; any other error is answered as an
// internal failure (500) and logged.
type Error struct {
	Code    string
	Message string
	// Status is the HTTP status; 0 means 400.
	Status int
	// QueryCode, when set, is the code the awsQuery protocol uses for the same
	// error (SQS: "AWS.SimpleQueueService.NonExistentQueue"). JSON responses send
	// it in X-Amzn-Query-Error so query-compatible SDKs keep their old codes.
	QueryCode string
	// Receiver marks a server-side fault (Type "Receiver" in query errors).
	Receiver bool
	// Fields are extra members of JSON error bodies (awsJson and restJson),
	// which SDKs read into the typed error: DynamoDB's Item or
	// CancellationReasons. They never replace the members the protocol
	// writes itself (__type, message and, for restJson, Message and Type).
	Fields map[string]any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// HTTPStatus returns the status to answer with.
func (e *Error) HTTPStatus() int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

// Errorf builds an *Error with status 400.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// StatusErrorf builds an *Error with the given HTTP status.
func StatusErrorf(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

// AsError returns err as an *Error; anything else becomes InternalFailure (500).
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return &Error{Code: "InternalFailure", Message: "the local cloud failed to process the request", Status: http.StatusInternalServerError, Receiver: true}, false
}

// ValidationMessage is the message AWS's request validation writes for
// the constraints a request broke, in order: "1 validation error
// detected: a" or "2 validation errors detected: a; b" (Coral's wording,
// the same in every service that validates against its model).
func ValidationMessage(broken []string) string {
	if len(broken) == 1 {
		return "1 validation error detected: " + broken[0]
	}
	return strconv.Itoa(len(broken)) + " validation errors detected: " + strings.Join(broken, "; ")
}

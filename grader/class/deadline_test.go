package class_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/class"
)

// TestDefaultDeadlineCoversEveryCheck: with no --deadline, a learner is
// given more than the longest check may take, so a week with lab 5's
// alarm-fires check (which waits for CloudWatch) is graded, not a grader
// error at a fixed two minutes.
func TestDefaultDeadlineCoversEveryCheck(t *testing.T) {
	assert.Equal(t, class.MinDeadline, class.DefaultDeadline(nil))
	assert.Equal(t, class.MinDeadline, class.DefaultDeadline([]*grader.Check{{}}), "a check without a timeout gets grader.DefaultTimeout")
	assert.Equal(t, 36*time.Minute, class.DefaultDeadline([]*grader.Check{{Timeout: time.Minute}, {Timeout: 35 * time.Minute}}))

	week := benchChecks(t, "all")
	assert.NotEmpty(t, week)
	d := class.DefaultDeadline(week)
	for _, c := range week {
		assert.Greater(t, d, c.Timeout, "%s/%s", c.Lab, c.ID)
	}
	lab2 := benchChecks(t, "lab2")
	assert.Less(t, class.DefaultDeadline(lab2), d, "labs without slow checks keep a short deadline")
}

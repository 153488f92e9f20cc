package conformance_test

import (
	"fmt"

	"github.com/labkit-dev/labkit/localcloud/conformance"
)

// A response checked against its operation's output shape: a key the
// shape does not have, a required member missing and a string where the
// model has an integer.
func ExampleModel_CheckJSON() {
	m, err := conformance.Parse([]byte(`{
		"metadata": {"protocol": "json"},
		"operations": {"GetQueue": {"output": {"shape": "GetQueueResult"}}},
		"shapes": {
			"GetQueueResult": {"type": "structure", "required": ["Name"], "members": {"Name": {"shape": "S"}, "Size": {"shape": "I"}}},
			"S": {"type": "string"},
			"I": {"type": "integer"}
		}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range m.CheckJSON("GetQueue", []byte(`{"Size":"3","Arn":"x"}`)) {
		fmt.Println(v)
	}
	// Output:
	// GetQueue.Arn: not a member of GetQueueResult: AWS never sends it
	// GetQueue.Size: string "3" where botocore has integer I
	// GetQueue: required member Name of GetQueueResult is missing
}

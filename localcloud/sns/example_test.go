package sns_test

import (
	"fmt"

	"github.com/labkit-dev/labkit/localcloud/protocol"
	"github.com/labkit-dev/labkit/localcloud/sns"
)

func ExampleCompileFilterPolicy() {
	p, err := sns.CompileFilterPolicy(`{"eventType":["order_placed"],"total":[{"numeric":[">=",100]}]}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.MatchAttributes(map[string]protocol.MessageAttributeValue{
		"eventType": {DataType: "String", StringValue: "order_placed"},
		"total":     {DataType: "Number", StringValue: "250"},
	}))
	fmt.Println(p.MatchBody([]byte(`{"eventType":"order_placed","total":20}`)))
	// Output:
	// true
	// false
}

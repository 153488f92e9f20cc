package logs_test

import (
	"fmt"

	"github.com/labkit-dev/labkit/localcloud/logs"
)

func ExampleCompilePattern() {
	p, err := logs.CompilePattern(`{ $.level = "ERROR" && $.latency > 100 }`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Match(`{"level":"ERROR","latency":250}`))
	fmt.Println(p.Match(`{"level":"INFO","latency":250}`))
	fmt.Println(p.Match(`ERROR latency 250`))
	// Output:
	// true
	// false
	// false
}

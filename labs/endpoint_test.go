package labs_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/labkit-dev/labkit/labs"
)

// TestLocalSetupExportsTheEndpoint: a lab's local cloud setup block that
// aliases aws to the local cloud also exports AWS_ENDPOINT_URL with the same
// address. The alias reaches only the AWS CLI: lab token, lab deploy and the
// checks read AWS_ENDPOINT_URL, so without it a learner whose local cloud
// runs on another address (the page shows it there, as 4566 may be taken)
// had the kit talk to 127.0.0.1:4566 (issue 11 item 6).
func TestLocalSetupExportsTheEndpoint(t *testing.T) {
	cat, err := labs.LoadCatalog(labs.Content)
	if err != nil {
		t.Fatal(err)
	}
	alias := regexp.MustCompile(`alias aws='aws --endpoint-url (\S+)'`)
	seen := 0
	for _, l := range cat.Labs {
		for _, b := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(l.Body), -1) {
			m := alias.FindStringSubmatch(b[1])
			if m == nil {
				continue
			}
			seen++
			if !strings.Contains(b[1], "AWS_ENDPOINT_URL="+m[1]) {
				t.Errorf("%s: the block that aliases aws to %s does not export AWS_ENDPOINT_URL=%s for lab's own commands:\n%s", l.Dir, m[1], m[1], b[1])
			}
		}
	}
	if seen == 0 {
		t.Error("no lab sets up the local cloud with an aws alias")
	}
}

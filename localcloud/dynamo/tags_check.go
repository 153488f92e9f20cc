package dynamo

import (
	"context"
	"encoding/json"
	"regexp"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

var (
	// anyResourceARN is the shape DynamoDB authorizes a tagging request
	// against (six colon-separated parts and a slash); others are denied.
	anyResourceARN = regexp.MustCompile(`^.+:.+:.+:.+:.+:.+/.+$`)
	// tableARN is a table's ARN with a name of at least three characters.
	tableARN = regexp.MustCompile(`^arn:` + protocol.PartitionPattern + `:dynamodb:.+:\d+:table/[^/]{2}[^/]+$`)
)

// checkTagRequest checks a TagResource, UntagResource or ListTagsOfResource
// request as DynamoDB does, instead of the model's constraints: no
// ResourceArn is "Invalid TableArn", one that is not shaped like an ARN is
// denied (AccessDeniedException), then the tags or keys must be given, the
// ARN must be a table's and the list not empty. Messages from a public
// conformance suite run against DynamoDB.
func checkTagRequest(ctx context.Context, op string, body []byte) error {
	var in struct {
		ResourceArn *string
		Tags        *[]json.RawMessage
		TagKeys     *[]json.RawMessage
	}
	json.Unmarshal(body, &in)
	if in.ResourceArn == nil {
		return validationf("Invalid TableArn")
	}
	arn := *in.ResourceArn
	if !anyResourceARN.MatchString(arn) {
		resource := arn
		if resource == "" {
			resource = "*"
		}
		id := protocol.IdentityFrom(ctx)
		return protocol.Errorf("AccessDeniedException", "User: %s is not authorized to perform: dynamodb:%s on resource: %s",
			protocol.RootARN(id.Region, id.AccountID), op, resource)
	}
	var list *[]json.RawMessage
	member, empty := "", ""
	switch op {
	case "TagResource":
		list, member, empty = in.Tags, "tags", "Atleast one Tag needs to be provided as Input."
	case "UntagResource":
		list, member, empty = in.TagKeys, "tagKeys", "Atleast one Tag Key needs to be provided as Input."
	}
	if member != "" && list == nil {
		return validationf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
	}
	if !tableARN.MatchString(arn) {
		return validationf("Invalid TableArn: Invalid ResourceArn provided as input %s", arn)
	}
	if member != "" && len(*list) == 0 {
		return validationf("%s", empty)
	}
	return nil
}

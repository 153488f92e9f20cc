package iam

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// The constraints of IAM's tagListType, tagKeyType and tagValueType
// (botocore's iam model): at most 50 tags, keys of 1 to 128 and values of
// at most 256 letters, spaces, digits and _.:/=+-@.
const (
	tagKeyPattern   = `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	tagValuePattern = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
)

var (
	tagKeyRE   = regexp.MustCompile(`^` + tagKeyPattern + `$`)
	tagValueRE = regexp.MustCompile(`^` + tagValuePattern + `$`)
)

// formTags reads Tags.member.N.Key/Value and checks them as IAM does: the
// list's length, then each key's and value's, then that no key repeats,
// keys being case-insensitive.
func formTags(form url.Values, prefix string) ([]tag, error) {
	var out []tag
	for _, m := range protocol.Members(form, prefix) {
		out = append(out, tag{Key: m["Key"], Value: m["Value"]})
	}
	if len(out) > maxTags {
		return nil, validation("1 validation error detected: Value '%s' at 'tags' failed to satisfy constraint: Member must have length less than or equal to %d.", tagsString(out), maxTags)
	}
	seen := map[string]bool{}
	for i, t := range out {
		at := fmt.Sprintf("tags.%d.member", i+1)
		if err := checkTagKey(t.Key, at+".key"); err != nil {
			return nil, err
		}
		switch {
		case len([]rune(t.Value)) > 256:
			return nil, validation("1 validation error detected: Value '%s' at '%s.value' failed to satisfy constraint: Member must have length less than or equal to 256.", t.Value, at)
		case !tagValueRE.MatchString(t.Value):
			return nil, validation("1 validation error detected: Value '%s' at '%s.value' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", t.Value, at, tagValuePattern)
		}
		k := strings.ToLower(t.Key)
		if seen[k] {
			return nil, invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return out, nil
}

// checkTagKey checks a tag key at the request member at.
func checkTagKey(k, at string) error {
	switch {
	case len([]rune(k)) > 128:
		return validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to 128.", k, at)
	case k == "":
		return validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to 1.", k, at)
	case !tagKeyRE.MatchString(k):
		return validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", k, at, tagKeyPattern)
	}
	return nil
}

// formTagKeys reads and checks the TagKeys parameter of an Untag*
// operation: at most 50 keys, each a tag key.
func formTagKeys(form url.Values) ([]string, error) {
	var keys []string
	for _, m := range protocol.Members(form, "TagKeys.member") {
		keys = append(keys, m[""])
	}
	if len(keys) > maxTags {
		return nil, validation("1 validation error detected: Value '[%s]' at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to %d.", strings.Join(keys, ", "), maxTags)
	}
	for i, k := range keys {
		if err := checkTagKey(k, fmt.Sprintf("tagKeys.%d.member", i+1)); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// tagsString renders tags as a validation message shows a list value.
func tagsString(tags []tag) string {
	parts := make([]string, len(tags))
	for i, t := range tags {
		parts[i] = "Tag(key=" + t.Key + ", value=" + t.Value + ")"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

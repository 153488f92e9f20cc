package s3

import (
	"net"
	"strings"
)

// validBucketName applies the general purpose bucket naming rules of the
// S3 user guide: 3 to 63 characters of lowercase letters, digits, dots and
// hyphens; a letter or digit first and last; no two adjacent dots; not an
// IP address; none of the prefixes and suffixes AWS reserves.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	if !alnum(name[0]) || !alnum(name[len(name)-1]) || strings.Contains(name, "..") {
		return false
	}
	if ip := net.ParseIP(name); ip != nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// maxKeyLen is S3's limit on an object key: 1,024 bytes of UTF-8.
const maxKeyLen = 1024

// bucketFromHost returns the bucket a virtual-host style request names:
// "photos" for Host photos.localhost:4566 or photos.s3.localhost, "" for
// localhost, s3.localhost or an address (path-style).
func bucketFromHost(hostport string) string {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	rest, ok := strings.CutSuffix(h, ".localhost")
	if !ok {
		return ""
	}
	rest = strings.TrimSuffix(rest, ".s3")
	if rest == "s3" {
		return ""
	}
	return rest
}

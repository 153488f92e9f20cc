package conformance

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
)

// checkHeaders checks the output members a rest protocol binds to single
// headers: a required one is present, a present one has its member's type
// (timestamps in the header default, rfc822) and enum.
func (m *Model) checkHeaders(op string, h http.Header) []Violation {
	o := m.Operations[op]
	if o.Output == nil {
		return nil
	}
	sh := m.Shapes[o.Output.Shape]
	var out []Violation
	bad := func(name, format string, args ...any) {
		out = append(out, Violation{op + " header " + name, fmt.Sprintf(format, args...)})
	}
	for _, name := range sortedMembers(sh) {
		ref := sh.Members[name]
		if ref.Location != "header" {
			continue
		}
		v, ok := h[http.CanonicalHeaderKey(ref.LocationName)]
		if !ok {
			for _, r := range sh.Required {
				if r == name {
					bad(ref.LocationName, "required member %s is missing", name)
				}
			}
			continue
		}
		s := v[0]
		ms := m.Shapes[ref.Shape]
		var err error
		switch ms.Type {
		case "integer", "long":
			_, err = strconv.ParseInt(s, 10, 64)
		case "double", "float":
			_, err = strconv.ParseFloat(s, 64)
		case "boolean":
			if s != "true" && s != "false" {
				bad(ref.LocationName, "%q where botocore has boolean %s", s, ref.Shape)
			}
		case "timestamp":
			f := ref.TimestampFormat
			if f == "" {
				f = ms.TimestampFormat
			}
			if f == "" {
				f = "rfc822"
			}
			if f == "unixTimestamp" {
				_, err = strconv.ParseFloat(s, 64)
			} else if p := badTimeText(s, f); p != "" {
				bad(ref.LocationName, "%s", p)
			}
		case "string":
			if !m.inEnum(ref.Shape, s) {
				bad(ref.LocationName, "%q is not one of %s's values %v", s, ref.Shape, ms.Enum)
			}
		}
		if err != nil {
			bad(ref.LocationName, "%q where botocore has %s %s", s, ms.Type, ref.Shape)
		}
	}
	return out
}

func sortedMembers(sh *Shape) []string {
	names := make([]string, 0, len(sh.Members))
	for n := range sh.Members {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

package conformance

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// node is an element of an XML body.
type node struct {
	name string
	kids []*node
	text string
}

func parseXML(body []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err != nil {
			if root != nil && len(stack) == 0 {
				return root, nil
			}
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tok)
			}
		}
	}
}

// CheckXML checks an XML response body of op against op's output shape:
// for the query protocol the body is <OpResponse><OpResult>...</OpResult>
// <ResponseMetadata/></OpResponse>; for rest-xml the root element holds the
// output's body members (or is its payload structure).
func (m *Model) CheckXML(op string, body []byte) []Violation {
	o, ok := m.Operations[op]
	if !ok {
		return []Violation{{op, "the operation is not in botocore's model"}}
	}
	c := xmlCheck{m: m}
	root, err := parseXML(body)
	if err != nil {
		return []Violation{{op, fmt.Sprintf("the body is not XML: %v: %.200s", err, body)}}
	}
	if m.Metadata.Protocol != "query" {
		if o.Output == nil {
			return nil
		}
		out := m.Shapes[o.Output.Shape]
		if out.Payload != "" {
			ref := out.Members[out.Payload]
			if m.Shapes[ref.Shape].Type == "structure" {
				c.value(ref, root, op)
			}
			return c.out
		}
		c.structure(o.Output.Shape, out, root, op)
		return c.out
	}
	if root.name != op+"Response" {
		c.bad(op, "the root element is <%s>, want <%sResponse>", root.name, op)
	}
	var result *node
	for _, k := range root.kids {
		switch {
		case k.name == "ResponseMetadata":
		case o.Output != nil && k.name == o.Output.ResultWrapper:
			result = k
		default:
			c.bad(op+"."+k.name, "element <%s> is not part of a %s response", k.name, op)
		}
	}
	if o.Output == nil {
		return c.out
	}
	if result == nil {
		result = &node{name: o.Output.ResultWrapper}
		if len(m.Shapes[o.Output.Shape].Required) > 0 {
			c.bad(op, "no <%s> element", o.Output.ResultWrapper)
		}
	}
	c.structure(o.Output.Shape, m.Shapes[o.Output.Shape], result, op)
	return c.out
}

type xmlCheck struct {
	m   *Model
	out []Violation
}

func (c *xmlCheck) bad(path, format string, args ...any) {
	c.out = append(c.out, Violation{path, fmt.Sprintf(format, args...)})
}

func (c *xmlCheck) flattened(ref *Ref) bool {
	return ref.Flattened || c.m.Shapes[ref.Shape].Flattened
}

// elementName is the name of a member's element(s) in its structure, as
// botocore's parser finds it: a flattened list repeats its element name.
func (c *xmlCheck) elementName(member string, ref *Ref) string {
	sh := c.m.Shapes[ref.Shape]
	if sh.Type == "list" && c.flattened(ref) && sh.Member.LocationName != "" {
		return sh.Member.LocationName
	}
	if ref.LocationName != "" {
		return ref.LocationName
	}
	return member
}

func (c *xmlCheck) structure(name string, sh *Shape, n *node, path string) {
	byName := map[string]string{}
	for mem, ref := range sh.Members {
		if ref.Location == "" && !ref.XMLAttribute {
			byName[c.elementName(mem, ref)] = mem
		}
	}
	seen := map[string][]*node{}
	var order []string
	for _, k := range n.kids {
		if _, ok := byName[k.name]; !ok {
			if !c.m.newer(name, k.name) {
				c.bad(path+"."+k.name, "element <%s> is not a member of %s: AWS never sends it", k.name, name)
			}
			continue
		}
		if seen[k.name] == nil {
			order = append(order, k.name)
		}
		seen[k.name] = append(seen[k.name], k)
	}
	for _, el := range order {
		ref := sh.Members[byName[el]]
		kids := seen[el]
		p := path + "." + el
		switch t := c.m.Shapes[ref.Shape].Type; {
		case (t == "list" || t == "map") && c.flattened(ref):
			for i, k := range kids {
				c.flatItem(ref, k, fmt.Sprintf("%s[%d]", p, i))
			}
		case len(kids) > 1:
			c.bad(p, "%d <%s> elements where %s has one", len(kids), el, name)
		default:
			c.value(ref, kids[0], p)
		}
	}
	for _, r := range sh.Required {
		ref, ok := sh.Members[r]
		if !ok || ref.Location != "" || ref.XMLAttribute {
			continue
		}
		if t := c.m.Shapes[ref.Shape].Type; (t == "list" || t == "map") && c.flattened(ref) {
			continue // an empty flattened list or map has no element at all
		}
		if el := c.elementName(r, ref); seen[el] == nil {
			c.bad(path, "required member <%s> of %s is missing", el, name)
		}
	}
	if sh.Union && len(seen) != 1 {
		c.bad(path, "%d members of union %s are set, want exactly one", len(seen), name)
	}
}

// flatItem checks one element of a flattened list or map.
func (c *xmlCheck) flatItem(ref *Ref, n *node, path string) {
	sh := c.m.Shapes[ref.Shape]
	if sh.Type == "list" {
		c.value(sh.Member, n, path)
		return
	}
	c.entry(sh, n, path)
}

// entry checks a map entry: a key element and a value element.
func (c *xmlCheck) entry(sh *Shape, n *node, path string) {
	kn, vn := "key", "value"
	if sh.Key.LocationName != "" {
		kn = sh.Key.LocationName
	}
	if sh.Value.LocationName != "" {
		vn = sh.Value.LocationName
	}
	var key, val *node
	for _, k := range n.kids {
		switch k.name {
		case kn:
			key = k
		case vn:
			val = k
		default:
			c.bad(path+"."+k.name, "element <%s> in a map entry, which has <%s> and <%s>", k.name, kn, vn)
		}
	}
	if key == nil || val == nil {
		c.bad(path, "a map entry without <%s> or <%s>", kn, vn)
		return
	}
	c.value(sh.Key, key, path+"."+kn)
	c.value(sh.Value, val, path+"["+strings.TrimSpace(key.text)+"]")
}

func (c *xmlCheck) value(ref *Ref, n *node, path string) {
	sh := c.m.Shapes[ref.Shape]
	switch sh.Type {
	case "structure":
		c.structure(ref.Shape, sh, n, path)
		return
	case "list":
		item := "member"
		if sh.Member.LocationName != "" {
			item = sh.Member.LocationName
		}
		for i, k := range n.kids {
			if k.name != item {
				c.bad(fmt.Sprintf("%s[%d]", path, i), "element <%s> in list %s, whose items are <%s>", k.name, ref.Shape, item)
				continue
			}
			c.value(sh.Member, k, fmt.Sprintf("%s[%d]", path, i))
		}
		return
	case "map":
		for i, k := range n.kids {
			if k.name != "entry" {
				c.bad(fmt.Sprintf("%s[%d]", path, i), "element <%s> in map %s, whose items are <entry>", k.name, ref.Shape)
				continue
			}
			c.entry(sh, k, path)
		}
		return
	}
	if len(n.kids) > 0 {
		c.bad(path, "child elements where botocore has %s %s", sh.Type, ref.Shape)
		return
	}
	s := n.text
	var err error
	switch sh.Type {
	case "string":
		if !c.m.inEnum(ref.Shape, s) {
			c.bad(path, "%q is not one of %s's values %v", s, ref.Shape, sh.Enum)
		}
	case "blob":
		_, err = base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	case "boolean":
		if s != "true" && s != "false" {
			c.bad(path, "%q where botocore has boolean %s (true or false)", s, ref.Shape)
		}
	case "integer", "long":
		_, err = strconv.ParseInt(s, 10, 64)
	case "double", "float":
		_, err = strconv.ParseFloat(s, 64)
	case "timestamp":
		f := c.m.timestampFormat(ref, sh, true)
		if f == "unixTimestamp" {
			_, err = strconv.ParseFloat(s, 64)
		} else if problem := badTimeText(s, f); problem != "" {
			c.bad(path, "%s", problem)
		}
	}
	if err != nil {
		c.bad(path, "%q where botocore has %s %s", s, sh.Type, ref.Shape)
	}
}

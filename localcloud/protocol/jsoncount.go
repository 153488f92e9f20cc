package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
)

// CountOver reports whether the JSON body holds more than limit elements at
// path, counting on the raw bytes with a streaming decoder that stops at
// the first element over the limit: a request over an AWS element limit
// (100 keys, 10 entries) is refused before its elements are decoded, so a
// 10 MB body of 400,000 of them costs no more than its bytes.
//
// path names object members from the top; "*" is every member of an
// object. The value at the end of the path is counted: an array's elements
// or an object's members, summed over every "*". A body that does not have
// this shape is not over: the full decode reports what is wrong with it.
func CountOver(body []byte, limit int, path ...string) bool {
	c := &counter{dec: json.NewDecoder(bytes.NewReader(body)), limit: limit}
	return errors.Is(c.walk(path), errOverLimit)
}

// Count is the number of elements at path (member names, no "*") that
// CountOver compares with its limit: it finds the value with the streaming
// decoder, then counts its elements by scanning the raw bytes, so naming
// how many a request sent costs about a byte compare each (for SQS's "You
// have sent 11."). A body without that shape counts 0.
func Count(body []byte, path ...string) int {
	if len(path) == 0 {
		return countRaw(body)
	}
	c := &counter{dec: json.NewDecoder(bytes.NewReader(body))}
	at := -1
	var find func(path []string) error
	find = func(path []string) error {
		return c.members(func(name string) error {
			switch {
			case name != path[0]:
				return c.skip()
			case len(path) > 1:
				return find(path[1:])
			}
			at = int(c.dec.InputOffset())
			return errFound
		})
	}
	if find(path); at < 0 {
		return 0
	}
	return countRaw(body[at:])
}

// countRaw counts the elements or members of the array or object that b
// starts with, after any white space and the colon of its member.
func countRaw(b []byte) int {
	i := 0
	for i < len(b) && bytes.IndexByte([]byte(" \t\r\n:"), b[i]) >= 0 {
		i++
	}
	if i == len(b) || (b[i] != '[' && b[i] != '{') {
		return 0
	}
	n, depth, inString, escaped, empty := 0, 0, false, false, true
	for ; i < len(b); i++ {
		ch := b[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case ch == '\\':
				escaped = true
			case ch == '"':
				inString = false
			}
			continue
		}
		switch ch {
		case ' ', '\t', '\r', '\n':
			continue
		case ',':
			if depth == 1 {
				n++
			}
			continue
		case ']', '}':
			if depth--; depth == 0 {
				if !empty {
					n++
				}
				return n
			}
			continue
		case '"':
			inString = true
		}
		if depth == 1 {
			empty = false
		}
		if ch == '[' || ch == '{' {
			depth++
		}
	}
	return 0
}

var (
	errOverLimit = errors.New("over the limit")
	errShape     = errors.New("unexpected JSON")
	errFound     = errors.New("found")
)

type counter struct {
	dec   *json.Decoder
	limit int
	n     int
}

// walk consumes one value, following path into it.
func (c *counter) walk(path []string) error {
	if len(path) == 0 {
		return c.count()
	}
	return c.members(func(name string) error {
		if path[0] == "*" || name == path[0] {
			return c.walk(path[1:])
		}
		return c.skip()
	})
}

// count consumes an array or object, counting its elements or members.
func (c *counter) count() error {
	tok, err := c.dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok || (d != '[' && d != '{') {
		return errShape
	}
	for c.dec.More() {
		if c.n++; c.n > c.limit {
			return errOverLimit
		}
		if d == '{' {
			if _, err := c.dec.Token(); err != nil { // the member's name
				return err
			}
		}
		if err := c.skip(); err != nil {
			return err
		}
	}
	_, err = c.dec.Token()
	return err
}

// members consumes an object, calling fn for each member, which must
// consume the member's value.
func (c *counter) members(fn func(name string) error) error {
	tok, err := c.dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errShape
	}
	for c.dec.More() {
		tok, err := c.dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		if err := fn(name); err != nil {
			return err
		}
	}
	_, err = c.dec.Token()
	return err
}

func (c *counter) skip() error {
	var v json.RawMessage
	return c.dec.Decode(&v)
}

package iam

import (
	"strconv"
	"strings"
)

// isPolicyDate reports whether a Date condition operator can read v: a
// number of seconds since the epoch that fits in 64 bits, or an ISO 8601
// date with optional time and offset, read as IAM's policy engine reads it
// (fields of variable width, 't' in either case, up to nine fractional
// digits, a two-digit offset hour, years -292275054 to 292278993).
func isPolicyDate(v string) bool {
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return true
	}
	s := &dateScanner{s: v}
	s.sign()
	year, ok := s.number(1, 9)
	if !ok || year < 0 || s.negative && -year < -292275054 || !s.negative && year > 292278993 {
		return false
	}
	if s.accept("-") {
		if m, ok := s.number(1, 2); !ok || m < 1 || m > 12 {
			return false
		}
		if s.accept("-") {
			if d, ok := s.number(1, 2); !ok || d < 1 || d > 31 {
				return false
			}
		}
	}
	if s.accept("Tt") {
		if !s.time() {
			return false
		}
	}
	return s.done()
}

// dateScanner reads a date left to right.
type dateScanner struct {
	s        string
	i        int
	negative bool
}

func (d *dateScanner) done() bool { return d.i == len(d.s) }

func (d *dateScanner) sign() {
	if d.accept("-") {
		d.negative = true
	} else {
		d.accept("+")
	}
}

// accept consumes the next character if it is one of chars.
func (d *dateScanner) accept(chars string) bool {
	if d.i < len(d.s) && strings.IndexByte(chars, d.s[d.i]) >= 0 {
		d.i++
		return true
	}
	return false
}

// number reads min to max decimal digits.
func (d *dateScanner) number(min, max int) (int, bool) {
	start := d.i
	for d.i < len(d.s) && d.i-start < max && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		d.i++
	}
	if d.i-start < min {
		return 0, false
	}
	n, err := strconv.Atoi(d.s[start:d.i])
	return n, err == nil
}

// time reads what may follow the T: [hh[:mm[:ss[.fraction]]]][offset].
func (d *dateScanner) time() bool {
	if d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		if h, ok := d.number(1, 2); !ok || h > 23 {
			return false
		}
		for _, limit := range []int{59, 59} {
			if !d.accept(":") {
				break
			}
			if n, ok := d.number(1, 2); !ok || n > limit {
				return false
			}
		}
		if d.accept(".,") {
			if _, ok := d.number(1, 9); !ok {
				return false
			}
		}
	}
	return d.offset()
}

// offset reads an optional Z or ±hh[[:]mm].
func (d *dateScanner) offset() bool {
	if d.done() || d.accept("Zz") {
		return true
	}
	if !d.accept("+-") {
		return false
	}
	if h, ok := d.number(2, 2); !ok || h > 23 {
		return false
	}
	if d.done() {
		return true
	}
	d.accept(":")
	m, ok := d.number(2, 2)
	return ok && m <= 59
}

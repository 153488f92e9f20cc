package attr

import (
	"fmt"
	"math/big"
	"strings"
)

// Limits of DynamoDB numbers.
const (
	maxDigits = 38
	maxSciExp = 125  // 9.9999999999999999999999999999999999999E+125
	minSciExp = -130 // 1E-130
)

// Messages DynamoDB answers for bad numbers.
const (
	msgNotNumber = "The parameter cannot be converted to a numeric value"
	msgDigits    = "Attempting to store more than 38 significant digits in a Number"
	msgOverflow  = "Number overflow. Attempting to store a number with magnitude larger than supported range"
	msgUnderflow = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
)

// decimal is a parsed number: 0.digits × 10^exp, with digits free of leading
// and trailing zeros. Zero has no digits.
type decimal struct {
	neg    bool
	digits string
	exp    int
}

func (d decimal) isZero() bool { return d.digits == "" }

// sciExp is the exponent of d in scientific notation (d.ddd × 10^sciExp).
func (d decimal) sciExp() int { return d.exp - 1 }

// parseDecimal parses the number grammar DynamoDB accepts (Java BigDecimal's):
// an optional sign, digits with at most one '.', at least one digit, and an
// optional exponent. It does not check DynamoDB's range and precision.
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		d.neg = s[i] == '-'
		i++
	}
	var mant []byte
	intDigits, seenDot, nDigits := 0, false, 0
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			nDigits++
			if c == '0' && len(mant) == 0 {
				// leading zero: shifts nothing before the point, one place after it
				if seenDot {
					intDigits--
				}
				continue
			}
			mant = append(mant, c)
			if !seenDot {
				intDigits++
			}
			continue
		case c == '.' && !seenDot:
			seenDot = true
			continue
		}
		break
	}
	if nDigits == 0 {
		return decimal{}, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			eneg = s[i] == '-'
			i++
		}
		start := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if exp < 1e8 {
				exp = exp*10 + int(s[i]-'0')
			}
		}
		if i == start {
			return decimal{}, false
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return decimal{}, false
	}
	m := strings.TrimRight(string(mant), "0")
	if m == "" {
		return decimal{}, true // zero, whatever its sign
	}
	d.digits = m
	d.exp = intDigits + exp
	return d, true
}

// NumberError is a number DynamoDB cannot read or store, its message
// DynamoDB's; errors of parsing one wrap it (and ErrInvalid), so callers
// tell it with errors.As.
type NumberError string

func (e NumberError) Error() string { return string(e) }

// parseNumber parses s and checks it against DynamoDB's limits.
func parseNumber(s string) (decimal, error) {
	d, ok := parseDecimal(s)
	if !ok {
		if s == "" {
			return d, fmt.Errorf("%w: %w", ErrInvalid, NumberError(msgNotNumber))
		}
		return d, fmt.Errorf("%w: %w: %s", ErrInvalid, NumberError(msgNotNumber), s)
	}
	return d, d.check()
}

func (d decimal) check() error {
	if d.isZero() {
		return nil
	}
	if d.sciExp() > maxSciExp {
		return fmt.Errorf("%w: %w", ErrInvalid, NumberError(msgOverflow))
	}
	if d.sciExp() < minSciExp {
		return fmt.Errorf("%w: %w", ErrInvalid, NumberError(msgUnderflow))
	}
	if len(d.digits) > maxDigits {
		return fmt.Errorf("%w: %w", ErrInvalid, NumberError(msgDigits))
	}
	return nil
}

// String formats d in plain notation, as DynamoDB returns numbers.
func (d decimal) String() string {
	if d.isZero() {
		return "0"
	}
	var b strings.Builder
	if d.neg {
		b.WriteByte('-')
	}
	switch {
	case d.exp <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -d.exp))
		b.WriteString(d.digits)
	case d.exp >= len(d.digits):
		b.WriteString(d.digits)
		b.WriteString(strings.Repeat("0", d.exp-len(d.digits)))
	default:
		b.WriteString(d.digits[:d.exp])
		b.WriteByte('.')
		b.WriteString(d.digits[d.exp:])
	}
	return b.String()
}

// cmpDecimal compares two decimals exactly.
func cmpDecimal(a, b decimal) int {
	sa, sb := a.sign(), b.sign()
	if sa != sb {
		if sa < sb {
			return -1
		}
		return 1
	}
	if sa == 0 {
		return 0
	}
	c := cmpMagnitude(a, b)
	if sa < 0 {
		return -c
	}
	return c
}

func (d decimal) sign() int {
	switch {
	case d.isZero():
		return 0
	case d.neg:
		return -1
	}
	return 1
}

func cmpMagnitude(a, b decimal) int {
	if a.exp != b.exp {
		if a.exp < b.exp {
			return -1
		}
		return 1
	}
	return strings.Compare(a.digits, b.digits)
}

// CanonicalNumber returns s in the normalised form DynamoDB answers with
// ("1.50" -> "1.5", "0010" -> "10", "1e2" -> "100", "-0" -> "0"). It fails,
// wrapping ErrInvalid with DynamoDB's message, if s is not a valid DynamoDB
// number (syntax, 38 significant digits, magnitude 1E-130 to 9.99..E+125).
func CanonicalNumber(s string) (string, error) {
	d, err := parseNumber(s)
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// CompareNumbers compares two numbers exactly, returning -1, 0 or +1.
// Strings that are not numbers sort after all numbers, bytewise among
// themselves.
func CompareNumbers(a, b string) int {
	da, oka := parseDecimal(a)
	db, okb := parseDecimal(b)
	switch {
	case oka && okb:
		return cmpDecimal(da, db)
	case oka:
		return -1
	case okb:
		return 1
	}
	return strings.Compare(a, b)
}

// AddNumbers returns a+b exactly, in canonical form. Both operands and the
// result must be valid DynamoDB numbers; errors wrap ErrInvalid.
func AddNumbers(a, b string) (string, error) { return arith(a, b, false) }

// SubNumbers returns a-b exactly, in canonical form, like AddNumbers.
func SubNumbers(a, b string) (string, error) { return arith(a, b, true) }

func arith(a, b string, sub bool) (string, error) {
	da, err := parseNumber(a)
	if err != nil {
		return "", err
	}
	db, err := parseNumber(b)
	if err != nil {
		return "", err
	}
	if sub {
		db.neg = !db.neg
	}
	if da.isZero() {
		db.neg = db.neg && !db.isZero()
		return db.String(), nil
	}
	if db.isZero() {
		return da.String(), nil
	}
	// value = int(digits) × 10^(exp-len(digits)); align on the smaller scale.
	ia, sa := da.scaled()
	ib, sb := db.scaled()
	scale := min(sa, sb)
	ia.Mul(ia, pow10(sa-scale))
	ib.Mul(ib, pow10(sb-scale))
	sum := new(big.Int).Add(ia, ib)
	r := fromScaled(sum, scale)
	if err := r.check(); err != nil {
		return "", err
	}
	return r.String(), nil
}

func (d decimal) scaled() (*big.Int, int) {
	i, _ := new(big.Int).SetString(d.digits, 10)
	if d.neg {
		i.Neg(i)
	}
	return i, d.exp - len(d.digits)
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

func fromScaled(i *big.Int, scale int) decimal {
	if i.Sign() == 0 {
		return decimal{}
	}
	s := i.String()
	var d decimal
	if s[0] == '-' {
		d.neg = true
		s = s[1:]
	}
	d.exp = len(s) + scale
	d.digits = strings.TrimRight(s, "0")
	return d
}

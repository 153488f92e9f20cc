package attr

import "fmt"

// CanonicalNumber returns s in the normalised form DynamoDB answers with
// ("1.50" -> "1.5", "0010" -> "10", "1e2" -> "100", "-0" -> "0"). It fails,
// wrapping ErrInvalid, if s is not a valid DynamoDB number.
func CanonicalNumber(s string) (string, error) {
	return "", fmt.Errorf("%w: not implemented", ErrInvalid)
}

// CompareNumbers compares two numbers exactly, returning -1, 0 or +1.
// Invalid numbers compare as zero.
func CompareNumbers(a, b string) int { return 0 }

// AddNumbers returns a+b exactly, in canonical form; the result must fit
// DynamoDB's 38 significant digits and exponent range.
func AddNumbers(a, b string) (string, error) {
	return "", fmt.Errorf("%w: not implemented", ErrInvalid)
}

// SubNumbers returns a-b exactly, in canonical form.
func SubNumbers(a, b string) (string, error) {
	return "", fmt.Errorf("%w: not implemented", ErrInvalid)
}

package attr

// Validate checks v recursively against DynamoDB's rules. Errors wrap ErrInvalid.
func Validate(v Value) error { return nil }

// Equal reports whether a and b are equal under DynamoDB's semantics.
func Equal(a, b Value) bool { return false }

// Compare orders two values of the same scalar kind (S, N or B).
func Compare(a, b Value) (int, bool) { return 0, false }

// KeyBytes returns an order-preserving encoding of a key value of kind S, N or B.
func KeyBytes(v Value) []byte { return nil }

// Size returns v's size in bytes as DynamoDB counts it.
func Size(v Value) int { return 0 }

// ItemSize returns the size of an item: attribute names plus values.
func ItemSize(it Item) int { return 0 }

// Clone returns a deep copy of v.
func Clone(v Value) Value { return v }

// ValidateKey checks v as the value of key attribute name: a valid S, N or B,
// and not empty. Errors wrap ErrInvalid.
func ValidateKey(name string, v Value) error { return nil }

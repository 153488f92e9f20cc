package wire

//go:generate go run ./internal/gen -model /usr/lib/python3/dist-packages/botocore/data/dynamodb/2012-08-10/service-2.json -o shapes_gen.go

// kind is a botocore shape type.
type kind uint8

const (
	kString kind = iota
	kBoolean
	kInteger
	kLong
	kDouble
	kBlob
	kTimestamp
	kList
	kMap
	kStruct
)

// shape is one shape of the model: its type, its members (structures, in
// the model's order) or element (lists; map values), and its constraints.
type shape struct {
	name           string
	kind           kind
	elem           int
	min, max       int64
	hasMin, hasMax bool
	pattern        string
	enum           []string
	members        []member
}

type member struct {
	name     string
	shape    int
	required bool
}

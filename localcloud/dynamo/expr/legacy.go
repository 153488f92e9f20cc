package expr

// legacyOps maps the ComparisonOperators of a Query's KeyConditions (the
// legacy parameter) to the operators of a key condition expression.
var legacyOps = map[string]string{
	"EQ": "=", "LT": "<", "LE": "<=", "GT": ">", "GE": ">=",
	"BETWEEN": "BETWEEN", "BEGINS_WITH": "begins_with",
}

// indexable reports whether a key condition's operator can use an index.
// Indexable reports whether an index can serve r's operator.
func (r RangeCondition) Indexable() bool { return indexable(r.Op) }

func indexable(op string) bool {
	switch op {
	case "=", "<", "<=", ">", ">=", "BETWEEN", "begins_with":
		return true
	}
	return false
}

// LegacyKeyCondition is the KeyCondition of a Query's KeyConditions
// parameter: conds holds, in the request's order, each attribute's
// ComparisonOperator (EQ, LT, ..., as the request names it) and its
// values, whose number and types the caller has already checked.
// Operators no index can serve (NE, IN, NULL, NOT_NULL, CONTAINS,
// NOT_CONTAINS) are kept so that ForSchema answers DynamoDB's "Attempted
// conditional constraint is not an indexable operation" once the key
// schema is known, after the checks DynamoDB makes first.
func LegacyKeyCondition(conds []RangeCondition) KeyCondition {
	kc := KeyCondition{conds: make([]RangeCondition, 0, len(conds))}
	for _, c := range conds {
		if op, ok := legacyOps[c.Op]; ok {
			c.Op = op
		}
		kc.conds = append(kc.conds, c)
		if kc.HashName == "" && c.Op == "=" {
			kc.HashName, kc.Hash = c.Name, c.Values[0]
			continue
		}
		rc := c
		kc.Range = &rc
	}
	return kc
}

// ValidPlaceholder reports whether k is a well-formed placeholder: lead ('#'
// for names, ':' for values) and one or more letters, digits or '_'.
func ValidPlaceholder(k string, lead byte) bool { return validPlaceholder(k, lead) }

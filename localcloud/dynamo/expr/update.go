package expr

import (
	"slices"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

type actionKind uint8

const (
	aSet actionKind = iota
	aRemove
	aAdd
	aDelete
)

var clauseNames = [...]string{aSet: "SET", aRemove: "REMOVE", aAdd: "ADD", aDelete: "DELETE"}

// action is one action of an update: SET path = val, REMOVE path,
// ADD path val, DELETE path val.
type action struct {
	kind actionKind
	path docPath
	val  *node
}

// Update is a parsed UpdateExpression. It is immutable and safe for
// concurrent use.
type Update struct {
	actions []action
	usage
}

// ParseUpdate parses an UpdateExpression: SET (with + and -, parentheses,
// if_not_exists and list_append), REMOVE, ADD and DELETE clauses, in any
// order, each at most once. It reports the errors that do not depend on the
// request's placeholders: syntax, unknown or misplaced functions, reserved
// words, repeated clauses.
func ParseUpdate(s string) (*Update, error) {
	p, err := newParser(kindUpdate, s)
	if err != nil {
		return nil, err
	}
	u := &Update{}
	var seen [len(clauseNames)]bool
	dup := ""
	for {
		t := p.peek()
		if t.kind == tEOF && len(u.actions) > 0 {
			break
		}
		kind := -1
		for k, name := range clauseNames {
			if isKeyword(t, name) {
				kind = k
			}
		}
		if kind < 0 {
			return nil, p.syntaxErr()
		}
		if seen[kind] && dup == "" {
			dup = clauseNames[kind]
		}
		seen[kind] = true
		p.next()
		for {
			a, err := p.parseAction(actionKind(kind))
			if err != nil {
				return nil, err
			}
			u.actions = append(u.actions, a)
			if p.peek().kind != tComma {
				break
			}
			p.next()
		}
	}
	for _, a := range u.actions {
		if a.kind == aSet {
			if err := checkFuncNames(kindUpdate, a.val); err != nil {
				return nil, err
			}
		}
	}
	for _, a := range u.actions {
		if a.kind == aSet {
			if err := checkUpdateContext(kindUpdate, a.val); err != nil {
				return nil, err
			}
		}
	}
	for _, a := range u.actions {
		if err := checkReservedPath(kindUpdate, a.path); err != nil {
			return nil, err
		}
		if a.val != nil {
			if err := checkReserved(kindUpdate, a.val); err != nil {
				return nil, err
			}
		}
	}
	if dup != "" {
		return nil, invalidf(kindUpdate, "The \"%s\" section can only be used once in an update expression;", dup)
	}
	u.usage = p.usage
	return u, nil
}

func (p *parser) parseAction(kind actionKind) (action, error) {
	path, err := p.parsePath()
	if err != nil {
		return action{}, err
	}
	a := action{kind: kind, path: path}
	switch kind {
	case aSet:
		if err := p.expect(tEq); err != nil {
			return action{}, err
		}
		if a.val, err = p.parseSetValue(); err != nil {
			return action{}, err
		}
	case aAdd, aDelete:
		if p.peek().kind != tValue {
			return action{}, p.syntaxErr()
		}
		if a.val, err = p.parseAtom(); err != nil {
			return action{}, err
		}
	}
	return a, nil
}

// parseSetValue parses operand [('+' | '-') operand], where an operand may
// also be a parenthesized value: SET a = b - (c + :d).
func (p *parser) parseSetValue() (*node, error) {
	l, err := p.parseSetOperand()
	if err != nil {
		return nil, err
	}
	var kind nodeKind
	switch p.peek().kind {
	case tPlus:
		kind = nPlus
	case tMinus:
		kind = nMinus
	default:
		return l, nil
	}
	p.next()
	if err := p.countOperator(); err != nil {
		return nil, err
	}
	r, err := p.parseSetOperand()
	if err != nil {
		return nil, err
	}
	return &node{kind: kind, args: []*node{l, r}}, nil
}

func (p *parser) parseSetOperand() (*node, error) {
	if p.peek().kind != tLParen {
		return p.parseAtom()
	}
	p.next()
	v, err := p.parseSetValue()
	if err != nil {
		return nil, err
	}
	if err := p.expect(tRParen); err != nil {
		return nil, err
	}
	return &node{kind: nParen, args: []*node{v}}, nil
}

// NamesUsed returns the #name placeholders u uses.
func (u *Update) NamesUsed() []string { return u.usage.names }

// ValuesUsed returns the :value placeholders u uses.
func (u *Update) ValuesUsed() []string { return u.usage.values }

func (u *Update) exprKind() string { return kindUpdate }

// typeNames are the type names of ADD and DELETE operand errors.
var typeNames = map[attr.Kind]string{
	attr.S: "STRING", attr.N: "NUMBER", attr.B: "BINARY", attr.BOOL: "BOOLEAN", attr.NULL: "NULL",
	attr.M: "MAP", attr.L: "LIST", attr.SS: "STRING_SET", attr.NS: "NUMBER_SET", attr.BS: "BINARY_SET",
}

func isSet(k attr.Kind) bool { return k == attr.SS || k == attr.NS || k == attr.BS }

// Check validates u against names and values without an item: undefined
// placeholders, overlapping or conflicting paths, ADD and DELETE operand
// types, operand counts and types in SET values. Apply performs the same
// checks; Check lets a caller report them before it evaluates a
// ConditionExpression, as DynamoDB does.
func (u *Update) Check(names Names, values Values) error {
	_, err := u.check(&env{kind: kindUpdate, names: names, values: values})
	return err
}

// check performs Check and returns the actions' resolved paths.
func (u *Update) check(e *env) ([]docPath, error) {
	paths := make([]docPath, len(u.actions))
	for i, a := range u.actions {
		var err error
		if paths[i], err = e.resolve(a.path); err != nil {
			return nil, err
		}
	}
	if err := checkOverlap(kindUpdate, paths); err != nil {
		return nil, err
	}
	for _, a := range u.actions {
		if a.kind != aAdd && a.kind != aDelete {
			continue
		}
		v, err := e.value(a.val.value)
		if err != nil {
			return nil, err
		}
		if v.Kind == attr.N && a.kind == aAdd || isSet(v.Kind) {
			continue
		}
		op, set := "ADD", "ALLOWED_FOR_ADD_OPERAND"
		if a.kind == aDelete {
			op, set = "DELETE", "ALLOWED_FOR_DELETE_OPERAND"
		}
		return nil, invalidf(kindUpdate, "Incorrect operand type for operator or function; operator: %s, operand type: %s, typeSet: %s", op, typeNames[v.Kind], set)
	}
	for _, a := range u.actions {
		if a.kind == aSet {
			if err := e.validate(a.val); err != nil {
				return nil, err
			}
		}
	}
	return paths, nil
}

// Apply applies u to item and returns the new item and the top-level
// attribute names the update touched, in order of first mention. item is
// never modified (a nil item is an absent one: the update creates it). All
// operands are read from the original item, as DynamoDB does. Errors are
// *Error with DynamoDB's messages: those of Check, then, action by action,
// paths through missing or mistyped parents, operands missing from the
// item or of the wrong type.
func (u *Update) Apply(item attr.Item, names Names, values Values) (attr.Item, []string, error) {
	e := &env{kind: kindUpdate, item: item, names: names, values: values}
	paths, err := u.check(e)
	if err != nil {
		return nil, nil, err
	}

	// Check every target and evaluate every SET value against the
	// original item first.
	setVals := make([]attr.Value, len(u.actions))
	for i, a := range u.actions {
		if !targetValid(item, paths[i]) {
			return nil, nil, &Error{Msg: msgInvalidPath}
		}
		if a.kind == aSet {
			v, err := e.updateValue(a.val)
			if err != nil {
				return nil, nil, err
			}
			setVals[i] = v
		}
	}

	out := attr.CloneItem(item)
	if out == nil {
		out = attr.Item{}
	}
	// SET, REMOVE, ADD, DELETE; within one list, SET and ADD write in
	// ascending index order, REMOVE deletes in descending order.
	for _, kind := range []actionKind{aSet, aRemove, aAdd, aDelete} {
		var order []int
		for i, a := range u.actions {
			if a.kind == kind {
				order = append(order, i)
			}
		}
		slices.SortStableFunc(order, func(i, j int) int {
			return comparePaths(paths[i], paths[j], kind == aRemove)
		})
		for _, i := range order {
			var err error
			switch kind {
			case aSet:
				err = setAt(out, paths[i], attr.Clone(setVals[i]))
			case aRemove:
				err = removeAt(out, paths[i])
			case aAdd:
				err = addAt(out, paths[i], values[u.actions[i].val.value])
			case aDelete:
				err = deleteAt(out, paths[i], values[u.actions[i].val.value])
			}
			if err != nil {
				return nil, nil, err
			}
		}
	}
	var updated []string
	for _, p := range paths {
		if !slices.Contains(updated, p[0].name) {
			updated = append(updated, p[0].name)
		}
	}
	return out, updated, nil
}

// Touched returns the parts of item at the paths u writes, nested as in
// item: what UpdateItem returns for ReturnValues UPDATED_OLD (given the old
// item) and UPDATED_NEW (given the new one). Paths whose #placeholders are
// not in names are skipped.
func (u *Update) Touched(item attr.Item, names Names) attr.Item {
	p := &Projection{paths: make([]docPath, len(u.actions))}
	for i, a := range u.actions {
		p.paths[i] = a.path
	}
	return p.Apply(item, names)
}

// targetValid reports whether an action may write at path in item: every
// parent exists with the type the next element needs (a map for a name, a
// list for an index). The last element itself may be missing.
func targetValid(item attr.Item, path docPath) bool {
	if len(path) == 1 {
		return true
	}
	cur, ok := item[path[0].name]
	if !ok {
		return false
	}
	for i := 1; i < len(path); i++ {
		el, last := path[i], i == len(path)-1
		if el.isIdx {
			if cur.Kind != attr.L {
				return false
			}
			if el.index >= len(cur.List) {
				return last
			}
			cur = cur.List[el.index]
			continue
		}
		if cur.Kind != attr.M {
			return false
		}
		child, ok := cur.Map[el.name]
		if !ok {
			return last
		}
		cur = child
	}
	return true
}

// updateValue evaluates the value of a SET action.
func (e *env) updateValue(n *node) (attr.Value, error) {
	switch n.kind {
	case nParen:
		return e.updateValue(n.args[0])
	case nValue:
		return e.value(n.value)
	case nPath:
		v, ok, err := e.lookup(e.item, n.path)
		if err != nil {
			return attr.Value{}, err
		}
		if !ok {
			return attr.Value{}, &Error{Msg: msgMissingAttr}
		}
		return v, nil
	case nCall:
		if n.fn == "if_not_exists" {
			v, ok, err := e.lookup(e.item, unparen(n.args[0]).path)
			if err != nil || ok {
				return v, err
			}
			return e.updateValue(n.args[1])
		}
	}
	a, err := e.updateValue(n.args[0])
	if err != nil {
		return attr.Value{}, err
	}
	b, err := e.updateValue(n.args[1])
	if err != nil {
		return attr.Value{}, err
	}
	switch n.kind {
	case nCall: // list_append
		if a.Kind != attr.L || b.Kind != attr.L {
			return attr.Value{}, &Error{Msg: msgIncorrectType}
		}
		l := make([]attr.Value, 0, len(a.List)+len(b.List))
		return attr.List(append(append(l, a.List...), b.List...)...), nil
	case nPlus, nMinus:
		if a.Kind != attr.N || b.Kind != attr.N {
			return attr.Value{}, &Error{Msg: msgIncorrectType}
		}
		var n2 string
		if n.kind == nPlus {
			n2, err = attr.AddNumbers(a.Str, b.Str)
		} else {
			n2, err = attr.SubNumbers(a.Str, b.Str)
		}
		if err != nil {
			return attr.Value{}, &Error{Msg: attrMessage(err)}
		}
		return attr.Num(n2), nil
	}
	return attr.Value{}, &Error{Msg: msgIncorrectType}
}

// setAt stores v at the resolved path in item; every parent must exist.
func setAt(item attr.Item, path docPath, v attr.Value) error {
	name := path[0].name
	if len(path) == 1 {
		item[name] = v
		return nil
	}
	cur, ok := item[name]
	if !ok {
		return &Error{Msg: msgInvalidPath}
	}
	nv, err := setIn(cur, path[1:], v)
	if err != nil {
		return err
	}
	item[name] = nv
	return nil
}

func setIn(cur attr.Value, rest docPath, v attr.Value) (attr.Value, error) {
	if len(rest) == 0 {
		return v, nil
	}
	el := rest[0]
	if el.isIdx {
		if cur.Kind != attr.L {
			return cur, &Error{Msg: msgInvalidPath}
		}
		if el.index >= len(cur.List) {
			if len(rest) > 1 {
				return cur, &Error{Msg: msgInvalidPath}
			}
			cur.List = append(cur.List, v)
			return cur, nil
		}
		nv, err := setIn(cur.List[el.index], rest[1:], v)
		if err != nil {
			return cur, err
		}
		cur.List[el.index] = nv
		return cur, nil
	}
	if cur.Kind != attr.M {
		return cur, &Error{Msg: msgInvalidPath}
	}
	child, ok := cur.Map[el.name]
	if !ok && len(rest) > 1 {
		return cur, &Error{Msg: msgInvalidPath}
	}
	nv, err := setIn(child, rest[1:], v)
	if err != nil {
		return cur, err
	}
	if cur.Map == nil {
		cur.Map = map[string]attr.Value{}
	}
	cur.Map[el.name] = nv
	return cur, nil
}

// removeAt deletes the value at the resolved path; a missing leaf is not an
// error, a missing or mistyped parent is.
func removeAt(item attr.Item, path docPath) error {
	name := path[0].name
	if len(path) == 1 {
		delete(item, name)
		return nil
	}
	cur, ok := item[name]
	if !ok {
		return &Error{Msg: msgInvalidPath}
	}
	nv, err := removeIn(cur, path[1:])
	if err != nil {
		return err
	}
	item[name] = nv
	return nil
}

func removeIn(cur attr.Value, rest docPath) (attr.Value, error) {
	el := rest[0]
	if el.isIdx {
		if cur.Kind != attr.L {
			return cur, &Error{Msg: msgInvalidPath}
		}
		if el.index >= len(cur.List) {
			if len(rest) > 1 {
				return cur, &Error{Msg: msgInvalidPath}
			}
			return cur, nil
		}
		if len(rest) == 1 {
			cur.List = slices.Delete(cur.List, el.index, el.index+1)
			return cur, nil
		}
		nv, err := removeIn(cur.List[el.index], rest[1:])
		if err != nil {
			return cur, err
		}
		cur.List[el.index] = nv
		return cur, nil
	}
	if cur.Kind != attr.M {
		return cur, &Error{Msg: msgInvalidPath}
	}
	if len(rest) == 1 {
		delete(cur.Map, el.name)
		return cur, nil
	}
	child, ok := cur.Map[el.name]
	if !ok {
		return cur, &Error{Msg: msgInvalidPath}
	}
	nv, err := removeIn(child, rest[1:])
	if err != nil {
		return cur, err
	}
	cur.Map[el.name] = nv
	return cur, nil
}

// getAt returns the value at a resolved path of item.
func getAt(item attr.Item, path docPath) (attr.Value, bool) {
	cur, ok := item[path[0].name]
	for _, el := range path[1:] {
		if !ok {
			break
		}
		switch {
		case el.isIdx && cur.Kind == attr.L && el.index < len(cur.List):
			cur = cur.List[el.index]
		case !el.isIdx && cur.Kind == attr.M:
			cur, ok = cur.Map[el.name]
		default:
			ok = false
		}
	}
	return cur, ok
}

// addAt is the ADD action: number addition or set union; a missing
// attribute is created with v.
func addAt(item attr.Item, path docPath, v attr.Value) error {
	cur, ok := getAt(item, path)
	if !ok {
		return setAt(item, path, attr.Clone(v))
	}
	if cur.Kind != v.Kind {
		return &Error{Msg: msgIncorrectType}
	}
	var nv attr.Value
	switch v.Kind {
	case attr.N:
		n, err := attr.AddNumbers(cur.Str, v.Str)
		if err != nil {
			return &Error{Msg: attrMessage(err)}
		}
		nv = attr.Num(n)
	case attr.SS, attr.NS:
		nv = attr.Value{Kind: v.Kind, Strs: slices.Clone(cur.Strs)}
		for _, s := range v.Strs {
			if !containsStr(v.Kind, nv.Strs, s) {
				nv.Strs = append(nv.Strs, s)
			}
		}
	case attr.BS:
		nv = attr.Clone(cur)
		for _, b := range v.Bins {
			if !containsBin(nv.Bins, b) {
				nv.Bins = append(nv.Bins, slices.Clone(b))
			}
		}
	}
	return setAt(item, path, nv)
}

// deleteAt is the DELETE action: set difference; emptying the set removes
// the attribute, and a missing attribute is left alone.
func deleteAt(item attr.Item, path docPath, v attr.Value) error {
	cur, ok := getAt(item, path)
	if !ok {
		return nil
	}
	if cur.Kind != v.Kind {
		return &Error{Msg: msgIncorrectType}
	}
	nv := attr.Value{Kind: cur.Kind}
	n := 0
	switch cur.Kind {
	case attr.SS, attr.NS:
		for _, s := range cur.Strs {
			if !containsStr(v.Kind, v.Strs, s) {
				nv.Strs = append(nv.Strs, s)
			}
		}
		n = len(nv.Strs)
	case attr.BS:
		for _, b := range cur.Bins {
			if !containsBin(v.Bins, b) {
				nv.Bins = append(nv.Bins, b)
			}
		}
		n = len(nv.Bins)
	}
	if n == 0 {
		return removeAt(item, path)
	}
	return setAt(item, path, nv)
}

func containsStr(kind attr.Kind, set []string, s string) bool {
	for _, x := range set {
		if x == s || kind == attr.NS && attr.CompareNumbers(x, s) == 0 {
			return true
		}
	}
	return false
}

func containsBin(set [][]byte, b []byte) bool {
	for _, x := range set {
		if string(x) == string(b) {
			return true
		}
	}
	return false
}

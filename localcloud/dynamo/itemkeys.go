package dynamo

import "github.com/labkit-dev/labkit/localcloud/dynamo/attr"

// checkKeyValues checks a Key parameter's values (their type against the
// schema comes later, once the table is found).
func checkKeyValues(key fastItem) error {
	if key == nil {
		return validationf("1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null")
	}
	return apiError(attr.ValidateItem(attr.Item(key)))
}

// checkKeySize enforces DynamoDB's key size limits: 2048 bytes for a
// partition key, 1024 for a sort key. The partition key's message lacks a
// space ("limit of2048 bytes") as DynamoDB's does (dynalite's tests,
// recorded from DynamoDB, and moto's, which keep it "deliberately").
func checkKeySize(v attr.Value, rng bool) error {
	n := attr.Size(v)
	if !rng && n > 2048 {
		return validationf("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
	}
	if rng && n > 1024 {
		return validationf("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
	}
	return nil
}

// keyOf validates a Key parameter against the table's key schema.
func (t *table) keyOf(key attr.Item) (pk, sk string, err error) {
	n := 1
	if t.key.rng != "" {
		n = 2
	}
	mismatch := validationf("The provided key element does not match the schema")
	if len(key) != n {
		return "", "", mismatch
	}
	h, ok := key[t.key.hash]
	if !ok || h.Kind != t.key.hashKind {
		return "", "", mismatch
	}
	if err := keyPieceValid(t.key.hash, h); err != nil {
		return "", "", err
	}
	if err := checkKeySize(h, false); err != nil {
		return "", "", err
	}
	pk = keyString(h)
	if t.key.rng != "" {
		r, ok := key[t.key.rng]
		if !ok || r.Kind != t.key.rngKind {
			return "", "", mismatch
		}
		if err := keyPieceValid(t.key.rng, r); err != nil {
			return "", "", err
		}
		if err := checkKeySize(r, true); err != nil {
			return "", "", err
		}
		sk = keyString(r)
	}
	return pk, sk, nil
}

// keyPieceValid checks one value of a Key parameter: an empty string or
// binary is refused in the words DynamoDB uses for keys ("were invalid:"),
// not those it uses for an item's key attributes ("are not valid.").
func keyPieceValid(name string, v attr.Value) error {
	switch {
	case v.Kind == attr.S && v.Str == "":
		return validationf("One or more parameter values were invalid: The AttributeValue for a key attribute cannot contain an empty string value. Key: %s", name)
	case v.Kind == attr.B && len(v.Bytes) == 0:
		return validationf("One or more parameter values were invalid: The AttributeValue for a key attribute cannot contain an empty binary value. Key: %s", name)
	}
	if err := attr.ValidateKey(name, v); err != nil {
		return apiError(err)
	}
	return nil
}

// itemKeys validates a whole item's key attributes (PutItem).
func (t *table) itemKeys(item attr.Item) (pk, sk string, err error) {
	check := func(name string, kind attr.Kind, rng bool) (string, error) {
		v, ok := item[name]
		if !ok {
			return "", validationf("One or more parameter values were invalid: Missing the key %s in the item", name)
		}
		if v.Kind != kind {
			return "", validationf("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", name, kind, v.Kind)
		}
		if err := attr.ValidateKey(name, v); err != nil {
			return "", apiError(err)
		}
		if err := checkKeySize(v, rng); err != nil {
			return "", err
		}
		return keyString(v), nil
	}
	if pk, err = check(t.key.hash, t.key.hashKind, false); err != nil {
		return "", "", err
	}
	if t.key.rng != "" {
		if sk, err = check(t.key.rng, t.key.rngKind, true); err != nil {
			return "", "", err
		}
	}
	return pk, sk, nil
}

// checkIndexKeys rejects items whose secondary index key attributes have
// the wrong type or are empty; the caller holds t.mu.
func (t *table) checkIndexKeys(item attr.Item) error {
	return t.checkIndexKeysAs(item, "")
}

// checkIndexKeysAs is checkIndexKeys with mismatch, when not empty, as the
// message for a value of the wrong type.
func (t *table) checkIndexKeysAs(item attr.Item, mismatch string) error {
	// Global indexes first, then local ones, each in definition order, as
	// DynamoDB names the first index an attribute breaks.
	for _, ix := range t.indexesInOrder() {
		name := ix.IndexName
		def := t.gsis[name]
		if def == nil {
			def = t.lsis[name]
		}
		for _, k := range []struct {
			name string
			kind attr.Kind
		}{{def.def.hash, def.def.hashKind}, {def.def.rng, def.def.rngKind}} {
			if k.name == "" {
				continue
			}
			v, ok := item[k.name]
			if !ok {
				continue
			}
			if v.Kind != k.kind {
				if mismatch != "" {
					return validationf("%s", mismatch)
				}
				return validationf("One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", k.name, k.kind, v.Kind, ix.IndexName)
			}
			if (v.Kind == attr.S && v.Str == "") || (v.Kind == attr.B && len(v.Bytes) == 0) {
				return validationf("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: %s, IndexKey: %s", ix.IndexName, k.name)
			}
		}
	}
	return nil
}

// indexesInOrder are the table's global then local secondary indexes, in
// the order the table defines them.
func (t *table) indexesInOrder() []*indexMeta {
	if len(t.idx) == 0 {
		return nil
	}
	out := make([]*indexMeta, 0, len(t.meta.GSIs)+len(t.meta.LSIs))
	for _, g := range t.meta.GSIs {
		if m := t.idx[g.IndexName]; m != nil {
			out = append(out, m)
		}
	}
	for _, l := range t.meta.LSIs {
		if m := t.idx[l.IndexName]; m != nil {
			out = append(out, m)
		}
	}
	return out
}

// keyItem returns just the table key attributes of item.
func (t *table) keyItem(item attr.Item) attr.Item {
	k := attr.Item{t.key.hash: item[t.key.hash]}
	if t.key.rng != "" {
		k[t.key.rng] = item[t.key.rng]
	}
	return k
}

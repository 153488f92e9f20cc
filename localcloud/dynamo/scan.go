package dynamo

import (
	"context"
	"sort"
)

// scan serves Scan: the table or an index in partition hash order (one
// segment of it when TotalSegments is given), from ExclusiveStartKey.
func (s *Service) scan(ctx context.Context, body []byte) (any, error) {
	var in scanInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	seg, total, err := segments(in.Segment, in.TotalSegments)
	if err != nil {
		return nil, err
	}
	r, err := in.setup(ctx, s)
	if err != nil {
		return nil, err
	}
	t := r.t
	t.mu.RLock()
	defer t.mu.RUnlock()
	if err := r.pickIndex(in.IndexName, in.ConsistentRead); err != nil {
		return nil, err
	}
	hasStart := in.ExclusiveStartKey != nil
	if hasStart {
		if err := r.scanStartKeyShape(in.ExclusiveStartKey); err != nil {
			return nil, err
		}
	}
	if err := r.checkSelect(in.Select); err != nil {
		return nil, err
	}
	if hasStart {
		if err := r.scanStartKeyPlace(in.ExclusiveStartKey, seg, total); err != nil {
			return nil, err
		}
	}
	if err := r.projectionKeyPaths(); err != nil {
		return nil, err
	}
	if err := r.filterKeyPaths(); err != nil {
		return nil, err
	}
	var spk, ssk, stie string
	if hasStart {
		spk, ssk, stie, err = r.startKey(in.ExclusiveStartKey)
		if err != nil {
			return nil, err
		}
	}
	order, start := r.ix.partitionOrder(spk)
outer:
	for pi := start; pi < len(order); pi++ {
		pk := order[pi]
		p := r.ix.parts[pk]
		if p == nil || len(p.entries) == 0 {
			continue
		}
		if total > 1 && segmentOf(p.entries[0].load()[r.ix.def.hash], total) != seg {
			continue
		}
		i := 0
		if hasStart && pk == spk {
			i = sort.Search(len(p.entries), func(i int) bool {
				e := &p.entries[i]
				return e.sk > ssk || (e.sk == ssk && e.tie > stie)
			})
		}
		for ; i < len(p.entries); i++ {
			ok, err := r.visit(&p.entries[i])
			if err != nil {
				return nil, err
			}
			if !ok {
				break outer
			}
		}
	}
	return r.output(ctx, in.ReturnConsumedCapacity, in.ConsistentRead), nil
}

// segments checks a Scan's Segment and TotalSegments as DynamoDB does and
// returns the segment to scan and of how many (0 of 1: the whole table).
func segments(segment, total *int) (int, int, error) {
	if segment != nil || total != nil {
		switch {
		case total == nil && *segment == 0:
			return 0, 1, nil // DynamoDB takes a lone Segment 0 for a whole scan
		case total == nil:
			return 0, 0, validationf("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
		case segment == nil:
			return 0, 0, validationf("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
		}
	}
	if segment == nil {
		return 0, 1, nil
	}
	if *total < 1 || *total > 1000000 {
		return 0, 0, validationf("1 validation error detected: Value '%d' at 'totalSegments' failed to satisfy constraint: Member must have value between 1 and 1000000", *total)
	}
	if *segment < 0 || *segment >= *total {
		return 0, 0, validationf("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", *segment, *total)
	}
	return *segment, *total, nil
}

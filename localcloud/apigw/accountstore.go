package apigw

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// resKey names an account-level resource (a custom domain name or a VPC
// link) in one account and region.
type resKey struct{ account, region, id string }

func keyFor(ctx context.Context, id string) resKey {
	ident := protocol.IdentityFrom(ctx)
	return resKey{ident.AccountID, ident.Region, id}
}

// accountStore keeps one kind of account-level resource in memory and in
// the account_resources table. Stored values are never edited: update edits
// a copy, commits it and swaps it in.
type accountStore[T any] struct {
	kind string
	db   *sql.DB
	mu   sync.RWMutex
	m    map[resKey]*T
}

const accountSchema = `CREATE TABLE IF NOT EXISTS account_resources (kind TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL,
	id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (kind, account, region, id))`

func newAccountStore[T any](db *sql.DB, kind string) (*accountStore[T], error) {
	st := &accountStore[T]{kind: kind, db: db, m: map[resKey]*T{}}
	rows, err := db.Query(`SELECT account, region, id, doc FROM account_resources WHERE kind = ?`, kind)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", kind, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k resKey
		var doc string
		if err := rows.Scan(&k.account, &k.region, &k.id, &doc); err != nil {
			return nil, fmt.Errorf("load %s: %w", kind, err)
		}
		v := new(T)
		if err := json.Unmarshal([]byte(doc), v); err != nil {
			return nil, fmt.Errorf("decode %s %s: %w", kind, k.id, err)
		}
		st.m[k] = v
	}
	return st, rows.Err()
}

// get returns the stored value (read only) or nil.
func (st *accountStore[T]) get(k resKey) *T {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.m[k]
}

// list returns the values of one account and region sorted by id.
func (st *accountStore[T]) list(account, region string) ([]*T, []string) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	var keys []resKey
	for k := range st.m {
		if k.account == account && k.region == region {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].id < keys[j].id })
	out := make([]*T, len(keys))
	ids := make([]string, len(keys))
	for i, k := range keys {
		out[i], ids[i] = st.m[k], k.id
	}
	return out, ids
}

func (st *accountStore[T]) write(ctx context.Context, k resKey, v *T) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", st.kind, k.id, err)
	}
	if _, err := st.db.ExecContext(ctx, `INSERT INTO account_resources (kind, account, region, id, doc) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (kind, account, region, id) DO UPDATE SET doc = excluded.doc`, st.kind, k.account, k.region, k.id, string(doc)); err != nil {
		return fmt.Errorf("save %s %s: %w", st.kind, k.id, err)
	}
	return nil
}

// create stores v under k; exists is the error when k is taken.
func (st *accountStore[T]) create(ctx context.Context, k resKey, v *T, exists error) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.m[k] != nil {
		return exists
	}
	if err := st.write(ctx, k, v); err != nil {
		return err
	}
	st.m[k] = v
	return nil
}

// update applies fn to a copy of k's value, stores it and returns it;
// missing is the error when there is no such value.
func (st *accountStore[T]) update(ctx context.Context, k resKey, missing error, fn func(v *T) error) (*T, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	cur := st.m[k]
	if cur == nil {
		return nil, missing
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return nil, fmt.Errorf("copy %s %s: %w", st.kind, k.id, err)
	}
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("copy %s %s: %w", st.kind, k.id, err)
	}
	if err := fn(v); err != nil {
		return nil, err
	}
	if err := st.write(ctx, k, v); err != nil {
		return nil, err
	}
	st.m[k] = v
	return v, nil
}

// remove deletes k's value; missing is the error when there is none.
func (st *accountStore[T]) remove(ctx context.Context, k resKey, missing error) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.m[k] == nil {
		return missing
	}
	if _, err := st.db.ExecContext(ctx, `DELETE FROM account_resources WHERE kind = ? AND account = ? AND region = ? AND id = ?`,
		st.kind, k.account, k.region, k.id); err != nil {
		return fmt.Errorf("delete %s %s: %w", st.kind, k.id, err)
	}
	delete(st.m, k)
	return nil
}

// listOf is the page of an account's values (sorted by id) r's maxResults
// and nextToken ask for, each shown by out.
func listOf[T, O any](ctx context.Context, r *http.Request, st *accountStore[T], out func(*T) O) (any, error) {
	ident := protocol.IdentityFrom(ctx)
	vals, ids := st.list(ident.AccountID, ident.Region)
	idx := make([]int, len(vals))
	for i := range idx {
		idx[i] = i
	}
	pg, err := paginate(r, idx, func(i int) string { return ids[i] })
	if err != nil {
		return nil, err
	}
	res := page[O]{Items: make([]O, 0, len(pg.Items)), NextToken: pg.NextToken}
	for _, i := range pg.Items {
		res.Items = append(res.Items, out(vals[i]))
	}
	return res, nil
}

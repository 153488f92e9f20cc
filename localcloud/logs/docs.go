package logs

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Resources stored as JSON documents: subscription filters (under a log
// group), resource policies, destinations, query definitions and data
// protection policies (per account and region). Each kind lives in memory in
// docs and in the docs table; s.mu guards both.

const docsSchema = `CREATE TABLE IF NOT EXISTS docs (kind TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL,
	grp TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (kind, account, region, grp, name))`

// Kinds of documents.
const (
	kindSubscription   = "subscription-filter"
	kindResourcePolicy = "resource-policy"
	kindDestination    = "destination"
	kindQueryDef       = "query-definition"
	kindDataProtection = "data-protection-policy"
)

// docKey names a document; grp is "" for account-level kinds.
type docKey struct{ kind, account, region, grp, name string }

// docs is every stored document, decoded lazily by its kind's users.
type docs map[docKey]json.RawMessage

func (s *Service) loadDocs(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, account, region, grp, name, doc FROM docs`)
	if err != nil {
		return err
	}
	defer rows.Close()
	s.docs = docs{}
	for rows.Next() {
		var k docKey
		var doc string
		if err := rows.Scan(&k.kind, &k.account, &k.region, &k.grp, &k.name, &doc); err != nil {
			return err
		}
		s.docs[k] = json.RawMessage(doc)
	}
	return rows.Err()
}

// putDoc stores v under k; s.mu must be held for writing.
func (s *Service) putDoc(ctx context.Context, k docKey, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", k.kind, k.name, err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO docs (kind, account, region, grp, name, doc) VALUES (?, ?, ?, ?, ?, ?)`,
		k.kind, k.account, k.region, k.grp, k.name, string(b)); err != nil {
		return fmt.Errorf("save %s %s: %w", k.kind, k.name, err)
	}
	s.docs[k] = b
	return nil
}

// delDocs deletes the documents match selects; s.mu must be held for writing.
func (s *Service) delDocs(ctx context.Context, match func(docKey) bool) error {
	for k := range s.docs {
		if !match(k) {
			continue
		}
		if _, err := s.db.ExecContext(ctx, `DELETE FROM docs WHERE kind = ? AND account = ? AND region = ? AND grp = ? AND name = ?`,
			k.kind, k.account, k.region, k.grp, k.name); err != nil {
			return fmt.Errorf("delete %s %s: %w", k.kind, k.name, err)
		}
		delete(s.docs, k)
	}
	return nil
}

// getDoc decodes k's document into v; it reports whether there is one.
// s.mu must be held.
func (s *Service) getDoc(k docKey, v any) bool {
	b, ok := s.docs[k]
	if !ok {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// listDocs returns the keys of one kind in an account, region and group
// whose names start with prefix, sorted by name. s.mu must be held.
func (s *Service) listDocs(kind, account, region, grp, prefix string) []docKey {
	var out []docKey
	for k := range s.docs {
		if k.kind == kind && k.account == account && k.region == region && k.grp == grp && strings.HasPrefix(k.name, prefix) {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// docsPage decodes the page of one kind's documents (in an account,
// region and group, names starting with prefix) a nextToken and a limit
// (checked against 50) ask for; it returns them and the next token.
func docsPage[T any](ctx context.Context, s *Service, kind, grp, prefix, nextToken string, limit *int) ([]T, string, error) {
	n, err := checkLimit(limit, 50, 50)
	if err != nil {
		return nil, "", err
	}
	id := protocol.IdentityFrom(ctx)
	s.mu.RLock()
	defer s.mu.RUnlock()
	keys, next, err := pageDocs(s.listDocs(kind, id.AccountID, id.Region, grp, prefix), nextToken, n)
	if err != nil {
		return nil, "", err
	}
	out := make([]T, 0, len(keys))
	for _, k := range keys {
		var v T
		if s.getDoc(k, &v) {
			out = append(out, v)
		}
	}
	return out, next, nil
}

// deleteDoc deletes one document, or answers missing when there is none.
func (s *Service) deleteDoc(ctx context.Context, k docKey, missing error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.docs[k]; !ok {
		return missing
	}
	return s.delDocs(ctx, func(x docKey) bool { return x == k })
}

// pageDocs cuts keys (sorted by name) at a nextToken and a limit; it
// returns the page and the token of the next one.
func pageDocs(keys []docKey, nextToken string, limit int) ([]docKey, string, error) {
	if nextToken != "" {
		after, err := decodeToken(nextToken)
		if err != nil {
			return nil, "", err
		}
		i := sort.Search(len(keys), func(i int) bool { return keys[i].name > after })
		keys = keys[i:]
	}
	if len(keys) > limit {
		return keys[:limit], encodeToken(keys[limit-1].name), nil
	}
	return keys, "", nil
}

package iam

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// The IAM resources with no relations of their own (instance profiles,
// identity providers, login profiles, the account alias and password
// policy) are kept as JSON documents: one row per resource in the docs
// table, and its bytes in s.docs (guarded by s.mu), decoded when read.

const docsSchema = `CREATE TABLE IF NOT EXISTS docs (
		account TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL,
		PRIMARY KEY (account, kind, name))`

// Kinds of documents.
const (
	kindInstanceProfile = "instance-profile"
	kindOIDC            = "oidc-provider"
	kindSAML            = "saml-provider"
	kindLogin           = "login-profile"
	kindAlias           = "account-alias"
	kindPasswordPolicy  = "password-policy"
)

type docKey struct{ account, kind, name string }

func (s *Service) loadDocs(ctx context.Context) error {
	return queryRows(ctx, s.db, `SELECT account, kind, name, data FROM docs`, func(rows *sql.Rows) error {
		var k docKey
		var data string
		if err := rows.Scan(&k.account, &k.kind, &k.name, &data); err != nil {
			return err
		}
		s.docs[k] = []byte(data)
		return nil
	})
}

// getDoc decodes a document into v; s.mu must be held.
func (s *Service) getDoc(acct, kind, name string, v any) bool {
	b, ok := s.docs[docKey{acct, kind, strings.ToLower(name)}]
	return ok && json.Unmarshal(b, v) == nil
}

// putDoc stores a document; s.mu must be held for writing.
func (s *Service) putDoc(ctx context.Context, acct, kind, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("save %s %s: %w", kind, name, err)
	}
	k := docKey{acct, kind, strings.ToLower(name)}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO docs (account, kind, name, data) VALUES (?, ?, ?, ?)`, k.account, k.kind, k.name, string(b))
		return err
	})
	if err != nil {
		return fmt.Errorf("save %s %s: %w", kind, name, err)
	}
	s.docs[k] = b
	return nil
}

// deleteDoc removes a document; s.mu must be held for writing.
func (s *Service) deleteDoc(ctx context.Context, acct, kind, name string) error {
	k := docKey{acct, kind, strings.ToLower(name)}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM docs WHERE account = ? AND kind = ? AND name = ?`, k.account, k.kind, k.name)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", kind, name, err)
	}
	delete(s.docs, k)
	return nil
}

// listDocs decodes every document of a kind in an account, by name; s.mu
// must be held.
func listDocs[T any](s *Service, acct, kind string) []*T {
	var names []string
	for k := range s.docs {
		if k.account == acct && k.kind == kind {
			names = append(names, k.name)
		}
	}
	sort.Strings(names)
	out := make([]*T, 0, len(names))
	for _, n := range names {
		v := new(T)
		if json.Unmarshal(s.docs[docKey{acct, kind, n}], v) == nil {
			out = append(out, v)
		}
	}
	return out
}

package iam

import (
	"context"
	"database/sql"
	"encoding/xml"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// holder is what roles, users and groups share: inline policies and
// attached managed policies.
type holder struct {
	inline   map[string]string // inline policy documents by name
	attached []string          // managed policy ARNs, in attachment order
}

func newHolder() holder { return holder{inline: map[string]string{}} }

// holderKind describes one kind of policy holder: its request parameter,
// its tables and its quotas.
type holderKind struct {
	entity      string // "role", "user" or "group", as IAM's messages say it
	param       string // the request parameter naming it: "RoleName"
	inlineTable string // (account, column, name, document)
	attachTable string // (account, column, policy_arn, seq)
	column      string
	table       string      // the holders' own table, keyed by (account, name)
	refs        [][2]string // other tables and columns naming a holder
	maxInline   int         // characters of all inline documents together
	quota       string      // the attached-policies quota's name
	// find returns the holder the form names, its account and its exact
	// name; s.mu must be held.
	find func(s *Service, ctx context.Context, form url.Values) (*holder, string, string, error)
}

var (
	roleKind = &holderKind{entity: "role", param: "RoleName", inlineTable: "role_policies", attachTable: "role_attachments", column: "role", table: "roles",
		maxInline: maxInlinePolicy, quota: "PoliciesPerRole",
		find: func(s *Service, ctx context.Context, form url.Values) (*holder, string, string, error) {
			r, err := s.findRole(ctx, form)
			if err != nil {
				return nil, "", "", err
			}
			return &r.holder, r.account, r.name, nil
		}}
	userKind = &holderKind{entity: "user", param: "UserName", inlineTable: "user_policies", attachTable: "user_attachments", column: "entity",
		table: "users", refs: [][2]string{{"group_members", "user"}, {"access_keys", "user"}},
		maxInline: maxUserInline, quota: "PoliciesPerUser",
		find: func(s *Service, ctx context.Context, form url.Values) (*holder, string, string, error) {
			u, err := s.findUser(ctx, form)
			if err != nil {
				return nil, "", "", err
			}
			return &u.holder, u.account, u.name, nil
		}}
	groupKind = &holderKind{entity: "group", param: "GroupName", inlineTable: "group_policies", attachTable: "group_attachments", column: "entity",
		table: "groups", refs: [][2]string{{"group_members", "grp"}},
		maxInline: maxGroupInline, quota: "PoliciesPerGroup",
		find: func(s *Service, ctx context.Context, form url.Values) (*holder, string, string, error) {
			g, err := s.findGroup(ctx, form)
			if err != nil {
				return nil, "", "", err
			}
			return &g.holder, g.account, g.name, nil
		}}
)

// holderOps are the inline and attached policy operations of every kind.
func (s *Service) holderOps(ops map[string]protocol.QueryOp) {
	for _, k := range []*holderKind{roleKind, userKind, groupKind} {
		t := strings.ToUpper(k.entity[:1]) + k.entity[1:]
		ops["Put"+t+"Policy"] = s.putInlinePolicy(k)
		ops["Get"+t+"Policy"] = s.getInlinePolicy(k)
		ops["Delete"+t+"Policy"] = s.deleteInlinePolicy(k)
		ops["List"+t+"Policies"] = s.listInlinePolicies(k)
		ops["Attach"+t+"Policy"] = s.attachPolicy(k)
		ops["Detach"+t+"Policy"] = s.detachPolicy(k)
		ops["ListAttached"+t+"Policies"] = s.listAttachedPolicies(k)
	}
}

// loadHolders reads every kind's inline and attached policies into the
// holders load already made.
func (s *Service) loadHolders(ctx context.Context) error {
	for _, k := range []*holderKind{roleKind, userKind, groupKind} {
		q := fmt.Sprintf(`SELECT account, %s, name, document FROM %s`, k.column, k.inlineTable)
		err := queryRows(ctx, s.db, q, func(rows *sql.Rows) error {
			var acct, entity, name, doc string
			if err := rows.Scan(&acct, &entity, &name, &doc); err != nil {
				return err
			}
			if h := s.holderByName(k, acct, entity); h != nil {
				h.inline[name] = doc
			}
			return nil
		})
		if err != nil {
			return err
		}
		q = fmt.Sprintf(`SELECT account, %s, policy_arn FROM %s ORDER BY seq`, k.column, k.attachTable)
		err = queryRows(ctx, s.db, q, func(rows *sql.Rows) error {
			var acct, entity, arn string
			if err := rows.Scan(&acct, &entity, &arn); err != nil {
				return err
			}
			if h := s.holderByName(k, acct, entity); h != nil {
				h.attached = append(h.attached, arn)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// holderByName finds a loaded holder; s.mu must be held.
func (s *Service) holderByName(k *holderKind, acct, name string) *holder {
	a := s.acct(acct)
	key := strings.ToLower(name)
	switch k {
	case roleKind:
		if r := a.roles[key]; r != nil {
			return &r.holder
		}
	case userKind:
		if u := a.users[key]; u != nil {
			return &u.holder
		}
	case groupKind:
		if g := a.groups[key]; g != nil {
			return &g.holder
		}
	}
	return nil
}

// queryRows runs q and calls fn for each row.
func queryRows(ctx context.Context, db *sql.DB, q string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// fields is an XML result whose element names are chosen at run time, in
// order.
type fields []field

type field struct {
	name  string
	value any
}

func (f fields) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, x := range f {
		if err := e.EncodeElement(x.value, xml.StartElement{Name: xml.Name{Local: x.name}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

func (s *Service) putInlinePolicy(k *holderKind) protocol.QueryOp {
	return func(ctx context.Context, form url.Values) (any, error) {
		name, err := requiredName(form, "PolicyName", 128)
		if err != nil {
			return nil, err
		}
		doc, err := requiredDocument(form, "PolicyDocument", k.maxInline, "PolicySize", identityPolicy)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		h, acct, entity, err := k.find(s, ctx, form)
		if err != nil {
			return nil, err
		}
		total := policySize(doc)
		for n, d := range h.inline {
			if n != name {
				total += policySize(d)
			}
		}
		if total > k.maxInline {
			return nil, limitExceeded("Maximum policy size of %d bytes exceeded for %s %s", k.maxInline, k.entity, entity)
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT OR REPLACE INTO %s (account, %s, name, document) VALUES (?, ?, ?, ?)`, k.inlineTable, k.column), acct, entity, name, doc)
			return err
		})
		if err != nil {
			return nil, err
		}
		h.inline[name] = doc
		return nil, nil
	}
}

func (s *Service) getInlinePolicy(k *holderKind) protocol.QueryOp {
	return func(ctx context.Context, form url.Values) (any, error) {
		name, err := required(form, "PolicyName")
		if err != nil {
			return nil, err
		}
		s.mu.RLock()
		defer s.mu.RUnlock()
		h, _, entity, err := k.find(s, ctx, form)
		if err != nil {
			return nil, err
		}
		doc, ok := h.inline[name]
		if !ok {
			return nil, noSuchEntity("The %s policy with name %s cannot be found.", k.entity, name)
		}
		return fields{{k.param, entity}, {"PolicyName", name}, {"PolicyDocument", encodeDocument(doc)}}, nil
	}
}

func (s *Service) deleteInlinePolicy(k *holderKind) protocol.QueryOp {
	return func(ctx context.Context, form url.Values) (any, error) {
		name, err := required(form, "PolicyName")
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		h, acct, entity, err := k.find(s, ctx, form)
		if err != nil {
			return nil, err
		}
		if _, ok := h.inline[name]; !ok {
			return nil, noSuchEntity("The %s policy with name %s cannot be found.", k.entity, name)
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %s WHERE account = ? AND %s = ? AND name = ?`, k.inlineTable, k.column), acct, entity, name)
			return err
		})
		if err != nil {
			return nil, err
		}
		delete(h.inline, name)
		return nil, nil
	}
}

func (s *Service) listInlinePolicies(k *holderKind) protocol.QueryOp {
	return func(ctx context.Context, form url.Values) (any, error) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		h, _, _, err := k.find(s, ctx, form)
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(h.inline))
		for n := range h.inline {
			names = append(names, n)
		}
		sort.Strings(names)
		start, end, next, err := page(names, form)
		if err != nil {
			return nil, err
		}
		return struct {
			PolicyNames list[string] `xml:"PolicyNames"`
			truncated
		}{list[string]{names[start:end]}, truncated{IsTruncated: next != "", Marker: next}}, nil
	}
}

func (s *Service) attachPolicy(k *holderKind) protocol.QueryOp {
	return func(ctx context.Context, form url.Values) (any, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		h, acct, entity, err := k.find(s, ctx, form)
		if err != nil {
			return nil, err
		}
		p, err := s.findPolicy(ctx, form)
		if err != nil {
			return nil, err
		}
		for _, a := range h.attached {
			if a == p.arn {
				return nil, nil
			}
		}
		if len(h.attached) >= maxAttached {
			return nil, limitExceeded("Cannot exceed quota for %s: %d", k.quota, maxAttached)
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT OR REPLACE INTO %s (account, %s, policy_arn, seq) VALUES (?, ?, ?, ?)`, k.attachTable, k.column),
				acct, entity, p.arn, s.now().UnixNano())
			return err
		})
		if err != nil {
			return nil, err
		}
		h.attached = append(h.attached, p.arn)
		return nil, nil
	}
}

func (s *Service) detachPolicy(k *holderKind) protocol.QueryOp {
	return func(ctx context.Context, form url.Values) (any, error) {
		arn, err := required(form, "PolicyArn")
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		h, acct, entity, err := k.find(s, ctx, form)
		if err != nil {
			return nil, err
		}
		idx := -1
		for i, a := range h.attached {
			if a == arn {
				idx = i
			}
		}
		if idx < 0 {
			return nil, noSuchEntity("Policy %s was not found.", arn)
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %s WHERE account = ? AND %s = ? AND policy_arn = ?`, k.attachTable, k.column), acct, entity, arn)
			return err
		})
		if err != nil {
			return nil, err
		}
		h.attached = append(h.attached[:idx:idx], h.attached[idx+1:]...)
		return nil, nil
	}
}

type attachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

func (s *Service) listAttachedPolicies(k *holderKind) protocol.QueryOp {
	return func(ctx context.Context, form url.Values) (any, error) {
		prefix := form.Get("PathPrefix")
		s.mu.RLock()
		defer s.mu.RUnlock()
		h, _, _, err := k.find(s, ctx, form)
		if err != nil {
			return nil, err
		}
		byKey := map[string]attachedPolicy{}
		for _, arn := range h.attached {
			a, _ := protocol.ParseARN(arn)
			res := strings.TrimPrefix(a.Resource, "policy")
			i := strings.LastIndex(res, "/")
			if !strings.HasPrefix(res[:i+1], prefix) {
				continue
			}
			byKey[res[i+1:]+"\x00"+arn] = attachedPolicy{PolicyName: res[i+1:], PolicyArn: arn}
		}
		keys := make([]string, 0, len(byKey))
		for k := range byKey {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		start, end, next, err := page(keys, form)
		if err != nil {
			return nil, err
		}
		out := struct {
			AttachedPolicies list[attachedPolicy] `xml:"AttachedPolicies"`
			truncated
		}{truncated: truncated{IsTruncated: next != "", Marker: next}}
		for _, k := range keys[start:end] {
			out.AttachedPolicies.Member = append(out.AttachedPolicies.Member, byKey[k])
		}
		return out, nil
	}
}

// renameRows moves a renamed user's or group's rows to its new name: its
// own (deleted, for the caller to save anew), its policies', and the rows
// of others that name it.
func renameRows(ctx context.Context, tx *sql.Tx, k *holderKind, acct, from, to string) error {
	if from == to {
		return nil
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %s WHERE account = ? AND name = ?`, k.table), acct, from); err != nil {
		return err
	}
	refs := append([][2]string{{k.inlineTable, k.column}, {k.attachTable, k.column}}, k.refs...)
	for _, r := range refs {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET %s = ? WHERE account = ? AND %s = ?`, r[0], r[1], r[1]), to, acct, from); err != nil {
			return err
		}
	}
	return nil
}

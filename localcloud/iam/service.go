package iam

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
	"github.com/labkit-dev/labkit/localcloud/store"
)

const (
	iamXMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsXMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// Config configures the IAM and STS service.
type Config struct {
	DataDir  string // iam.db lives here
	Endpoint string
	Logger   *slog.Logger
	Bus      *activity.Bus
	// Now returns the current time; nil means time.Now (tests move the clock).
	Now func() time.Time
}

// Service is the IAM and STS service of the local cloud.
type Service struct {
	db  *sql.DB
	log *slog.Logger
	now func() time.Time

	mu       sync.RWMutex        // guards accounts; held across the write-through to SQLite
	accounts map[string]*account // by account id

	sessMu   sync.RWMutex
	sessions map[string]*session // temporary credentials by access key id

	docs map[docKey][]byte // docs.go; guarded by mu

	// keys are IAM users' access keys by id, in every account; guarded by mu.
	keys map[string]*accessKey
	// keyUse is each access key's last use the router saw.
	keyUse sync.Map // access key id -> keyUse

	iamHandler *protocol.QueryService
	stsHandler *protocol.QueryService

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// account is one account's IAM state.
type account struct {
	roles    map[string]*role   // by lower-case name
	policies map[string]*policy // customer managed, by lower-case name
	users    map[string]*user   // by lower-case name
	groups   map[string]*group  // by lower-case name
}

func newAccount() *account {
	return &account{roles: map[string]*role{}, policies: map[string]*policy{}, users: map[string]*user{}, groups: map[string]*group{}}
}

var schema = []string{
	`CREATE TABLE IF NOT EXISTS roles (
		account TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL,
		created INTEGER NOT NULL, trust TEXT NOT NULL, description TEXT NOT NULL,
		max_session INTEGER NOT NULL, tags TEXT NOT NULL,
		PRIMARY KEY (account, name))`,
	// role_boundaries holds roles' permissions boundaries; a table of its
	// own keeps data directories made before it readable without a
	// column migration.
	`CREATE TABLE IF NOT EXISTS role_boundaries (
		account TEXT NOT NULL, name TEXT NOT NULL, policy_arn TEXT NOT NULL,
		PRIMARY KEY (account, name))`,
	`CREATE TABLE IF NOT EXISTS role_policies (
		account TEXT NOT NULL, role TEXT NOT NULL, name TEXT NOT NULL, document TEXT NOT NULL,
		PRIMARY KEY (account, role, name))`,
	`CREATE TABLE IF NOT EXISTS role_attachments (
		account TEXT NOT NULL, role TEXT NOT NULL, policy_arn TEXT NOT NULL, seq INTEGER NOT NULL,
		PRIMARY KEY (account, role, policy_arn))`,
	`CREATE TABLE IF NOT EXISTS policies (
		account TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL,
		description TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL,
		default_version TEXT NOT NULL, next_version INTEGER NOT NULL, tags TEXT NOT NULL,
		PRIMARY KEY (account, name))`,
	`CREATE TABLE IF NOT EXISTS policy_versions (
		account TEXT NOT NULL, policy TEXT NOT NULL, version TEXT NOT NULL, document TEXT NOT NULL,
		created INTEGER NOT NULL,
		PRIMARY KEY (account, policy, version))`,
	`CREATE TABLE IF NOT EXISTS users (
		account TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL,
		created INTEGER NOT NULL, tags TEXT NOT NULL, boundary TEXT NOT NULL,
		PRIMARY KEY (account, name))`,
	`CREATE TABLE IF NOT EXISTS groups (
		account TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL,
		created INTEGER NOT NULL,
		PRIMARY KEY (account, name))`,
	`CREATE TABLE IF NOT EXISTS group_members (
		account TEXT NOT NULL, grp TEXT NOT NULL, user TEXT NOT NULL, seq INTEGER NOT NULL,
		PRIMARY KEY (account, grp, user))`,
	`CREATE TABLE IF NOT EXISTS user_policies (
		account TEXT NOT NULL, entity TEXT NOT NULL, name TEXT NOT NULL, document TEXT NOT NULL,
		PRIMARY KEY (account, entity, name))`,
	`CREATE TABLE IF NOT EXISTS user_attachments (
		account TEXT NOT NULL, entity TEXT NOT NULL, policy_arn TEXT NOT NULL, seq INTEGER NOT NULL,
		PRIMARY KEY (account, entity, policy_arn))`,
	`CREATE TABLE IF NOT EXISTS group_policies (
		account TEXT NOT NULL, entity TEXT NOT NULL, name TEXT NOT NULL, document TEXT NOT NULL,
		PRIMARY KEY (account, entity, name))`,
	`CREATE TABLE IF NOT EXISTS group_attachments (
		account TEXT NOT NULL, entity TEXT NOT NULL, policy_arn TEXT NOT NULL, seq INTEGER NOT NULL,
		PRIMARY KEY (account, entity, policy_arn))`,
	// access_keys holds IAM users' long-term keys; only a SHA-256 hash of
	// each secret is kept.
	`CREATE TABLE IF NOT EXISTS access_keys (
		access_key_id TEXT PRIMARY KEY, account TEXT NOT NULL, user TEXT NOT NULL,
		status TEXT NOT NULL, created INTEGER NOT NULL, secret_sha256 TEXT NOT NULL)`,
	docsSchema,
	`CREATE TABLE IF NOT EXISTS sessions (
		access_key_id TEXT PRIMARY KEY, secret_sha256 TEXT NOT NULL, token_sha256 TEXT NOT NULL,
		account TEXT NOT NULL, role_name TEXT NOT NULL, role_id TEXT NOT NULL,
		session_name TEXT NOT NULL, expires INTEGER NOT NULL)`,
}

// New opens iam.db in cfg.DataDir and loads the state.
func New(cfg Config) (*Service, error) {
	db, err := store.Open(filepath.Join(cfg.DataDir, "iam.db"), schema...)
	if err != nil {
		return nil, fmt.Errorf("iam: %w", err)
	}
	s := &Service{
		db:       db,
		log:      cfg.Logger,
		now:      cfg.Now,
		accounts: map[string]*account{},
		sessions: map[string]*session{},
		keys:     map[string]*accessKey{},
		docs:     map[docKey][]byte{},
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.load(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("iam: load: %w", err)
	}
	s.iamHandler = &protocol.QueryService{XMLNS: iamXMLNS, Ops: s.iamOps(), Logger: s.log}
	s.stsHandler = &protocol.QueryService{XMLNS: stsXMLNS, Ops: s.stsOps(), Logger: s.log}
	go s.sweep()
	return s, nil
}

// Route is how the router finds IAM.
func (s *Service) Route() protocol.Route {
	return protocol.Route{Service: "iam", QueryVersions: []string{"2010-05-08"}, Handler: s.iamHandler}
}

// STSRoute is how the router finds STS.
func (s *Service) STSRoute() protocol.Route {
	return protocol.Route{Service: "sts", QueryVersions: []string{"2011-06-15"}, Handler: s.stsHandler, Unsigned: unsignedSTS}
}

// Close stops the background sweep and closes the database; it is idempotent.
func (s *Service) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
		err = s.db.Close()
	})
	return err
}

// sweep drops expired temporary credentials once a minute.
func (s *Service) sweep() {
	defer close(s.done)
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.dropExpiredSessions(context.Background())
		}
	}
}

// noAccount is what view returns for an account with no IAM state; it is
// never modified.
var noAccount = newAccount()

// view returns an account's state for reading; s.mu must be held.
func (s *Service) view(id string) *account {
	if a := s.accounts[id]; a != nil {
		return a
	}
	return noAccount
}

// acct returns an account's state, creating it; s.mu must be held for writing.
func (s *Service) acct(id string) *account {
	a := s.accounts[id]
	if a == nil {
		a = newAccount()
		s.accounts[id] = a
	}
	return a
}

func (s *Service) load(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT r.account, r.name, r.id, r.path, r.created, r.trust, r.description, r.max_session, r.tags, COALESCE(b.policy_arn, '')
		FROM roles r LEFT JOIN role_boundaries b ON b.account = r.account AND b.name = r.name`)
	if err != nil {
		return err
	}
	for rows.Next() {
		r := &role{holder: newHolder()}
		var acct, tags string
		var created int64
		if err := rows.Scan(&acct, &r.name, &r.id, &r.path, &created, &r.trust, &r.description, &r.maxSession, &tags, &r.boundary); err != nil {
			rows.Close()
			return err
		}
		r.account = acct
		r.created = time.UnixMilli(created).UTC()
		json.Unmarshal([]byte(tags), &r.tags)
		s.acct(acct).roles[strings.ToLower(r.name)] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	rows, err = s.db.QueryContext(ctx, `SELECT account, name, id, path, description, created, updated, default_version, next_version, tags FROM policies`)
	if err != nil {
		return err
	}
	for rows.Next() {
		p := &policy{versions: map[string]*policyVersion{}}
		var acct, tags string
		var created, updated int64
		if err := rows.Scan(&acct, &p.name, &p.id, &p.path, &p.description, &created, &updated, &p.defaultVersion, &p.nextVersion, &tags); err != nil {
			rows.Close()
			return err
		}
		p.account = acct
		p.arn = policyARN(acct, p.path, p.name)
		p.created, p.updated = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
		json.Unmarshal([]byte(tags), &p.tags)
		s.acct(acct).policies[strings.ToLower(p.name)] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	rows, err = s.db.QueryContext(ctx, `SELECT account, policy, version, document, created FROM policy_versions`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var acct, pname string
		v := &policyVersion{}
		var created int64
		if err := rows.Scan(&acct, &pname, &v.id, &v.document, &created); err != nil {
			rows.Close()
			return err
		}
		v.created = time.UnixMilli(created).UTC()
		if p := s.acct(acct).policies[strings.ToLower(pname)]; p != nil {
			p.versions[v.id] = v
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := s.loadPrincipals(ctx); err != nil {
		return err
	}
	if err := s.loadHolders(ctx); err != nil {
		return err
	}
	if err := s.loadDocs(ctx); err != nil {
		return err
	}
	return s.loadSessions(ctx)
}

// tx runs fn in a transaction and commits it.
func (s *Service) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *Service) iamOps() map[string]protocol.QueryOp {
	ops := map[string]protocol.QueryOp{
		"CreateRole":              s.createRole,
		"GetRole":                 s.getRole,
		"DeleteRole":              s.deleteRole,
		"ListRoles":               s.listRoles,
		"UpdateRole":              s.updateRole,
		"UpdateRoleDescription":   s.updateRoleDescription,
		"UpdateAssumeRolePolicy":  s.updateAssumeRolePolicy,
		"CreatePolicy":            s.createPolicy,
		"GetPolicy":               s.getPolicy,
		"DeletePolicy":            s.deletePolicy,
		"ListPolicies":            s.listPolicies,
		"GetPolicyVersion":        s.getPolicyVersion,
		"CreatePolicyVersion":     s.createPolicyVersion,
		"ListPolicyVersions":      s.listPolicyVersions,
		"DeletePolicyVersion":     s.deletePolicyVersion,
		"SetDefaultPolicyVersion": s.setDefaultPolicyVersion,
		"ListEntitiesForPolicy":   s.listEntitiesForPolicy,
		"SimulatePrincipalPolicy": s.simulatePrincipalPolicy,
		"SimulateCustomPolicy":    s.simulateCustomPolicy,
	}
	s.holderOps(ops)
	s.userOps(ops)
	s.groupOps(ops)
	s.accessKeyOps(ops)
	s.instanceProfileOps(ops)
	s.providerOps(ops)
	s.accountOps(ops)
	s.credentialOps(ops)
	s.mfaOps(ops)
	s.serverCertOps(ops)
	s.reportOps(ops)
	s.lastAccessedOps(ops)
	s.serviceRoleOps(ops)
	s.tagOps(ops)
	return partitionedOps(ops)
}

func (s *Service) stsOps() map[string]protocol.QueryOp {
	return partitionedOps(map[string]protocol.QueryOp{
		"GetCallerIdentity": s.getCallerIdentity,
		"AssumeRole":        s.assumeRole,
		"GetSessionToken":   s.getSessionToken,
		"GetAccessKeyInfo":  s.getAccessKeyInfo,

		"GetFederationToken":         s.getFederationToken,
		"AssumeRoleWithWebIdentity":  s.assumeRoleWithWebIdentity,
		"DecodeAuthorizationMessage": s.decodeAuthorizationMessage,
		"AssumeRoleWithSAML":         s.assumeRoleWithSAML,
	})
}

// Errors in IAM's shapes.
func noSuchEntity(format string, args ...any) error {
	return &protocol.Error{Code: "NoSuchEntity", Message: fmt.Sprintf(format, args...), Status: 404}
}

func alreadyExists(format string, args ...any) error {
	return &protocol.Error{Code: "EntityAlreadyExists", Message: fmt.Sprintf(format, args...), Status: 409}
}

func deleteConflict(format string, args ...any) error {
	return &protocol.Error{Code: "DeleteConflict", Message: fmt.Sprintf(format, args...), Status: 409}
}

func limitExceeded(format string, args ...any) error {
	return &protocol.Error{Code: "LimitExceeded", Message: fmt.Sprintf(format, args...), Status: 409}
}

func validation(format string, args ...any) error {
	return protocol.Errorf("ValidationError", format, args...)
}

// validationErrors is the ValidationError listing a request's broken
// constraints, "N validation errors detected: a; b", or nil for none.
func validationErrors(broken []string) error {
	if len(broken) == 0 {
		return nil
	}
	return validation("%s", protocol.ValidationMessage(broken))
}

func invalidInput(format string, args ...any) error {
	return protocol.Errorf("InvalidInput", format, args...)
}

// required returns the form value name or a ValidationError naming it.
func required(form url.Values, name string) (string, error) {
	v := form.Get(name)
	if v == "" {
		return "", validation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(name))
	}
	return v, nil
}

// requiredName returns the form value name, an IAM entity name of at most
// max characters, or the ValidationError for it.
func requiredName(form url.Values, name string, max int) (string, error) {
	v, err := required(form, name)
	if err != nil {
		return "", err
	}
	if err := validName(lowerFirst(name), v, max); err != nil {
		return "", err
	}
	return v, nil
}

// requiredDocument returns the form value name, a policy document (decoded
// when sent percent-encoded) that checkPolicy accepts.
func requiredDocument(form url.Values, name string, max int, quota string, kind policyKind) (string, error) {
	doc, err := required(form, name)
	if err != nil {
		return "", err
	}
	doc = decodeInputDocument(doc)
	if err := checkPolicy(doc, max, quota, kind); err != nil {
		return "", err
	}
	return doc, nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'A' && b[0] <= 'Z' {
		b[0] += 'a' - 'A'
	}
	return string(b)
}

package dynamo

import (
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// DefaultTableDelay is how long a table stays CREATING, UPDATING or
// DELETING when Config.TableDelay is 0: long enough that a client which
// uses a table without waiting for it (aws dynamodb wait table-exists, the
// SDKs' waiters) fails locally as it would on AWS, short enough not to slow
// a script that waits.
const DefaultTableDelay = 300 * time.Millisecond

// Table and index statuses, as DynamoDB names them.
const (
	statusCreating = "CREATING"
	statusUpdating = "UPDATING"
	statusDeleting = "DELETING"
	statusActive   = "ACTIVE"
)

// tableDelay is cfg.TableDelay with its default applied.
func tableDelay(d time.Duration) time.Duration {
	switch {
	case d == 0:
		return DefaultTableDelay
	case d < 0:
		return 0
	}
	return d
}

// startTransition puts meta in status (CREATING or UPDATING) until the
// service's delay has passed. The end is persisted with the table, so a
// table that was CREATING when the process died is ACTIVE once it has
// passed after a restart, never lost.
func (s *Service) startTransition(m *tableMeta, status string, now time.Time) {
	m.Pending, m.PendingUntil = status, now.Add(s.delay)
}

// status is the table's TableStatus at now; the caller holds t.mu.
func (t *table) status(now time.Time) string {
	switch {
	case t.deleted:
		return statusDeleting
	case t.meta.Pending != "" && now.Before(t.meta.PendingUntil):
		return t.meta.Pending
	}
	return statusActive
}

// creating reports whether the table is still CREATING at now without
// taking t.mu: item operations ask it on every request.
func (t *table) creating(now time.Time) bool {
	until := t.creatingUntil.Load()
	if until == 0 {
		return false
	}
	if now.UnixNano() < until {
		return true
	}
	t.creatingUntil.Store(0)
	return false
}

// gone reports whether a DELETING table has finished being deleted at now.
func (t *table) gone(now time.Time) bool {
	at := t.goneAt.Load()
	return at != 0 && now.UnixNano() >= at
}

// inUse is DynamoDB's answer to a change of a table that is not ACTIVE;
// the caller holds t.mu.
func (t *table) inUse(now time.Time) error {
	var doing string
	switch t.status(now) {
	case statusCreating:
		doing = "created"
	case statusUpdating:
		doing = "updated"
	case statusDeleting:
		doing = "deleted"
	default:
		return nil
	}
	return protocol.Errorf("ResourceInUseException", "Attempt to change a resource which is still in use: Table is being %s: %s", doing, t.meta.Name)
}

// indexStatus is a GSI's IndexStatus at now and whether it is backfilling.
func (g *indexMeta) status(now time.Time, table string) (string, bool) {
	switch {
	case table == statusDeleting:
		return statusDeleting, false
	case table == statusCreating:
		// Indexes made with the table are CREATING with it (not
		// backfilling: there is nothing to fill yet).
		return statusCreating, false
	case now.Before(g.CreatingUntil):
		return statusCreating, true
	case g.updating(now):
		return statusUpdating, false
	}
	return statusActive, false
}

// updating reports whether a throughput change has yet to take effect.
func (m *provisioned) updating(now time.Time) bool {
	return now.Before(m.IncreaseDone) || now.Before(m.DecreaseDone)
}

// dropGone removes a table whose deletion has finished from the service's
// map, unless a new table of the same name has taken its place.
func (s *Service) dropGone(key tableKey, t *table) {
	s.mu.Lock()
	if s.tables[key] == t {
		delete(s.tables, key)
	}
	s.mu.Unlock()
}

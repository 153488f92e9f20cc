// Package store opens the SQLite databases the local cloud keeps its state in.
//
// Each service has its own database file, so no lock is shared across
// services. Databases run in WAL mode with synchronous=NORMAL: a committed
// transaction survives the process being killed (kill -9), which is the
// durability the local cloud promises; a power cut may lose the last
// transactions, which it does not promise.
package store

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go)
)

// Open opens (creating if needed) the database at path and applies schema, a
// list of statements run in one transaction (use CREATE ... IF NOT EXISTS).
// Writes go through one connection at a time (SQLite allows one writer);
// reads may run in parallel.
func Open(path string, schema ...string) (*sql.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data dir for %s: %w", path, err)
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(10000)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if len(schema) > 0 {
		tx, err := db.Begin()
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("migrate %s: %w", path, err)
		}
		for _, s := range schema {
			if _, err := tx.Exec(s); err != nil {
				tx.Rollback()
				db.Close()
				return nil, fmt.Errorf("migrate %s: %q: %w", path, s, err)
			}
		}
		if err := tx.Commit(); err != nil {
			db.Close()
			return nil, fmt.Errorf("migrate %s: %w", path, err)
		}
	}
	return db, nil
}

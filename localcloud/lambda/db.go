package lambda

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

var schema = []string{
	`CREATE TABLE IF NOT EXISTS functions (
		account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
		data TEXT NOT NULL,
		PRIMARY KEY (account, region, name))`,
	`CREATE TABLE IF NOT EXISTS async_events (
		id TEXT PRIMARY KEY,
		account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
		payload BLOB NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		next_at INTEGER NOT NULL,
		source TEXT NOT NULL DEFAULT '')`,
}

// load reads every function into memory and removes code directories that
// no function uses any more (left behind by updates or a crash).
func (s *Service) load() error {
	rows, err := s.db.Query(`SELECT data FROM functions`)
	if err != nil {
		return fmt.Errorf("load functions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return fmt.Errorf("load functions: %w", err)
		}
		f := &function{}
		if err := json.Unmarshal([]byte(data), f); err != nil {
			return fmt.Errorf("load functions: %w", err)
		}
		s.fns[f.key()] = f
		s.conc.setReserved(f.key(), f.Reserved)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load functions: %w", err)
	}
	if err := s.loadQualified(); err != nil {
		return err
	}
	if err := s.loadLayers(); err != nil {
		return err
	}
	if err := s.loadConfigs(); err != nil {
		return err
	}
	for _, f := range s.fns {
		s.removeStaleCode(f.Account, f.Region, f.Name, f.CodeHex)
	}
	return nil
}

// saveFunction commits f's definition.
func (s *Service) saveFunction(f *function) error {
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("save function %s: %w", f.Name, err)
	}
	_, err = s.db.Exec(`INSERT INTO functions (account, region, name, data) VALUES (?, ?, ?, ?)
		ON CONFLICT (account, region, name) DO UPDATE SET data = excluded.data`, f.Account, f.Region, f.Name, string(b))
	if err != nil {
		return fmt.Errorf("save function %s: %w", f.Name, err)
	}
	return nil
}

// deleteFunctionRow removes a function, its versions, aliases and queued
// events.
func (s *Service) deleteFunctionRow(k fnKey) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("delete function %s: %w", k.name, err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`DELETE FROM functions WHERE account = ? AND region = ? AND name = ?`, k.account, k.region, k.name); err != nil {
		return fmt.Errorf("delete function %s: %w", k.name, err)
	}
	for _, table := range []string{"async_events", "versions", "aliases", "fn_configs"} {
		if _, err := tx.Exec(`DELETE FROM `+table+` WHERE account = ? AND region = ? AND name = ?`, k.account, k.region, k.name); err != nil {
			return fmt.Errorf("delete function %s: %w", k.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete function %s: %w", k.name, err)
	}
	return nil
}

// publish makes f the current version of its function.
func (s *Service) publish(f *function) {
	s.mu.Lock()
	s.fns[f.key()] = f
	s.mu.Unlock()
}

// removeStaleCode deletes code zips and directories of a function other
// than keepHex and its versions', unless an environment still runs from
// them.
func (s *Service) removeStaleCode(account, region, name, keepHex string) {
	keep := s.codeInUse(fnKey{account, region, name})
	keep[keepHex] = true
	dir := s.fnDir(account, region, name)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		n := e.Name()
		base := n
		if filepath.Ext(n) == ".zip" {
			base = n[:len(n)-4]
		}
		if keep[base] {
			continue
		}
		p := filepath.Join(dir, n)
		if e.IsDir() && s.envs.usesDir(p) {
			continue
		}
		os.RemoveAll(p)
	}
}

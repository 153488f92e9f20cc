// Package labs holds the course's lab content (markdown instructions, check
// manifests, diagrams) and the names of the resources the labs build.
package labs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultNames are the resource names LABS.md uses. A learner may choose
// others and record them once in their config; the kit and the grader read
// the same config, so nothing hard-codes a name the learner cannot change.
var defaultNames = map[string]string{
	"ordersTable":        "Orders",
	"authorizerFunction": "order-authorizer",
	"intakeFunction":     "order-intake",
	"publisherFunction":  "order-publisher",
	"inventoryWorker":    "inventory-worker",
	"accountingWorker":   "accounting-worker",
	"intakeRole":         "order-intake-role",
	"authorizerRole":     "order-authorizer-role",
	"publisherRole":      "order-publisher-role",
	"inventoryRole":      "inventory-worker-role",
	"accountingRole":     "accounting-worker-role",
	"api":                "orders-api",
	"topic":              "order-events",
	"inventoryQueue":     "inventory-orders",
	"inventoryDLQ":       "inventory-orders-dlq",
	"accountingQueue":    "accounting-orders",
	"accountingDLQ":      "accounting-orders-dlq",
	"publisherDLQ":       "order-publisher-dlq",
	"inventoryService":   "inventory-service",
	"accountingService":  "accounting-service",
	"inventoryTable":     "inventory-records",
	"accountingTable":    "accounting-records",
	"downstreamApi":      "downstream-api",
	"downstreamRole":     "downstream-service-role",
	"alertsTopic":        "ops-alerts",
	"alertsQueue":        "ops-alerts-inbox",
	"dashboard":          "orders-pipeline",
}

// DefaultNames returns a copy of the default resource names.
func DefaultNames() map[string]string {
	out := make(map[string]string, len(defaultNames))
	for k, v := range defaultNames {
		out[k] = v
	}
	return out
}

// NameKeys returns the name keys in sorted order.
func NameKeys() []string {
	keys := make([]string, 0, len(defaultNames))
	for k := range defaultNames {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Config is the learner's small config file: the names they chose and the
// target they work against.
type Config struct {
	// Names overrides DefaultNames key by key.
	Names map[string]string `json:"names,omitempty"`
	// Target is "local" or "aws"; Endpoint, Profile and Region refine it.
	Target   string `json:"target,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
	Profile  string `json:"profile,omitempty"`
	Region   string `json:"region,omitempty"`
}

// ConfigPath is where the learner's config lives unless a command is told
// otherwise: $LABKIT_CONFIG, else labkit/config.json in the user config dir.
func ConfigPath() string {
	if p := os.Getenv("LABKIT_CONFIG"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ".labkit.json"
	}
	return filepath.Join(dir, "labkit", "config.json")
}

// LoadConfig reads the config at path; a missing file is an empty config.
func LoadConfig(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("read config %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("read config %s: %w", path, err)
	}
	for k := range c.Names {
		if _, ok := defaultNames[k]; !ok {
			return c, fmt.Errorf("config %s: unknown name key %q (known: %s)", path, k, strings.Join(NameKeys(), ", "))
		}
	}
	return c, nil
}

// SaveConfig writes c to path, creating its directory.
func SaveConfig(path string, c Config) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	return nil
}

// ResolvedNames returns the default names with c's overrides applied.
func (c Config) ResolvedNames() map[string]string {
	n := DefaultNames()
	for k, v := range c.Names {
		if v != "" {
			n[k] = v
		}
	}
	return n
}

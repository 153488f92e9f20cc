package labs

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigOverridesNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "labkit", "config.json")
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatalf("missing config: got %v, want empty config", err)
	}
	if got := c.ResolvedNames()["ordersTable"]; got != "Orders" {
		t.Errorf("default ordersTable: got %q, want Orders", got)
	}
	c.Names = map[string]string{"ordersTable": "ShopOrders"}
	if err := SaveConfig(path, c); err != nil {
		t.Fatal(err)
	}
	c2, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	n := c2.ResolvedNames()
	if n["ordersTable"] != "ShopOrders" || n["topic"] != "order-events" {
		t.Errorf("got ordersTable=%q topic=%q, want ShopOrders and the default topic", n["ordersTable"], n["topic"])
	}
	if DefaultNames()["ordersTable"] != "Orders" {
		t.Errorf("ResolvedNames changed the defaults")
	}
}

func TestConfigRejectsUnknownKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	if err := SaveConfig(path, Config{Names: map[string]string{"ordrsTable": "x"}}); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(path)
	if err == nil || !strings.Contains(err.Error(), `"ordrsTable"`) {
		t.Errorf("got %v, want an error naming the unknown key", err)
	}
}

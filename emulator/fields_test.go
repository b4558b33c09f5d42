package emulator

import (
	"encoding/json"
	"testing"
)

// TestRestriction: a restriction must be in the tenant's list; the schema
// makes it nullable, so null removes it.
func TestRestriction(t *testing.T) {
	e := newEnv(t, Config{Restrictions: []string{"DE", "AT"}})
	e.createCustomer(t, "c1", map[string]any{"contactEmail": "c1@example.com", "restriction": "DE"})
	if c := e.must(t, 200, req{method: "GET", path: "/customers/c1"}).jsonMap(t); c["restriction"] != "DE" {
		t.Fatalf("restriction = %v", c["restriction"])
	}
	e.must(t, 400, req{method: "POST", path: "/customers", body: map[string]any{"contactEmail": "c2@example.com", "restriction": "FR"}})
	e.do(t, e.loose, req{method: "PATCH", path: "/customers/c1", ctype: "application/merge-patch+json", body: map[string]any{"restriction": "FR"}})
	if c := e.must(t, 200, req{method: "GET", path: "/customers/c1"}).jsonMap(t); c["restriction"] != "DE" {
		t.Fatalf("a refused restriction was applied: %v", c["restriction"])
	}
	e.must(t, 200, req{method: "PATCH", path: "/customers/c1", ctype: "application/merge-patch+json", body: map[string]any{"restriction": nil}})
	if c := e.must(t, 200, req{method: "GET", path: "/customers/c1"}).jsonMap(t); c["restriction"] != nil {
		t.Fatalf("restriction not removed by null: %v", c["restriction"])
	}
}

// TestAddressMixinsAndExtraLines: address mixins merge like customer mixins,
// metadata.mixins holds the schema links, extra lines round-trip.
func TestAddressMixinsAndExtraLines(t *testing.T) {
	e := newEnv(t, Config{})
	e.createCustomer(t, "c1", map[string]any{"contactEmail": "c1@example.com"})
	id := e.addAddress(t, "c1", map[string]any{"id": "erp-7", "contactName": "A", "extraLine1": "c/o B",
		"mixins":   map[string]any{"erp": map[string]any{"dock": "3", "hours": map[string]any{"from": 8, "to": 16}}},
		"metadata": map[string]any{"mixins": map[string]any{"erp": "https://example.com/erp.v1.json"}}})
	if id != "erp-7" {
		t.Fatalf("id = %q, want the custom id", id)
	}
	e.must(t, 409, req{method: "POST", path: "/customers/c1/addresses", body: map[string]any{"id": "erp-7", "contactName": "B"}})
	e.must(t, 200, req{method: "PATCH", path: "/customers/c1/addresses/erp-7",
		body: map[string]any{"mixins": map[string]any{"erp": map[string]any{"hours": map[string]any{"to": 18}}}}})
	a := e.must(t, 200, req{method: "GET", path: "/customers/c1/addresses/erp-7"}).jsonMap(t)
	if b, _ := json.Marshal(a["mixins"]); string(b) != `{"erp":{"dock":"3","hours":{"from":8,"to":18}}}` {
		t.Errorf("mixins after merge patch = %s", b)
	}
	if meta, _ := a["metadata"].(map[string]any); meta["mixins"].(map[string]any)["erp"] != "https://example.com/erp.v1.json" {
		t.Errorf("metadata = %v", a["metadata"])
	}
	if a["extraLine1"] != "c/o B" {
		t.Errorf("extraLine1 = %v", a["extraLine1"])
	}
}

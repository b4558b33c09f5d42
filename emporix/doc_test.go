package emporix

import (
	"encoding/json"
	"testing"
)

// TestExtraMembers: members the types do not model survive a read (Doc shows
// them) and a create sends them, so a field added to the sync's table needs
// no change here.
func TestExtraMembers(t *testing.T) {
	body := []byte(`[{"customerNumber":"C1","nickname":"jo","mixins":{"erp":{"n":12345678901234567}},` +
		`"addresses":[{"id":"a1","contactName":"A","floor":3}]}]`)
	var list []Customer
	if err := decode(&call{}, &result{body: body}, &list); err != nil {
		t.Fatal(err)
	}
	doc := list[0].Doc()
	if doc["nickname"] != "jo" || list[0].Addresses[0].Doc()["floor"] != json.Number("3") {
		t.Errorf("doc %v / %v", doc, list[0].Addresses[0].Doc())
	}
	if n := doc["mixins"].(map[string]any)["erp"].(map[string]any)["n"]; n != json.Number("12345678901234567") {
		t.Errorf("mixin number %v lost digits", n)
	}
	c, err := CustomerFromDoc(map[string]any{"id": "C2", "nickname": "jo", "firstName": "Jo"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bodyOf(c, c.Extra)
	if err != nil || string(b) != `{"firstName":"Jo","id":"C2","nickname":"jo"}` {
		t.Errorf("create body %s, %v", b, err)
	}
}

// A body's unmodelled members are taken from its document; they are exactly
// what parsing the encoded document finds.
func TestFromDocExtraMatchesParse(t *testing.T) {
	docs := []map[string]any{
		{"id": "C1", "firstName": "Jo"},
		{"id": "C2", "nickname": "<jo & co>", "mixins": map[string]any{"erp": map[string]any{"n": json.Number("12345678901234567"), "tags": []any{"a", nil}}}},
		{"contactName": "A", "floor": json.Number("3"), "door": map[string]any{}, "note": "ü\u2028"},
	}
	for _, doc := range docs {
		for _, known := range []map[string]bool{customerMembers, addressMembers} {
			var got map[string]json.RawMessage
			if err := fromDoc(doc, &map[string]any{}, known, &got); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(doc)
			var want map[string]json.RawMessage
			if err := extraOf(b, known, &want, nil); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Errorf("extra of %v: %d members, parsing finds %d", doc, len(got), len(want))
			}
			for k, raw := range want {
				if string(got[k]) != string(raw) {
					t.Errorf("extra %q of %v: %s, parsing finds %s", k, doc, got[k], raw)
				}
			}
		}
	}
}

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

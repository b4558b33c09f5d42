package importer

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func jsonDecoder(s string) *json.Decoder {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	return dec
}

func TestWritePreviewRedactsSecretsAndKeepsOrder(t *testing.T) {
	var buf bytes.Buffer
	if err := redactValue(jsonDecoder(`{"rows":[2],"customer":{"contactEmail":"a@b.de","account":{"passwordHash":"$2a$10$abc","legacyAuth":{"hash":"x","salt":"y","algorithm":"bcrypt"}}},"clientSecret":"s","tags":["A","B"],"n":1.5,"ok":true,"none":null}`), &buf); err != nil {
		t.Fatal(err)
	}
	want := `{"rows":[2],"customer":{"contactEmail":"a@b.de","account":{"passwordHash":"[redacted]","legacyAuth":{"hash":"[redacted]","salt":"[redacted]","algorithm":"bcrypt"}}},"clientSecret":"[redacted]","tags":["A","B"],"n":1.5,"ok":true,"none":null}`
	if got := buf.String(); got != want {
		t.Errorf("redacted\n got %s\nwant %s", got, want)
	}
	if strings.Contains(buf.String(), "$2a$") {
		t.Error("hash leaked")
	}
}

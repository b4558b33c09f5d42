package emporix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

const (
	nativeHashValue = "1:10000:NATIVE-SALT-q7:NATIVE-HASH-do-not-leak-9f2c"
	legacyHashValue = "LEGACY-HASH-do-not-leak-tBRzNZ+h9FRRm8K1qzDz3aWMgyTlg=="
)

func sampleBatch() []CustomerImport {
	return []CustomerImport{
		{Customer: Customer{ID: "C1", FirstName: "Ann"}, Account: ImportAccount{Email: "ann@example.com", PasswordHash: nativeHashValue}},
		{Customer: Customer{ContactEmail: "Bob@Example.com"}, Account: ImportAccount{Email: "bob@example.com", LegacyAuth: &LegacyAuth{
			Algorithm: LegacyHybris, Hash: legacyHashValue, Context: map[string]string{"originalUid": "bob"}}}},
	}
}

func TestImportCustomersRequestAndItems(t *testing.T) {
	ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, path string, n int) {
		writeJSON(w, http.StatusMultiStatus, `[{"index":0,"id":"C1","code":201,"status":"Created"},
			{"index":1,"code":409,"status":"Conflict","message":"Duplicate account 'bob@example.com' for tenant 'tnt'.","details":[{"message":"exists"}]}]`)
	})
	items, err := ta.client().ImportCustomers(t.Context(), sampleBatch())
	if err != nil {
		t.Fatal(err)
	}
	last := ta.last()
	if last.method != http.MethodPost || last.path != "/customers/import" || last.contentType != "application/json" {
		t.Fatalf("request %+v", last)
	}
	var sent []map[string]any
	if err := json.Unmarshal([]byte(last.body), &sent); err != nil {
		t.Fatal(err)
	}
	acct0 := sent[0]["account"].(map[string]any)
	legacy := sent[1]["account"].(map[string]any)["legacyAuth"].(map[string]any)
	if sent[0]["id"] != "C1" || acct0["passwordHash"] != nativeHashValue || acct0["legacyAuth"] != nil ||
		legacy["hash"] != legacyHashValue || legacy["algorithm"] != LegacyHybris {
		t.Errorf("body sent: %s", last.body)
	}
	if !items[0].Created() || items[0].ID != "C1" || items[0].Err() != nil {
		t.Errorf("item 0 = %+v", items[0])
	}
	if items[1].Created() || !IsConflict(items[1].Err()) || len(items[1].Details) != 1 {
		t.Errorf("item 1 = %+v, err %v", items[1], items[1].Err())
	}
}

func TestImportCustomersNeverResends(t *testing.T) {
	cases := []struct {
		name    string
		answer  func(t *testing.T, w http.ResponseWriter)
		want    []error
		retried bool
	}{
		{"lost answer", func(t *testing.T, w http.ResponseWriter) { dropConn(t, w) }, []error{ErrOutcomeUnknown}, false},
		{"503", func(_ *testing.T, w http.ResponseWriter) { writeJSON(w, 503, `{"status":503,"message":"x"}`) }, []error{ErrOutcomeUnknown}, false},
		{"502", func(_ *testing.T, w http.ResponseWriter) { writeJSON(w, 502, `{}`) }, []error{ErrOutcomeUnknown}, false},
		{"207 with too few items", func(_ *testing.T, w http.ResponseWriter) {
			writeJSON(w, 207, `[{"index":0,"id":"C1","code":201}]`)
		}, []error{ErrOutcomeUnknown, ErrImportResponse}, false},
		{"207 out of order", func(_ *testing.T, w http.ResponseWriter) {
			writeJSON(w, 207, `[{"index":1,"code":201,"id":"a"},{"index":0,"code":201,"id":"b"}]`)
		}, []error{ErrOutcomeUnknown, ErrImportResponse}, false},
		{"201 without id", func(_ *testing.T, w http.ResponseWriter) {
			writeJSON(w, 207, `[{"index":0,"code":201},{"index":1,"code":201,"id":"b"}]`)
		}, []error{ErrOutcomeUnknown, ErrImportResponse}, false},
		{"200 instead of 207", func(_ *testing.T, w http.ResponseWriter) { writeJSON(w, 200, `{}`) }, []error{ErrOutcomeUnknown, ErrImportResponse}, false},
		{"400 is final", func(_ *testing.T, w http.ResponseWriter) { writeJSON(w, 400, `{"status":400,"message":"too many"}`) }, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, path string, n int) { c.answer(t, w) })
			_, err := ta.client().ImportCustomers(t.Context(), sampleBatch())
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range c.want {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want %v", err, want)
				}
			}
			if n := ta.apiCalls.Load(); n != 1 {
				t.Errorf("%d requests: the batch must not be re-sent", n)
			}
		})
	}
	t.Run("429 is retried (not processed)", func(t *testing.T) {
		ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, path string, n int) {
			if n == 1 {
				w.Header().Set("Retry-After", "1")
				writeJSON(w, 429, `{}`)
				return
			}
			writeJSON(w, 207, `[{"index":0,"id":"C1","code":201},{"index":1,"id":"C2","code":201}]`)
		})
		items, err := ta.client().ImportCustomers(t.Context(), sampleBatch())
		if err != nil || len(items) != 2 || ta.apiCalls.Load() != 2 {
			t.Fatalf("items %v, err %v, %d requests", items, err, ta.apiCalls.Load())
		}
	})
}

func TestImportCustomersRefusesBadBatches(t *testing.T) {
	ok := sampleBatch()[0]
	mod := func(f func(*CustomerImport)) []CustomerImport {
		it := ok
		f(&it)
		return []CustomerImport{it}
	}
	big := make([]CustomerImport, MaxImportBatch+1)
	for i := range big {
		big[i] = ok
	}
	cases := map[string][]CustomerImport{
		"empty":       nil,
		"over 200":    big,
		"no e-mail":   mod(func(c *CustomerImport) { c.Account.Email = "" }),
		"no hash":     mod(func(c *CustomerImport) { c.Account.PasswordHash = "" }),
		"both hashes": mod(func(c *CustomerImport) { c.Account.LegacyAuth = &LegacyAuth{Algorithm: LegacyHybris, Hash: "h"} }),
		"legacy w/o hash": mod(func(c *CustomerImport) {
			c.Account = ImportAccount{Email: "a@b.de", LegacyAuth: &LegacyAuth{Algorithm: LegacyHybris}}
		}),
		"contact differs":  mod(func(c *CustomerImport) { c.ContactEmail = "other@example.com" }),
		"active is no DTO": mod(func(c *CustomerImport) { v := true; c.Active = &v }),
	}
	for name, batch := range cases {
		t.Run(name, func(t *testing.T) {
			ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, path string, n int) { t.Error("request sent") })
			_, err := ta.client().ImportCustomers(t.Context(), batch)
			if !errors.Is(err, ErrInvalidImport) {
				t.Fatalf("err = %v, want ErrInvalidImport", err)
			}
			if strings.Contains(err.Error(), nativeHashValue) {
				t.Error("hash in the error")
			}
		})
	}
}

// TestImportSecretsNeverLeak: a hostile server quotes the whole request body
// in every error it gives; no hash may reach an error, an item or a log line.
func TestImportSecretsNeverLeak(t *testing.T) {
	echo := func(status int, body string) string {
		q, _ := json.Marshal("bad: " + body)
		return fmt.Sprintf(`{"status":%d,"type":%s,"message":%s,"details":[{"field":%s,"message":%s}]}`, status, q, q, q, q)
	}
	steps := map[string]func(w http.ResponseWriter, body string, n int){
		"429 then 400": func(w http.ResponseWriter, body string, n int) {
			if n == 1 {
				w.Header().Set("Retry-After", "1")
				writeJSON(w, 429, echo(429, body))
				return
			}
			writeJSON(w, 400, echo(400, body))
		},
		"503": func(w http.ResponseWriter, body string, _ int) { writeJSON(w, 503, echo(503, body)) },
		"207 items": func(w http.ResponseWriter, body string, _ int) {
			q, _ := json.Marshal("bad: " + body)
			writeJSON(w, 207, fmt.Sprintf(`[{"index":0,"code":400,"status":"Bad Request","message":%s,"details":[{"message":%s}]},
				{"index":1,"code":409,"message":%s}]`, q, q, q))
		},
	}
	for name, step := range steps {
		t.Run(name, func(t *testing.T) {
			ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, path string, n int) {
				b := new(bytes.Buffer)
				_, _ = b.ReadFrom(r.Body)
				step(w, b.String(), n)
			})
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			batch := sampleBatch()
			items, err := ta.client(func(c *Config) { c.Logger = logger }).ImportCustomers(t.Context(), batch)
			var out strings.Builder
			if err != nil {
				fmt.Fprintf(&out, "%v\n%+v\n%#v\n", err, err, err)
				if ae, ok := errors.AsType[*APIError](err); ok {
					fmt.Fprintf(&out, "%+v\n", *ae)
				}
			}
			for _, it := range items {
				fmt.Fprintf(&out, "%+v %v\n", it, it.Err())
			}
			fmt.Fprintf(&out, "%v %+v %#v %s\n", batch, batch, batch, batch[1].Account.LegacyAuth.Hash)
			logger.Info("batch", "batch", batch, "hash", batch[0].Account.PasswordHash)
			slog.New(slog.NewJSONHandler(&logs, nil)).Info("batch", "hash", batch[1].Account.LegacyAuth.Hash)
			all := out.String() + logs.String()
			if !strings.Contains(all, "bad: ") || !strings.Contains(all, redacted) {
				t.Fatalf("the test saw no echoed body:\n%s", all)
			}
			for _, h := range []string{nativeHashValue, legacyHashValue, "NATIVE-HASH", "LEGACY-HASH"} {
				if strings.Contains(all, h) {
					t.Errorf("%q leaked:\n%s", h, all)
				}
			}
		})
	}
}

func TestRetentionClientErrors(t *testing.T) {
	ta := newTestAPI(t, func(w http.ResponseWriter, r *http.Request, path string, n int) {
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, 404, `{"status":404,"type":"not_found","message":"Password migration retention configuration is not set for the tenant."}`)
		case http.MethodDelete:
			writeJSON(w, 400, `{"status":400,"type":"validation_failure","message":"Configuration removal is not possible until password migration is concluded."}`)
		case http.MethodPost:
			if n == 3 {
				writeJSON(w, 503, `{}`)
				return
			}
			writeJSON(w, 200, `{"retentionEndDate":"2027-01-31","emailReminderDate":"2027-01-24","emailNotificationsEnabled":true}`)
		}
	})
	c := ta.client()
	if _, err := c.GetRetention(t.Context()); !errors.Is(err, ErrRetentionNotSet) || !IsNotFound(err) {
		t.Errorf("GET: %v", err)
	}
	if err := c.DeleteRetention(t.Context()); !errors.Is(err, ErrMigrationPending) || StatusOf(err) != 400 {
		t.Errorf("DELETE: %v", err)
	}
	got, err := c.SetRetention(t.Context(), Retention{RetentionEndDate: "2027-01-31"})
	if err != nil || got.EmailReminderDate != "2027-01-24" || got.EmailNotificationsEnabled == nil || !*got.EmailNotificationsEnabled {
		t.Errorf("POST (a 503 first, retried as the POST replaces the whole config) = %+v, %v", got, err)
	}
	if ta.last().body != `{"retentionEndDate":"2027-01-31"}` {
		t.Errorf("body %s: omitted fields must stay omitted", ta.last().body)
	}
	if _, err := c.SetRetention(t.Context(), Retention{RetentionEndDate: "31.01.2027"}); err == nil {
		t.Error("a malformed date was sent")
	}
}

package emulator

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// newImportEnv is an env whose clock stands at 2026-06-10 12:00 UTC.
func newImportEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	e := newEnv(t, cfg)
	e.setClock(t, time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC))
	return e
}

// setClock moves the emulator's clock and takes a token valid at that time.
func (e *env) setClock(t testing.TB, at time.Time) {
	e.srv.mu.Lock()
	e.srv.now = func() time.Time { return at }
	e.srv.mu.Unlock()
	e.token = e.getToken(t, "")
}

func nativeItem(email, password string) map[string]any {
	return map[string]any{"firstName": "N", "account": map[string]any{
		"email": email, "passwordHash": NativeHash(password, "salt-"+email)}}
}

func legacyItem(email, uid, password string) map[string]any {
	return map[string]any{"account": map[string]any{"email": email, "legacyAuth": map[string]any{
		"algorithm": LegacyHybris, "hash": HybrisLegacyHash(password, uid), "context": map[string]any{"originalUid": uid}}}}
}

// importBatch posts items (responses validated against the spec; requests
// not, as some items are invalid on purpose) and checks the 207 shape.
func (e *env) importBatch(t testing.TB, items ...any) []ImportItem {
	t.Helper()
	res := e.do(t, e.loose, req{method: http.MethodPost, path: "/customers/import", body: items})
	if res.status != http.StatusMultiStatus {
		t.Fatalf("import: %d %s", res.status, res.body)
	}
	var out []ImportItem
	res.decode(t, &out)
	if len(out) != len(items) {
		t.Fatalf("%d items answered for %d sent", len(out), len(items))
	}
	for i, it := range out {
		if it.Index != i {
			t.Fatalf("item %d has index %d", i, it.Index)
		}
	}
	return out
}

func TestImportItemValidation(t *testing.T) {
	e := newImportEnv(t, Config{})
	e.createCustomer(t, "TAKEN", map[string]any{"contactEmail": "taken@example.com"})
	hash := NativeHash("pw", "s")
	acct := func(m map[string]any) map[string]any { return map[string]any{"account": m} }
	cases := []struct {
		name     string
		item     any
		code     int
		contains string
	}{
		{"native hash", nativeItem("ok@example.com", "pw"), 201, ""},
		{"custom id and matching contact e-mail", map[string]any{"id": "C-7", "contactEmail": "Mixed@Example.com",
			"account": map[string]any{"email": "mixed@example.com", "passwordHash": hash}}, 201, ""},
		{"both hash kinds", acct(map[string]any{"email": "b@example.com", "passwordHash": hash,
			"legacyAuth": map[string]any{"algorithm": LegacyHybris, "hash": "h", "context": map[string]any{"originalUid": "u"}}}),
			400, "Exactly one of 'passwordHash' or 'legacyAuth'"},
		{"no hash", acct(map[string]any{"email": "n@example.com"}), 400, "Exactly one of"},
		{"no account", map[string]any{"contactEmail": "x@example.com"}, 400, "account is required"},
		{"account not an object", map[string]any{"account": "x"}, 400, "must be an object"},
		{"no e-mail", acct(map[string]any{"passwordHash": hash}), 400, "account.email is required"},
		{"bad e-mail", acct(map[string]any{"email": "nope", "passwordHash": hash}), 400, "not a valid e-mail"},
		{"empty hash", acct(map[string]any{"email": "e@example.com", "passwordHash": ""}), 400, "must not be empty"},
		{"contact e-mail differs", map[string]any{"contactEmail": "other@example.com",
			"account": map[string]any{"email": "d@example.com", "passwordHash": hash}}, 400, "must match account.email"},
		{"password field is not in the DTO", map[string]any{"password": "x",
			"account": map[string]any{"email": "p@example.com", "passwordHash": hash}}, 400, "Unknown field 'password'"},
		{"unknown account field", acct(map[string]any{"email": "u@example.com", "passwordHash": hash, "salt": "x"}), 400, "account.salt"},
		{"bad id", map[string]any{"id": "a b", "account": map[string]any{"email": "i@example.com", "passwordHash": hash}}, 400, "Field 'id'"},
		{"item not an object", []any{1}, 400, "JSON object"},
		{"existing e-mail", nativeItem("TAKEN@example.com", "pw"), 409, "Duplicate account"},
		{"existing id", map[string]any{"id": "TAKEN", "account": map[string]any{"email": "t2@example.com", "passwordHash": hash}}, 409, "already exists"},
		{"repeat within the batch (id)", map[string]any{"id": "C-7", "account": map[string]any{"email": "c7b@example.com", "passwordHash": hash}}, 409, "already exists"},
		{"repeat within the batch (e-mail)", nativeItem("ok@example.com", "pw"), 409, "Duplicate account"},
		{"legacy without a retention window", legacyItem("l@example.com", "u1", "pw"), 400, "active password migration retention"},
		{"unknown algorithm", acct(map[string]any{"email": "a@example.com",
			"legacyAuth": map[string]any{"algorithm": "md5", "hash": "h", "context": map[string]any{"originalUid": "u"}}}), 400, "algorithm must be one of"},
		{"legacy without originalUid", acct(map[string]any{"email": "o@example.com",
			"legacyAuth": map[string]any{"algorithm": LegacyHybris, "hash": "h"}}), 400, "originalUid is required"},
		{"legacy without hash", acct(map[string]any{"email": "h@example.com",
			"legacyAuth": map[string]any{"algorithm": LegacyHybris, "context": map[string]any{"originalUid": "u"}}}), 400, "hash is required"},
	}
	items := make([]any, len(cases))
	for i, c := range cases {
		items[i] = c.item
	}
	before := len(e.srv.State().Customers)
	out := e.importBatch(t, items...)
	created := 0
	for i, c := range cases {
		it := out[i]
		text := it.Message
		for _, d := range it.Details {
			text += " | " + d.Message
		}
		if it.Code != c.code || !strings.Contains(text, c.contains) || it.Status != http.StatusText(c.code) {
			t.Errorf("%s: item = %+v, want %d containing %q", c.name, it, c.code, c.contains)
		}
		if (it.ID != "") != (c.code == 201) {
			t.Errorf("%s: id %q with code %d", c.name, it.ID, it.Code)
		}
		if strings.Contains(text, hash) {
			t.Errorf("%s: message quotes the hash", c.name)
		}
		if c.code == 201 {
			created++
		}
	}
	if n := len(e.srv.State().Customers) - before; n != created {
		t.Errorf("%d customers stored, %d items answered 201", n, created)
	}
	a, ok := e.srv.Account("C-7")
	if !ok || a.PasswordHash != hash || a.Legacy != nil || a.Email != "mixed@example.com" {
		t.Errorf("account of C-7 = %+v, %v", a, ok)
	}
	if st := e.srv.State(); st.Customers[0].PasswordResetNotification {
		t.Error("an import sends no password reset e-mail")
	}
}

func TestImportBatchLimitsAndScopes(t *testing.T) {
	e := newImportEnv(t, Config{})
	big := make([]any, MaxImportBatch+1)
	for i := range big {
		big[i] = nativeItem(fmt.Sprintf("u%d@example.com", i), "pw")
	}
	res := e.do(t, e.loose, req{method: http.MethodPost, path: "/customers/import", body: big})
	if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), "maximum batch size is 200") {
		t.Fatalf("201 items: %d %s", res.status, res.body)
	}
	if n := len(e.srv.State().Customers); n != 0 {
		t.Fatalf("an oversized batch created %d customers", n)
	}
	if out := e.importBatch(t, big[:MaxImportBatch]...); out[MaxImportBatch-1].Code != 201 {
		t.Fatalf("200 items: last = %+v", out[MaxImportBatch-1])
	}
	for _, body := range []string{`{}`, `[]`, `[1] x`} {
		if res := e.do(t, e.loose, req{method: http.MethodPost, path: "/customers/import", body: body}); res.status != 400 {
			t.Errorf("body %s: %d, want 400", body, res.status)
		}
	}
	// Every token carries the client's assigned scopes: clients without the
	// import scopes are refused.
	custOnly := newImportEnv(t, Config{Scopes: []string{ScopeCustomerRead, ScopeCustomerManage}})
	if res := custOnly.do(t, custOnly.client, req{method: http.MethodPost, path: "/customers/import", body: []any{nativeItem("s@example.com", "pw")}}); res.status != 403 {
		t.Errorf("import without import_manage: %d, want 403", res.status)
	}
	if res := custOnly.do(t, custOnly.client, req{method: http.MethodGet, path: "/config/password-migration-retention"}); res.status != 403 {
		t.Errorf("GET retention without import_read: %d, want 403", res.status)
	}
	readOnly := newImportEnv(t, Config{Scopes: []string{ScopeImportRead}})
	if res := readOnly.do(t, readOnly.client, req{method: http.MethodGet, path: "/config/password-migration-retention"}); res.status != 404 || len(res.body) != 0 {
		t.Errorf("GET retention with import_read: %d %q, want 404 without a body (unset)", res.status, res.body)
	}
	if res := readOnly.do(t, readOnly.client, req{method: http.MethodPost, path: "/config/password-migration-retention",
		body: map[string]any{"retentionEndDate": "2027-01-31"}}); res.status != 403 {
		t.Errorf("POST retention with import_read only: %d, want 403", res.status)
	}
}

func TestRetentionDefaultsAndDates(t *testing.T) {
	e := newImportEnv(t, Config{}) // today is 2026-06-10
	cases := []struct {
		name string
		body any
		code int
		want string // JSON answer (200) or a message fragment (400)
	}{
		{"defaults", map[string]any{"retentionEndDate": "2027-01-31"}, 200,
			`{"retentionEndDate":"2027-01-31","emailReminderDate":"2027-01-24","emailNotificationsEnabled":true}`},
		{"reminder would be today: tomorrow", map[string]any{"retentionEndDate": "2026-06-17"}, 200,
			`{"retentionEndDate":"2026-06-17","emailReminderDate":"2026-06-11","emailNotificationsEnabled":true}`},
		{"reminder would be in the past: tomorrow", map[string]any{"retentionEndDate": "2026-06-12", "emailNotificationsEnabled": false}, 200,
			`{"retentionEndDate":"2026-06-12","emailReminderDate":"2026-06-11","emailNotificationsEnabled":false}`},
		{"explicit reminder today", map[string]any{"retentionEndDate": "2026-07-01", "emailReminderDate": "2026-06-10"}, 200,
			`{"retentionEndDate":"2026-07-01","emailReminderDate":"2026-06-10","emailNotificationsEnabled":true}`},
		{"end today", map[string]any{"retentionEndDate": "2026-06-10"}, 400, "future date"},
		{"end in the past", map[string]any{"retentionEndDate": "2025-01-01"}, 400, "future date"},
		{"end missing", map[string]any{"emailReminderDate": "2026-07-01"}, 400, "retentionEndDate is required"},
		{"empty body", "", 400, "retentionEndDate is required"},
		{"not a date", map[string]any{"retentionEndDate": "31.01.2027"}, 400, "YYYY-MM-DD"},
		{"reminder before today", map[string]any{"retentionEndDate": "2027-01-31", "emailReminderDate": "2026-06-09"}, 400, "on or after today"},
		{"reminder on the end", map[string]any{"retentionEndDate": "2027-01-31", "emailReminderDate": "2027-01-31"}, 400, "before retentionEndDate"},
		{"flag not a boolean", map[string]any{"retentionEndDate": "2027-01-31", "emailNotificationsEnabled": "no"}, 400, "must be a boolean"},
		{"unknown field", map[string]any{"retentionEndDate": "2027-01-31", "x": 1}, 400, "Unknown field 'x'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := e.do(t, e.loose, req{method: http.MethodPost, path: "/config/password-migration-retention", body: c.body})
			if res.status != c.code {
				t.Fatalf("status %d, want %d: %s", res.status, c.code, res.body)
			}
			if c.code == 200 {
				jsonEq(t, res.body, c.want)
				got := e.must(t, 200, req{method: http.MethodGet, path: "/config/password-migration-retention"})
				jsonEq(t, got.body, c.want)
			} else if !strings.Contains(string(res.body), c.want) {
				t.Errorf("body %s lacks %q", res.body, c.want)
			}
		})
	}
}

func TestLegacyMigrationLifecycle(t *testing.T) {
	e := newImportEnv(t, Config{})
	e.must(t, 204, req{method: http.MethodDelete, path: "/config/password-migration-retention"}) // nothing set: no-op
	e.must(t, 200, req{method: http.MethodPost, path: "/config/password-migration-retention", body: map[string]any{"retentionEndDate": "2026-12-31"}})
	// A valid batch: the request is validated against the spec too.
	var out []ImportItem
	e.must(t, http.StatusMultiStatus, req{method: http.MethodPost, path: "/customers/import", body: []any{
		legacyItem("ann@example.com", "ann-uid", "s3cret"), legacyItem("bob@example.com", "bob-uid", "hunter2"),
		nativeItem("cy@example.com", "native-pw")}}).decode(t, &out)
	for i, it := range out {
		if it.Code != 201 {
			t.Fatalf("item %d: %+v", i, it)
		}
	}
	ann, bob := out[0].ID, out[1].ID
	refused := e.do(t, e.client, req{method: http.MethodDelete, path: "/config/password-migration-retention"})
	if refused.status != 400 || !strings.Contains(string(refused.body), "not possible until password migration is concluded") {
		t.Fatalf("DELETE with legacy hashes left: %d %s", refused.status, refused.body)
	}

	// A wrong password changes nothing; the right one rehashes once.
	if _, err := e.srv.Login("ann@example.com", "wrong"); !errors.Is(err, ErrLoginFailed) {
		t.Fatalf("wrong password: %v", err)
	}
	res, err := e.srv.Login("ANN@example.com", "s3cret")
	if err != nil || !res.Rehashed || res.CustomerNumber != ann {
		t.Fatalf("first login = %+v, %v", res, err)
	}
	a, _ := e.srv.Account(ann)
	if a.Legacy != nil || !a.Rehashed || !verifyNative(a.PasswordHash, "s3cret") {
		t.Fatalf("after the first login: legacy %v, rehashed %v", a.Legacy != nil, a.Rehashed)
	}
	if res, err := e.srv.Login("ann@example.com", "s3cret"); err != nil || res.Rehashed {
		t.Fatalf("second login = %+v, %v (want native, no rehash)", res, err)
	}
	if res, err := e.srv.Login("cy@example.com", "native-pw"); err != nil || res.Rehashed {
		t.Fatalf("native login = %+v, %v", res, err)
	}

	// Through the HTTP hook (outside the spec: a plain client), for bob.
	login := func(body string) result {
		hr, _ := http.NewRequest(http.MethodPost, e.base+"/_emulator/login", strings.NewReader(body))
		hr.Header.Set("Content-Type", "application/json")
		return e.send(t, http.DefaultClient, hr)
	}
	if r := login(`{"email":"bob@example.com","password":"nope"}`); r.status != 401 {
		t.Fatalf("hook, wrong password: %d", r.status)
	}
	r := login(`{"email":"bob@example.com","password":"hunter2"}`)
	jsonEq(t, r.body, fmt.Sprintf(`{"customerNumber":%q,"rehashed":true}`, bob))

	// No legacy hash left: the window can go.
	e.must(t, 204, req{method: http.MethodDelete, path: "/config/password-migration-retention"})
	e.must(t, 404, req{method: http.MethodGet, path: "/config/password-migration-retention"})
}

func TestRetentionEndClearsLegacyHashes(t *testing.T) {
	e := newImportEnv(t, Config{})
	e.must(t, 200, req{method: http.MethodPost, path: "/config/password-migration-retention", body: map[string]any{"retentionEndDate": "2026-07-01"}})
	out := e.importBatch(t, legacyItem("late@example.com", "uid", "pw"))
	e.setClock(t, time.Date(2026, 7, 1, 23, 0, 0, 0, time.UTC)) // the last day still counts
	if it := e.importBatch(t, legacyItem("last@example.com", "uid2", "pw")); it[0].Code != 201 {
		t.Fatalf("import on the end date: %+v", it[0])
	}
	e.setClock(t, time.Date(2026, 7, 2, 0, 0, 1, 0, time.UTC))
	if it := e.importBatch(t, legacyItem("after@example.com", "uid3", "pw")); it[0].Code != 400 {
		t.Fatalf("import after the window: %+v", it[0])
	}
	if _, err := e.srv.Login("late@example.com", "pw"); err == nil {
		t.Fatal("login with a legacy hash after the window must fail")
	}
	a, _ := e.srv.Account(out[0].ID)
	if a.Legacy != nil || !a.NeedsReset {
		t.Fatalf("account after the window: %+v", a)
	}
	e.must(t, 204, req{method: http.MethodDelete, path: "/config/password-migration-retention"})
}

func TestImportFaults(t *testing.T) {
	t.Run("503 applies nothing", func(t *testing.T) {
		e := newImportEnv(t, Config{FailRate: 1})
		res := e.do(t, e.loose, req{method: http.MethodPost, path: "/customers/import", body: []any{nativeItem("f@example.com", "pw")}})
		if res.status != 503 || len(e.srv.State().Customers) != 0 {
			t.Fatalf("status %d, %d customers", res.status, len(e.srv.State().Customers))
		}
	})
	t.Run("drop after commit applies the batch", func(t *testing.T) {
		e := newImportEnv(t, Config{DropAfterCommit: 1})
		hr, _ := http.NewRequest(http.MethodPost, e.base+"/customer/demo/customers/import",
			strings.NewReader(`[{"account":{"email":"d1@example.com","passwordHash":"1:1:a:b"}},{"account":{"email":"d2@example.com","passwordHash":"1:1:a:b"}}]`))
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("Authorization", "Bearer "+e.token)
		if resp, err := http.DefaultClient.Do(hr); err == nil {
			resp.Body.Close()
			t.Fatalf("answer %d, want a dropped connection", resp.StatusCode)
		}
		if n := len(e.srv.State().Customers); n != 2 || e.srv.Stats().Dropped != 1 {
			t.Fatalf("%d customers, %d drops", n, e.srv.Stats().Dropped)
		}
		e.srv.SetFaults(0, 0, 0)
		out := e.importBatch(t, nativeItem("d1@example.com", "pw"), nativeItem("d2@example.com", "pw"))
		if out[0].Code != 409 || out[1].Code != 409 {
			t.Fatalf("re-sent batch: %+v", out)
		}
	})
	t.Run("rate limit answers 429", func(t *testing.T) {
		e := newImportEnv(t, Config{Rate: 0.001})
		codes := map[int]int{}
		for i := range 3 {
			r := e.do(t, e.loose, req{method: http.MethodPost, path: "/customers/import", body: []any{nativeItem(fmt.Sprintf("r%d@example.com", i), "pw")}})
			codes[r.status]++
		}
		if codes[429] == 0 {
			t.Fatalf("statuses %v, want a 429", codes)
		}
	})
}

func TestStateOmitsHashes(t *testing.T) {
	e := newImportEnv(t, Config{})
	e.must(t, 200, req{method: http.MethodPost, path: "/config/password-migration-retention", body: map[string]any{"retentionEndDate": "2027-01-31"}})
	e.importBatch(t, nativeItem("n@example.com", "pw"), legacyItem("l@example.com", "uid", "pw"))
	var b strings.Builder
	if err := e.srv.WriteState(&b); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{NativeHash("pw", "salt-n@example.com"), HybrisLegacyHash("pw", "uid")} {
		if strings.Contains(b.String(), h) {
			t.Errorf("state dump holds a hash")
		}
	}
}

// FuzzImportItem: any item decodes to a well-formed answer, and only a 201
// stores a customer (with an id and an account holding exactly one hash kind).
func FuzzImportItem(f *testing.F) {
	for _, seed := range []string{
		`{"account":{"email":"a@example.com","passwordHash":"1:1:a:b"}}`,
		`{"id":"C1","contactEmail":"A@example.com","account":{"email":"a@example.com","passwordHash":"x"}}`,
		`{"account":{"email":"b@example.com","legacyAuth":{"algorithm":"hybris-sha512-uid-salt","hash":"h","context":{"originalUid":"u"}}}}`,
		`{"account":{"email":"c@example.com","passwordHash":"x","legacyAuth":{}}}`,
		`{"account":null}`, `[]`, `null`, `{"account":{"email":1}}`, `{"firstName":"x","account":{"email":"d@e.fg","passwordHash":""}}`,
	} {
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, item string, active bool) {
		s := New(Config{})
		s.mu.Lock()
		defer s.mu.Unlock()
		it := s.importOne([]byte(item), active)
		switch it.Code {
		case 201:
			a := s.accounts[it.ID]
			if it.ID == "" || s.customers[it.ID] == nil || a == nil || (a.PasswordHash != "") == (a.Legacy != nil) {
				t.Fatalf("201 for %s: id %q, account %+v", item, it.ID, a)
			}
			if a.Legacy != nil && !active {
				t.Fatalf("legacy hash stored without a window: %s", item)
			}
		case 400:
			if it.ID != "" || len(s.customers) != 0 || it.Message == "" {
				t.Fatalf("400 for %s: %+v, %d customers", item, it, len(s.customers))
			}
		default:
			t.Fatalf("code %d for %s", it.Code, item)
		}
	})
}

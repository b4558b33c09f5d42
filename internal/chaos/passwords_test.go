package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/emulator"
	"github.com/emporix-import/emporix-import/mapping"
)

// accountColumns are the canonical account columns of the passwords scenario.
var accountColumns = []string{mapping.FieldPasswordHash, mapping.FieldLegacyAlgorithm, mapping.FieldLegacyHash,
	mapping.LegacyContextPrefix + "originalUid"}

// password is customer i's password: every customer gets a hash of it,
// alternately legacy (hybris, salted with the e-mail) and native.
func password(i int) string { return fmt.Sprintf("pw-%d-secret", i) }

// accountCells are the account cells of customer i (the same on each of its rows).
func accountCells(i int, c *custSpec) map[string]string {
	if i%2 == 0 {
		return map[string]string{
			mapping.FieldLegacyAlgorithm:                "hybris-sha512-uid-salt",
			mapping.FieldLegacyHash:                     emulator.HybrisLegacyHash(password(i), c.Email),
			mapping.LegacyContextPrefix + "originalUid": c.Email,
		}
	}
	return map[string]string{mapping.FieldPasswordHash: emulator.NativeHash(password(i), fmt.Sprintf("salt%d", i))}
}

// setRetention opens the tenant's password-migration window with the binary.
func setRetention(ctx context.Context, t *testing.T, bin, url string, env []string) {
	t.Helper()
	end := time.Now().UTC().AddDate(0, 1, 0).Format("2006-01-02")
	cmd := exec.CommandContext(ctx, bin, "password-migration", "set", "--end", end,
		"--api-url", url, "--tenant", "demo", "--client-id", "demo-client")
	cmd.Env = append(cmd.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("password-migration set: %v\n%s", err, out)
	}
}

// verifyLogins proves that every customer holds the hash of its own row: it
// logs in with the customer's password (the emulator's storefront login).
func verifyLogins(t *testing.T, url string, ds *dataset, v *verdict) {
	t.Helper()
	for i := range ds.Customers {
		c := &ds.Customers[i]
		body, _ := json.Marshal(map[string]string{"email": c.Email, "password": password(i)})
		resp, err := http.Post(strings.TrimSuffix(url, "/")+"/_emulator/login", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			v.WrongHash++
			v.problem("customer %d (%s): login with its password answered %d", i, c.Email, resp.StatusCode)
		}
	}
}

package bench

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/emulator"
)

// Password migration scenario (issue 11): 10,000 new customers with one
// address each, 20 ms latency, concurrency 8, created with their password
// hashes through the bulk import, against the same file without hashes
// (one create per customer).
const (
	pwCustomers   = 10_000
	pwLatency     = 20 * time.Millisecond
	pwConcurrency = 8
)

const pwMapping = `customer:
  customerNumber: number
  contactEmail: email
  lastName: name
account:
  legacyAuth.algorithm: { column: encoding, values: { sha512: hybris-sha512-uid-salt } }
  legacyAuth.hash: hash
  legacyAuth.context.originalUid: email
addresses:
  - contactName: name
    street: street
    zipCode: zip
    city: city
    country: country
`

// writePWInput writes the customers, with legacy hashes or without.
func writePWInput(path string, n int, hashes bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"number", "email", "name", "encoding", "hash", "street", "zip", "city", "country"})
	for i := range n {
		email := fmt.Sprintf("pw%06d@example.com", i)
		enc, hash := "", ""
		if hashes {
			enc, hash = "sha512", emulator.HybrisLegacyHash(fmt.Sprintf("pw-%d", i), email)
		}
		_ = w.Write([]string{fmt.Sprintf("P%06d", i), email, fmt.Sprintf("Name %d", i), enc, hash,
			fmt.Sprintf("Street %d", i), "10115", "Berlin", "DE"})
	}
	w.Flush()
	return errors.Join(w.Error(), f.Close())
}

// BenchmarkPasswordImport compares the bulk import path with the
// per-customer create path on the same 10,000 customers.
func BenchmarkPasswordImport(b *testing.B) {
	skipShort(b)
	dir := b.TempDir()
	mf := filepath.Join(dir, "pw.yaml")
	if err := os.WriteFile(mf, []byte(pwMapping), 0o644); err != nil {
		b.Fatal(err)
	}
	var walls [2]time.Duration
	for k, hashes := range []bool{true, false} {
		in := filepath.Join(dir, fmt.Sprintf("pw-%v.csv", hashes))
		if err := writePWInput(in, pwCustomers, hashes); err != nil {
			b.Fatal(err)
		}
		for range b.N {
			ten := NewTenant(emulator.Config{Latency: pwLatency})
			c, err := ten.Client(ClientOptions{Scopes: append(emporix.DefaultScopes(), emporix.ImportScopes...)})
			if err != nil {
				b.Fatal(err)
			}
			end := time.Now().UTC().AddDate(0, 1, 0).Format(emporix.DateLayout)
			if _, err := c.SetRetention(context.Background(), emporix.Retention{RetentionEndDate: end}); err != nil {
				b.Fatal(err)
			}
			r, err := ten.Import(context.Background(), in, ImportOptions{Concurrency: pwConcurrency, Dir: b.TempDir(), Mapping: mf})
			ten.Close()
			if err != nil {
				b.Fatal(err)
			}
			walls[k] = r.Wall
			name := "11 password import 10k cust, c8, 20ms: bulk"
			if !hashes {
				name = "11 same 10k without hashes: one create each"
			}
			b.ReportMetric(r.Wall.Seconds(), "wall_s")
			b.ReportMetric(float64(r.Client.Requests), "requests")
			figures.Add(Figure{name, "requests", float64(r.Client.Requests), Goal{},
				fmt.Sprintf("%d bulk import; %.1fs", r.Summary.BulkRequests, r.Wall.Seconds())})
			if hashes {
				figures.Add(Figure{name, "bulk import requests", float64(r.Summary.BulkRequests), AtMost(50), ""})
			}
		}
	}
	figures.Add(Figure{"11 bulk vs one create each, 10k, 20ms", "time ratio", walls[0].Seconds() / walls[1].Seconds(), Goal{},
		fmt.Sprintf("%.1fs vs %.1fs", walls[0].Seconds(), walls[1].Seconds())})
}

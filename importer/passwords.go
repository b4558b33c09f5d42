package importer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/sheet"
)

// ErrRetention stops an import whose file holds legacy password hashes while
// the tenant has no active password-migration retention window: the service
// would refuse every such customer.
var ErrRetention = errors.New("legacy password hashes need an active password-migration retention window")

// fixRetention is the command that opens (or extends) the window.
const fixRetention = "emporix-import password-migration set --end YYYY-MM-DD"

// errStopScan ends the scan for legacy hashes at the first one.
var errStopScan = errors.New("found")

// checkPasswords is the pre-flight of a file that maps legacy hashes: when
// any valid customer carries one, the tenant's retention window must be set
// and not over, else the run stops before any write.
func checkPasswords(ctx context.Context, cfg Config, m *mapping.Mapping, plan *mapping.Index) error {
	if _, legacy := m.PasswordFields(plan.Header); !legacy || cfg.Client == nil {
		return nil
	}
	err := plan.Emit(ctx, func(g *mapping.Group) error {
		if g.Valid() && g.Customer.HasLegacyPassword() {
			return errStopScan
		}
		return nil
	})
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, errStopScan):
		return err
	}
	return checkRetention(ctx, cfg.Client, cfg.now())
}

// checkRetention requires a window that lasts at least through today (UTC).
func checkRetention(ctx context.Context, api API, now time.Time) error {
	r, err := api.GetRetention(ctx)
	switch {
	case errors.Is(err, emporix.ErrRetentionNotSet):
		return fmt.Errorf("%w: the file holds legacy password hashes (account.legacyAuth) but the tenant has no retention window; set one first: %s",
			ErrRetention, fixRetention)
	case err != nil:
		return fmt.Errorf("read the password-migration retention window: %w", err)
	}
	end, perr := time.Parse(emporix.DateLayout, r.RetentionEndDate)
	today := now.UTC().Format(emporix.DateLayout)
	if perr != nil || end.Format(emporix.DateLayout) < today {
		return fmt.Errorf("%w: the tenant's retention window ended on %s; extend it first: %s",
			ErrRetention, r.RetentionEndDate, fixRetention)
	}
	return nil
}

// MapsPasswords reports whether an import of input with the mapping file
// ("" = canonical columns) maps password hashes, i.e. needs the import
// scopes. Errors are left to the run itself (they are reported there).
func MapsPasswords(input, mappingFile string) bool {
	m, err := loadMapping(mappingFile, nil)
	if err != nil {
		return false
	}
	rd, err := sheet.Open(input, m.SheetOptions())
	if err != nil {
		return false
	}
	defer rd.Close()
	any, _ := m.PasswordFields(rd.Header())
	return any
}

// Package runlock keeps two imports from running into the same tenant at once.
//
// The lock is an exclusive OS-level file lock (flock), so the kernel releases
// it whenever the process ends, kill -9 included: there is never a stale lock
// to clean up. It lives in a directory on this machine, so it only excludes
// runs on the same machine.
package runlock

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// Holder describes the run that holds a lock.
type Holder struct {
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	Input   string    `json:"input"`
}

// BusyError is returned when another run holds the lock.
type BusyError struct {
	Tenant string
	Holder Holder // zero when the holder had not yet written its details
}

func (e *BusyError) Error() string {
	if e.Holder.PID == 0 {
		return fmt.Sprintf("another import into tenant %q is running", e.Tenant)
	}
	return fmt.Sprintf("another import into tenant %q is running (pid %d, started %s UTC, input %s)",
		e.Tenant, e.Holder.PID, e.Holder.Started.UTC().Format("15:04:05"), e.Holder.Input)
}

// Lock is a held tenant lock.
type Lock struct {
	fl   *flock.Flock
	info string
}

// Dir is where locks live: $EMPORIX_IMPORT_LOCK_DIR, else a directory under
// the system temp directory shared by every user of the machine.
func Dir() string {
	if d := os.Getenv("EMPORIX_IMPORT_LOCK_DIR"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "emporix-import-locks")
}

// Path is the lock file of apiURL + tenant inside dir.
func Path(dir, apiURL, tenant string) string {
	key := strings.TrimRight(strings.ToLower(apiURL), "/") + "\x00" + tenant
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(dir, hex.EncodeToString(sum[:12])+".lock")
}

// Acquire takes the lock of apiURL + tenant without waiting, recording who
// holds it. Another holder → *BusyError.
func Acquire(dir, apiURL, tenant string, who Holder) (*Lock, error) {
	if err := makeSharedDir(dir); err != nil {
		return nil, fmt.Errorf("run lock: %w", err)
	}
	path := Path(dir, apiURL, tenant)
	// Readable by all: another user's run must be able to open (read-only)
	// and try the lock, or runs by two users would not exclude each other.
	fl := flock.New(path, flock.SetPermissions(0o644))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("run lock %s: %w", path, err)
	}
	info := strings.TrimSuffix(path, ".lock") + ".json"
	if !ok {
		busy := &BusyError{Tenant: tenant}
		if b, err := os.ReadFile(info); err == nil {
			_ = json.Unmarshal(b, &busy.Holder)
		}
		return nil, busy
	}
	// The details are for a run that finds the lock taken; the lock itself is
	// the flock, not a file's existence. Written by rename: never half a file.
	if b, err := json.Marshal(who); err == nil {
		tmp := info + fmt.Sprintf(".%d", os.Getpid())
		if os.WriteFile(tmp, b, 0o644) == nil {
			_ = os.Rename(tmp, info)
		}
	}
	return &Lock{fl: fl, info: info}, nil
}

// makeSharedDir creates dir like /tmp (world-writable, sticky) when it is
// missing, so that every user of the machine can take locks in it.
func makeSharedDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.Chmod(dir, 0o777|os.ModeSticky)
}

// Release drops the lock (the kernel also does on exit).
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	_ = os.Remove(l.info)
	return errors.Join(l.fl.Unlock(), l.fl.Close())
}

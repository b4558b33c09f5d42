package runlock

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestSecondAcquireIsBusyUntilRelease(t *testing.T) {
	dir := t.TempDir()
	started := time.Date(2026, 11, 30, 2, 0, 3, 0, time.UTC)
	l, err := Acquire(dir, "https://api.emporix.io/", "acme", Holder{PID: 4711, Started: started, Input: "erp.csv"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir, "https://API.emporix.io", "acme", Holder{PID: 1})
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("second acquire: %v, want BusyError", err)
	}
	want := `another import into tenant "acme" is running (pid 4711, started 02:00:03 UTC, input erp.csv)`
	if err.Error() != want {
		t.Errorf("message %q\nwant    %q", err, want)
	}
	other, err := Acquire(dir, "https://api.emporix.io", "other", Holder{PID: 2})
	if err != nil {
		t.Errorf("another tenant is not locked: %v", err)
	}
	_ = other.Release()
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := Acquire(dir, "https://api.emporix.io", "acme", Holder{PID: 3})
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	_ = again.Release()
}

// TestKilledHolderLeavesNoLock: the kernel drops a flock when its process
// dies, so kill -9 never leaves a stale lock.
func TestKilledHolderLeavesNoLock(t *testing.T) {
	if os.Getenv("RUNLOCK_HOLD") != "" {
		if _, err := Acquire(os.Getenv("RUNLOCK_HOLD"), "u", "t", Holder{PID: os.Getpid()}); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("held\n")
		time.Sleep(time.Minute)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledHolderLeavesNoLock$")
	cmd.Env = append(os.Environ(), "RUNLOCK_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := out.Read(buf); err != nil || !strings.HasPrefix(string(buf), "held") {
		t.Fatalf("child: %q %v", buf, err)
	}
	if _, err := Acquire(dir, "u", "t", Holder{}); !errors.As(err, new(*BusyError)) {
		t.Fatalf("while the child holds it: %v", err)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	l, err := Acquire(dir, "u", "t", Holder{})
	if err != nil {
		t.Fatalf("after kill -9: %v", err)
	}
	_ = l.Release()
}

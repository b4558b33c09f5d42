package importer

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress reports rows done on stderr: a bar on a terminal, a plain line
// every interval otherwise (cron logs), nothing with --quiet.
type progress interface {
	Add(rows int)
	Finish()
}

type noProgress struct{}

func (noProgress) Add(int) {}
func (noProgress) Finish() {}

// plainInterval is how often a non-terminal progress line is printed.
const plainInterval = 10 * time.Second

func newProgress(w io.Writer, total int, quiet bool, label string) progress {
	if quiet || w == nil {
		return noProgress{}
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barProgress{bar: progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("rows"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)}
	}
	p := &plainProgress{w: w, total: total, label: label, start: time.Now(), stop: make(chan struct{})}
	p.wg.Add(1)
	go p.loop()
	return p
}

type barProgress struct{ bar *progressbar.ProgressBar }

func (b *barProgress) Add(n int) { _ = b.bar.Add(n) }
func (b *barProgress) Finish()   { _ = b.bar.Finish() }

type plainProgress struct {
	w     io.Writer
	total int
	label string
	start time.Time
	done  atomic.Int64
	stop  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

func (p *plainProgress) Add(n int) { p.done.Add(int64(n)) }

func (p *plainProgress) loop() {
	defer p.wg.Done()
	t := time.NewTicker(plainInterval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			done := p.done.Load()
			el := time.Since(p.start).Seconds()
			fmt.Fprintf(p.w, "%s: %d/%d rows (%.0f rows/s)\n", p.label, done, p.total, float64(done)/el)
		}
	}
}

func (p *plainProgress) Finish() {
	p.once.Do(func() { close(p.stop) })
	p.wg.Wait()
}

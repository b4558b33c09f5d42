package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/emporix-import/emporix-import/emporix"
	"github.com/emporix-import/emporix-import/importer"
)

// mirrorOptions are the flags of the modes and the mirror phase.
type mirrorOptions struct {
	mode       string
	missing    string
	scope      string
	maxMissing string
	minRows    int
	yesDelete  bool
}

func (m *mirrorOptions) register(f *pflag.FlagSet) {
	f.StringVar(&m.mode, "mode", "upsert", "upsert | create-only (skip existing customers) | update-only (skip missing ones)")
	f.StringVar(&m.missing, "missing", "ignore", "customers in --scope that the file lacks, after it is synced: ignore | deactivate | delete")
	f.StringVar(&m.scope, "scope", "", `customers --missing may touch: "all", or e.g. customerNumber:K* or mixins.erp.source:SAP (required with --missing)`)
	f.StringVar(&m.maxMissing, "max-missing", importer.DefaultMaxMissing.String(), "stop the mirror phase (exit 4, nobody touched) when more customers than N, or P% of the scope, are missing")
	f.IntVar(&m.minRows, "min-rows", 0, "abort before any write when the input has fewer data rows (a truncated export); 0 = no minimum")
	f.BoolVar(&m.yesDelete, "yes-delete", false, "--missing delete: delete without asking (required when no terminal can confirm)")
}

// mirrorConfig is the parsed form of mirrorOptions.
type mirrorConfig struct {
	mode       importer.Mode
	missing    importer.MissingAction
	scope      emporix.Scope
	maxMissing importer.Limit
	minRows    int
	yesDelete  bool
	prompt     bool // ask on the terminal before deleting
}

// parse checks the flags (usage errors, exit 2). Deleting needs --yes-delete
// unless a terminal can confirm it; a dry run deletes nothing.
func (m *mirrorOptions) parse(dryRun, terminal bool) (mirrorConfig, error) {
	var c mirrorConfig
	var err error
	if c.mode, err = importer.ParseMode(m.mode); err != nil {
		return c, usageError{Err: err}
	}
	if c.missing, err = importer.ParseMissingAction(m.missing); err != nil {
		return c, usageError{Err: err}
	}
	if c.maxMissing, err = importer.ParseLimit(m.maxMissing); err != nil {
		return c, usageError{Err: fmt.Errorf("--max-missing %w", err)}
	}
	c.minRows, c.yesDelete = m.minRows, m.yesDelete
	switch {
	case m.minRows < 0:
		return c, usageError{Err: fmt.Errorf("--min-rows must not be negative")}
	case c.missing == importer.MissingIgnore && m.scope != "":
		return c, usageError{Err: fmt.Errorf("--scope applies to --missing deactivate|delete only")}
	case c.missing != importer.MissingDelete && m.yesDelete:
		return c, usageError{Err: fmt.Errorf("--yes-delete applies to --missing delete only")}
	case c.missing == importer.MissingIgnore:
		return c, nil
	case m.scope == "":
		return c, usageError{Err: fmt.Errorf(`--missing %s needs --scope: the customers it may touch, e.g. customerNumber:K* or mixins.erp.source:SAP, or "all"`, c.missing)}
	}
	if c.scope, err = emporix.ParseScope(m.scope); err != nil {
		return c, usageError{Err: fmt.Errorf("--scope: %w", err)}
	}
	if c.missing == importer.MissingDelete && !dryRun && !m.yesDelete {
		if !terminal {
			return c, usageError{Err: fmt.Errorf("--missing delete needs --yes-delete when no terminal can confirm the deletion")}
		}
		c.prompt = true
	}
	return c, nil
}

// apply puts the parsed flags into the import configuration.
func (c mirrorConfig) apply(cfg *importer.Config, stderr io.Writer, tenant string) {
	cfg.Mode, cfg.Missing, cfg.Scope, cfg.MaxMissing = c.mode, c.missing, c.scope, c.maxMissing
	cfg.MinRows, cfg.YesDelete = c.minRows, c.yesDelete
	if c.prompt {
		cfg.ConfirmDelete = confirmDelete(os.Stdin, stderr, tenant)
	}
}

// confirmDelete asks on the terminal; only the exact answer "delete N" confirms.
func confirmDelete(in io.Reader, out io.Writer, tenant string) func(int, string, []string) bool {
	return func(n int, scope string, first []string) bool {
		more := ""
		if n > len(first) {
			more = ", …"
		}
		fmt.Fprintf(out, "Delete %d customers of tenant %q in scope %s (%s%s)? They cannot be recreated with the same number.\nType \"delete %d\" to confirm: ",
			n, tenant, scope, strings.Join(first, ", "), more, n)
		line, _ := bufio.NewReader(in).ReadString('\n')
		return strings.TrimSpace(line) == fmt.Sprintf("delete %d", n)
	}
}

// stdinTerminal reports whether a person can answer on stdin.
func stdinTerminal() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

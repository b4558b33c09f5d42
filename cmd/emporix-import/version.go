package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set by `make build` with -X: the toolchain never records the build date,
// and records no VCS revision when stamping is off (-buildvcs=false, or a
// build outside a checkout). Stamped build info wins over these.
var (
	buildDate   = ""
	vcsRevision = ""
	vcsModified = "" // "true" when built from a tree with uncommitted changes
)

// versionInfo is what `version` prints; --json uses the field tags.
type versionInfo struct {
	Version      string `json:"version"`
	Revision     string `json:"revision,omitempty"`
	RevisionTime string `json:"revision_time,omitempty"`
	Dirty        bool   `json:"dirty"`
	BuildDate    string `json:"build_date,omitempty"`
	GoVersion    string `json:"go_version"`
	Platform     string `json:"platform"`
}

// readVersion combines the -ldflags values with debug.ReadBuildInfo: a
// version set at link time wins, then the module version the toolchain
// stamped (a tag, or a pseudo-version from the VCS), else "dev".
func readVersion(bi *debug.BuildInfo, ok bool) versionInfo {
	v := versionInfo{Version: version, BuildDate: buildDate, GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, Revision: vcsRevision, Dirty: vcsModified == "true"}
	if !ok || bi == nil {
		return v
	}
	v.GoVersion = bi.GoVersion
	if v.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.RevisionTime = s.Value
		case "vcs.modified":
			v.Dirty = s.Value == "true"
		}
	}
	return v
}

func currentVersion() versionInfo { return readVersion(debug.ReadBuildInfo()) }

func versionString() string { return currentVersion().Version }

func (v versionInfo) String() string {
	s := "emporix-import " + v.Version
	if v.Revision != "" {
		rev := v.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		s += "\n  revision:   " + rev
		if v.Dirty {
			s += " (dirty: uncommitted changes)"
		}
		if v.RevisionTime != "" {
			s += "\n  committed:  " + v.RevisionTime
		}
	}
	if v.BuildDate != "" {
		s += "\n  built:      " + v.BuildDate
	}
	return s + "\n  go:         " + v.GoVersion + " " + v.Platform
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, VCS revision, build date and Go version",
		Args:  exactArgs(0),
		RunE: func(*cobra.Command, []string) error {
			v := currentVersion()
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			_, err := fmt.Fprintln(stdout, v)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

package importer

import (
	"fmt"
	"strconv"
	"strings"
)

// MissingAction is what --missing does with the customers in scope that the
// input lacks.
type MissingAction string

// The --missing values.
const (
	MissingIgnore     MissingAction = "ignore"
	MissingDeactivate MissingAction = "deactivate"
	MissingDelete     MissingAction = "delete"
)

// ParseMissingAction parses --missing.
func ParseMissingAction(s string) (MissingAction, error) {
	switch a := MissingAction(s); a {
	case MissingIgnore, MissingDeactivate, MissingDelete:
		return a, nil
	}
	return "", fmt.Errorf("--missing %q: want ignore, deactivate or delete", s)
}

// Mode restricts the customers an import writes.
type Mode string

// The --mode values.
const (
	ModeUpsert     Mode = "upsert"
	ModeCreateOnly Mode = "create-only"
	ModeUpdateOnly Mode = "update-only"
)

// ParseMode parses --mode.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeUpsert, ModeCreateOnly, ModeUpdateOnly:
		return m, nil
	}
	return "", fmt.Errorf("--mode %q: want upsert, create-only or update-only", s)
}

// Limit is a count or a percentage (--max-missing N|P%).
type Limit struct {
	N         int
	Percent   float64 // used when IsPercent
	IsPercent bool
}

// DefaultMaxMissing is --max-missing's default: 5% of the customers in scope.
var DefaultMaxMissing = Limit{Percent: 5, IsPercent: true}

// ParseLimit parses "N" or "P%" (0 ≤ P ≤ 100).
func ParseLimit(s string) (Limit, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 || v > 100 {
			return Limit{}, fmt.Errorf("%q: want a percentage between 0%% and 100%%", s)
		}
		return Limit{Percent: v, IsPercent: true}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return Limit{}, fmt.Errorf("%q: want a count (0 or more) or a percentage such as 5%%", s)
	}
	return Limit{N: n}, nil
}

// Exceeded reports whether n of total exceeds the limit.
func (l Limit) Exceeded(n, total int) bool {
	if l.IsPercent {
		return float64(n)*100 > l.Percent*float64(total)
	}
	return n > l.N
}

func (l Limit) String() string {
	if l.IsPercent {
		return strconv.FormatFloat(l.Percent, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(l.N)
}

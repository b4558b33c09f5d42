package mapping

import (
	"fmt"
)

// ConfigError is a problem with the mapping file or with how it fits the input
// file. It is fatal: nothing may be imported (exit status 1).
type ConfigError struct {
	File      string   // mapping file (Load) or input file (Bind); may be empty
	Line      int      // 1-based line in File; 0 when not applicable
	Msg       string   // what is wrong
	Missing   []string // Bind: mapped columns the input lacks
	Available []string // Bind: the columns the input does have
	Err       error    // underlying error, if any
}

func (e *ConfigError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.File != "":
		return e.File + ": " + e.Msg
	}
	return e.Msg
}

func (e *ConfigError) Unwrap() error { return e.Err }

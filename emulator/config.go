package emulator

// DefaultConfig is the configuration New uses for zero fields: the demo
// tenant's name and test credentials.
func DefaultConfig() Config { return Config{}.withDefaults() }

// Config returns the server's effective configuration (defaults applied), so
// an embedding program can connect with the right tenant and credentials.
func (s *Server) Config() Config { return s.cfg }

package main

import (
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/emporix-import/emporix-import/emulator"
)

func newEmulatorCmd(_, stderr io.Writer) *cobra.Command {
	var (
		cfg      emulator.Config
		addr     string
		stateOut string
	)
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Run the embedded Emporix emulator in the foreground",
		Long: `Run the embedded, in-memory Emporix tenant (OAuth token endpoint and Customer Service)
in the foreground until interrupted. On exit the state is dumped to --state-out.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Scopes = splitScopes(cfg.Scopes)
			return emulator.ListenAndServe(cmd.Context(), addr, cfg, stateOut, stderr)
		},
	}
	f := cmd.Flags()
	def := emulator.DefaultConfig()
	f.StringVar(&addr, "addr", "127.0.0.1:8089", "listen address")
	f.StringVar(&cfg.Tenant, "tenant", def.Tenant, "tenant name")
	f.StringVar(&cfg.ClientID, "client-id", def.ClientID, "OAuth client id")
	f.StringVar(&cfg.ClientSecret, "client-secret", def.ClientSecret, "OAuth client secret (emulator only: a test credential)")
	f.StringSliceVar(&cfg.Scopes, "scopes", def.Scopes, "scopes assigned to the client (comma- or space-separated); every token carries all of them")
	f.DurationVar(&cfg.Latency, "latency", 0, "latency added to every request")
	f.Float64Var(&cfg.Rate, "rate", 0, "requests/s beyond which the emulator answers 429 with Retry-After (0 = unlimited)")
	f.Float64Var(&cfg.FailRate, "fail-rate", 0, "probability of a 503 (request not applied)")
	f.Float64Var(&cfg.ThrottleRate, "throttle-rate", 0, "probability of a 429 with Retry-After: 1 regardless of --rate")
	f.Float64Var(&cfg.DropAfterCommit, "drop-after-commit", 0, "probability that a write is applied, then the connection closed without an answer")
	f.DurationVar(&cfg.TokenTTL, "token-ttl", 4*time.Hour, "access token lifetime")
	f.IntVar(&cfg.MaxPageSize, "max-page-size", def.MaxPageSize, "largest pageSize a list serves (a larger one is cut to it)")
	f.Int64Var(&cfg.Seed, "seed", 1, "random seed for fault injection")
	f.StringSliceVar(&cfg.Restrictions, "restrictions", nil, "the tenant's valid customer restriction values (none by default: any restriction is refused)")
	f.StringVar(&stateOut, "state-out", "", "write the tenant state as JSON to this file on exit")
	return cmd
}

// splitScopes also accepts space-separated scopes (the OAuth form's spelling).
func splitScopes(in []string) []string {
	var out []string
	for _, s := range in {
		out = append(out, strings.Fields(s)...)
	}
	return out
}

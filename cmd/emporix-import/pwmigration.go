package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/emporix-import/emporix-import/emporix"
)

// connOptions are the connection flags of commands that talk to the API
// without reading an input file.
type connOptions struct {
	apiURL           string
	tenant           string
	clientID         string
	clientSecretFile string
	debug            bool
}

func (o *connOptions) register(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&o.apiURL, "api-url", envOr("EMPORIX_API_URL", "https://api.emporix.io"), "API base URL (env EMPORIX_API_URL)")
	f.StringVar(&o.tenant, "tenant", os.Getenv("EMPORIX_TENANT"), "tenant (env EMPORIX_TENANT)")
	f.StringVar(&o.clientID, "client-id", os.Getenv("EMPORIX_CLIENT_ID"), "OAuth client id (env EMPORIX_CLIENT_ID)")
	f.StringVar(&o.clientSecretFile, "client-secret-file", "", "file holding the client secret (else env EMPORIX_CLIENT_SECRET)")
	f.BoolVar(&o.debug, "debug", false, "log every API request (method, path, status, attempt, duration) on stderr; never secrets or tokens")
}

// client builds an API client asking for exactly scopes.
func (o *connOptions) client(stderr io.Writer, scopes ...string) (*emporix.Client, error) {
	secret, err := clientSecret(o.clientSecretFile, stderr)
	if err != nil {
		return nil, err
	}
	if o.tenant == "" || o.clientID == "" || secret == "" {
		return nil, errors.New("connection: --tenant, --client-id and a client secret (EMPORIX_CLIENT_SECRET or --client-secret-file) are required")
	}
	cfg := emporix.Config{
		BaseURL: o.apiURL, Tenant: o.tenant, ClientID: o.clientID, ClientSecret: secret, Scopes: scopes,
		HTTPClient: &http.Client{Timeout: 60 * time.Second}, MaxRetries: emporix.DefaultMaxRetries,
	}
	if o.debug {
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return emporix.New(cfg)
}

const (
	scopeImportRead   = "customer.import_read"
	scopeImportManage = "customer.import_manage"
)

func newPasswordMigrationCmd(stdout, stderr io.Writer) *cobra.Command {
	var conn connOptions
	cmd := &cobra.Command{
		Use:   "password-migration",
		Short: "Read or set the tenant's password-migration retention window",
		Long: `Read, set or remove the tenant's password-migration retention window.

Customers imported with a legacy password hash (account.legacyAuth) keep it until
they log in once, when Emporix rehashes it. Such imports need an active window;
when it ends, hashes not yet migrated are cleared and those customers must reset
their password. The window cannot be removed while any account still holds a
legacy hash; move its end date earlier instead.

Needs the API scopes customer.import_read (show) and customer.import_manage (set, delete).`,
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{Err: fmt.Errorf("password-migration: unknown subcommand %q (use show, set or delete)", args[0])}
			}
			return usageError{Err: errors.New("password-migration: a subcommand is required: show, set or delete")}
		},
	}
	conn.register(cmd)
	cmd.AddCommand(newPMShowCmd(&conn, stdout, stderr), newPMSetCmd(&conn, stdout, stderr), newPMDeleteCmd(&conn, stdout, stderr))
	return cmd
}

func newPMShowCmd(conn *connOptions, stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Print the retention window",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := conn.client(stderr, scopeImportRead)
			if err != nil {
				return err
			}
			cfg, err := c.GetRetention(cmd.Context())
			if errors.Is(err, emporix.ErrRetentionNotSet) {
				fmt.Fprintf(stdout, "No password-migration retention window is set for tenant %s.\n"+
					"Imports with legacy password hashes need one: emporix-import password-migration set --end YYYY-MM-DD\n", conn.tenant)
				return nil
			}
			if err != nil {
				return pmError("show", err)
			}
			printRetention(stdout, conn.tenant, cfg)
			return nil
		},
	}
}

type pmSetOptions struct {
	end, reminder string
	emails        bool
}

func newPMSetCmd(conn *connOptions, stdout, stderr io.Writer) *cobra.Command {
	var o pmSetOptions
	cmd := &cobra.Command{
		Use:   "set --end YYYY-MM-DD [--reminder YYYY-MM-DD] [--emails=false]",
		Short: "Create or replace the retention window",
		Long: `Create or replace the retention window. Omitted settings take the API's defaults:
the reminder e-mail 7 days before the end (or tomorrow, if that is today or earlier),
e-mail notifications on. The end must be in the future; the reminder on or after
today and before the end.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := o.request(cmd.Flags().Changed("emails"))
			if err != nil {
				return err
			}
			c, err := conn.client(stderr, scopeImportManage)
			if err != nil {
				return err
			}
			cfg, err := c.SetRetention(cmd.Context(), req)
			if err != nil {
				return pmError("set", err)
			}
			fmt.Fprintln(stdout, "Retention window set.")
			printRetention(stdout, conn.tenant, cfg)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.end, "end", "", "last day of the window (YYYY-MM-DD, in the future); required")
	f.StringVar(&o.reminder, "reminder", "", "day the reminder e-mail goes to customers not yet migrated (YYYY-MM-DD)")
	f.BoolVar(&o.emails, "emails", true, "send the reminder and password-reset e-mails (--emails=false: none)")
	return cmd
}

// request checks the dates' syntax (usage errors); the API judges their values.
func (o *pmSetOptions) request(emailsSet bool) (emporix.Retention, error) {
	if o.end == "" {
		return emporix.Retention{}, usageError{Err: errors.New("set: --end YYYY-MM-DD is required")}
	}
	for flag, v := range map[string]string{"--end": o.end, "--reminder": o.reminder} {
		if _, err := time.Parse(emporix.DateLayout, v); v != "" && err != nil {
			return emporix.Retention{}, usageError{Err: fmt.Errorf("set: %s %q is not a date (YYYY-MM-DD)", flag, v)}
		}
	}
	req := emporix.Retention{RetentionEndDate: o.end, EmailReminderDate: o.reminder}
	if emailsSet {
		req.EmailNotificationsEnabled = &o.emails
	}
	return req, nil
}

func newPMDeleteCmd(conn *connOptions, stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "delete",
		Short: "Remove the retention window (refused while legacy hashes remain)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := conn.client(stderr, scopeImportManage)
			if err != nil {
				return err
			}
			if err := c.DeleteRetention(cmd.Context()); err != nil {
				return pmError("delete", err)
			}
			fmt.Fprintf(stdout, "No password-migration retention window is set for tenant %s any more.\n", conn.tenant)
			return nil
		},
	}
}

func printRetention(w io.Writer, tenant string, cfg *emporix.Retention) {
	emails := "on"
	if cfg.EmailNotificationsEnabled != nil && !*cfg.EmailNotificationsEnabled {
		emails = "off"
	}
	fmt.Fprintf(w, "Password-migration retention window of tenant %s:\n", tenant)
	for _, l := range [][2]string{{"end date:", cfg.RetentionEndDate}, {"reminder e-mail on:", cfg.EmailReminderDate}, {"e-mail notifications:", emails}} {
		fmt.Fprintf(w, "  %-22s %s\n", l[0], l[1])
	}
}

// pmError turns API answers into plain sentences: the API's own validation
// messages, the DELETE refusal explained, missing scopes named.
func pmError(sub string, err error) error {
	ae, _ := errors.AsType[*emporix.APIError](err)
	switch {
	case errors.Is(err, emporix.ErrMigrationPending):
		return fmt.Errorf("password-migration delete: refused: some customer accounts still hold legacy password hashes " +
			"(each is rehashed when its customer logs in once). Wait until the window ends (the remaining legacy hashes " +
			"are then cleared and those customers must reset their password), or end it sooner with " +
			"'emporix-import password-migration set --end <earlier date>', then delete")
	case ae != nil && ae.Status == http.StatusBadRequest:
		return fmt.Errorf("password-migration %s: the API refused the window: %s", sub, apiMessages(ae))
	case ae != nil && ae.Status == http.StatusForbidden:
		return fmt.Errorf("password-migration %s: not authorised: the API client needs the scope %s: %w", sub, pmScope(sub), err)
	}
	if _, ok := errors.AsType[*emporix.AuthError](err); ok {
		return fmt.Errorf("password-migration %s: %w (this command asks for the scope %s)", sub, err, pmScope(sub))
	}
	return fmt.Errorf("password-migration %s: %w", sub, err)
}

func pmScope(sub string) string {
	if sub == "show" {
		return scopeImportRead
	}
	return scopeImportManage
}

// apiMessages lists an error answer's detail messages, or its message.
func apiMessages(ae *emporix.APIError) string {
	var ms []string
	for _, d := range ae.Details {
		if d.Message != "" {
			ms = append(ms, d.Message)
		}
	}
	if len(ms) == 0 {
		return ae.Message
	}
	return strings.Join(ms, "; ")
}

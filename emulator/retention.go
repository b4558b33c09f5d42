package emulator

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"time"
)

const dateLayout = "2006-01-02"

// Retention is the tenant's password-migration retention window.
type Retention struct {
	RetentionEndDate          string `json:"retentionEndDate"`
	EmailReminderDate         string `json:"emailReminderDate"`
	EmailNotificationsEnabled bool   `json:"emailNotificationsEnabled"`
}

// today is the current UTC calendar day at midnight.
func (s *Server) today() time.Time {
	y, m, d := s.now().UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// retentionActive reports whether legacyAuth imports are allowed: a window is
// set and its end date has not passed (the window lasts through that day).
// Caller holds s.mu.
func (s *Server) retentionActive() bool {
	if s.retention == nil {
		return false
	}
	end, err := time.Parse(dateLayout, s.retention.RetentionEndDate)
	return err == nil && !s.today().After(end)
}

// expireLegacy applies the end of the window lazily: once the end date has
// passed, the legacy hashes left are cleared and those accounts need a
// password reset. Caller holds s.mu.
func (s *Server) expireLegacy() {
	if s.retention == nil || s.retentionActive() {
		return
	}
	for _, a := range s.accounts {
		if a.Legacy != nil {
			a.Legacy, a.NeedsReset = nil, true
		}
	}
}

// Retention returns the retention window, if one is set.
func (s *Server) Retention() (Retention, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.retention == nil {
		return Retention{}, false
	}
	return *s.retention, true
}

func (s *Server) getRetention(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.expireLegacy()
	cfg := s.retention
	s.mu.Unlock()
	if cfg == nil {
		// The contract documents this 404 without a body.
		w.WriteHeader(http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, cfg)
}

func (s *Server) postRetention(w http.ResponseWriter, r *http.Request) {
	body, _, err := readObject(w, r, ctJSON)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg, errs := parseRetention(body, s.today())
	if len(errs) > 0 {
		validationError(w, errs)
		return
	}
	// A POST replaces the whole configuration: omitted fields take their defaults.
	s.retention = &cfg
	s.expireLegacy()
	s.applied.Add(1)
	writeJSON(w, http.StatusOK, cfg)
}

// parseRetention validates a PasswordMigrationRetentionConfigRequest and fills
// the defaults: reminder 7 days before the end, or tomorrow when that would be
// today or earlier; notifications on.
func parseRetention(body map[string]json.RawMessage, today time.Time) (Retention, []errorDetail) {
	var errs []errorDetail
	var end, reminder time.Time
	cfg := Retention{EmailNotificationsEnabled: true}
	date := func(k string, raw json.RawMessage) time.Time {
		v, d := decodeString(k, raw)
		if d != nil {
			errs = append(errs, *d)
			return time.Time{}
		}
		t, err := time.Parse(dateLayout, v)
		if err != nil {
			errs = append(errs, detail(k, "invalid_value", "Field '%s' must be a date (YYYY-MM-DD).", k))
			return time.Time{}
		}
		return t
	}
	for _, k := range slices.Sorted(maps.Keys(body)) {
		raw := body[k]
		switch k {
		case "retentionEndDate":
			end = date(k, raw)
		case "emailReminderDate":
			reminder = date(k, raw)
		case "emailNotificationsEnabled":
			if isNull(raw) || json.Unmarshal(raw, &cfg.EmailNotificationsEnabled) != nil {
				errs = append(errs, detail(k, "invalid_type", "Field '%s' must be a boolean.", k))
			}
		default:
			errs = append(errs, unknownField(k))
		}
	}
	_, hasEnd := body["retentionEndDate"]
	switch {
	case !hasEnd:
		errs = append(errs, detail("retentionEndDate", "missing_value", "retentionEndDate is required."))
	case !end.IsZero() && !end.After(today):
		errs = append(errs, detail("retentionEndDate", "invalid_value",
			"retentionEndDate must be a future date (after %s).", today.Format(dateLayout)))
	}
	if len(errs) > 0 {
		return Retention{}, errs
	}
	if reminder.IsZero() {
		reminder = end.AddDate(0, 0, -7)
		if !reminder.After(today) {
			reminder = today.AddDate(0, 0, 1)
		}
	} else if reminder.Before(today) || !reminder.Before(end) {
		return Retention{}, []errorDetail{detail("emailReminderDate", "invalid_value",
			"emailReminderDate must be on or after today (%s) and before retentionEndDate (%s).",
			today.Format(dateLayout), end.Format(dateLayout))}
	}
	cfg.RetentionEndDate, cfg.EmailReminderDate = end.Format(dateLayout), reminder.Format(dateLayout)
	return cfg, nil
}

func (s *Server) deleteRetention(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLegacy()
	if s.legacyRemaining() {
		writeError(w, http.StatusBadRequest, "validation_failure",
			"Configuration removal is not possible until password migration is concluded.", nil)
		return
	}
	// Removing an absent configuration is a no-op: the spec documents no 404
	// for DELETE.
	if s.retention != nil {
		s.retention = nil
		s.applied.Add(1)
	}
	w.WriteHeader(http.StatusNoContent)
}

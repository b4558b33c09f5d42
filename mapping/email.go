package mapping

import "net/mail"

// plainAddrSpec reports whether s is local@domain with both sides non-empty
// dot-atoms of ASCII atext (no leading, trailing or double dot). Each such
// string is one that net/mail.ParseAddress accepts unchanged with no display
// name, so validEmail can skip the parser for it; any other string (quoted
// local parts, domain literals, non-ASCII, comments, spaces) goes to
// net/mail. TestEmailVerdictsMatchNetMail and FuzzEmail check the claim.
func plainAddrSpec(s string) bool {
	at := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '@' {
			if at >= 0 {
				return false
			}
			at = i
		}
	}
	return at > 0 && dotAtom(s[:at]) && dotAtom(s[at+1:])
}

// dotAtom: 1*atext *("." 1*atext), ASCII only.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if s[i-1] == '.' {
				return false
			}
			continue
		}
		if !asciiAtext(c) {
			return false
		}
	}
	return true
}

// asciiAtext is RFC 5322 atext restricted to ASCII.
func asciiAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '/', '=', '?', '^', '_', '`', '{', '|', '}', '~':
		return true
	}
	return false
}

// netMailBare is the verdict of net/mail: s parses as one address with no
// display name, and the parser did not rewrite it.
func netMailBare(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

package emporix

import "regexp"

var (
	// userinfo matches the user info of a URL ("//user:pass@"), or a bare
	// "user:pass@" where the text is not a well-formed URL.
	userinfo = regexp.MustCompile(`//[^/?#@\s]*@|[^\s/?#@:]+:[^\s/?#@]*@`)
	// param matches "name=value" in a query (or path parameters).
	param = regexp.MustCompile(`([?&;])([^=&;#\s]+)=([^&;#\s]*)`)
	// secretParam matches parameter names whose values are credentials.
	secretParam = regexp.MustCompile(`(?i)secret|token|passw|pwd|key|sig|auth|credential|session|code`)
)

// RedactURL returns u fit for messages: user info and the values of query
// parameters that look like secrets are replaced by [redacted]. It works on
// the text, so a URL too malformed to parse cannot leak its password through
// an error about it.
func RedactURL(u string) string {
	s := userinfo.ReplaceAllStringFunc(u, func(m string) string {
		if m[0] == '/' {
			return "//" + redacted + "@"
		}
		return redacted + "@"
	})
	return param.ReplaceAllStringFunc(s, func(m string) string {
		sub := param.FindStringSubmatch(m)
		if secretParam.MatchString(sub[2]) {
			return sub[1] + sub[2] + "=" + redacted
		}
		return m
	})
}

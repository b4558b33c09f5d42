package sheet

import (
	"fmt"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
)

// Encoding names the sniffer reports; LookupEncoding returns these spellings
// for the encodings it shares with them.
const (
	EncUTF8        = "utf-8"
	EncUTF16       = "utf-16" // byte order from the BOM, little endian without one
	EncUTF16LE     = "utf-16le"
	EncUTF16BE     = "utf-16be"
	EncWindows1252 = "windows-1252"
	EncISO88591    = "iso-8859-1"
)

// nonIANA are common spellings that are not IANA names or aliases.
var nonIANA = map[string]string{
	"utf8": "utf-8", "utf16": "utf-16", "utf16le": "utf-16le", "utf16be": "utf-16be",
	"cp1252": "windows-1252", "windows1252": "windows-1252", "win-1252": "windows-1252",
	"latin-1": "iso-8859-1", "iso8859-1": "iso-8859-1", "unicode": "utf-16",
}

// LookupEncoding resolves an encoding name (any IANA name or alias, plus a few
// common spellings such as cp1252 and latin-1) to its lower-case MIME name and
// its x/text implementation. It is the one place the project maps encoding
// names, shared by the readers, the mapping file and the report writers.
func LookupEncoding(name string) (string, encoding.Encoding, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	if alias, ok := nonIANA[key]; ok {
		key = alias
	}
	enc, err := ianaindex.IANA.Encoding(key)
	if err != nil || enc == nil {
		return "", nil, fmt.Errorf("%w %q (want utf-8, utf-16, windows-1252, iso-8859-1 or another IANA name)", ErrUnknownEncoding, name)
	}
	canon, err := ianaindex.MIME.Name(enc)
	if err != nil {
		canon, _ = ianaindex.IANA.Name(enc)
	}
	canon = strings.ToLower(canon)
	if canon == EncUTF16 {
		// x/text's IANA UTF-16 assumes big endian without a BOM; files from
		// Windows are little endian.
		enc = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	}
	return canon, enc, nil
}

package mapping

import (
	"regexp"
	"strings"
	"unicode"
)

// House numbers as written across Europe and North America: 12, 12a, 12 a,
// 12-14, 12/3/4 (Austrian stair/door), 12bis, 123-II (Dutch floors), 12 hs.
const houseNumber = `\d+(?:\s?(?:bis|ter|quater|[A-Za-z]{1,2})\b)?` +
	`(?:\s?[-–/]\s?(?:\d+(?:\s?[A-Za-z]{1,2}\b)?|[IVX]{1,4}\b|[A-Za-z]\b))*`

var (
	// numberFirstRE: French, US, UK and Irish order ("12 rue de la Paix",
	// "221B Baker Street", "12bis, rue X", "350 5th Avenue"). The number must
	// be followed by a space, so "1. Mai-Straße 5" is read number-last.
	numberFirstRE = regexp.MustCompile(`^(` + houseNumber + `)\s*,?\s+([^\s.,].*\pL.*)$`)
	// numberLastRE: German, Austrian, Swiss, Dutch, Italian, Spanish and Polish
	// order ("Torstraße 112a", "Via Roma, 10", "ul. Marszałkowska 10/12"), with
	// an optional "Nr." / "No." / "n°" / "#" before the number.
	numberLastRE = regexp.MustCompile(`^(.*?[^\d\s,.\-–/]\.?)\s*,?\s+(?:(?i:nr|no|hausnr)\.?\s*|n°\s*|#\s*)?(` + houseNumber + `)$`)
)

// SplitStreet splits a street line into the street name and the house number.
// A line starting with a number is read number-first ("10 Downing Street"),
// otherwise number-last ("Torstraße 112a"). A line without a recognisable
// house number is all street, with an empty number.
func SplitStreet(s string) (street, number string) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "", ""
	}
	if s[0] >= '0' && s[0] <= '9' {
		if m := numberFirstRE.FindStringSubmatch(s); m != nil {
			return strings.TrimSpace(m[2]), m[1]
		}
	}
	if m := numberLastRE.FindStringSubmatch(s); m != nil {
		return strings.TrimSpace(m[1]), m[2]
	}
	return s, ""
}

// nameParticles start a last name when written in lower case ("Ludwig van
// Beethoven", "Maria de la Cruz", "Anna von der Heide").
var nameParticles = map[string]bool{
	"von": true, "van": true, "vom": true, "zu": true, "zum": true, "zur": true, "de": true, "der": true,
	"den": true, "des": true, "du": true, "da": true, "di": true, "del": true, "della": true, "la": true,
	"le": true, "ten": true, "ter": true, "dos": true, "das": true, "y": true, "al": true, "bin": true,
}

// nameSuffixes stay with the last name ("John Smith Jr.").
var nameSuffixes = map[string]bool{"jr": true, "sr": true, "ii": true, "iii": true, "iv": true}

// salutations are dropped from the front of a full name.
var salutations = map[string]bool{
	"herr": true, "frau": true, "mr": true, "mrs": true, "ms": true, "miss": true, "dr": true, "prof": true,
}

// SplitName splits a full name into first and last name:
//   - "Last, First" (one comma): the part before the comma is the last name;
//   - leading salutations and titles (Herr, Frau, Mr, Mrs, Ms, Miss, Dr, Prof) are dropped;
//   - otherwise the last word is the last name, together with the lower-case
//     particles before it (von, van, de, la, …) and suffixes after it (Jr., III);
//     everything before is the first name (middle names included);
//   - a single word is a last name.
func SplitName(s string) (first, last string) {
	if before, after, ok := strings.Cut(s, ","); ok && !strings.Contains(after, ",") {
		if l, f := strings.TrimSpace(before), strings.TrimSpace(after); l != "" && f != "" && !isSuffix(f) {
			return strings.Join(strings.Fields(f), " "), strings.Join(strings.Fields(l), " ")
		}
	}
	words := strings.Fields(strings.ReplaceAll(s, ",", " "))
	for len(words) > 1 && salutations[strings.ToLower(strings.TrimSuffix(words[0], "."))] {
		words = words[1:]
	}
	if len(words) == 0 {
		return "", ""
	}
	end := len(words) // last name is words[i:end] plus suffixes after end
	for end > 1 && isSuffix(words[end-1]) {
		end--
	}
	i := end - 1
	for i > 1 && isParticle(words[i-1]) {
		i--
	}
	if i == 1 && isParticle(words[0]) && end > 1 {
		i = 0 // "van Gogh": particle + name, no first name
	}
	return strings.Join(words[:i], " "), strings.Join(words[i:], " ")
}

func isSuffix(w string) bool { return nameSuffixes[strings.ToLower(strings.TrimSuffix(w, "."))] }

func isParticle(w string) bool {
	r := []rune(w)
	return len(r) > 0 && unicode.IsLower(r[0]) && nameParticles[w]
}

// Package scaffold writes a starter mapping for an input file: every column
// matched to an Emporix field by its name (with German and English synonyms)
// or, failing that, by what its cells hold.
package scaffold

import (
	"strings"
	"unicode"
)

// Field names as a mapping file writes them; address fields carry the
// "address." prefix.
const (
	fCustomerNumber = "customerNumber"
	fEmail          = "contactEmail"
	fTitle          = "title"
	fFirstName      = "firstName"
	fMiddleName     = "middleName"
	fLastName       = "lastName"
	fPhone          = "contactPhone"
	fCompany        = "company"
	fLanguage       = "preferredLanguage"
	fCurrency       = "preferredCurrency"
	fSite           = "preferredSite"
	fVAT            = "b2b.companyRegistrationId"
	fActive         = "active"
	fOnHold         = "onHold"
	aContactName    = "address.contactName"
	aCompanyName    = "address.companyName"
	aStreet         = "address.street"
	aStreetNumber   = "address.streetNumber"
	aStreetAppendix = "address.streetAppendix"
	aZip            = "address.zipCode"
	aCity           = "address.city"
	aState          = "address.state"
	aCountry        = "address.country"
	aPhone          = "address.contactPhone"
	aTags           = "address.tags"
	aIsDefault      = "address.isDefault"
	fullName        = "name" // pseudo field: a full name, split into first and last name
)

// synonyms lists, per field, column names (normalised by norm) that mean it.
// The canonical column names are matched too.
var synonyms = map[string][]string{
	fCustomerNumber: {"customernumber", "customerno", "customernr", "customerid", "kundennummer", "kundennr",
		"kdnr", "kundenid", "debitor", "debitornummer", "debitorennummer", "accountnumber", "clientnumber"},
	fEmail:      {"contactemail", "email", "emailaddress", "mail", "emailadresse", "mailadresse", "emailaddresse"},
	fTitle:      {"title", "titlecode", "anrede", "salutation", "prefix"},
	fFirstName:  {"firstname", "vorname", "givenname", "forename", "first"},
	fMiddleName: {"middlename", "zweitervorname", "middle"},
	fLastName:   {"lastname", "nachname", "surname", "familyname", "familienname", "last"},
	fPhone: {"contactphone", "phone", "telefon", "tel", "telephone", "phonenumber", "telefonnummer", "mobile",
		"mobil", "handy", "mobilephone", "mobilnummer"},
	fCompany: {"company", "firma", "companyname", "firmenname", "unternehmen", "organisation", "organization",
		"firmierung"},
	fLanguage: {"preferredlanguage", "language", "sprache", "locale", "sessionlanguage", "sessionlanguageisocode",
		"languagecode"},
	fCurrency: {"preferredcurrency", "currency", "waehrung", "sessioncurrency", "sessioncurrencyisocode",
		"currencycode"},
	fSite:        {"preferredsite", "site"},
	fVAT:         {"b2bcompanyregistrationid", "companyregistrationid", "vatid", "vatnumber", "taxvat", "taxid", "ustidnr", "ustid", "ustidnummer", "umsatzsteuerid"},
	fActive:      {"active", "aktiv", "enabled", "isactive"},
	fOnHold:      {"onhold", "gesperrt", "blocked", "locked"},
	fullName:     {"name", "fullname", "kundenname", "vollstaendigername"},
	aContactName: {"contactname", "ansprechpartner", "kontaktname", "kontaktperson"},
	aStreet: {"street", "strasse", "address1", "addressline1", "streetaddress", "adresse", "address", "streetname",
		"strassehausnummer", "strasseundhausnummer", "strasseundnr", "anschrift", "streetline1"},
	aStreetNumber: {"streetnumber", "housenumber", "hausnummer", "hausnr", "hnr", "nr", "housenr", "number"},
	aStreetAppendix: {"streetappendix", "address2", "addressline2", "adresszusatz", "zusatz", "addresssupplement",
		"streetline2"},
	aZip:       {"zipcode", "zip", "postcode", "postalcode", "plz", "postleitzahl"},
	aCity:      {"city", "ort", "stadt", "town", "wohnort"},
	aState:     {"state", "province", "provincecode", "region", "bundesland", "statecode", "county", "kanton"},
	aCountry:   {"country", "land", "countrycode", "countryid", "countryisocode", "laendercode", "landiso"},
	aTags:      {"addresstags", "addresstype", "adressart", "adresstyp", "addressart", "anschriftart"},
	aIsDefault: {"isdefault", "default", "standard", "standardadresse", "defaultaddress", "hauptadresse"},
}

// addressPrefixes mark a column as belonging to an address ("Default Address
// Company", "address.zipCode", "Billing Street").
var addressPrefixes = []string{"defaultaddress", "billingaddress", "shippingaddress", "address", "adress",
	"billing", "shipping", "rechnungs", "liefer"}

// twins are customer fields that also exist on an address.
var twins = map[string]string{fCompany: aCompanyName, fPhone: aPhone}

// bySynonym is synonyms inverted.
var bySynonym = func() map[string]string {
	m := map[string]string{}
	for f, names := range synonyms {
		for _, n := range names {
			m[n] = f
		}
	}
	return m
}()

// norm folds a column name for matching: lower case, German umlauts spelled
// out, everything but letters and digits dropped ("E-Mail" → "email",
// "Straße" → "strasse", "title(code)" → "titlecode").
func norm(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case 'ä':
			b.WriteString("ae")
		case 'ö':
			b.WriteString("oe")
		case 'ü':
			b.WriteString("ue")
		case 'ß':
			b.WriteString("ss")
		default:
			if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// byName returns the field a column name means; address reports a name with an
// address prefix (which turns company and phone into the address twins).
func byName(column string) (field string, address bool) {
	n := norm(column)
	if f, ok := bySynonym[n]; ok {
		return f, strings.HasPrefix(f, "address.")
	}
	for _, p := range addressPrefixes {
		rest, ok := strings.CutPrefix(n, p)
		if !ok || rest == "" {
			continue
		}
		f, ok := bySynonym[rest]
		if !ok {
			continue
		}
		if twin, ok := twins[f]; ok {
			return twin, true
		}
		if strings.HasPrefix(f, "address.") {
			return f, true
		}
	}
	return "", false
}

package presets_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emporix-import/emporix-import/mapping"
	"github.com/emporix-import/emporix-import/presets"
	"github.com/emporix-import/emporix-import/sheet"
)

// Every preset validates a real-header sample file: the rows expected to be
// invalid are, the others map as a person reading the file would expect.
func TestPresetsOnSamples(t *testing.T) {
	tests := []struct {
		preset, input string
		invalid       []int          // spreadsheet row numbers
		warned        []int          // rows with warnings
		check         map[int]string // row → customer summary
		addr          map[int]string // row → first address summary
	}{
		{"shopify", "shopify-export.csv", []int{12}, nil,
			map[int]string{2: "lisa.brandt@example.de Lisa Brandt", 3: "max.vogel@example.de Max Vogel"},
			map[int]string{2: "Oranienstraße|25|3. OG|10999|DE|[BILLING SHIPPING]|true", 3: "Prager Straße|10||01069|DE|[BILLING SHIPPING]|true"}},
		{"erp-de", "erp-export.csv", []int{16, 26}, nil,
			map[int]string{2: "klaus.bauer@example.de Klaus Bauer MR 20001"},
			map[int]string{2: "Greifswalder Straße|204||10405|DE|[BILLING]|", 5: "Währinger Straße|42||1090|AT|[BILLING SHIPPING]|"}},
		{"magento", "magento-customers.csv", nil, nil,
			map[int]string{2: "jana.krause@example.de Jana Krause MRS", 4: "anne.dupont@example.fr Anne Dupont", 5: "john.miller@example.com John Miller DR"}, nil},
		{"magento-addresses", "magento-addresses.csv", nil, []int{8},
			map[int]string{2: "jana.krause@example.de"},
			map[int]string{
				2: "Torstraße|112a|Hinterhaus|10119|DE|[BILLING SHIPPING]|true",
				3: "Prager Straße|10||01067|DE|[BILLING]|true",
				4: "Karl-Liebknecht-Str.|88|Tor 3|04109|DE|[SHIPPING]|",
				5: "rue de la Paix|12||75002|FR|[BILLING SHIPPING]|true",
				6: "5th Avenue|350|Suite 3400|10118|US|[BILLING SHIPPING]|true",
				8: "Herrengasse|16||801|AT|[]|",
			}},
		{"hybris", "hybris-customers.csv", []int{7}, nil,
			map[int]string{
				2: "klaus.bauer@example.de Klaus Bauer MR C-20001",
				3: "gabriele.schmitt@example.de Gabriele Schmitt DR C-20002",
				4: "ludwig.vanbeek@example.nl Ludwig van Beek MR C-20003",
				5: "maria.delacruz@example.es Maria de la Cruz MS",
				6: "smith.jane@example.co.uk Jane Smith MRS C-20005",
			}, nil},
	}
	var tested []string
	for _, tt := range tests {
		tested = append(tested, tt.preset)
		t.Run(tt.preset, func(t *testing.T) {
			m, err := mapping.Load(presets.Prefix + tt.preset)
			if err != nil {
				t.Fatal(err)
			}
			var invalid, warned []int
			err = runFile(context.Background(), filepath.Join("..", "samples", tt.input), m, func(g *mapping.Group) error {
				for _, r := range g.Rows {
					if len(r.Errors) > 0 || len(g.Errors) > 0 {
						invalid = append(invalid, r.Num)
					}
					if len(r.Warnings) > 0 {
						warned = append(warned, r.Num)
						t.Logf("row %d warnings: %q", r.Num, r.Warnings)
					}
					if want, ok := tt.check[r.Num]; ok {
						if got := customerSummary(r.Customer); got != want {
							t.Errorf("row %d customer = %q, want %q", r.Num, got, want)
						}
					}
					if want, ok := tt.addr[r.Num]; ok {
						if got := addressSummary(r.Addresses); got != want {
							t.Errorf("row %d address = %q, want %q", r.Num, got, want)
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(invalid, tt.invalid) || !slices.Equal(warned, tt.warned) {
				t.Errorf("invalid rows %v (want %v), warned rows %v (want %v)", invalid, tt.invalid, warned, tt.warned)
			}
		})
	}
	if names := presets.Names(); !slices.Equal(names, slices.Sorted(slices.Values(tested))) {
		t.Errorf("presets %v, tested %v: every preset needs a sample", names, tested)
	}
}

func customerSummary(f mapping.Fields) string {
	var parts []string
	for _, k := range []string{"contactEmail", "firstName", "middleName", "lastName", "title", "customerNumber"} {
		if v := f[k].S; v != "" && k != "middleName" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " ")
}

func addressSummary(as []mapping.Address) string {
	if len(as) == 0 {
		return "no address"
	}
	a := as[0]
	tags := a.Tags
	if tags == nil {
		tags = []string{}
	}
	return fmt.Sprintf("%s|%s|%s|%s|%s|%v|%s", a.Fields["street"].S, a.Fields["streetNumber"].S, a.Fields["streetAppendix"].S,
		a.Fields["zipCode"].S, a.Fields["country"].S, tags, a.Fields["isDefault"].S)
}

func TestListAndGet(t *testing.T) {
	want := []string{"erp-de", "hybris", "magento", "magento-addresses", "shopify"}
	if got := presets.Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	for _, p := range presets.List() {
		if p.Description == "" || len(p.Source) == 0 {
			t.Errorf("preset %s: empty description or source", p.Name)
		}
	}
	for _, bad := range []string{"", "nope", "../presets", "shopify.yaml", "erp-de/x"} {
		if _, ok := presets.Get(bad); ok {
			t.Errorf("Get(%q) found a preset", bad)
		}
	}
	_, err := mapping.Load("preset:nope")
	if err == nil || !strings.Contains(err.Error(), `unknown preset "nope" (known: erp-de, hybris, magento, magento-addresses, shopify`) {
		t.Errorf("Load(preset:nope) = %v", err)
	}
}

// runFile maps and groups a whole file, handing each customer to emit.
func runFile(ctx context.Context, file string, m *mapping.Mapping, emit func(*mapping.Group) error) error {
	opts := m.SheetOptions()
	idx, err := mapping.Prepare(ctx, file, func() (sheet.Reader, error) { return sheet.Open(file, opts) }, m)
	if err != nil {
		return err
	}
	return idx.Emit(ctx, emit)
}

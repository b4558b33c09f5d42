package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixture = `openapi: 3.0.0
# a comment
info:
  title: T
  version: ''
  description: prose
  contact: {name: x}
tags:
  - name: A
paths:
  '/customer/{tenant}/customers/{customerNumber}/addresses/{addressId}/tags':
    post:
      summary: prose
      description: prose
      tags: [A]
      x-internal: true
      parameters:
        - name: tags
          in: query
          description: prose
          schema: {type: string, example: 'A,B'}
      responses:
        '204':
          description: No Content
        '404':
          $ref: '#/components/responses/nf'
components:
  schemas:
    CustomerSignupBySellerDto:
      allOf:
        - type: object
          properties:
            id: {type: string, pattern: '^[a-z]$', description: prose}
            description: {type: string, minLength: 1}
            tags: {type: array, items: {type: string}}
  responses:
    nf:
      description: prose
      content:
        application/json:
          schema: {type: object}
          examples:
            one: {value: {a: 1}}
  securitySchemes:
    OAuth2:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: 'https://x/oauth/token'
          scopes:
            customer.customer_manage: Needed to manage.
`

func TestGenerateTrimsProseKeepsFacts(t *testing.T) {
	out, err := Generate("customer-service.yml", []byte(fixture))
	if err != nil {
		t.Fatal(err)
	}
	_, s, _ := strings.Cut(string(out), "openapi:") // after the generated header
	for _, gone := range []string{"prose", "a comment", "summary", "x-internal", "example", "contact", "Needed to manage", "- name: A"} {
		if strings.Contains(s, gone) {
			t.Errorf("output keeps %q:\n%s", gone, s)
		}
	}
	for _, kept := range []string{
		"description: {type: string, minLength: 1}", // a property named description is a fact
		"tags: {type: array",                        // so is a property named tags
		"name: tags",                                // and a parameter named tags
		`'^[\w-]{1,66}$'`,                           // the id fix
		"version: unversioned",                      // the version fix
		"customer.customer_manage: \"\"",            // scope names stay, their prose goes
		"- customer.customer_manage",                // the tag POST security fix
		"$ref: '#/components/responses/nf'",
	} {
		if !strings.Contains(s, kept) {
			t.Errorf("output lacks %q:\n%s", kept, s)
		}
	}
	if n := strings.Count(s, `description: ""`); n != 2 { // the 204 and the nf response
		t.Errorf("%d empty response descriptions, want 2:\n%s", n, s)
	}
}

func TestGenerateFailsWhenAFixTargetIsGone(t *testing.T) {
	broken := strings.Replace(fixture, "CustomerSignupBySellerDto", "Renamed", 1)
	if _, err := Generate("customer-service.yml", []byte(broken)); err == nil {
		t.Error("Generate succeeded although the id fix has no target")
	}
}

// TestCopyUpToDate regenerates the copy when the shared documents are beside
// the repository and compares; in a clone without them there is nothing to
// compare against, and the committed copy is what the suite uses.
func TestCopyUpToDate(t *testing.T) {
	src := filepath.Join("..", "..", "..", "..", "shared", "emporix")
	for _, name := range sources {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Logf("no source %s beside the repository: nothing to compare", name)
			return
		}
		want, err := Generate(name, data)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/%s is stale: run go generate ./internal/apispec", name)
		}
	}
}

package main

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

func parse(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse: not a YAML mapping document")
	}
	return doc.Content[0], nil
}

func render(root *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	return buf.Bytes(), nil
}

// context tells how the keys of a mapping are to be read.
type context int

const (
	keywords  context = iota // an OpenAPI or JSON Schema object: keys are keywords
	names                    // a map of names (properties, paths, schemas, ...) to objects
	responses                // a map of status codes to response objects
	scopes                   // OAuth scope names to prose: the prose goes
)

// prose lists the keywords whose values are text for humans, never facts.
// "tags" (operation grouping) and vendor extensions go too.
var prose = map[string]bool{
	"description": true, "summary": true, "example": true, "examples": true,
	"externalDocs": true, "tags": true, "contact": true, "license": true, "termsOfService": true,
}

// nameMaps lists the keywords whose value maps names to objects.
var nameMaps = map[string]context{
	"properties": names, "paths": names, "schemas": names, "parameters": names, "securitySchemes": names,
	"headers": names, "content": names, "requestBodies": names, "encoding": names, "variables": names,
	"links": names, "callbacks": names, "flows": names,
	"responses": responses, "scopes": scopes,
}

// trimDoc removes prose and comments from the whole document.
func trimDoc(root *yaml.Node) { trim(root, keywords) }

func trim(n *yaml.Node, ctx context) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			trim(c, ctx)
		}
	case yaml.MappingNode:
		trimMapping(n, ctx)
	}
}

func trimMapping(n *yaml.Node, ctx context) {
	kept := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		k.HeadComment, k.LineComment, k.FootComment = "", "", ""
		switch ctx {
		case keywords:
			if prose[k.Value] || strings.HasPrefix(k.Value, "x-") {
				continue
			}
			child, ok := nameMaps[k.Value]
			if !ok || v.Kind != yaml.MappingNode { // e.g. operation parameters are a list
				child = keywords
			}
			trim(v, child)
		case names:
			trim(v, keywords)
		case responses:
			trim(v, keywords)
			requireDescription(v)
		case scopes:
			v.Kind, v.Tag, v.Value, v.Style = yaml.ScalarNode, "!!str", "", yaml.DoubleQuotedStyle
		}
		kept = append(kept, k, v)
	}
	n.Content = kept
}

// requireDescription puts back an empty description on a response object:
// OpenAPI 3.0 requires the field, and an empty one carries no prose.
func requireDescription(resp *yaml.Node) {
	if resp.Kind != yaml.MappingNode || get(resp, "$ref") != nil {
		return
	}
	resp.Content = append([]*yaml.Node{str("description"), {Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle}},
		resp.Content...)
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// get returns the value of key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// set sets key in mapping n to v, appending the key when absent.
func set(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, str(key), v)
}

// path follows mapping keys from n.
func path(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n = get(n, k); n == nil {
			return nil
		}
	}
	return n
}

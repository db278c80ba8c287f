package sqs

import (
	"encoding/base64"
	"encoding/xml"
	"slices"
)

// The query protocol writes maps as flattened, repeated elements named after
// the member (reference §2.3). These map types marshal as JSON objects with
// encoding/json and as those repeated elements with encoding/xml: the start
// element handed to MarshalXML carries the member's XML name, and each entry
// is written as one such element, in key order.

// attrMap holds queue attributes or message system attributes:
// <Attribute><Name>k</Name><Value>v</Value></Attribute>...
type attrMap map[string]string

// MarshalXML writes one <start> element per entry.
func (m attrMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	for _, k := range sortedKeys(m) {
		entry := struct {
			Name  string
			Value string
		}{k, m[k]}
		if err := e.EncodeElement(entry, start); err != nil {
			return err
		}
	}
	return nil
}

// tagMap holds queue tags: <Tag><Key>k</Key><Value>v</Value></Tag>...
type tagMap map[string]string

// MarshalXML writes one <start> element per tag.
func (m tagMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	for _, k := range sortedKeys(m) {
		entry := struct {
			Key   string
			Value string
		}{k, m[k]}
		if err := e.EncodeElement(entry, start); err != nil {
			return err
		}
	}
	return nil
}

// msgAttrMap holds message attributes:
// <MessageAttribute><Name>k</Name><Value><StringValue/>|<BinaryValue/><DataType/></Value></MessageAttribute>...
// Binary values are base64 in XML as in JSON.
type msgAttrMap map[string]MessageAttributeValue

// MarshalXML writes one <start> element per attribute.
func (m msgAttrMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	type xmlValue struct {
		StringValue *string `xml:",omitempty"`
		BinaryValue string  `xml:",omitempty"`
		DataType    string
	}
	for _, k := range sortedKeys(m) {
		v := m[k]
		entry := struct {
			Name  string
			Value xmlValue
		}{Name: k, Value: xmlValue{StringValue: v.StringValue, DataType: v.DataType}}
		if v.BinaryValue != nil {
			entry.Value.BinaryValue = base64.StdEncoding.EncodeToString(v.BinaryValue)
		}
		if err := e.EncodeElement(entry, start); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

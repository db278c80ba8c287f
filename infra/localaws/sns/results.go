package sns

import (
	"encoding/xml"
	"maps"
	"slices"
)

// The result structs marshal with encoding/xml as the <ActionResult>
// element (reference §3.2): lists as <Name><member>...</member></Name>,
// maps as <Name><entry><key/><value/></entry></Name>. A list is always
// written, empty or not, as AWS does.

// memberList is a query-protocol list: <Name><member/>...</Name>.
type memberList[T any] struct {
	Members []T `xml:"member"`
}

// attrMap is a query-protocol map of attributes, written in key order.
type attrMap map[string]string

// MarshalXML writes <start><entry><key>k</key><value>v</value></entry>...</start>.
func (m attrMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		entry := struct {
			Key   string `xml:"key"`
			Value string `xml:"value"`
		}{k, m[k]}
		if err := e.EncodeElement(entry, xml.StartElement{Name: xml.Name{Local: "entry"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

type createTopicResult struct {
	TopicArn string
}

type topicMember struct {
	TopicArn string
}

type listTopicsResult struct {
	Topics    memberList[topicMember]
	NextToken string `xml:",omitempty"`
}

type attributesResult struct {
	Attributes attrMap
}

type subscribeResult struct {
	SubscriptionArn string
}

type subscriptionMember struct {
	SubscriptionArn string
	Owner           string
	Protocol        string
	Endpoint        string
	TopicArn        string
}

type subscriptionList = memberList[subscriptionMember]

type listSubscriptionsResult struct {
	Subscriptions subscriptionList
	NextToken     string `xml:",omitempty"`
}

type publishResult struct {
	MessageId      string
	SequenceNumber string `xml:",omitempty"`
}

type batchResultEntry struct {
	Id             string
	MessageId      string
	SequenceNumber string `xml:",omitempty"`
}

type batchErrorEntry struct {
	Id          string
	Code        string
	Message     string
	SenderFault bool
}

type publishBatchResult struct {
	Successful memberList[batchResultEntry]
	Failed     memberList[batchErrorEntry]
}

type listTagsResult struct {
	Tags memberList[tag]
}

// emptyResult is the empty <ActionResult/> of operations without output
// that AWS still answers with one.
type emptyResult struct{}

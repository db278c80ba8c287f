package ses

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// maxEventDestinations is SES's limit of event destinations per
// configuration set.
const maxEventDestinations = 10

// testEventMessage is what SES publishes to an SNS topic when an event
// destination naming it is created.
const testEventMessage = "Successfully validated SNS topic for Amazon SES event publishing."

// eventTypeName maps a MatchingEventTypes value to the eventType of the
// records SES publishes; ok is false for an unknown value.
func eventTypeName(matching string) (name string, ok bool) {
	switch matching {
	case "SEND":
		return "Send", true
	case "REJECT":
		return "Reject", true
	case "BOUNCE":
		return "Bounce", true
	case "COMPLAINT":
		return "Complaint", true
	case "DELIVERY":
		return "Delivery", true
	case "OPEN":
		return "Open", true
	case "CLICK":
		return "Click", true
	case "RENDERING_FAILURE":
		return "Rendering Failure", true
	case "DELIVERY_DELAY":
		return "DeliveryDelay", true
	case "SUBSCRIPTION":
		return "Subscription", true
	}
	return "", false
}

// configSet is a configuration set: sending switch, suppression override and
// event destinations. Options SES stores but this emulator does not act on
// (delivery, reputation, tracking, VDM, archiving) are kept verbatim and
// returned by GetConfigurationSet.
type configSet struct {
	Name           string    `json:"name"`
	CreatedAt      time.Time `json:"createdAt"`
	SendingEnabled bool      `json:"sendingEnabled"`
	// SuppressedReasons, when not nil, replaces the account's reasons for
	// mail sent with this set.
	SuppressedReasons *[]string                  `json:"suppressedReasons,omitempty"`
	Tags              []tag                      `json:"tags,omitempty"`
	Options           map[string]json.RawMessage `json:"options,omitempty"`
	Destinations      []*eventDestination        `json:"destinations,omitempty"`
}

// eventDestination is one event destination, in SES's own JSON shape (it is
// both the API answer and the saved state).
type eventDestination struct {
	Name                       string          `json:"Name"`
	Enabled                    bool            `json:"Enabled"`
	MatchingEventTypes         []string        `json:"MatchingEventTypes"`
	SnsDestination             *snsDestination `json:"SnsDestination,omitempty"`
	CloudWatchDestination      json.RawMessage `json:"CloudWatchDestination,omitempty"`
	KinesisFirehoseDestination json.RawMessage `json:"KinesisFirehoseDestination,omitempty"`
	EventBridgeDestination     json.RawMessage `json:"EventBridgeDestination,omitempty"`
	PinpointDestination        json.RawMessage `json:"PinpointDestination,omitempty"`
}

type snsDestination struct {
	TopicArn string `json:"TopicArn"`
}

// matches reports whether the destination publishes events of the given
// MatchingEventTypes value.
func (d *eventDestination) matches(eventType string) bool {
	return d.Enabled && d.SnsDestination != nil && slices.Contains(d.MatchingEventTypes, eventType)
}

// validName checks a configuration set or event destination name: letters,
// digits, '_' and '-', 1 to 64 characters.
func validName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (s *Service) createConfigurationSet(rq *request) (any, *awsproto.Error) {
	var in struct {
		ConfigurationSetName string `json:"ConfigurationSetName"`
		Tags                 []tag  `json:"Tags"`
		SendingOptions       *struct {
			SendingEnabled bool `json:"SendingEnabled"`
		} `json:"SendingOptions"`
		SuppressionOptions *struct {
			SuppressedReasons []string `json:"SuppressedReasons"`
		} `json:"SuppressionOptions"`
	}
	if e := rq.decode(&in); e != nil {
		return nil, e
	}
	var raw map[string]json.RawMessage
	if e := rq.decode(&raw); e != nil {
		return nil, e
	}
	if !validName(in.ConfigurationSetName) {
		return nil, errBadRequest("Invalid ConfigurationSetName %q: use 1 to 64 letters, digits, '_' or '-'.", in.ConfigurationSetName)
	}
	cs := &configSet{Name: in.ConfigurationSetName, CreatedAt: s.now().UTC(), SendingEnabled: true, Tags: in.Tags}
	if in.SendingOptions != nil {
		cs.SendingEnabled = in.SendingOptions.SendingEnabled
	}
	if in.SuppressionOptions != nil && in.SuppressionOptions.SuppressedReasons != nil {
		reasons, e := checkReasons(in.SuppressionOptions.SuppressedReasons, "SuppressionOptions.SuppressedReasons")
		if e != nil {
			return nil, e
		}
		cs.SuppressedReasons = &reasons
	}
	for _, k := range []string{"DeliveryOptions", "ReputationOptions", "TrackingOptions", "VdmOptions", "ArchivingOptions"} {
		if v, ok := raw[k]; ok && string(v) != "null" {
			if cs.Options == nil {
				cs.Options = map[string]json.RawMessage{}
			}
			cs.Options[k] = v
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.configSets[cs.Name] != nil {
		return nil, errAlreadyExists("Configuration set %s already exists.", cs.Name)
	}
	s.configSets[cs.Name] = cs
	s.dirty = true
	return nil, nil
}

// configSetLocked returns the named set or NotFoundException. Callers hold s.mu.
func (s *Service) configSetLocked(name string) (*configSet, *awsproto.Error) {
	cs := s.configSets[name]
	if cs == nil {
		return nil, errNotFound("Configuration set %s does not exist.", name)
	}
	return cs, nil
}

func (s *Service) getConfigurationSet(rq *request) (any, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, e := s.configSetLocked(rq.labels[0])
	if e != nil {
		return nil, e
	}
	out := map[string]any{
		"ConfigurationSetName": cs.Name,
		"SendingOptions":       map[string]bool{"SendingEnabled": cs.SendingEnabled},
		"Tags":                 nonNilTags(cs.Tags),
	}
	if cs.SuppressedReasons != nil {
		out["SuppressionOptions"] = map[string]any{"SuppressedReasons": nonNilStrings(*cs.SuppressedReasons)}
	}
	for k, v := range cs.Options {
		out[k] = v
	}
	if _, ok := out["ReputationOptions"]; !ok {
		out["ReputationOptions"] = map[string]bool{"ReputationMetricsEnabled": false}
	}
	return out, nil
}

func (s *Service) deleteConfigurationSet(rq *request) (any, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, e := s.configSetLocked(rq.labels[0]); e != nil {
		return nil, e
	}
	delete(s.configSets, rq.labels[0])
	s.dirty = true
	return nil, nil
}

func (s *Service) listConfigurationSets(rq *request) (any, *awsproto.Error) {
	p, e := rq.listParams()
	if e != nil {
		return nil, e
	}
	contains := strings.ToLower(p.Filter["CONFIGURATION_SET_NAME_CONTAINS"])
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.configSets))
	for name := range s.configSets {
		if strings.Contains(strings.ToLower(name), contains) {
			keys = append(keys, name)
		}
	}
	page, next, e := paginate(keys, p.NextToken, p.PageSize)
	if e != nil {
		return nil, e
	}
	out := map[string]any{"ConfigurationSets": page}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// putConfigurationSetSendingOptions pauses or resumes one set; an absent
// SendingEnabled is false, as the SDKs leave false booleans out.
func (s *Service) putConfigurationSetSendingOptions(rq *request) (any, *awsproto.Error) {
	var in struct {
		SendingEnabled bool `json:"SendingEnabled"`
	}
	if e := rq.decode(&in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, e := s.configSetLocked(rq.labels[0])
	if e != nil {
		return nil, e
	}
	cs.SendingEnabled = in.SendingEnabled
	s.dirty = true
	return nil, nil
}

// putConfigurationSetSuppressionOptions sets the set's suppression reasons;
// leaving SuppressedReasons out returns the set to the account's reasons.
func (s *Service) putConfigurationSetSuppressionOptions(rq *request) (any, *awsproto.Error) {
	var in struct {
		SuppressedReasons []string `json:"SuppressedReasons"`
	}
	if e := rq.decode(&in); e != nil {
		return nil, e
	}
	var override *[]string
	if in.SuppressedReasons != nil {
		reasons, e := checkReasons(in.SuppressedReasons, "SuppressedReasons")
		if e != nil {
			return nil, e
		}
		override = &reasons
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, e := s.configSetLocked(rq.labels[0])
	if e != nil {
		return nil, e
	}
	cs.SuppressedReasons = override
	s.dirty = true
	return nil, nil
}

// eventDestinationInput is the EventDestination member of Create and Update.
type eventDestinationInput struct {
	Enabled                    bool            `json:"Enabled"`
	MatchingEventTypes         []string        `json:"MatchingEventTypes"`
	SnsDestination             *snsDestination `json:"SnsDestination"`
	CloudWatchDestination      json.RawMessage `json:"CloudWatchDestination"`
	KinesisFirehoseDestination json.RawMessage `json:"KinesisFirehoseDestination"`
	EventBridgeDestination     json.RawMessage `json:"EventBridgeDestination"`
	PinpointDestination        json.RawMessage `json:"PinpointDestination"`
}

// destination validates the input and builds the destination named name.
// An SNS topic must exist (TopicExists); an absent Enabled is false, as on
// AWS, where the SDKs leave false booleans out.
func (s *Service) destination(name string, in *eventDestinationInput) (*eventDestination, *awsproto.Error) {
	if in == nil {
		return nil, errBadRequest("EventDestination is required.")
	}
	if len(in.MatchingEventTypes) == 0 {
		return nil, errBadRequest("EventDestination.MatchingEventTypes must list at least one event type.")
	}
	types := []string{}
	for _, t := range in.MatchingEventTypes {
		if _, ok := eventTypeName(t); !ok {
			return nil, errBadRequest("Invalid event type %q in MatchingEventTypes.", t)
		}
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	d := &eventDestination{
		Name: name, Enabled: in.Enabled, MatchingEventTypes: types, SnsDestination: in.SnsDestination,
		CloudWatchDestination: nullToNil(in.CloudWatchDestination), KinesisFirehoseDestination: nullToNil(in.KinesisFirehoseDestination),
		EventBridgeDestination: nullToNil(in.EventBridgeDestination), PinpointDestination: nullToNil(in.PinpointDestination),
	}
	if d.SnsDestination == nil && d.CloudWatchDestination == nil && d.KinesisFirehoseDestination == nil &&
		d.EventBridgeDestination == nil && d.PinpointDestination == nil {
		return nil, errBadRequest("EventDestination must name a destination: SnsDestination, CloudWatchDestination, KinesisFirehoseDestination, EventBridgeDestination or PinpointDestination.")
	}
	if d.SnsDestination != nil {
		arn := d.SnsDestination.TopicArn
		if arn == "" {
			return nil, errBadRequest("SnsDestination.TopicArn is required.")
		}
		if s.cfg.Topics == nil || !s.cfg.Topics.TopicExists(arn) {
			return nil, errBadRequest("SNS topic %s not found: create the topic before the event destination.", arn)
		}
	}
	return d, nil
}

func nullToNil(m json.RawMessage) json.RawMessage {
	if len(m) == 0 || string(m) == "null" {
		return nil
	}
	return m
}

func findDestination(cs *configSet, name string) int {
	return slices.IndexFunc(cs.Destinations, func(d *eventDestination) bool { return d.Name == name })
}

func (s *Service) createEventDestination(rq *request) (any, *awsproto.Error) {
	var in struct {
		EventDestinationName string                 `json:"EventDestinationName"`
		EventDestination     *eventDestinationInput `json:"EventDestination"`
	}
	if e := rq.decode(&in); e != nil {
		return nil, e
	}
	if !validName(in.EventDestinationName) {
		return nil, errBadRequest("Invalid EventDestinationName %q: use 1 to 64 letters, digits, '_' or '-'.", in.EventDestinationName)
	}
	if e := s.checkConfigSetExists(rq.labels[0]); e != nil {
		return nil, e
	}
	d, e := s.destination(in.EventDestinationName, in.EventDestination)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	cs, e := s.configSetLocked(rq.labels[0])
	switch {
	case e != nil:
	case findDestination(cs, d.Name) >= 0:
		e = errAlreadyExists("Event destination %s already exists in configuration set %s.", d.Name, cs.Name)
	case len(cs.Destinations) >= maxEventDestinations:
		e = errLimitExceeded("Configuration set %s already has %d event destinations, the maximum.", cs.Name, maxEventDestinations)
	default:
		cs.Destinations = append(cs.Destinations, d)
		s.dirty = true
	}
	s.mu.Unlock()
	if e != nil {
		return nil, e
	}
	s.publishTestMessage(rq, d)
	return nil, nil
}

func (s *Service) checkConfigSetExists(name string) *awsproto.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, e := s.configSetLocked(name)
	return e
}

// publishTestMessage sends SES's validation message to a new SNS
// destination's topic. A failure is logged: the destination exists either way.
func (s *Service) publishTestMessage(rq *request, d *eventDestination) {
	if d.SnsDestination == nil || s.cfg.Topics == nil {
		return
	}
	if err := s.cfg.Topics.PublishToTopic(rq.call.Ctx, d.SnsDestination.TopicArn, "", testEventMessage); err != nil {
		s.log.Error("ses: publishing the event destination test message", "topic", d.SnsDestination.TopicArn, "destination", d.Name, "err", err)
	}
}

func (s *Service) getEventDestinations(rq *request) (any, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, e := s.configSetLocked(rq.labels[0])
	if e != nil {
		return nil, e
	}
	list := make([]eventDestination, len(cs.Destinations))
	for i, d := range cs.Destinations {
		list[i] = *d
	}
	return map[string]any{"EventDestinations": list}, nil
}

func (s *Service) updateEventDestination(rq *request) (any, *awsproto.Error) {
	var in struct {
		EventDestination *eventDestinationInput `json:"EventDestination"`
	}
	if e := rq.decode(&in); e != nil {
		return nil, e
	}
	if e := s.checkDestinationExists(rq.labels[0], rq.labels[1]); e != nil {
		return nil, e
	}
	d, e := s.destination(rq.labels[1], in.EventDestination)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	cs, e := s.configSetLocked(rq.labels[0])
	topicChanged := false
	if e == nil {
		i := findDestination(cs, d.Name)
		if i < 0 {
			e = errNotFound("Event destination %s does not exist in configuration set %s.", d.Name, cs.Name)
		} else {
			old := cs.Destinations[i]
			topicChanged = d.SnsDestination != nil && (old.SnsDestination == nil || old.SnsDestination.TopicArn != d.SnsDestination.TopicArn)
			cs.Destinations[i] = d
			s.dirty = true
		}
	}
	s.mu.Unlock()
	if e != nil {
		return nil, e
	}
	if topicChanged {
		s.publishTestMessage(rq, d)
	}
	return nil, nil
}

func (s *Service) checkDestinationExists(set, name string) *awsproto.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, e := s.configSetLocked(set)
	if e != nil {
		return e
	}
	if findDestination(cs, name) < 0 {
		return errNotFound("Event destination %s does not exist in configuration set %s.", name, set)
	}
	return nil
}

func (s *Service) deleteEventDestination(rq *request) (any, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, e := s.configSetLocked(rq.labels[0])
	if e != nil {
		return nil, e
	}
	i := findDestination(cs, rq.labels[1])
	if i < 0 {
		return nil, errNotFound("Event destination %s does not exist in configuration set %s.", rq.labels[1], cs.Name)
	}
	cs.Destinations = slices.Delete(cs.Destinations, i, i+1)
	s.dirty = true
	return nil, nil
}

// snsDestinationsLocked copies the set's enabled SNS destinations, for a
// send to publish to after the lock is released. Callers hold s.mu.
func (cs *configSet) snsDestinationsLocked() []eventDestination {
	var out []eventDestination
	for _, d := range cs.Destinations {
		if d.Enabled && d.SnsDestination != nil {
			cp := *d
			cp.MatchingEventTypes = slices.Clone(d.MatchingEventTypes)
			out = append(out, cp)
		}
	}
	return out
}

package ses

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// SES limits that SendEmail checks.
const (
	maxRecipients  = 50
	maxMessageSize = 40 << 20
)

// Content kinds, as the mailbox records them.
const (
	contentSimple   = "Simple"
	contentRaw      = "Raw"
	contentTemplate = "Template"
)

// sendEmailInput is the body of SendEmail.
type sendEmailInput struct {
	FromEmailAddress     string        `json:"FromEmailAddress"`
	Destination          *destination  `json:"Destination"`
	ReplyToAddresses     []string      `json:"ReplyToAddresses"`
	Content              *emailContent `json:"Content"`
	EmailTags            []messageTag  `json:"EmailTags"`
	ConfigurationSetName string        `json:"ConfigurationSetName"`
}

type destination struct {
	ToAddresses  []string `json:"ToAddresses"`
	CcAddresses  []string `json:"CcAddresses"`
	BccAddresses []string `json:"BccAddresses"`
}

type emailContent struct {
	Simple   *simpleContent `json:"Simple"`
	Raw      *rawContent    `json:"Raw"`
	Template *templateSpec  `json:"Template"`
}

type contentPart struct {
	Data    string `json:"Data"`
	Charset string `json:"Charset"`
}

type simpleContent struct {
	Subject *contentPart `json:"Subject"`
	Body    *struct {
		Text *contentPart `json:"Text"`
		HTML *contentPart `json:"Html"`
	} `json:"Body"`
	Headers     []messageHeader `json:"Headers"`
	Attachments []attachment    `json:"Attachments"`
}

type rawContent struct {
	Data []byte `json:"Data"`
}

type templateSpec struct {
	TemplateName    string           `json:"TemplateName"`
	TemplateArn     string           `json:"TemplateArn"`
	TemplateContent *templateContent `json:"TemplateContent"`
	TemplateData    string           `json:"TemplateData"`
	Headers         []messageHeader  `json:"Headers"`
	Attachments     []attachment     `json:"Attachments"`
}

type messageHeader struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

type messageTag struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// draft is a SendEmail request after validation that needs no state:
// parsed addresses, checked tags and headers, the parsed raw message.
type draft struct {
	kind         string
	from         address
	fromRaw      string // FromEmailAddress (or the raw From header) as given
	to, cc, bcc  []address
	replyTo      []address
	tags         []messageTag
	configSet    string
	headers      []messageHeader
	body         messageBody // Simple: text, HTML, attachments; Template: attachments
	subject      string      // Simple and Raw; Template after rendering
	raw          *rawMessage
	templateName string
	inline       *templateContent
	templateData map[string]any
}

// recipients lists To, Cc and Bcc, each address once (SES sends one copy
// per envelope recipient).
func (d *draft) recipients() []address {
	var out []address
	seen := map[string]bool{}
	for _, list := range [][]address{d.to, d.cc, d.bcc} {
		for _, a := range list {
			if !seen[a.key()] {
				seen[a.key()] = true
				out = append(out, a)
			}
		}
	}
	return out
}

// parseSendInput validates a SendEmail request as far as it can without
// the service's state.
func parseSendInput(in *sendEmailInput) (*draft, *awsproto.Error) {
	c := in.Content
	if c == nil {
		return nil, errBadRequest("Content is required.")
	}
	n := 0
	for _, set := range []bool{c.Simple != nil, c.Raw != nil, c.Template != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, errBadRequest("Content must contain exactly one of Simple, Raw or Template.")
	}
	d := &draft{configSet: in.ConfigurationSetName, tags: in.EmailTags}
	if in.Destination != nil {
		var e *awsproto.Error
		if d.to, e = parseRecipients(in.Destination.ToAddresses, "Destination.ToAddresses"); e != nil {
			return nil, e
		}
		if d.cc, e = parseRecipients(in.Destination.CcAddresses, "Destination.CcAddresses"); e != nil {
			return nil, e
		}
		if d.bcc, e = parseRecipients(in.Destination.BccAddresses, "Destination.BccAddresses"); e != nil {
			return nil, e
		}
	}
	var e *awsproto.Error
	if d.replyTo, e = parseRecipients(in.ReplyToAddresses, "ReplyToAddresses"); e != nil {
		return nil, e
	}
	d.fromRaw = strings.TrimSpace(in.FromEmailAddress)

	switch {
	case c.Simple != nil:
		e = d.readSimple(c.Simple)
	case c.Raw != nil:
		e = d.readRaw(c.Raw)
	default:
		e = d.readTemplate(c.Template)
	}
	if e != nil {
		return nil, e
	}

	if d.fromRaw == "" {
		return nil, errBadRequest("FromEmailAddress is required (for Raw content it may come from the message's From header).")
	}
	from, err := parseAddress(d.fromRaw)
	if err != nil {
		return nil, errBadRequest("Invalid FromEmailAddress %q: %v.", d.fromRaw, err)
	}
	d.from = from
	switch n := len(d.recipients()); {
	case n == 0:
		return nil, errBadRequest("The message has no recipients: set Destination.ToAddresses, CcAddresses or BccAddresses.")
	case n > maxRecipients:
		return nil, errBadRequest("Recipient count exceeds %d: the message has %d recipients.", maxRecipients, n)
	}
	if e := checkTags(d.tags); e != nil {
		return nil, e
	}
	if e := checkHeaders(d.headers); e != nil {
		return nil, e
	}
	for i := range d.body.Attachments {
		a := &d.body.Attachments[i]
		if err := checkAttachment(a); err != nil {
			return nil, errBadRequest("%v.", err)
		}
		if blockedExtension(a.FileName) {
			return nil, errMessageRejected("Attachment %q has a file type that SES does not accept (executables and scripts are refused).", a.FileName)
		}
	}
	return d, nil
}

func parseRecipients(list []string, field string) ([]address, *awsproto.Error) {
	out := make([]address, 0, len(list))
	for _, s := range list {
		a, err := parseAddress(s)
		if err != nil {
			return nil, errBadRequest("Invalid address %q in %s: %v.", s, field, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func (d *draft) readSimple(c *simpleContent) *awsproto.Error {
	d.kind = contentSimple
	if c.Subject == nil {
		return errBadRequest("Content.Simple.Subject is required.")
	}
	if c.Body == nil {
		return errBadRequest("Content.Simple.Body is required.")
	}
	d.subject = c.Subject.Data
	if c.Body.Text != nil {
		d.body.Text = &c.Body.Text.Data
	}
	if c.Body.HTML != nil {
		d.body.HTML = &c.Body.HTML.Data
	}
	d.body.Attachments = c.Attachments
	d.headers = c.Headers
	return nil
}

// readRaw reads a raw MIME message. Sender and recipients given in the
// request win; otherwise they come from the From, To, Cc and Bcc headers.
// As on SES, the X-SES-CONFIGURATION-SET and X-SES-MESSAGE-TAGS headers
// stand in for ConfigurationSetName and EmailTags when those are absent.
func (d *draft) readRaw(c *rawContent) *awsproto.Error {
	d.kind = contentRaw
	if len(c.Data) == 0 {
		return errBadRequest("Content.Raw.Data is required.")
	}
	if len(c.Data) > maxMessageSize {
		return errMessageRejected("Message length is %d bytes, more than the 40 MB SES accepts.", len(c.Data))
	}
	m, err := parseRawMessage(c.Data)
	if err != nil {
		return errBadRequest("Content.Raw.Data is not a valid MIME message: %v.", err)
	}
	d.raw = m
	d.subject = decodeHeaderText(m.get("Subject"))
	if d.fromRaw == "" && m.get("From") != "" {
		list, err := parseAddressList(m.get("From"))
		if err != nil || len(list) == 0 {
			return errBadRequest("Cannot read the sender from the raw message's From header %q: %v.", truncate(m.get("From"), 80), err)
		}
		d.fromRaw = list[0].display()
	}
	if len(d.to)+len(d.cc)+len(d.bcc) == 0 {
		for _, f := range []struct {
			name string
			dst  *[]address
		}{{"To", &d.to}, {"Cc", &d.cc}, {"Bcc", &d.bcc}} {
			v := m.get(f.name)
			if v == "" {
				continue
			}
			list, err := parseAddressList(v)
			if err != nil {
				return errBadRequest("Cannot read the recipients from the raw message's %s header: %v.", f.name, err)
			}
			*f.dst = list
		}
	}
	if len(d.replyTo) == 0 && m.get("Reply-To") != "" {
		d.replyTo, _ = parseAddressList(m.get("Reply-To"))
	}
	if d.configSet == "" {
		d.configSet = strings.TrimSpace(m.get("X-SES-CONFIGURATION-SET"))
	}
	if len(d.tags) == 0 && m.get("X-SES-MESSAGE-TAGS") != "" {
		for _, kv := range strings.Split(m.get("X-SES-MESSAGE-TAGS"), ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
			d.tags = append(d.tags, messageTag{Name: strings.TrimSpace(k), Value: strings.TrimSpace(v)})
		}
	}
	return nil
}

func (d *draft) readTemplate(t *templateSpec) *awsproto.Error {
	d.kind = contentTemplate
	switch {
	case t.TemplateContent != nil:
		d.inline = t.TemplateContent
	case t.TemplateName != "":
		d.templateName = t.TemplateName
	case t.TemplateArn != "":
		i := strings.LastIndex(t.TemplateArn, ":template/")
		if i < 0 || i+len(":template/") == len(t.TemplateArn) {
			return errBadRequest("Invalid TemplateArn %q: expected arn:aws:ses:REGION:ACCOUNT:template/NAME.", t.TemplateArn)
		}
		d.templateName = t.TemplateArn[i+len(":template/"):]
	default:
		return errBadRequest("Content.Template needs TemplateName, TemplateArn or TemplateContent.")
	}
	data, e := parseTemplateData(t.TemplateData)
	if e != nil {
		return e
	}
	d.templateData = data
	d.headers = t.Headers
	d.body.Attachments = t.Attachments
	return nil
}

// checkTags validates EmailTags: names and values of letters, digits, '_'
// and '-', at most 256 characters; names starting with "ses:" are SES's own.
func checkTags(tags []messageTag) *awsproto.Error {
	for _, t := range tags {
		if t.Name == "" || len(t.Name) > 256 || !tagChars(t.Name) {
			return errBadRequest("Invalid EmailTags name %q: use 1 to 256 letters, digits, '_' or '-'.", t.Name)
		}
		if len(t.Value) > 256 || !tagChars(t.Value) {
			return errBadRequest("Invalid EmailTags value %q for %s: use up to 256 letters, digits, '_' or '-'.", t.Value, t.Name)
		}
	}
	return nil
}

func tagChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// checkHeaders validates custom Headers. Names are printable ASCII without
// ':' (at most 126 characters); values printable ASCII (at most 995, and
// name plus value at most 996). Headers SES builds from the request itself
// cannot be set this way.
func checkHeaders(hs []messageHeader) *awsproto.Error {
	for _, h := range hs {
		if h.Name == "" || len(h.Name) > 126 {
			return errBadRequest("Invalid header name %q: it must have 1 to 126 characters.", h.Name)
		}
		for i := 0; i < len(h.Name); i++ {
			if c := h.Name[i]; c < 33 || c > 126 || c == ':' {
				return errBadRequest("Invalid header name %q: only printable ASCII characters other than ':' are allowed.", h.Name)
			}
		}
		if len(h.Value) > 995 || len(h.Name)+len(h.Value) > 996 {
			return errBadRequest("Header %s is too long: values are limited to 995 characters.", h.Name)
		}
		for i := 0; i < len(h.Value); i++ {
			if c := h.Value[i]; (c < 32 && c != '\t') || c > 126 {
				return errBadRequest("Invalid value for header %s: only printable ASCII characters are allowed (encode others with RFC 2047).", h.Name)
			}
		}
		switch strings.ToLower(h.Name) {
		case "from", "to", "cc", "bcc", "subject", "mime-version", "content-type", "content-transfer-encoding":
			return errBadRequest("Header %s cannot be set through Headers: SES builds it from the request.", h.Name)
		}
	}
	return nil
}

// sendContext is what a send takes from the service's state, copied under
// the lock.
type sendContext struct {
	configSet    string
	sourceArn    string
	reasons      []string
	destinations []eventDestination
	template     templateContent
}

// authorizeLocked checks a draft against the account: sending switches,
// configuration set, template, verified sender and (in the sandbox)
// verified recipients. Callers hold s.mu.
func (s *Service) authorizeLocked(d *draft, region string) (*sendContext, *awsproto.Error) {
	sc := &sendContext{configSet: d.configSet, reasons: slices.Clone(s.account.SuppressedReasons)}
	id, verified := s.verifiedIdentityLocked(d.from.Addr)
	if sc.configSet == "" && verified && id.ConfigurationSetName != "" && s.configSets[id.ConfigurationSetName] != nil {
		sc.configSet = id.ConfigurationSetName
	}
	var cs *configSet
	if sc.configSet != "" {
		var e *awsproto.Error
		if cs, e = s.configSetLocked(sc.configSet); e != nil {
			return nil, e
		}
	}
	if d.templateName != "" {
		t, e := s.templateLocked(d.templateName)
		if e != nil {
			return nil, e
		}
		sc.template = t.Content
	} else if d.inline != nil {
		sc.template = *d.inline
	}
	if !s.account.SendingEnabled {
		return nil, errSendingPaused("Sending is paused for this account.")
	}
	if cs != nil && !cs.SendingEnabled {
		return nil, errSendingPaused("Sending is paused for configuration set %s.", cs.Name)
	}
	if !verified {
		return nil, errMessageRejected("Email address is not verified. The following identities failed the check in region %s: %s", strings.ToUpper(region), d.from.Addr)
	}
	sc.sourceArn = fmt.Sprintf("arn:aws:ses:%s:%s:identity/%s", region, s.cfg.AccountID, id.Name)
	if !s.account.ProductionAccessEnabled {
		var failed []string
		for _, a := range d.recipients() {
			if _, sim := simulatorKind(a.Addr); sim {
				continue
			}
			if _, ok := s.verifiedIdentityLocked(a.Addr); !ok {
				failed = append(failed, a.Addr)
			}
		}
		if len(failed) > 0 {
			return nil, errMessageRejected("Email address is not verified. The following identities failed the check in region %s: %s", strings.ToUpper(region), strings.Join(failed, ", "))
		}
	}
	if cs != nil {
		if cs.SuppressedReasons != nil {
			sc.reasons = slices.Clone(*cs.SuppressedReasons)
		}
		sc.destinations = cs.snsDestinationsLocked()
	}
	return sc, nil
}

// newMessageID returns an id shaped like SES's:
// 0100 + the send time in ms (12 hex digits) - a UUID - 000000.
func newMessageID(t time.Time) string {
	return fmt.Sprintf("0100%012x-%s-000000", t.UnixMilli()&0xffffffffffff, awsproto.NewUUID())
}

// messageIDHeader is the Message-ID SES gives a message it sends.
func messageIDHeader(id string) string { return "<" + id + "@email.amazonses.com>" }

// compose builds the message as SES would send it. For a template that
// cannot be rendered it returns no message and the rendering error, which
// SES reports in a Rendering Failure event, not to the caller.
func compose(d *draft, sc *sendContext, id string, now time.Time) (eml []byte, renderErr string, e *awsproto.Error) {
	date := now.Format(time.RFC1123Z)
	if d.kind == contentRaw {
		kept := d.raw.headers[:0:0]
		for _, h := range d.raw.headers {
			switch strings.ToLower(h.Name) {
			case "bcc", "message-id", "x-ses-configuration-set", "x-ses-message-tags":
				continue
			}
			kept = append(kept, h)
		}
		m := &rawMessage{headers: kept, body: d.raw.body, eol: d.raw.eol}
		m.headers = append(m.headers, header{Name: "Message-ID", Value: messageIDHeader(id)})
		if !m.has("Date") {
			m.headers = append(m.headers, header{Name: "Date", Value: date})
		}
		return m.bytes(), "", nil
	}
	body := d.body
	if d.kind == contentTemplate {
		r, err := renderContent(sc.template, d.templateData)
		if err != nil {
			d.subject = sc.template.Subject
			return nil, err.Error(), nil
		}
		d.subject = r.Subject
		body = r.body(d.body.Attachments)
	}
	top := []header{{Name: "From", Value: d.from.header()}}
	if len(d.to) > 0 {
		top = append(top, header{Name: "To", Value: joinHeaders(d.to)})
	}
	if len(d.cc) > 0 {
		top = append(top, header{Name: "Cc", Value: joinHeaders(d.cc)})
	}
	if len(d.replyTo) > 0 {
		top = append(top, header{Name: "Reply-To", Value: joinHeaders(d.replyTo)})
	}
	top = append(top,
		header{Name: "Subject", Value: encodeHeaderText(d.subject)},
		header{Name: "Message-ID", Value: messageIDHeader(id)},
		header{Name: "Date", Value: date},
		header{Name: "MIME-Version", Value: "1.0"},
	)
	for _, h := range d.headers {
		// SES sets Message-ID and Date itself and drops the caller's.
		if strings.EqualFold(h.Name, "Message-ID") || strings.EqualFold(h.Name, "Date") {
			continue
		}
		top = append(top, header{Name: h.Name, Value: h.Value})
	}
	msg, err := composeMIME(top, body)
	if err != nil {
		return nil, "", errBadRequest("%v.", err)
	}
	return msg, "", nil
}

func (s *Service) sendEmail(rq *request) (any, *awsproto.Error) {
	var in sendEmailInput
	if e := rq.decode(&in); e != nil {
		return nil, e
	}
	d, e := parseSendInput(&in)
	if e != nil {
		return nil, e
	}
	region := s.region(rq)
	s.mu.Lock()
	sc, e := s.authorizeLocked(d, region)
	s.mu.Unlock()
	if e != nil {
		return nil, e
	}

	now := s.now().UTC()
	id := newMessageID(now)
	eml, renderErr, e := compose(d, sc, id, now)
	if e != nil {
		return nil, e
	}
	if len(eml) > maxMessageSize {
		return nil, errMessageRejected("Message length is %d bytes, more than the 40 MB SES accepts.", len(eml))
	}

	rec := &mailRecord{
		MessageID: id, Timestamp: now, From: d.fromRaw, SourceArn: sc.sourceArn,
		To: bareAddresses(d.to), Cc: bareAddresses(d.cc), Bcc: bareAddresses(d.bcc), ReplyTo: bareAddresses(d.replyTo),
		Subject: d.subject, Content: d.kind, Template: d.templateName, ConfigurationSet: sc.configSet,
		Tags: tagMap(d.tags), SourceIP: rq.sourceIP(), CallerIdentity: rq.callerIdentity(),
		Size: len(eml), RenderingFailure: renderErr, Region: region,
	}
	recipients := d.recipients()

	s.mu.Lock()
	e = s.admitLocked(recipients, now)
	var events []plannedEvent
	if e == nil {
		events = s.planLocked(rec, recipients, sc.reasons)
	}
	s.mu.Unlock()
	if e != nil {
		return nil, e
	}

	if err := s.mail.add(rec, eml); err != nil {
		s.log.Error("ses: storing sent message", "messageId", id, "err", err)
		return nil, errInternal("The message was accepted but could not be stored in the mailbox: %v", err)
	}
	s.dispatch(sc.destinations, rec, events)
	return map[string]string{"MessageId": id}, nil
}

// tagMap turns EmailTags into a map (a repeated name keeps its last value).
func tagMap(tags []messageTag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Name] = t.Value
	}
	return m
}

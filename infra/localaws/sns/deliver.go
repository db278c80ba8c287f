package sns

import (
	"context"
	"errors"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// errNoQueues is the delivery error of a service built without an SQS
// service.
var errNoQueues = errors.New("sns: no SQS service to deliver to")

// deliver sends n to every target whose filter policy it matches. A
// delivery that fails (the queue is gone, or refuses the message) goes to
// the subscription's dead-letter queue when it has one and is dropped
// otherwise, as on AWS; it never fails the publish.
func (s *Service) deliver(ctx context.Context, n *notification, targets []target) {
	if len(targets) == 0 {
		return
	}
	fm := newFilterMessage(n.Message, n.Attrs)
	var sig *envelopeSignature
	for _, tg := range targets {
		if !fm.matches(tg.cfg.filter) {
			continue
		}
		qm := awsproto.QueueMessage{Body: n.Message}
		if tg.cfg.raw {
			qm.Attributes = sqsAttributes(n.Attrs)
		} else {
			if sig == nil && !n.fifo {
				sig = s.signature(n)
			}
			host := snsHost(n.TopicARN, s.cfg.Region)
			qm.Body = renderEnvelope(n, sig, host+"/?Action=Unsubscribe&SubscriptionArn="+tg.subARN)
		}
		err := s.sendToQueue(ctx, tg.endpoint, n, qm)
		if err == nil {
			continue
		}
		s.log().Warn("sns: delivery failed", "subscription", tg.subARN, "queue", tg.endpoint.ARN, "messageId", n.MessageID, "err", err)
		if tg.cfg.dlq == nil {
			continue
		}
		if err := s.sendToQueue(ctx, *tg.cfg.dlq, n, qm); err != nil {
			s.log().Warn("sns: delivery to the subscription's dead-letter queue failed; message dropped",
				"subscription", tg.subARN, "queue", tg.cfg.dlq.ARN, "messageId", n.MessageID, "err", err)
		}
	}
}

// sendToQueue hands qm to SQS with the FIFO routing the queue takes: a
// FIFO queue gets the message group and deduplication ids, a standard
// queue gets the group id of a standard topic's message (fair queues) and
// nothing of a FIFO topic's.
func (s *Service) sendToQueue(ctx context.Context, q queueARN, n *notification, qm awsproto.QueueMessage) error {
	if s.cfg.Queues == nil {
		return errNoQueues
	}
	switch {
	case q.fifo():
		qm.MessageGroupID, qm.MessageDeduplicationID = n.groupID, n.dedupID
	case !n.fifo:
		qm.MessageGroupID = n.groupID
	}
	return s.cfg.Queues.SendToQueue(ctx, q.ARN, qm)
}

// signature signs a standard topic's notification. A key that cannot be
// made leaves the signature empty rather than losing the message.
func (s *Service) signature(n *notification) *envelopeSignature {
	version := n.sigVersion
	if version == "" {
		version = "1"
	}
	sig := &envelopeSignature{Version: version}
	k, err := s.signer.get()
	if err == nil {
		sig.CertURL = snsHost(n.TopicARN, s.cfg.Region) + "/" + k.certFile
		sig.Value, err = k.sign(version, n.stringToSign())
	}
	if err != nil {
		s.log().Error("sns: signing notification", "messageId", n.MessageID, "err", err)
	}
	return sig
}

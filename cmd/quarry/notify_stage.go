package main

import (
	"errors"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/pipeline/notify"
)

// newNotifyHandler builds the notify.email handler: SES v2 through the
// topology's configuration set, attachments from the blob bucket, the
// suppression list and the send-rate schedule in the fleet's Redis, and
// the job claims for one send per recipient.
func newNotifyHandler(d stageDeps) (*notify.Handler, error) {
	if d.cfg.NotifyFrom == "" {
		return nil, errors.New("role notify: set QUARRY_NOTIFY_FROM to the sender (a verified SES identity), e.g. \"Quarry <results@mail.example.com>\"")
	}
	list, err := newSuppressionStore(d.cfg, d.redis)
	if err != nil {
		return nil, err
	}
	return notify.NewHandler(notify.HandlerConfig{
		SES:                 d.env.clients.SES,
		Blobs:               infra.NewBlobStore(d.env.clients.S3, d.bucket),
		Suppressions:        list,
		Effects:             d.claims,
		Redis:               d.redis.Client,
		Prefix:              d.cfg.RedisPrefix,
		From:                d.cfg.NotifyFrom,
		ConfigurationSet:    d.env.topology.ConfigurationSet,
		TemplateDir:         d.cfg.NotifyTemplatesDir,
		UnsubscribeMailto:   d.cfg.NotifyUnsubscribeMailto,
		UnsubscribeURL:      d.cfg.NotifyUnsubscribeURL,
		UnsubscribeKey:      []byte(d.cfg.NotifyUnsubscribeKey),
		SendRateFraction:    d.cfg.NotifySendRateFraction,
		UnknownQuiet:        d.cfg.NotifyUnknownQuiet,
		SettleUnknownByHand: d.cfg.NotifyUnknownSettle == "person",
		Guard:               d.guard,
		Registerer:          d.registry,
		Logger:              d.log,
	})
}

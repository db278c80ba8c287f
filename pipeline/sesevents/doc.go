// Package sesevents is the ses-events stage: it turns SES's bounce,
// complaint and delivery events into suppression-list entries and
// counters, so addresses that bounce or complain are never mailed again
// and the fleet sees its bounce and complaint rates before AWS does.
//
// The worker runtime hands each SES notification to [Handler] as a
// messages.TypeSESEvent job keyed by the SNS MessageId, so a notification
// delivered twice is handled once. Inside it, each recipient of each event
// is handled once more under its own key, kind:mail.messageId:recipient
// plus the SES feedbackId for bounces and complaints, so the same bounce
// reaching us twice (two SNS messages, both notification formats, a redrive)
// changes nothing the second time. Effects are idempotent by construction
// (a reason already in force is not added again; a soft bounce is a member
// of a sorted set keyed by the SES message id), and the once-only marker
// and the counters are written together in one Lua script, so a crash
// between the effect and the marker repeats only the harmless effect.
//
// Policy (see [Policy]):
//
//	Permanent bounce (and Undetermined with a 5.1.x status)  → hard_bounce at once, no expiry
//	Transient MailboxFull / General, Undetermined            → soft counter; soft_bounce once
//	                                                           Policy.SoftThreshold distinct messages
//	                                                           bounced within Policy.SoftWindow
//	Transient General after a Delivery of the same message   → an auto-reply: recorded, not counted
//	Transient MessageTooLarge / ContentRejected /
//	AttachmentRejected                                       → our content, not the recipient: warned, not counted
//	Complaint (any feedback type but not-spam)               → complaint at once, never lifted automatically
//	Delivery                                                 → counted; clears the soft counter; never lifts a suppression
//	Send                                                     → counted (the denominator of the rates)
//	Reject, Rendering Failure, DeliveryDelay, Open, Click    → counted and logged
//
// Bounce and complaint rates are kept over a sliding window (HandlerConfig.RateWindow,
// in 48 buckets) and exported as gauges; a warning is logged when either
// reaches half of AWS's review threshold (5 % bounces, 0.1 % complaints).
// Like AWS, the rates leave out the mailbox simulator's addresses.
package sesevents

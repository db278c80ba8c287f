package sqs

import (
	"encoding/base64"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// Tag limits of SQS.
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// maxListResults is the most queue URLs one ListQueues or
// ListDeadLetterSourceQueues answer holds.
const maxListResults = 1000

func (s *Service) createQueue(call *awsproto.Call, in *CreateQueueInput) (*CreateQueueOutput, *awsproto.Error) {
	if in.QueueName == "" {
		return nil, errMissingParameter("QueueName")
	}
	fifo := false
	if v, ok := in.Attributes[attrFifoQueue]; ok {
		norm, err := boolValue(v)
		if err != nil {
			return nil, errInvalidAttributeValue("Invalid value for the parameter FifoQueue. Reason: %v.", err)
		}
		fifo = norm == "true"
	}
	if !validQueueName(in.QueueName, fifo) {
		if fifo {
			return nil, errInvalidParameter("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
		}
		return nil, errInvalidParameter("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	if e := validateTags(in.Tags, 0); e != nil {
		return nil, e
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	arn := s.queueARN(in.QueueName)
	attrs, e := s.validateAttributes(in.Attributes, fifo, nil, arn)
	if e != nil {
		return nil, e
	}
	delete(attrs, attrFifoQueue) // the queue type, compared and stored on its own
	url := s.queueURL(call.BaseURL, in.QueueName)
	if q := s.queues[in.QueueName]; q != nil {
		// CreateQueue is idempotent only when every attribute given matches.
		if q.fifo != fifo {
			return nil, errQueueNameExists(attrFifoQueue)
		}
		for _, name := range sortedKeys(attrs) {
			if q.attrs[name] != attrs[name] {
				return nil, errQueueNameExists(name)
			}
		}
		return &CreateQueueOutput{QueueUrl: url}, nil
	}
	if w := s.cfg.DeletedRecentlyWindow; w > 0 {
		if at, ok := s.deleted[in.QueueName]; ok && now.Sub(at) < w {
			return nil, errQueueDeletedRecently("You must wait %s after deleting a queue before you can create another with the same name.", seconds(w))
		}
	}
	delete(s.deleted, in.QueueName)
	q := newQueue(strconv.FormatUint(rand.Uint64(), 36), in.QueueName, arn, fifo, now)
	q.attrs = defaultAttributes(fifo)
	maps.Copy(q.attrs, attrs)
	q.cfg = parseConfig(q.attrs)
	maps.Copy(q.tags, in.Tags)
	s.queues[in.QueueName] = q
	s.dirty = true
	return &CreateQueueOutput{QueueUrl: url}, nil
}

// seconds formats a guard window the way AWS words it ("60 seconds").
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " seconds"
}

func validateTags(tags map[string]string, existing int) *awsproto.Error {
	if existing+len(tags) > maxTags {
		return errInvalidParameter("Too many tags: a queue can have at most %d tags.", maxTags)
	}
	for k, v := range tags {
		if k == "" || len(k) > maxTagKeyLen {
			return errInvalidParameter("Tag key %q is invalid. Reason: tag keys must be 1 to %d characters long.", k, maxTagKeyLen)
		}
		if len(v) > maxTagValueLen {
			return errInvalidParameter("Value for tag %q is invalid. Reason: tag values can be at most %d characters long.", k, maxTagValueLen)
		}
	}
	return nil
}

func (s *Service) getQueueURL(call *awsproto.Call, in *GetQueueUrlInput) (*GetQueueUrlOutput, *awsproto.Error) {
	if in.QueueName == "" {
		return nil, errMissingParameter("QueueName")
	}
	if in.QueueOwnerAWSAccountId != "" && in.QueueOwnerAWSAccountId != s.cfg.AccountID {
		return nil, errQueueDoesNotExist()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queues[in.QueueName] == nil {
		return nil, errQueueDoesNotExist()
	}
	return &GetQueueUrlOutput{QueueUrl: s.queueURL(call.BaseURL, in.QueueName)}, nil
}

func (s *Service) listQueues(call *awsproto.Call, in *ListQueuesInput) (*ListQueuesOutput, *awsproto.Error) {
	s.mu.Lock()
	names := make([]string, 0, len(s.queues))
	for name := range s.queues {
		if strings.HasPrefix(name, in.QueueNamePrefix) {
			names = append(names, name)
		}
	}
	s.mu.Unlock()
	page, next, e := paginate(names, in.MaxResults, in.NextToken)
	if e != nil {
		return nil, e
	}
	out := &ListQueuesOutput{NextToken: next}
	for _, name := range page {
		out.QueueUrls = append(out.QueueUrls, s.queueURL(call.BaseURL, name))
	}
	return out, nil
}

// paginate sorts names and returns the page after token (the last name of
// the previous page, base64) of at most limit names, and the token of the
// next page. Without limit it returns up to 1,000 names and no token.
func paginate(names []string, limit *int32, token string) (page []string, next string, e *awsproto.Error) {
	slices.Sort(names)
	n := maxListResults
	if limit != nil {
		if *limit < 1 || *limit > maxListResults {
			return nil, "", errInvalidParameter("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and %d.", *limit, maxListResults)
		}
		n = int(*limit)
	}
	if token != "" {
		after, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, "", errInvalidParameter("Invalid NextToken value %q.", token)
		}
		i, _ := slices.BinarySearch(names, string(after)+"\x00")
		names = names[i:]
	}
	if len(names) <= n {
		return names, "", nil
	}
	page = names[:n]
	if limit != nil {
		next = base64.RawURLEncoding.EncodeToString([]byte(page[n-1]))
	}
	return page, next, nil
}

func (s *Service) deleteQueue(_ *awsproto.Call, in *QueueInput) (*noOutput, *awsproto.Error) {
	return nil, s.withQueue(in.QueueUrl, func(q *queue, now time.Time) *awsproto.Error {
		delete(s.queues, q.name)
		s.deleted[q.name] = now
		q.signal() // its long polls find the queue gone
		s.dirty = true
		return nil
	})
}

func (s *Service) purgeQueue(_ *awsproto.Call, in *QueueInput) (*noOutput, *awsproto.Error) {
	return nil, s.withQueue(in.QueueUrl, func(q *queue, now time.Time) *awsproto.Error {
		if w := s.cfg.PurgeInterval; w > 0 && !q.lastPurge.IsZero() && now.Sub(q.lastPurge) < w {
			return errPurgeInProgress(q.name, seconds(w))
		}
		q.lastPurge = now
		q.purge()
		s.dirty = true
		return nil
	})
}

func (s *Service) getQueueAttributes(_ *awsproto.Call, in *GetQueueAttributesInput) (*GetQueueAttributesOutput, *awsproto.Error) {
	out := &GetQueueAttributesOutput{}
	return out, s.withQueue(in.QueueUrl, func(q *queue, now time.Time) *awsproto.Error {
		// Keep expired messages out of the counts, scanning at most once a
		// second however often autoscalers ask.
		if now.Sub(q.lastSweep) >= time.Second && q.sweep(now) {
			s.dirty = true
		}
		var e *awsproto.Error
		out.Attributes, e = s.queueAttributes(q, in.AttributeNames)
		return e
	})
}

func (s *Service) setQueueAttributes(_ *awsproto.Call, in *SetQueueAttributesInput) (*noOutput, *awsproto.Error) {
	return nil, s.withQueue(in.QueueUrl, func(q *queue, now time.Time) *awsproto.Error {
		attrs, e := s.validateAttributes(in.Attributes, q.fifo, q.attrs, q.arn)
		if e != nil {
			return e
		}
		maps.Copy(q.attrs, attrs)
		q.cfg = parseConfig(q.attrs)
		q.modified = now
		q.lastSweep = time.Time{} // a shorter retention applies at the next tick
		q.signal()                // a long poll's due time may have changed
		s.dirty = true
		return nil
	})
}

func (s *Service) tagQueue(_ *awsproto.Call, in *TagQueueInput) (*noOutput, *awsproto.Error) {
	return nil, s.withQueue(in.QueueUrl, func(q *queue, _ time.Time) *awsproto.Error {
		added := 0
		for k := range in.Tags {
			if _, ok := q.tags[k]; !ok {
				added++
			}
		}
		if e := validateTags(in.Tags, len(q.tags)+added-len(in.Tags)); e != nil {
			return e
		}
		maps.Copy(q.tags, in.Tags)
		s.dirty = true
		return nil
	})
}

func (s *Service) untagQueue(_ *awsproto.Call, in *UntagQueueInput) (*noOutput, *awsproto.Error) {
	return nil, s.withQueue(in.QueueUrl, func(q *queue, _ time.Time) *awsproto.Error {
		for _, k := range in.TagKeys {
			delete(q.tags, k)
		}
		s.dirty = true
		return nil
	})
}

func (s *Service) listQueueTags(_ *awsproto.Call, in *QueueInput) (*ListQueueTagsOutput, *awsproto.Error) {
	out := &ListQueueTagsOutput{}
	return out, s.withQueue(in.QueueUrl, func(q *queue, _ time.Time) *awsproto.Error {
		if len(q.tags) > 0 {
			out.Tags = tagMap(maps.Clone(q.tags))
		}
		return nil
	})
}

func (s *Service) listDeadLetterSourceQueues(call *awsproto.Call, in *ListDeadLetterSourceQueuesInput) (*ListDeadLetterSourceQueuesOutput, *awsproto.Error) {
	var names []string
	e := s.withQueue(in.QueueUrl, func(q *queue, _ time.Time) *awsproto.Error {
		names = s.sourcesOf(q)
		return nil
	})
	if e != nil {
		return nil, e
	}
	page, next, e := paginate(names, in.MaxResults, in.NextToken)
	if e != nil {
		return nil, e
	}
	out := &ListDeadLetterSourceQueuesOutput{QueueUrls: []string{}, NextToken: next}
	for _, name := range page {
		out.QueueUrls = append(out.QueueUrls, s.queueURL(call.BaseURL, name))
	}
	return out, nil
}

// sourcesOf returns the names of the queues whose RedrivePolicy targets dlq.
// The caller holds s.mu.
func (s *Service) sourcesOf(dlq *queue) []string {
	var names []string
	for name, q := range s.queues {
		if p := q.cfg.redrive; p != nil && p.target == dlq.arn {
			names = append(names, name)
		}
	}
	return names
}

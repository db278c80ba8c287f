package sns

import (
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// maxTags is how many tags one topic carries at most.
const maxTags = 50

// tag is one resource tag.
type tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// checkTags validates tag keys and values as AWS does: keys 1 to 128
// characters, not starting with aws:, values at most 256, at most 50.
func checkTags(tags []tag) *awsproto.Error {
	if len(tags) > maxTags {
		return errTagLimit()
	}
	for _, t := range tags {
		if n := utf8.RuneCountInString(t.Key); n < 1 || n > 128 {
			return errInvalidParameter("Tags Reason: tag key must be 1 to 128 characters long: %q", t.Key)
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return errInvalidParameter("Tags Reason: tag keys may not start with aws: (%q)", t.Key)
		}
		if utf8.RuneCountInString(t.Value) > 256 {
			return errInvalidParameter("Tags Reason: the value of tag %q is longer than 256 characters", t.Key)
		}
	}
	return nil
}

// taggedTopicLocked resolves the ResourceArn of the tagging operations;
// only topics are taggable. The caller holds s.mu.
func (s *Service) taggedTopicLocked(arn *string) (*topic, *awsproto.Error) {
	if arn == nil {
		return nil, errMissing("ResourceArn")
	}
	t, e := s.lookupTopicLocked(*arn)
	if e != nil {
		return nil, errResourceNotFound()
	}
	return t, nil
}

func (s *Service) tagResource(in *tagResourceInput) *awsproto.Error {
	if in.Tags == nil {
		return errMissing("Tags")
	}
	if e := checkTags(in.Tags); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.taggedTopicLocked(in.ResourceArn)
	if e != nil {
		return e
	}
	merged := maps.Clone(t.tags)
	for _, tg := range in.Tags {
		merged[tg.Key] = tg.Value
	}
	if len(merged) > maxTags {
		return errTagLimit()
	}
	t.tags = merged
	s.dirty = true
	return nil
}

func (s *Service) untagResource(in *untagResourceInput) *awsproto.Error {
	if in.TagKeys == nil {
		return errMissing("TagKeys")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.taggedTopicLocked(in.ResourceArn)
	if e != nil {
		return e
	}
	for _, k := range in.TagKeys {
		delete(t.tags, k)
	}
	s.dirty = true
	return nil
}

func (s *Service) listTagsForResource(in *resourceInput) (*listTagsResult, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.taggedTopicLocked(in.ResourceArn)
	if e != nil {
		return nil, e
	}
	out := &listTagsResult{}
	for _, k := range slices.Sorted(maps.Keys(t.tags)) {
		out.Tags.Members = append(out.Tags.Members, tag{Key: k, Value: t.tags[k]})
	}
	return out, nil
}

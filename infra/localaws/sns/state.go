package sns

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// stateFile holds topics and subscriptions under Config.StateDir.
const stateFile = "state.json"

// stateVersion is the format of stateFile.
const stateVersion = 1

// savedState is the content of stateFile.
type savedState struct {
	Version       int                 `json:"version"`
	Topics        []savedTopic        `json:"topics"`
	Subscriptions []savedSubscription `json:"subscriptions"`
}

type savedTopic struct {
	Name          string                 `json:"name"`
	ARN           string                 `json:"arn"`
	FIFO          bool                   `json:"fifo,omitempty"`
	Attributes    map[string]string      `json:"attributes,omitempty"`
	Tags          map[string]string      `json:"tags,omitempty"`
	Subscriptions []string               `json:"subscriptions,omitempty"` // in subscription order
	Deleted       int                    `json:"deletedSubscriptions,omitempty"`
	NextSeq       uint64                 `json:"nextSequenceNumber,omitempty"`
	Dedup         map[string]dedupRecord `json:"dedup,omitempty"` // FIFO deduplication window
}

type savedSubscription struct {
	ARN        string            `json:"arn"`
	TopicName  string            `json:"topic"`
	Endpoint   string            `json:"endpoint"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// SaveState writes topics and subscriptions under cfg.StateDir. It writes
// only when something changed since the last save, to a temporary file
// renamed over the old one, so a crash never leaves half a file.
func (s *Service) SaveState() error {
	if s.cfg.StateDir == "" {
		return nil
	}
	if err := s.saver.SaveIfDirty(filepath.Join(s.cfg.StateDir, stateFile), &s.mu, &s.dirty, func() any { return s.snapshotLocked() }); err != nil {
		return fmt.Errorf("sns: %w", err)
	}
	return nil
}

// snapshotLocked gathers the state in a stable order. The caller holds
// s.mu.
func (s *Service) snapshotLocked() savedState {
	now := s.now()
	st := savedState{Version: stateVersion, Topics: []savedTopic{}, Subscriptions: []savedSubscription{}}
	for _, name := range slices.Sorted(maps.Keys(s.topics)) {
		t := s.topics[name]
		t.sweepDedup(now)
		st.Topics = append(st.Topics, savedTopic{
			Name: t.name, ARN: t.arn, FIFO: t.fifo,
			Attributes: maps.Clone(t.attrs), Tags: maps.Clone(t.tags),
			Subscriptions: slices.Clone(t.subs), Deleted: t.deleted,
			NextSeq: t.nextSeq, Dedup: maps.Clone(t.dedup),
		})
	}
	for _, arn := range slices.Sorted(maps.Keys(s.subs)) {
		sub := s.subs[arn]
		st.Subscriptions = append(st.Subscriptions, savedSubscription{
			ARN: sub.arn, TopicName: sub.topicName, Endpoint: sub.endpoint.ARN, Attributes: maps.Clone(sub.attrs),
		})
	}
	return st
}

// loadState reads stateFile if there is one. A file that cannot be read is
// an error: starting empty would silently lose every subscription.
func (s *Service) loadState() error {
	path := filepath.Join(s.cfg.StateDir, stateFile)
	var st savedState
	if found, err := awsproto.ReadStateFile(path, &st); err != nil || !found {
		if err != nil {
			return fmt.Errorf("sns: %w", err)
		}
		return nil
	}
	if st.Version != stateVersion {
		return fmt.Errorf("sns: state file %s has version %d, this build reads version %d", path, st.Version, stateVersion)
	}
	for _, ts := range st.Topics {
		if !validTopicName(ts.Name, ts.FIFO) || ts.ARN == "" {
			return fmt.Errorf("sns: state file %s holds a topic with an invalid name %q", path, ts.Name)
		}
		t := newTopic(ts.Name, ts.ARN, ts.FIFO)
		maps.Copy(t.attrs, ts.Attributes)
		maps.Copy(t.tags, ts.Tags)
		maps.Copy(t.dedup, ts.Dedup)
		t.deleted = ts.Deleted
		if ts.NextSeq != 0 {
			t.nextSeq = ts.NextSeq
		}
		s.topics[t.name] = t
	}
	for _, ss := range st.Subscriptions {
		t := s.topics[ss.TopicName]
		if t == nil {
			return fmt.Errorf("sns: state file %s: subscription %s names topic %q, which is not in the file", path, ss.ARN, ss.TopicName)
		}
		endpoint, ok := parseQueueARN(ss.Endpoint)
		if !ok {
			return fmt.Errorf("sns: state file %s: subscription %s has an invalid endpoint %q", path, ss.ARN, ss.Endpoint)
		}
		attrs := ss.Attributes
		if attrs == nil {
			attrs = map[string]string{}
		}
		cfg, reason := compileSubscription(attrs, t.fifo)
		if reason != "" {
			return fmt.Errorf("sns: state file %s: subscription %s: %s", path, ss.ARN, reason)
		}
		s.subs[ss.ARN] = &subscription{arn: ss.ARN, topicName: t.name, topicARN: t.arn, endpoint: endpoint, attrs: attrs, cfg: cfg}
	}
	// Topic subscription lists keep their saved order; a subscription the
	// lists miss goes last.
	listed := map[string]bool{}
	for _, ts := range st.Topics {
		t := s.topics[ts.Name]
		for _, arn := range ts.Subscriptions {
			if sub := s.subs[arn]; sub != nil && sub.topicName == t.name && !listed[arn] {
				t.subs = append(t.subs, arn)
				listed[arn] = true
			}
		}
	}
	for _, arn := range slices.Sorted(maps.Keys(s.subs)) {
		if !listed[arn] {
			t := s.topics[s.subs[arn].topicName]
			t.subs = append(t.subs, arn)
		}
	}
	return nil
}

package ses

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// stateFile holds everything but the mail, under Config.StateDir.
const stateFile = "state.json"

// stateVersion is the format of stateFile.
const stateVersion = 1

// savedState is the content of stateFile.
type savedState struct {
	Version           int                      `json:"version"`
	Account           accountSettings          `json:"account"`
	Identities        []*identity              `json:"identities"`
	Templates         []*emailTemplate         `json:"templates"`
	ConfigurationSets []*configSet             `json:"configurationSets"`
	Suppressed        []*suppressedDestination `json:"suppressedDestinations"`
}

// SaveState writes the service's state under cfg.StateDir: identities,
// templates, configuration sets, the suppression list and account settings.
// It writes only when something changed since the last save, to a temporary
// file renamed over the old one, so a crash never leaves half a file. Mail
// is written when it is sent, not here.
func (s *Service) SaveState() error {
	if s.cfg.StateDir == "" {
		return nil
	}
	if err := s.saver.SaveIfDirty(filepath.Join(s.cfg.StateDir, stateFile), &s.mu, &s.dirty, func() any { return s.snapshotLocked() }); err != nil {
		return fmt.Errorf("ses: %w", err)
	}
	return nil
}

// snapshotLocked gathers the state in a stable order. Callers hold s.mu.
func (s *Service) snapshotLocked() savedState {
	st := savedState{Version: stateVersion, Account: s.account}
	for _, k := range sortedKeys(s.identities) {
		st.Identities = append(st.Identities, s.identities[k])
	}
	for _, k := range sortedKeys(s.templates) {
		st.Templates = append(st.Templates, s.templates[k])
	}
	for _, k := range sortedKeys(s.configSets) {
		st.ConfigurationSets = append(st.ConfigurationSets, s.configSets[k])
	}
	for _, k := range sortedKeys(s.suppressed) {
		st.Suppressed = append(st.Suppressed, s.suppressed[k])
	}
	return st
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// loadState reads stateFile if there is one. A file that cannot be read is
// an error: starting empty would silently lose identities and the
// suppression list.
func (s *Service) loadState() error {
	path := filepath.Join(s.cfg.StateDir, stateFile)
	var st savedState
	if found, err := awsproto.ReadStateFile(path, &st); err != nil || !found {
		if err != nil {
			return fmt.Errorf("ses: %w", err)
		}
		return nil
	}
	if st.Version != stateVersion {
		return fmt.Errorf("ses: state file %s has version %d, this build reads version %d", path, st.Version, stateVersion)
	}
	s.account = st.Account
	for _, id := range st.Identities {
		if id != nil && id.Name != "" {
			s.identities[strings.ToLower(id.Name)] = id
		}
	}
	for _, t := range st.Templates {
		if t != nil && t.Name != "" {
			s.templates[t.Name] = t
		}
	}
	for _, cs := range st.ConfigurationSets {
		if cs != nil && cs.Name != "" {
			s.configSets[cs.Name] = cs
		}
	}
	for _, d := range st.Suppressed {
		if d != nil && d.EmailAddress != "" {
			s.suppressed[strings.ToLower(d.EmailAddress)] = d
		}
	}
	return nil
}

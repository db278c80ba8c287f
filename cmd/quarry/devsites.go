package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/quarry-dev/quarry/internal/samplesite"
)

// sampleRecipe is the built-in recipe of the sample records portal.
const sampleRecipe = "sample-records"

// devSite is one host of the sample records portal that `quarry dev`
// serves: a site of its own, with its own sessions and its own politeness
// limits in the fleet, as a real fleet's sites are.
type devSite struct {
	// recipe is the name jobs give to fetch from this host: the sample
	// recipe pointed at the host's base URL.
	recipe string
	host   string // host:port
	site   *samplesite.Site
	srv    *http.Server
}

func (s *devSite) baseURL() string { return "http://" + s.host + samplesite.DefaultBasePath }

// devSites are the sample portal's hosts.
type devSites []*devSite

// startDevSites serves the sample portal on n loopback hosts, 127.0.0.1,
// 127.0.0.2, ... (Linux routes all of 127.0.0.0/8 to the loopback
// interface), each on port (0: a free port per host). Every host serves the
// catalog's records and PDFs; cfg adjusts the portal (tests shorten its
// download delay).
func startDevSites(log Logger, n, port int, records int, cfg samplesite.Config) (devSites, error) {
	if n < 1 || n > 250 {
		return nil, fmt.Errorf("--sites %d: want 1 to 250 loopback hosts", n)
	}
	cfg.Documents = samplesite.Documents()
	cfg.Records = samplesite.CatalogRecords(records)
	var sites devSites
	for i := range n {
		ip := "127.0.0." + strconv.Itoa(i+1)
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			sites.close(context.Background())
			return nil, fmt.Errorf("serving the sample portal on %s: %w (another quarry dev running? --site-port picks another port)", ip, err)
		}
		site, err := samplesite.New(cfg)
		if err != nil {
			_ = ln.Close()
			sites.close(context.Background())
			return nil, err
		}
		s := &devSite{recipe: sampleRecipe, host: ln.Addr().String(), site: site,
			srv: &http.Server{Handler: site, ReadHeaderTimeout: 10 * time.Second}}
		if i > 0 {
			s.recipe = sampleRecipe + "-" + strconv.Itoa(i+1)
		}
		go func() {
			if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error().Err(err).Str("host", s.host).Msg("the sample portal stopped serving")
			}
		}()
		sites = append(sites, s)
	}
	return sites, nil
}

// recipeSites point each host's recipe name at the host.
func (ss devSites) recipeSites() []recipeSite {
	out := make([]recipeSite, len(ss))
	for i, s := range ss {
		out[i] = recipeSite{Name: s.recipe, Recipe: sampleRecipe, BaseURL: s.baseURL()}
	}
	return out
}

func (ss devSites) close(ctx context.Context) {
	for _, s := range ss {
		_ = s.site.Close()
		_ = s.srv.Shutdown(ctx)
	}
}

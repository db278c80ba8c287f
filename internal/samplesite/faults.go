package samplesite

import (
	"net/http"
	"strconv"
)

// hugeBody streams HugeBodySize bytes that start like a PDF. The bytes are
// generated chunk by chunk, so the site never holds the body in memory, and
// writing stops as soon as the client goes away.
func (s *Site) hugeBody(w http.ResponseWriter, r *http.Request, declared bool) {
	w.Header().Set("Content-Type", "application/pdf")
	if declared {
		w.Header().Set("Content-Length", strconv.FormatInt(s.cfg.HugeBodySize, 10))
	}
	w.WriteHeader(http.StatusOK)
	chunk := make([]byte, 64<<10)
	for i := range chunk {
		chunk[i] = byte('0' + i%10)
	}
	copy(chunk, "%PDF-1.7\n")
	remaining := s.cfg.HugeBodySize
	for remaining > 0 {
		if r.Context().Err() != nil {
			return
		}
		n := min(int64(len(chunk)), remaining)
		written, err := w.Write(chunk[:n])
		s.hugeSent.Add(int64(written))
		if err != nil {
			return
		}
		remaining -= n
		if remaining == s.cfg.HugeBodySize-n {
			// Only the first chunk carries the PDF header.
			copy(chunk, "012345678")
		}
	}
}

// HugeBytesSent reports how many bytes the huge-body faults have written so
// far, so tests can check that a client stopped reading early.
func (s *Site) HugeBytesSent() int64 { return s.hugeSent.Load() }

// hang holds the request until the client gives up or the site is closed,
// like a server that accepted the connection and never answers.
func (s *Site) hang(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.closed:
	}
}

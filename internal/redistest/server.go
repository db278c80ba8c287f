package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server process a test started on a free loopback
// port, with its data directory in the test's temporary directory. The
// test may SIGKILL and restart it; it is stopped when the test ends. Only
// tests that must kill or reconfigure Redis use one; the others use
// [Open].
type Server struct {
	// Addr is host:port; it stays the same across restarts.
	Addr string
	// Dir is the server's working directory (AOF and RDB files).
	Dir string

	t    testing.TB
	args []string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// StartServer starts redis-server with args (e.g. "--appendonly", "yes")
// beside the port, bind address and directory it sets itself. The test is
// skipped when no redis-server is installed.
func StartServer(t testing.TB, args ...string) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (the Debian package redis-server provides it)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Dir: t.TempDir(), t: t}
	s.args = append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", s.Dir,
		"--save", "", "--daemonize", "no", "--loglevel", "warning"}, args...)
	s.args = append([]string{bin}, s.args...)
	s.Start()
	t.Cleanup(s.Kill)
	return s
}

// URL is the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr }

// Start starts the server (again) and waits until it answers PING, for up
// to 10 seconds.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	cmd := exec.Command(s.args[0], s.args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		s.t.Fatalf("starting redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on %s does not answer after 10 s: %v", s.Addr, err)
		}
		select {
		case <-done:
			s.t.Fatalf("redis-server on %s exited at start (%v)", s.Addr, cmd.ProcessState)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Kill SIGKILLs the server (the process this Server started, nothing
// else) and waits for it to exit. Killing a stopped server does nothing.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.t.Errorf("redis-server pid %d did not exit after SIGKILL", cmd.Process.Pid)
	}
}

// Restart SIGKILLs the server and starts it again on the same port and
// directory: what it keeps is what its persistence settings kept.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	s.Start()
}

// String describes the server for test logs.
func (s *Server) String() string { return fmt.Sprintf("redis-server %s (%s)", s.Addr, s.Dir) }

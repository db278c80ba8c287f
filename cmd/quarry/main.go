// Command quarry is the one binary of the Quarry worker fleet: the embedded
// AWS endpoint, the workers, and the tools to publish jobs and inspect
// dead-letter queues all live behind its subcommands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCommand(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "quarry:", err)
		os.Exit(exitCode(err))
	}
}

package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra"
)

// maxDeleteScan bounds how many messages of a DLQ a delete reads looking
// for the one to delete.
const maxDeleteScan = 1000

// dlq resolves the {queue} of a DLQ route: a role, a queue or a DLQ of the
// topology. A name the topology does not have, or a DLQ SQS does not
// know, is a 404.
func (s *Server) dlq(ctx context.Context, name string) (infra.Queue, string, error) {
	q, ok := s.cfg.Topology.DLQQueue(name)
	if !ok {
		roles := make([]string, 0, len(s.cfg.Topology.Queues))
		for _, q := range s.cfg.Topology.Queues {
			roles = append(roles, q.Role)
		}
		return q, "", &Error{Status: http.StatusNotFound, Field: "queue",
			Message: fmt.Sprintf("no queue %q: name a role (%s), a queue or a DLQ", name, strings.Join(roles, ", "))}
	}
	url, err := s.cfg.Topology.QueueURL(ctx, s.cfg.SQS, q.DLQName())
	if _, missing := errors.AsType[*types.QueueDoesNotExist](err); missing {
		return q, "", &Error{Status: http.StatusNotFound, Field: "queue", Message: err.Error()}
	}
	return q, url, err
}

func (s *Server) peekDLQ(c *call) error {
	n := 10
	if v := c.r.URL.Query().Get("n"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			return badRequest("n", "%q is not a number", v)
		}
	}
	q, url, err := s.dlq(c.r.Context(), c.r.PathValue("queue"))
	if err != nil {
		return err
	}
	letters, err := infra.PeekDLQ(c.r.Context(), s.cfg.SQS, url, n)
	if err != nil {
		return fmt.Errorf("peeking %s: %w", q.DLQName(), err)
	}
	if letters == nil {
		letters = []infra.DeadLetter{}
	}
	return c.respond(http.StatusOK, map[string]any{"queue": q.DLQName(), "messages": letters})
}

// redriveRequest narrows a redrive.
type redriveRequest struct {
	JobType string `json:"job_type"`
	Max     int    `json:"max"`
}

func (s *Server) redriveDLQ(c *call) error {
	var req redriveRequest
	if len(strings.TrimSpace(string(c.body))) > 0 {
		if err := json.Unmarshal(c.body, &req); err != nil {
			return badRequest("body", "not a JSON object: %v", err)
		}
	}
	ctx := c.r.Context()
	q, dlq, err := s.dlq(ctx, c.r.PathValue("queue"))
	if err != nil {
		return err
	}
	c.note("queue", q.DLQName())
	if q.Unroutable {
		return &Error{Status: http.StatusConflict, Field: "queue", Message: fmt.Sprintf(
			"%s holds jobs whose job_type no stage takes: there is no queue to return them to; read them, publish them again with a job_type a stage takes, then delete them", q.Name)}
	}
	source, err := s.cfg.Topology.QueueURL(ctx, s.cfg.SQS, q.Name)
	if err != nil {
		return err
	}
	res, err := infra.RedriveDLQ(ctx, s.cfg.SQS, dlq, source, infra.RedriveOptions{JobType: req.JobType, Max: req.Max})
	c.note("moved", res.Moved)
	if req.JobType != "" {
		c.note("job_type", req.JobType)
	}
	if err != nil {
		return fmt.Errorf("redriving %s (%d moved): %w", q.DLQName(), res.Moved, err)
	}
	out := map[string]any{"queue": q.DLQName(), "moved": res.Moved}
	if res.TaskHandle != "" {
		c.note("task_handle", res.TaskHandle)
		out["task_handle"] = res.TaskHandle
		return c.respond(http.StatusAccepted, out)
	}
	return c.respond(http.StatusOK, out)
}

func (s *Server) deleteDLQMessage(c *call) error {
	ctx := c.r.Context()
	q, url, err := s.dlq(ctx, c.r.PathValue("queue"))
	if err != nil {
		return err
	}
	id := c.r.PathValue("messageId")
	c.note("queue", q.DLQName())
	c.note("message_id", id)
	found, err := infra.DeleteDLQMessage(ctx, s.cfg.SQS, url, id, maxDeleteScan)
	if err != nil {
		return fmt.Errorf("deleting message %s of %s: %w", id, q.DLQName(), err)
	}
	if !found {
		return &Error{Status: http.StatusNotFound, Field: "messageId",
			Message: fmt.Sprintf("no message %s in %s (among the first %d, and none being read by someone else)", id, q.DLQName(), maxDeleteScan)}
	}
	c.status = http.StatusNoContent
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

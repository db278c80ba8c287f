package sqs_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra/localaws"
)

// TestErrorShapes checks that the SDK resolves each modelled error to its
// type, reports the query code as ErrorCode (x-amzn-query-error) and sees
// the HTTP status of reference §1.15.
func TestErrorShapes(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	url := e.createQueue("errs", nil)
	missing := aws.String(url + "-missing")
	for _, tc := range []struct {
		name   string
		call   func() error
		target any
		code   string
		status int
	}{
		{"QueueDoesNotExist", func() error {
			_, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: missing, MessageBody: aws.String("x")})
			return err
		}, new(*types.QueueDoesNotExist), "AWS.SimpleQueueService.NonExistentQueue", 400},
		{"InvalidAttributeName", func() error {
			_, err := e.c.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"Nope": "1"}})
			return err
		}, new(*types.InvalidAttributeName), "InvalidAttributeName", 400},
		{"InvalidAttributeValue", func() error {
			_, err := e.c.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"DelaySeconds": "-1"}})
			return err
		}, new(*types.InvalidAttributeValue), "InvalidAttributeValue", 400},
		{"InvalidMessageContents", func() error {
			_, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("\x00")})
			return err
		}, new(*types.InvalidMessageContents), "InvalidMessageContents", 400},
		{"ReceiptHandleIsInvalid", func() error {
			_, err := e.c.DeleteMessage(e.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("x")})
			return err
		}, new(*types.ReceiptHandleIsInvalid), "ReceiptHandleIsInvalid", 404},
		{"UnsupportedOperation", func() error {
			_, err := e.c.AddPermission(e.ctx, &sqs.AddPermissionInput{QueueUrl: aws.String(url), Label: aws.String("l"), AWSAccountIds: []string{"111111111111"}, Actions: []string{"SendMessage"}})
			return err
		}, new(*types.UnsupportedOperation), "AWS.SimpleQueueService.UnsupportedOperation", 400},
		{"ResourceNotFoundException", func() error {
			_, err := e.c.ListMessageMoveTasks(e.ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:missing")})
			return err
		}, new(*types.ResourceNotFoundException), "ResourceNotFoundException", 404},
	} {
		err := tc.call()
		if err == nil || !errors.As(err, tc.target) {
			t.Errorf("%s: err = %v, want that type", tc.name, err)
			continue
		}
		if code, status := apiError(t, err); code != tc.code || status != tc.status {
			t.Errorf("%s: code %s status %d, want %s %d", tc.name, code, status, tc.code, tc.status)
		}
	}
	// Unmodelled errors arrive as generic API errors with the query code.
	_, err := e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 11})
	wantCode(t, err, "InvalidParameterValue")
	_, err = e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 21})
	wantCode(t, err, "InvalidParameterValue")
	_, err = e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), VisibilityTimeout: 43201})
	wantCode(t, err, "InvalidParameterValue")
}

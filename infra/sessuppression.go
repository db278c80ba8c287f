package infra

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// SESSuppressionList is the part of the SES v2 API that keeps the account's
// suppression list; *sesv2.Client has it.
type SESSuppressionList interface {
	PutSuppressedDestination(ctx context.Context, in *sesv2.PutSuppressedDestinationInput, opts ...func(*sesv2.Options)) (*sesv2.PutSuppressedDestinationOutput, error)
	DeleteSuppressedDestination(ctx context.Context, in *sesv2.DeleteSuppressedDestinationInput, opts ...func(*sesv2.Options)) (*sesv2.DeleteSuppressedDestinationOutput, error)
}

// MirrorSuppression copies a change of Quarry's suppression list into
// SES's account-level list (QUARRY_SES_MIRROR_SUPPRESSIONS): reason is the
// suppression reason's name; only hard_bounce and complaint are mirrored,
// as SES's list knows only bounces and complaints. add is false for a
// removal; removing an address SES does not hold is not an error.
func MirrorSuppression(ctx context.Context, c SESSuppressionList, address, reason string, add bool) error {
	var r sestypes.SuppressionListReason
	switch reason {
	case "hard_bounce":
		r = sestypes.SuppressionListReasonBounce
	case "complaint":
		r = sestypes.SuppressionListReasonComplaint
	default:
		return nil
	}
	addr := strings.ToLower(strings.TrimSpace(address))
	var err error
	if add {
		_, err = c.PutSuppressedDestination(ctx, &sesv2.PutSuppressedDestinationInput{EmailAddress: aws.String(addr), Reason: r})
	} else {
		_, err = c.DeleteSuppressedDestination(ctx, &sesv2.DeleteSuppressedDestinationInput{EmailAddress: aws.String(addr)})
		var nf *sestypes.NotFoundException
		if errors.As(err, &nf) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("mirroring into SES's suppression list: %w", err)
	}
	return nil
}

package notify

import (
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/smithy-go"
)

// failure is what a failed SendEmail means for the recipient's effect.
type failure int

const (
	// failAmbiguous: the request went out and no clear refusal came back
	// (a transport error, a timeout, a 5xx): SES may have accepted it.
	// Mark the effect unknown; never re-send it automatically.
	failAmbiguous failure = iota
	// failNotSent: the request never left (credentials, signing, a
	// cancelled context): release and retry.
	failNotSent
	// failThrottled: over the send rate. Release, slow down, retry later.
	failThrottled
	// failDailyQuota: the 24-hour quota is spent. Release and pause.
	failDailyQuota
	// failPaused: SES will not send for this account or configuration
	// set (paused, suspended, MAIL FROM not verified). Release and pause.
	failPaused
	// failRejected: SES refused this message (MessageRejected,
	// BadRequestException). Release; the job fails permanently.
	failRejected
	// failConfig: a configuration set or other resource SES needs is
	// missing. Release and retry: the job is fine, the setup is not.
	failConfig
	// failRefused: any other refusal (4xx). Release and retry.
	failRefused
)

// classify sorts a SendEmail error. sent tells whether the request
// reached the HTTP transport. SES answers with an error code; throttling
// on the daily quota is told by its message, as SES documents, whatever
// the code.
func classify(err error, sent bool) failure {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, status := ae.ErrorCode(), httpStatus(err)
		switch {
		case strings.Contains(strings.ToLower(ae.ErrorMessage()), "daily message quota exceeded"):
			return failDailyQuota
		case code == "TooManyRequestsException" || code == "Throttling" || code == "ThrottlingException" || status == 429:
			return failThrottled
		case code == "SendingPausedException" || code == "AccountSuspendedException" || code == "MailFromDomainNotVerifiedException":
			return failPaused
		case code == "MessageRejected" || code == "BadRequestException":
			return failRejected
		case code == "NotFoundException":
			return failConfig
		case status >= 500 || ae.ErrorFault() == smithy.FaultServer:
			return failAmbiguous
		case status >= 400:
			return failRefused
		}
	}
	if !sent {
		return failNotSent
	}
	return failAmbiguous
}

// httpStatus returns the HTTP status of the response an SDK error came
// with, or 0.
func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// Throttling backoff: full jitter over an exponential ceiling.
const (
	throttleBase = time.Second
	throttleCap  = time.Minute
)

// throttleDelay is how long a job waits after its n-th throttled send in
// a row (n ≥ 1): a random time up to min(1 minute, 2^n seconds), and at
// least a second, so throttled workers spread out instead of returning
// together.
func throttleDelay(n int) time.Duration {
	ceil := throttleCap
	if n < 6 {
		ceil = min(throttleCap, throttleBase<<max(n, 1))
	}
	return max(throttleBase, rand.N(ceil))
}

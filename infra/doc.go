// Package infra builds Quarry's AWS clients and holds its topology as code:
// the SNS topics, the SQS queues with their dead-letter queues, the
// subscriptions that route jobs by job_type, and the SES configuration set
// whose events come back through SNS. Apply creates that topology
// idempotently on whatever endpoint the AWS configuration names: the
// embedded localaws in development and tests, AWS in production.
package infra

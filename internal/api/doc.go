// Package api is Quarry's HTTP API: publish jobs, follow a job, read queue
// depths, peek, redrive and delete dead letters, and keep the suppression
// list; the console at / and the API's own documentation (/openapi.yaml,
// Swagger UI at /docs) come with it.
//
// # A request's path
//
// Every /v1 route is a row of [Routes]: its method, its path as the
// OpenAPI document (openapi.yaml, embedded) writes it, and the permission
// it needs. A request goes through, in order:
//
//  1. the bearer token, checked by the verifier (401 when missing or bad);
//  2. the subject's rate limit, a GCRA schedule in Redis (redis_rate, as
//     the fleet paces its sends and fetches) per subject (429 with
//     Retry-After);
//  3. the subject's permissions, from the permission cache, narrowed by the
//     token's scope (403 without the route's permission);
//  4. the body, read up to MaxBodyBytes (413 past it);
//  5. validation against the OpenAPI document (400 naming the field);
//  6. the handler, which reuses what the CLI runs: infra's publisher and
//     DLQ tools, internal/jobstatus, pipeline/suppression's store;
//  7. for a write, one audit log line naming the subject, the route, the
//     status and what changed.
//
// Errors are JSON: {"error": "...", "field": "..."}.
package api

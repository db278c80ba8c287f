# The quarry image: one static binary on a distroless base, run as a
# non-root user. `make image` builds it; ECS runs `quarry worker ...` in it
# (the command comes from the task definition quarry infra render writes).

# Build stage: a static Linux binary (no cgo, so no libc in the image).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG TARGETARCH=amd64
RUN CGO_ENABLED=0 GOOS=linux GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/quarry ./cmd/quarry

# Final stage: CA certificates and tzdata, no shell, uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/quarry /quarry
USER 65532:65532
# Exec form: quarry is PID 1 and gets ECS's SIGTERM itself.
ENTRYPOINT ["/quarry"]
CMD ["worker", "--help"]

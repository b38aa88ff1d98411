# syntax=docker/dockerfile:1
# Multi-stage build: a static Go binary on a distroless, non-root image.
# .ci/run executes this file's `go build` line as written, so the build
# is proven on machines without a Docker engine too.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/eflow-digest .

# distroless/static ships CA certificates and tzdata; the binary embeds
# tzdata as well (import _ "time/tzdata").
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/eflow-digest /eflow-digest
USER nonroot:nonroot
ENTRYPOINT ["/eflow-digest"]

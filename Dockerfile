# Build a static binary, then ship it alone on distroless (CA certificates,
# tzdata, a non-root user). State lives on the /data volume.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/newswatch ./cmd/newswatch

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/newswatch /usr/local/bin/newswatch
COPY newswatch.example.yaml /etc/newswatch/newswatch.yaml
ENV NEWSWATCH_CONFIG=/etc/newswatch/newswatch.yaml
WORKDIR /data
VOLUME ["/data"]
USER nonroot:nonroot
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/newswatch"]
CMD ["run"]

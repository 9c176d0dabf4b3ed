// spangen: the load of the sampler capacity benchmark (tests/bench/sampler_capacity.py).
//
// It sends traces over OTLP/gRPC to a Collector at a fixed span rate (every trace's spans in one
// request, every -error-every-th trace with one span of status ERROR) and, at the same time, serves
// an OTLP/gRPC trace sink (the stand-in for Tempo's distributor) that counts what the Collector
// forwards, per trace ID and split by error traces. At the end it waits -drain for the last decisions
// and prints one JSON line of counts.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/encoding/gzip" // the Collector's OTLP exporter compresses with gzip by default
)

type sink struct {
	ptraceotlp.UnimplementedGRPCServer
	mu          sync.Mutex
	spans       int64
	traces      map[[16]byte]bool // trace ID -> has an error span
	errorTraces int64
}

func (s *sink) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rss := req.Traces().ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				s.spans++
				id := [16]byte(sp.TraceID())
				isErr := sp.Status().Code() == ptrace.StatusCodeError
				if seen, ok := s.traces[id]; !ok || (isErr && !seen) {
					s.traces[id] = isErr || seen
				}
			}
		}
	}
	return ptraceotlp.NewExportResponse(), nil
}

// trace builds trace n: spans spans, the last one with status ERROR when isErr; pad bytes of an
// attribute "padding" make each span about that much bigger on the wire (the role's tail_sampler_span_bytes).
func trace(n uint64, spans int, isErr bool, pad string) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "spangen")
	ss := rs.ScopeSpans().AppendEmpty()
	var tid pcommon.TraceID
	binary.BigEndian.PutUint64(tid[0:8], n*0x9E3779B97F4A7C15+1)
	binary.BigEndian.PutUint64(tid[8:16], n)
	now := time.Now()
	for i := 0; i < spans; i++ {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(tid)
		var sid pcommon.SpanID
		binary.BigEndian.PutUint64(sid[:], uint64(i+1))
		sp.SetSpanID(sid)
		sp.SetName(fmt.Sprintf("op-%d", i))
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Millisecond)))
		sp.Attributes().PutStr("http.route", "/api/v1/items/{id}")
		sp.Attributes().PutInt("http.status_code", 200)
		if pad != "" {
			sp.Attributes().PutStr("padding", pad)
		}
		if isErr && i == spans-1 {
			sp.Status().SetCode(ptrace.StatusCodeError)
		}
	}
	return td
}

func main() {
	endpoint := flag.String("endpoint", "127.0.0.1:4317", "the Collector's OTLP/gRPC address")
	listen := flag.String("sink", "127.0.0.1:14317", "address of the OTLP/gRPC trace sink")
	rate := flag.Int("rate", 1000, "spans per second sent")
	duration := flag.Duration("duration", 30*time.Second, "how long to send")
	perTrace := flag.Int("spans-per-trace", 10, "spans in each trace")
	errorEvery := flag.Int("error-every", 20, "every n-th trace has an error span (0: none)")
	drain := flag.Duration("drain", 15*time.Second, "wait after sending for the last decisions")
	workers := flag.Int("workers", 4, "concurrent senders")
	sinkMaxMiB := flag.Int("sink-max-recv-mib", 4, "the sink's gRPC max receive message size (4: gRPC's default, which Tempo's distributor keeps unless max_recv_msg_size_mib is set)")
	spanBytes := flag.Int("span-bytes", 0, "make each span about this many bytes in OTLP protobuf (0: as small as it is)")
	flag.Parse()
	pad := ""
	if size := ptraceotlp.NewExportRequestFromTraces(trace(0, 1, false, "")).Traces(); *spanBytes > 0 {
		var m ptrace.ProtoMarshaler
		if base := m.TracesSize(size); *spanBytes > base {
			pad = strings.Repeat("x", *spanBytes-base)
		}
	}

	s := &sink{traces: map[[16]byte]bool{}}
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(*sinkMaxMiB << 20))
	ptraceotlp.RegisterGRPCServer(srv, s)
	go func() { _ = srv.Serve(lis) }()

	cc, err := grpc.NewClient(*endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	client := ptraceotlp.NewGRPCClient(cc)

	tracesPerSec := float64(*rate) / float64(*perTrace)
	total := uint64(tracesPerSec * duration.Seconds())
	next := make(chan uint64, 1024)
	var sendErrors, sentTraces, sentErrorTraces int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				isErr := *errorEvery > 0 && n%uint64(*errorEvery) == 0
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_, err := client.Export(ctx, ptraceotlp.NewExportRequestFromTraces(trace(n, *perTrace, isErr, pad)))
				cancel()
				mu.Lock()
				if err != nil {
					sendErrors++
				} else {
					sentTraces++
					if isErr {
						sentErrorTraces++
					}
				}
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	for n := uint64(0); n < total; n++ {
		due := start.Add(time.Duration(float64(n) / tracesPerSec * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		next <- n
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	time.Sleep(*drain)
	srv.GracefulStop()

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, isErr := range s.traces {
		if isErr {
			s.errorTraces++
		}
	}
	out := map[string]any{
		"sent_traces": sentTraces, "sent_error_traces": sentErrorTraces, "sent_spans": sentTraces * int64(*perTrace),
		"send_errors": sendErrors, "send_seconds": elapsed, "spans_per_sec": float64(sentTraces*int64(*perTrace)) / elapsed,
		"received_spans": s.spans, "received_traces": len(s.traces), "received_error_traces": s.errorTraces,
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
}

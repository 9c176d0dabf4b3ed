// tracegen: the trace generator of the twin's trace tests and benchmark (issue 22).
//
// Each trace has -spans spans from as many services as there are -targets (agents, one per node):
// span i belongs to service "<prefix>-<i mod targets>" and is sent over OTLP/gRPC to target
// i mod targets, so one trace's spans reach different agents, as a request crossing nodes does.
// Span 0 is the root, the others its children. Every -error-every-th trace has status ERROR on its
// last span. Trace IDs are random. Traces go out at -rate traces per second with -workers senders.
//
// It prints one JSON line: the trace IDs sent whole, split by error or not, the IDs of traces of
// which some span could not be sent (with the first error), and when each trace was sent.
package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

type result struct {
	Error, OK, Failed []string
	SentAt            map[string]float64 // trace ID -> seconds after the start when its last span was sent
	FirstError        string
	Seconds           float64
}

// part builds the spans of trace tid that belong to target t.
func part(tid pcommon.TraceID, t, targets, spans int, isErr bool, prefix string, now time.Time) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", fmt.Sprintf("%s-%d", prefix, t))
	rs.Resource().Attributes().PutStr("tracegen.synthetic", "true")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("tracegen")
	for i := t; i < spans; i += targets {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(tid)
		var sid pcommon.SpanID
		binary.BigEndian.PutUint64(sid[:], uint64(i+1))
		sp.SetSpanID(sid)
		if i > 0 {
			var parent pcommon.SpanID
			binary.BigEndian.PutUint64(parent[:], 1)
			sp.SetParentSpanID(parent)
		}
		sp.SetName(fmt.Sprintf("op-%d", i))
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(i) * time.Millisecond)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(i+1) * time.Millisecond)))
		if isErr && i == spans-1 {
			sp.Status().SetCode(ptrace.StatusCodeError)
			sp.Status().SetMessage("tracegen: synthetic error")
		}
	}
	return td
}

func main() {
	targetsFlag := flag.String("targets", "127.0.0.1:4317", "comma-separated OTLP/gRPC addresses (the agents)")
	traces := flag.Int("traces", 1000, "traces to send")
	spans := flag.Int("spans", 6, "spans per trace")
	errorEvery := flag.Int("error-every", 10, "every n-th trace has an error span (0: none)")
	rate := flag.Float64("rate", 200, "traces per second")
	workers := flag.Int("workers", 8, "concurrent senders")
	prefix := flag.String("service-prefix", "tracegen", "service name prefix")
	flag.Parse()
	targets := strings.Split(*targetsFlag, ",")
	clients := make([]ptraceotlp.GRPCClient, len(targets))
	for i, t := range targets {
		cc, err := grpc.NewClient(t, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			log.Fatal(err)
		}
		clients[i] = ptraceotlp.NewGRPCClient(cc)
	}
	var mu sync.Mutex
	res := result{Error: []string{}, OK: []string{}, Failed: []string{}, SentAt: map[string]float64{}}
	next := make(chan int, 256)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				var tid pcommon.TraceID
				_, _ = rand.Read(tid[:])
				isErr := *errorEvery > 0 && n%*errorEvery == 0
				now := time.Now()
				var firstErr error
				for t := range targets {
					if t >= *spans {
						break
					}
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					_, err := clients[t].Export(ctx, ptraceotlp.NewExportRequestFromTraces(part(tid, t, len(targets), *spans, isErr, *prefix, now)))
					cancel()
					if err != nil && firstErr == nil {
						firstErr = err
					}
				}
				id := hex.EncodeToString(tid[:])
				mu.Lock()
				res.SentAt[id] = time.Since(start).Seconds()
				switch {
				case firstErr != nil:
					res.Failed = append(res.Failed, id)
					if res.FirstError == "" {
						res.FirstError = firstErr.Error()
					}
				case isErr:
					res.Error = append(res.Error, id)
				default:
					res.OK = append(res.OK, id)
				}
				mu.Unlock()
			}
		}()
	}
	for n := 0; n < *traces; n++ {
		if d := time.Until(start.Add(time.Duration(float64(n) / *rate * float64(time.Second)))); d > 0 {
			time.Sleep(d)
		}
		next <- n
	}
	close(next)
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	_ = json.NewEncoder(os.Stdout).Encode(map[string]any{
		"error": res.Error, "ok": res.OK, "failed": res.Failed, "sent_at": res.SentAt, "first_error": res.FirstError, "seconds": res.Seconds,
	})
}

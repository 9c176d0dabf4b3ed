// tracestore: the twin's stand-in for Tempo's distributor and for jaeger-query in front of
// tempo-query (issue 22). Tempo itself is not built here (AGPL; not taken from the module proxy),
// so this is a stand-in, not Tempo.
//
// It receives OTLP/gRPC traces where Tempo's distributor would (-otlp, the port of the Service the
// samplers export to), keeps every span in memory, and answers the parts of jaeger-query's HTTP API
// the canary and the tests use (-http):
//
//	GET /api/services                        {"data": [service names]}
//	GET /api/traces/{traceID}                {"data": [trace]} or 404 {"errors": [...]}
//	GET /api/traces?service=S&limit=N        {"data": [traces with a span of S]}
//
// The JSON follows jaeger-query's v1 UI model (jaegertracing/jaeger model/json/model.go: traceID,
// spans with spanID, operationName, references, startTime and duration in microseconds, tags,
// processID; processes by ID). For the tests it also serves GET /stand-in/summary: per trace ID,
// its span count, whether a span has status ERROR, and the peer addresses that sent its spans.
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"log"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // the Collector's OTLP exporter compresses with gzip by default
	"google.golang.org/grpc/peer"
)

type span struct {
	TraceID, SpanID, Parent, Name, Service, Peer string
	Start, End                                   uint64 // ns since the epoch
	Error                                        bool
	Attrs                                        map[string]any
}

type store struct {
	ptraceotlp.UnimplementedGRPCServer
	mu     sync.Mutex
	traces map[string][]span
	order  []string
}

func (s *store) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	from := ""
	if p, ok := peer.FromContext(ctx); ok {
		if host, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
			from = host
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rss := req.Traces().ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		service := ""
		if v, ok := rss.At(i).Resource().Attributes().Get("service.name"); ok {
			service = v.AsString()
		}
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				traceID := sp.TraceID()
				tid := hex.EncodeToString(traceID[:])
				if _, seen := s.traces[tid]; !seen {
					s.order = append(s.order, tid)
				}
				parent := ""
				if parentID := sp.ParentSpanID(); !parentID.IsEmpty() {
					parent = hex.EncodeToString(parentID[:])
				}
				s.traces[tid] = append(s.traces[tid], span{
					TraceID: tid, SpanID: spanHex(sp.SpanID()), Parent: parent, Name: sp.Name(),
					Service: service, Peer: from, Start: uint64(sp.StartTimestamp()), End: uint64(sp.EndTimestamp()),
					Error: sp.Status().Code() == ptrace.StatusCodeError, Attrs: sp.Attributes().AsRaw(),
				})
			}
		}
	}
	return ptraceotlp.NewExportResponse(), nil
}

// jaegerTrace is one trace in jaeger-query's UI JSON.
func jaegerTrace(tid string, spans []span) map[string]any {
	processes := map[string]any{}
	pid := map[string]string{}
	out := make([]map[string]any, 0, len(spans))
	for _, sp := range spans {
		id, ok := pid[sp.Service]
		if !ok {
			id = "p" + strconv.Itoa(len(pid)+1)
			pid[sp.Service] = id
			processes[id] = map[string]any{"serviceName": sp.Service, "tags": []any{}}
		}
		tags := []map[string]any{}
		keys := make([]string, 0, len(sp.Attrs))
		for k := range sp.Attrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			tags = append(tags, map[string]any{"key": k, "type": "string", "value": sp.Attrs[k]})
		}
		if sp.Error {
			tags = append(tags, map[string]any{"key": "error", "type": "bool", "value": true})
		}
		refs := []map[string]any{}
		if sp.Parent != "" {
			refs = append(refs, map[string]any{"refType": "CHILD_OF", "traceID": tid, "spanID": sp.Parent})
		}
		out = append(out, map[string]any{
			"traceID": tid, "spanID": sp.SpanID, "operationName": sp.Name, "references": refs,
			"startTime": sp.Start / 1000, "duration": (sp.End - sp.Start) / 1000, "tags": tags, "processID": id,
		})
	}
	return map[string]any{"traceID": tid, "spans": out, "processes": processes}
}

func writeJSON(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

func (s *store) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/services", func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		seen := map[string]bool{}
		names := []string{}
		for _, spans := range s.traces {
			for _, sp := range spans {
				if !seen[sp.Service] {
					seen[sp.Service] = true
					names = append(names, sp.Service)
				}
			}
		}
		sort.Strings(names)
		writeJSON(w, 200, map[string]any{"data": names, "total": len(names)})
	})
	mux.HandleFunc("/api/traces/", func(w http.ResponseWriter, r *http.Request) {
		tid := strings.ToLower(strings.TrimPrefix(r.URL.Path, "/api/traces/"))
		s.mu.Lock()
		defer s.mu.Unlock()
		spans, ok := s.traces[tid]
		if !ok {
			writeJSON(w, 404, map[string]any{"data": nil, "errors": []any{map[string]any{"code": 404, "msg": "trace not found"}}})
			return
		}
		writeJSON(w, 200, map[string]any{"data": []any{jaegerTrace(tid, spans)}})
	})
	mux.HandleFunc("/api/traces", func(w http.ResponseWriter, r *http.Request) {
		service := r.URL.Query().Get("service")
		limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
		if err != nil || limit <= 0 {
			limit = 20
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		data := []any{}
		for i := len(s.order) - 1; i >= 0 && len(data) < limit; i-- {
			spans := s.traces[s.order[i]]
			for _, sp := range spans {
				if sp.Service == service {
					data = append(data, jaegerTrace(s.order[i], spans))
					break
				}
			}
		}
		writeJSON(w, 200, map[string]any{"data": data, "total": len(data)})
	})
	mux.HandleFunc("/stand-in/summary", func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		out := map[string]any{}
		for tid, spans := range s.traces {
			peers := map[string]bool{}
			isErr := false
			for _, sp := range spans {
				peers[sp.Peer] = true
				isErr = isErr || sp.Error
			}
			list := make([]string, 0, len(peers))
			for p := range peers {
				list = append(list, p)
			}
			sort.Strings(list)
			out[tid] = map[string]any{"spans": len(spans), "error": isErr, "peers": list}
		}
		writeJSON(w, 200, out)
	})
	return mux
}

func main() {
	otlp := flag.String("otlp", "0.0.0.0:4317", "OTLP/gRPC address (Tempo distributor's)")
	httpAddr := flag.String("http", "0.0.0.0:16686", "jaeger-query HTTP API address")
	maxMiB := flag.Int("max-recv-mib", 4, "gRPC max receive message size (gRPC's default 4 MiB, as Tempo's distributor keeps unless configured)")
	flag.Parse()
	s := &store{traces: map[string][]span{}}
	lis, err := net.Listen("tcp", *otlp)
	if err != nil {
		log.Fatal(err)
	}
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(*maxMiB << 20))
	ptraceotlp.RegisterGRPCServer(srv, s)
	go func() { log.Fatal(srv.Serve(lis)) }()
	log.Printf("tracestore: OTLP/gRPC on %s, query API on %s", *otlp, *httpAddr)
	log.Fatal(http.ListenAndServe(*httpAddr, s.routes()))
}

func spanHex(id [8]byte) string { return hex.EncodeToString(id[:]) }

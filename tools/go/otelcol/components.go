// The components of the talos_homelab.tracing Collector: exactly those the roles render
// (roles/otel_collector, the agents; roles/tail_sampler via plugins/module_utils/sampling.py, the samplers).
// Written by hand in the layout of the OpenTelemetry Collector Builder's generated components.go.
package main

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/loadbalancingexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusremotewriteexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/probabilisticsamplerprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/resourceprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/hostmetricsreceiver"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kubeletstatsreceiver"
)

const (
	core    = "go.opentelemetry.io/collector/"
	contrib = "github.com/open-telemetry/opentelemetry-collector-contrib/"
	release = " v0.159.0"
)

func components() (otelcol.Factories, error) {
	var err error
	factories := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}

	factories.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](
		healthcheckextension.NewFactory(),
	)
	if err != nil {
		return otelcol.Factories{}, err
	}
	factories.ExtensionModules = modules(factories.Extensions, map[string]string{
		"health_check": contrib + "extension/healthcheckextension",
	})

	factories.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](
		otlpreceiver.NewFactory(),
		hostmetricsreceiver.NewFactory(),
		kubeletstatsreceiver.NewFactory(),
	)
	if err != nil {
		return otelcol.Factories{}, err
	}
	factories.ReceiverModules = modules(factories.Receivers, map[string]string{
		"otlp":          core + "receiver/otlpreceiver",
		"host_metrics":  contrib + "receiver/hostmetricsreceiver",
		"kubelet_stats": contrib + "receiver/kubeletstatsreceiver",
	})

	factories.Processors, err = otelcol.MakeFactoryMap[processor.Factory](
		memorylimiterprocessor.NewFactory(),
		batchprocessor.NewFactory(),
		resourceprocessor.NewFactory(),
		probabilisticsamplerprocessor.NewFactory(),
		tailsamplingprocessor.NewFactory(),
	)
	if err != nil {
		return otelcol.Factories{}, err
	}
	factories.ProcessorModules = modules(factories.Processors, map[string]string{
		"memory_limiter":        core + "processor/memorylimiterprocessor",
		"batch":                 core + "processor/batchprocessor",
		"resource":              contrib + "processor/resourceprocessor",
		"probabilistic_sampler": contrib + "processor/probabilisticsamplerprocessor",
		"tail_sampling":         contrib + "processor/tailsamplingprocessor",
	})

	factories.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](
		otlpexporter.NewFactory(),
		loadbalancingexporter.NewFactory(),
		prometheusremotewriteexporter.NewFactory(),
	)
	if err != nil {
		return otelcol.Factories{}, err
	}
	factories.ExporterModules = modules(factories.Exporters, map[string]string{
		"otlp_grpc":               core + "exporter/otlpexporter",
		"load_balancing":          contrib + "exporter/loadbalancingexporter",
		"prometheus_remote_write": contrib + "exporter/prometheusremotewriteexporter",
	})

	factories.Connectors, err = otelcol.MakeFactoryMap[connector.Factory]()
	if err != nil {
		return otelcol.Factories{}, err
	}
	factories.ConnectorModules = map[component.Type]string{}
	return factories, nil
}

// modules maps every type of a factory map (deprecated aliases included) to its Go module and release.
func modules[T component.Factory](factories map[component.Type]T, byType map[string]string) map[component.Type]string {
	out := make(map[component.Type]string, len(factories))
	for typ, f := range factories {
		out[typ] = byType[f.Type().String()] + release
	}
	return out
}

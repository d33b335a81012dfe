//! OpenTelemetry traces over OTLP/HTTP, on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set and off otherwise; the standard variables
//! (`OTEL_EXPORTER_OTLP_PROTOCOL` `http/protobuf` or `http/json`, `..._HEADERS`, `..._TIMEOUT`,
//! `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SDK_DISABLED`) apply.
//!
//! A request is one server span (the `request` span of the HTTP layer), whose parent is the
//! caller's `traceparent`; each SQL statement is a client span under it, and each field that
//! took longer than the configured threshold a span of its own. Statement and field spans are
//! written once their time is known, with their real start: nothing is created for the fast
//! ones, and nothing at all while traces are off.
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo};
use opentelemetry::trace::{Span as _, SpanKind, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue, global};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

const TRACER: &str = "creatorpulse";

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Whether traces are exported.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The tracer provider, when the environment configures an OTLP endpoint. Its layer
/// ([`layer`]) joins the process's `tracing` subscriber; [`SdkTracerProvider::shutdown`] at exit
/// sends what is left.
pub fn from_env() -> Option<SdkTracerProvider> {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    let disabled = std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    if disabled || !(set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
        return None;
    }
    let exporter = match opentelemetry_otlp::SpanExporter::builder().with_http().build() {
        Ok(exporter) => exporter,
        Err(err) => {
            // Said once, at start; the server runs on without traces.
            eprintln!("warning: traces are off: the OTLP exporter cannot start: {err}");
            return None;
        }
    };
    let mut resource = opentelemetry_sdk::Resource::builder();
    if !set("OTEL_SERVICE_NAME") {
        resource = resource.with_service_name("creatorpulse");
    }
    let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource.build()).build();
    global::set_tracer_provider(provider.clone());
    global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
    ENABLED.store(true, Ordering::Relaxed);
    Some(provider)
}

/// The `tracing` layer that turns spans into OpenTelemetry spans.
pub fn layer<S>(provider: &SdkTracerProvider) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    tracing_opentelemetry::layer().with_tracer(provider.tracer(TRACER)).with_tracked_inactivity(false)
}

/// Makes the caller's trace (`traceparent`, `tracestate`) the parent of `span`.
pub fn continue_trace(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    if !enabled() {
        return;
    }
    let parent = global::get_text_map_propagator(|propagator| propagator.extract(&Headers(headers)));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

struct Headers<'a>(&'a axum::http::HeaderMap);

impl opentelemetry::propagation::Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// A span that already ended: `took` up to now, under the current `tracing` span.
fn finished(name: String, kind: SpanKind, took: Duration, attributes: Vec<KeyValue>) {
    let parent: Context = tracing::Span::current().context();
    let tracer = global::tracer(TRACER);
    let now = SystemTime::now();
    let mut span = tracer
        .span_builder(name)
        .with_kind(kind)
        .with_start_time(now.checked_sub(took).unwrap_or(now))
        .with_attributes(attributes)
        .start_with_context(&tracer, &parent);
    span.end_with_timestamp(now);
}

/// A SQL statement's span (its text carries placeholders, never values).
pub fn statement(info: &sea_orm::metric::Info<'_>) {
    if !enabled() {
        return;
    }
    let sql = &info.statement.sql;
    let verb = sql.split_whitespace().next().unwrap_or("SQL").to_ascii_uppercase();
    let system = match info.statement.db_backend {
        sea_orm::DbBackend::Postgres => "postgresql",
        sea_orm::DbBackend::Sqlite => "sqlite",
        _ => "other_sql",
    };
    let mut attributes = vec![KeyValue::new("db.system.name", system), KeyValue::new("db.query.text", sql.clone())];
    if info.failed {
        attributes.push(KeyValue::new("error.type", "db_error"));
    }
    finished(verb, SpanKind::Client, info.elapsed, attributes);
}

/// A schema extension writing a span for each field slower than its threshold. It joins the
/// schema only while traces are on: a schema without extensions resolves on its fast path.
pub struct SlowFields(pub Duration);

impl ExtensionFactory for SlowFields {
    fn create(&self) -> std::sync::Arc<dyn Extension> {
        std::sync::Arc::new(SlowFieldsExtension(self.0))
    }
}

struct SlowFieldsExtension(Duration);

#[async_trait::async_trait]
impl Extension for SlowFieldsExtension {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> async_graphql::ServerResult<Option<async_graphql::Value>> {
        let started = std::time::Instant::now();
        let name = format!("{}.{}", info.parent_type, info.name);
        let path = info.path_node.to_string();
        let result = next.run(ctx, info).await;
        let took = started.elapsed();
        if took >= self.0 {
            let attributes =
                vec![KeyValue::new("graphql.field.path", path), KeyValue::new("graphql.field.name", name.clone())];
            finished(name, SpanKind::Internal, took, attributes);
        }
        result
    }
}
